import { expect } from 'chai';
import { MSP, TestConsortium, days, digest, plus, readAllPages, subject } from './support/consortium';

const S = subject(1);

describe('Dispute', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
    await c.anchor('land', { batchId: 'hs-1', datasetType: 'HOMESTEAD' });
    await c.grant('bankA', { grantId: 'g-1', subject: S, scope: ['HOMESTEAD'] });
  });
  afterEach(() => c.stop());

  const filing = (override: Record<string, unknown> = {}): string =>
    JSON.stringify({
      disputeId: 'd-1',
      datasetType: 'HOMESTEAD',
      batchId: 'hs-1',
      recordHash: digest(11),
      subject: S,
      grantId: 'g-1',
      reason: 'WRONG_VALUE',
      ...override,
    });

  it('when a bank holding the grant files, then the record is marked disputed at once with a 20-day due date', async () => {
    const d = await c.submit('bankA', 'Dispute:FileDispute', filing());
    expect(d).to.include({
      status: 'OPEN',
      provider: MSP.land,
      filedBy: MSP.bankA,
      overdue: false,
      dueBy: plus(d.filedAt as string, days(20)),
    });
    // Any member learns that the record is disputed, and nothing else (issue 12 item 8).
    for (const org of ['bankA', 'bankB', 'agri', 'regulator'] as const) {
      expect(await c.evaluate(org, 'Dispute:GetOpenDispute', 'hs-1', digest(11))).to.deep.equal({
        disputeId: 'd-1',
        status: 'OPEN',
      });
    }
    await c.refused('CONFLICT', 'regulator', 'Dispute:FileDispute', filing({ disputeId: 'd-2' }));
  });

  it('when several records are asked at once, then GetOpenDisputes answers each in order, with the open dispute only where there is one; a malformed list is INVALID', async () => {
    const records = (...hashes: number[]) =>
      JSON.stringify({ records: hashes.map((n) => ({ batchId: 'hs-1', recordHash: digest(n) })) });
    expect(await c.evaluate('bankB', 'Dispute:GetOpenDisputes', records(12, 11))).to.deep.equal([
      { batchId: 'hs-1', recordHash: digest(12) },
      { batchId: 'hs-1', recordHash: digest(11) },
    ]);
    await c.submit('bankA', 'Dispute:FileDispute', filing());
    for (const org of ['bankB', 'agri', 'regulator'] as const) {
      expect(await c.evaluate(org, 'Dispute:GetOpenDisputes', records(12, 11))).to.deep.equal([
        { batchId: 'hs-1', recordHash: digest(12) },
        { batchId: 'hs-1', recordHash: digest(11), disputeId: 'd-1', status: 'OPEN' },
      ]);
    }
    for (const malformed of [
      JSON.stringify({ records: [] }),
      records(...Array.from({ length: 101 }, (_, i) => i)),
      JSON.stringify({ records: [{ batchId: 'hs-1', recordHash: digest(11), subject: S }] }),
      JSON.stringify({ records: [{ batchId: 'hs-1', recordHash: 'not-a-digest' }] }),
    ]) {
      await c.queryRefused('INVALID', 'bankA', 'Dispute:GetOpenDisputes', malformed);
    }
  });

  it('when a bank without a covering grant files, then FORBIDDEN; the regulator needs none', async () => {
    await c.refused('FORBIDDEN', 'bankB', 'Dispute:FileDispute', filing({ grantId: 'g-1' }));
    await c.refused('FORBIDDEN', 'bankA', 'Dispute:FileDispute', filing({ grantId: undefined }));
    await c.refused('FORBIDDEN', 'bankA', 'Dispute:FileDispute', filing({ subject: subject(2) }));
    await c.refused('FORBIDDEN', 'land', 'Dispute:FileDispute', filing());
    await c.refused('FORBIDDEN', 'auditor', 'Dispute:FileDispute', filing());
    await c.refused(
      'INVALID',
      'regulator',
      'Dispute:FileDispute',
      filing({ datasetType: 'LAND_CONTRACT', grantId: undefined }),
    );
    expect(await c.submit('regulator', 'Dispute:FileDispute', filing({ grantId: undefined }))).to.include({
      filedBy: MSP.regulator,
    });
  });

  it('when the provider resolves as CORRECTED, then the correcting batch must correct the disputed one', async () => {
    await c.submit('bankA', 'Dispute:FileDispute', filing());
    await c.anchor('land', { batchId: 'hs-2', datasetType: 'HOMESTEAD' });
    const note = digest(12);
    await c.refused(
      'FORBIDDEN',
      'agri',
      'Dispute:ResolveDispute',
      'd-1',
      JSON.stringify({ outcome: 'UPHELD', noteDigest: note }),
    );
    await c.refused(
      'FORBIDDEN',
      'bankA',
      'Dispute:ResolveDispute',
      'd-1',
      JSON.stringify({ outcome: 'UPHELD', noteDigest: note }),
    );
    await c.refused(
      'INVALID',
      'land',
      'Dispute:ResolveDispute',
      'd-1',
      JSON.stringify({ outcome: 'CORRECTED', correctingBatchId: 'hs-2', noteDigest: note }),
    );
    await c.refused(
      'INVALID',
      'land',
      'Dispute:ResolveDispute',
      'd-1',
      JSON.stringify({ outcome: 'UPHELD', correctingBatchId: 'hs-2', noteDigest: note }),
    );
    await c.anchor('land', { batchId: 'hs-1-fix', datasetType: 'HOMESTEAD', corrects: 'hs-1' });
    const resolved = await c.submit(
      'land',
      'Dispute:ResolveDispute',
      'd-1',
      JSON.stringify({ outcome: 'CORRECTED', correctingBatchId: 'hs-1-fix', noteDigest: note }),
    );
    expect(resolved).to.include({ status: 'RESOLVED', overdue: false });
    expect(resolved.resolution).to.include({
      outcome: 'CORRECTED',
      correctingBatchId: 'hs-1-fix',
      resolvedBy: MSP.land,
      late: false,
    });
    await c.queryRefused('NOT_FOUND', 'bankA', 'Dispute:GetOpenDispute', 'hs-1', digest(11));
    await c.refused(
      'CONFLICT',
      'land',
      'Dispute:ResolveDispute',
      'd-1',
      JSON.stringify({ outcome: 'UPHELD', noteDigest: note }),
    );
  });

  it('judges overdue at the transaction time and flags a late resolution', async () => {
    await c.submit('bankA', 'Dispute:FileDispute', filing());
    await c.submit(
      'regulator',
      'Dispute:FileDispute',
      filing({ disputeId: 'd-2', recordHash: digest(13), grantId: undefined }),
    );
    expect((await readAllPages(c, 'regulator', 'Dispute:ListDisputes', ['true'], 10)).length).to.equal(0);
    c.setTime(plus(c.now, days(21)));
    const overdue = await readAllPages<{ disputeId: string; overdue: boolean }>(
      c,
      'auditor',
      'Dispute:ListDisputes',
      ['true'],
      1,
    );
    expect(overdue.map((d) => [d.disputeId, d.overdue])).to.deep.equal([
      ['d-1', true],
      ['d-2', true],
    ]);
    const bankView = await readAllPages<{ disputeId: string }>(
      c,
      'bankA',
      'Dispute:ListDisputes',
      ['true'],
      10,
    );
    expect(bankView.map((d) => d.disputeId)).to.deep.equal(['d-1']);
    const late = await c.submit(
      'land',
      'Dispute:ResolveDispute',
      'd-1',
      JSON.stringify({ outcome: 'UPHELD', noteDigest: digest(14) }),
    );
    expect(late.resolution).to.include({ late: true, outcome: 'UPHELD' });
    const providerOverdue = await readAllPages<{ disputeId: string }>(
      c,
      'land',
      'Dispute:ListDisputes',
      ['true'],
      10,
    );
    expect(providerOverdue.map((d) => d.disputeId)).to.deep.equal(['d-2']);
    const everything = await readAllPages<{ disputeId: string }>(
      c,
      'land',
      'Dispute:ListDisputes',
      ['false'],
      1,
    );
    expect(everything.map((d) => d.disputeId)).to.deep.equal(['d-1', 'd-2']);
  });

  it('when an outsider to the dispute reads it, then FORBIDDEN', async () => {
    await c.submit('bankA', 'Dispute:FileDispute', filing());
    await c.queryRefused('FORBIDDEN', 'bankB', 'Dispute:GetDispute', 'd-1');
    await c.queryRefused('FORBIDDEN', 'agri', 'Dispute:GetDispute', 'd-1');
    expect(await c.evaluate('land', 'Dispute:GetDispute', 'd-1')).to.include({ disputeId: 'd-1' });
    expect(await c.evaluate('auditor', 'Dispute:GetDispute', 'd-1')).to.include({ disputeId: 'd-1' });
  });
});
