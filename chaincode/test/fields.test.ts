import { expect } from 'chai';
import { makeCreditCode } from '@ruralcredit/protocol';
import { Fields } from '../src/lib/fields';
import { LedgerError } from '../src/lib/errors';
import { TestConsortium, days, digest, plus, subject } from './support/consortium';

const PERSONAL = ['350902196001030009', makeCreditCode('93350902MA31RQ2K5'), '13805931234'];

function refusal(read: () => unknown): string {
  try {
    read();
  } catch (err) {
    if (err instanceof LedgerError) return err.message;
    throw err;
  }
  return 'accepted';
}

describe('Fields: personal identifiers in values kept in clear', () => {
  it('when an ID, a clear string or free text holds a resident ID, credit code or mobile number, then INVALID without echoing it', () => {
    for (const pii of PERSONAL) {
      const f = new Fields({ id: `C-${pii}`, text: `call ${pii}`, code: `FJ-${pii}` }, 'x');
      for (const message of [
        refusal(() => f.id('id')),
        refusal(() => f.text('text', 200)),
        refusal(() => f.clearString('code', /^[A-Za-z0-9-]+$/, 'a code')),
      ]) {
        expect(message).to.match(/^INVALID: x\.(id|text|code) must not contain a resident ID/);
        expect(message).not.to.include(pii);
      }
    }
    const clean = new Fields({ id: 'loan-2026-0042', text: 'Ningde natural resources' }, 'x');
    expect(clean.id('id')).to.equal('loan-2026-0042');
    expect(clean.text('text', 200)).to.equal('Ningde natural resources');
  });

  describe('on the ledger', () => {
    let c: TestConsortium;
    beforeEach(async () => {
      c = await TestConsortium.start();
    });
    afterEach(() => c.stop());

    it('when a consent or access ID, a certificate number or a location holds a personal identifier, then INVALID and nothing is written', async () => {
      const pii = PERSONAL[0]!;
      const grant = {
        grantId: `C-${pii}`,
        subject: subject(1),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        validFrom: c.now,
        validUntil: plus(c.now, days(30)),
        evidence: { type: 'FORM_HASH', formHash: digest(1) },
      };
      await c.refused('INVALID', 'bankA', 'Consent:RecordGrant', JSON.stringify(grant));
      await c.grant('bankA', { grantId: 'g-1', subject: subject(1) });
      await c.refused(
        'INVALID',
        'bankA',
        'Access:RecordAccess',
        JSON.stringify({
          accessId: `acc-${pii}`,
          grantId: 'g-1',
          subject: subject(1),
          datasets: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
          operator: digest(5),
          releaseDigest: digest(6),
        }),
      );
      const asset = {
        assetType: 'HOMESTEAD_RIGHT',
        certificateNo: `HS-${pii}`,
        owner: subject(1),
        location: 'FJ-ND-0202',
        areaValue: 120,
        areaUnit: 'SQUARE_METRE',
        appraisedValueFen: 50_000_000,
        appraisalDate: c.now,
        rightExpiry: plus(c.now, days(3650)),
      };
      await c.refused('INVALID', 'land', 'Collateral:RegisterAsset', JSON.stringify(asset));
      await c.refused(
        'INVALID',
        'land',
        'Collateral:RegisterAsset',
        JSON.stringify({ ...asset, certificateNo: 'HS-1', location: `FJ-${PERSONAL[2]!}` }),
      );
    });
  });
});
