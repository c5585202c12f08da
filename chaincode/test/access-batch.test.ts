import { expect } from 'chai';
import { MSP, TestConsortium, digest, subject } from './support/consortium';

interface BatchResult {
  records: { accessId: string; outcome: string; reason?: string; accessor: string }[];
  replayed: string[];
}

function entry(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    accessId: `b-${n}`,
    grantId: 'g-1',
    subject: subject(1),
    datasets: ['HOMESTEAD'],
    purpose: 'LOAN_APPLICATION',
    operator: digest(5),
    releaseDigest: digest(100 + n),
    ...overrides,
  };
}

describe('Access:RecordAccessBatch', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
    await c.grant('bankA', { grantId: 'g-1', subject: subject(1), scope: ['HOMESTEAD'], maxAccesses: 2 });
    await c.grant('bankA', { grantId: 'g-2', subject: subject(2), scope: ['HOMESTEAD'] });
  });
  afterEach(() => c.stop());

  it('when a batch uses one grant past its budget, then the accesses are decided in order and the budget is charged once each', async () => {
    const result = await c.submit<BatchResult>(
      'bankA',
      'Access:RecordAccessBatch',
      JSON.stringify({
        accesses: [entry(1), entry(2), entry(3), entry(4, { grantId: 'g-2', subject: subject(2) })],
      }),
    );
    expect(result.records.map((r) => [r.accessId, r.outcome, r.reason ?? ''])).to.deep.equal([
      ['b-1', 'GRANTED', ''],
      ['b-2', 'GRANTED', ''],
      ['b-3', 'DENIED', 'BUDGET_EXHAUSTED'],
      ['b-4', 'GRANTED', ''],
    ]);
    expect(result.replayed).to.deep.equal([]);
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'g-1')).to.include({ accessesUsed: 2 });
    expect(await c.evaluate('bankA', 'Access:GetAccess', 'b-3')).to.include({
      outcome: 'DENIED',
      reason: 'BUDGET_EXHAUSTED',
      accessor: MSP.bankA,
    });
  });

  it('when a batch is submitted again, then its accesses are returned as recorded and nothing is charged twice', async () => {
    const body = JSON.stringify({ accesses: [entry(1)] });
    await c.submit('bankA', 'Access:RecordAccessBatch', body);
    const again = await c.submit<BatchResult>(
      'bankA',
      'Access:RecordAccessBatch',
      JSON.stringify({ accesses: [entry(1), entry(2)] }),
    );
    expect(again.replayed).to.deep.equal(['b-1']);
    expect(again.records.map((r) => r.outcome)).to.deep.equal(['GRANTED', 'GRANTED']);
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'g-1')).to.include({ accessesUsed: 2 });
  });

  it('when the grant is revoked before the batch, then every access of it is DENIED REVOKED', async () => {
    await c.submit('bankA', 'Consent:RevokeGrant', 'g-1', 'BANK_REQUEST');
    const result = await c.submit<BatchResult>(
      'bankA',
      'Access:RecordAccessBatch',
      JSON.stringify({ accesses: [entry(1), entry(2)] }),
    );
    expect(result.records.map((r) => r.reason)).to.deep.equal(['REVOKED', 'REVOKED']);
  });

  it('refuses a reused ID of another request, a duplicate ID, an empty or oversized batch, and a non-bank caller, writing nothing', async () => {
    await c.submit('bankA', 'Access:RecordAccessBatch', JSON.stringify({ accesses: [entry(1)] }));
    const other = entry(1, { releaseDigest: digest(999) });
    await c.refused('CONFLICT', 'bankA', 'Access:RecordAccessBatch', JSON.stringify({ accesses: [other] }));
    await c.refused(
      'INVALID',
      'bankA',
      'Access:RecordAccessBatch',
      JSON.stringify({ accesses: [entry(2), entry(2)] }),
    );
    await c.refused('INVALID', 'bankA', 'Access:RecordAccessBatch', JSON.stringify({ accesses: [] }));
    const many = Array.from({ length: 501 }, (_, i) => entry(10 + i));
    await c.refused('INVALID', 'bankA', 'Access:RecordAccessBatch', JSON.stringify({ accesses: many }));
    await c.refused(
      'FORBIDDEN',
      'land',
      'Access:RecordAccessBatch',
      JSON.stringify({ accesses: [entry(3)] }),
    );
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'g-1')).to.include({ accessesUsed: 1 });
  });
});
