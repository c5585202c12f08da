import { expect } from 'chai';
import { TestConsortium, subject } from './support/consortium';

describe('Consent: reading a grant', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
  });
  afterEach(() => c.stop());

  it("when a bank reads another bank's grant, then NOT_FOUND with the message of a missing one (issue 12 item 20)", async () => {
    await c.grant('bankA', { grantId: 'g-a', subject: subject(1) });
    const other = await c.queryRefused('NOT_FOUND', 'bankB', 'Consent:GetGrant', 'g-a');
    const missing = await c.queryRefused('NOT_FOUND', 'bankB', 'Consent:GetGrant', 'g-b');
    expect(other).to.equal('NOT_FOUND: grant g-a does not exist');
    expect(missing).to.equal('NOT_FOUND: grant g-b does not exist');
    for (const org of ['bankA', 'regulator', 'auditor'] as const) {
      expect(await c.evaluate(org, 'Consent:GetGrant', 'g-a'), org).to.include({ grantId: 'g-a' });
    }
  });
});
