import { expect } from 'chai';
import { MSP, TestConsortium, digest, subject } from './support/consortium';

type Rec = Record<string, unknown>;

/** The events of the blocks from `from` to the current height, as [name, payload]. */
async function eventsSince(c: TestConsortium, from: number): Promise<[string, Rec][]> {
  const out: [string, Rec][] = [];
  for (let n = from; n < c.ledger.getBlockHeight(); n++) {
    for (const tx of (await c.ledger.getBlock(n))!.transactions) {
      out.push([
        tx.event!.eventName,
        JSON.parse(Buffer.from(tx.event!.payload, 'base64').toString('utf8')) as Rec,
      ]);
    }
  }
  return out;
}

function request(n: number, overrides: Rec = {}): Rec {
  return {
    accessId: `k-${n}`,
    grantId: 'g-1',
    subject: subject(1),
    datasets: ['HOMESTEAD'],
    purpose: 'LOAN_APPLICATION',
    operator: digest(5),
    releaseDigest: digest(100 + n),
    ...overrides,
  };
}

describe('Access: the subject county on each access (statistics by county)', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
    await c.grant('bankA', { grantId: 'g-1', subject: subject(1), scope: ['HOMESTEAD'] });
  });
  afterEach(() => c.stop());

  it('when an access names a county code, then the record and its AccessRecorded event carry it, granted or denied', async () => {
    const start = c.ledger.getBlockHeight();
    const granted = await c.access('bankA', {
      accessId: 'k-1',
      grantId: 'g-1',
      subject: subject(1),
      countyCode: '350902',
    });
    const denied = await c.access('bankA', {
      accessId: 'k-2',
      grantId: 'g-none',
      subject: subject(1),
      countyCode: '350921',
    });
    expect(granted).to.include({ outcome: 'GRANTED', countyCode: '350902' });
    expect(denied).to.include({ outcome: 'DENIED', reason: 'NO_GRANT', countyCode: '350921' });
    expect(await c.evaluate('auditor', 'Access:GetAccess', 'k-1')).to.include({ countyCode: '350902' });
    expect(await c.evaluate('auditor', 'Access:GetAccess', 'k-2')).to.include({ countyCode: '350921' });
    const events = await eventsSince(c, start);
    expect(events.map(([name, p]) => [name, p.accessId, p.outcome, p.countyCode])).to.deep.equal([
      ['AccessRecorded', 'k-1', 'GRANTED', '350902'],
      ['AccessRecorded', 'k-2', 'DENIED', '350921'],
    ]);
  });

  it('when an access names no county code, then it is recorded without one (as before)', async () => {
    const start = c.ledger.getBlockHeight();
    const a = await c.access('bankA', { accessId: 'k-3', grantId: 'g-1', subject: subject(1) });
    expect(a).to.include({ outcome: 'GRANTED' }).and.not.have.property('countyCode');
    const [event] = await eventsSince(c, start);
    const payload = event![1];
    expect(payload).to.not.have.property('countyCode');
  });

  it('when the county code is not 6 digits, then INVALID and nothing is written, single or in a batch', async () => {
    for (const bad of ['35090', '3509021', '050902', '35O902', 350902, '', '110101199003070012']) {
      const body = JSON.stringify(request(4, { countyCode: bad }));
      const message = await c.refused('INVALID', 'bankA', 'Access:RecordAccess', body);
      expect(message).to.contain('access.countyCode must be a 6-digit county code');
      await c.refused(
        'INVALID',
        'bankA',
        'Access:RecordAccessBatch',
        JSON.stringify({ accesses: [request(5, { countyCode: '350902' }), request(6, { countyCode: bad })] }),
      );
    }
    for (const id of ['k-4', 'k-5', 'k-6'])
      await c.queryRefused('NOT_FOUND', 'bankA', 'Access:GetAccess', id);
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'g-1')).to.include({ accessesUsed: 0 });
  });

  it('when a batch names counties, then each record and the AccessesRecorded event carry its own; a retry with the same county is replayed', async () => {
    await c.grant('bankA', { grantId: 'g-2', subject: subject(2), scope: ['HOMESTEAD'] });
    const start = c.ledger.getBlockHeight();
    const body = JSON.stringify({
      accesses: [
        request(7, { countyCode: '350902' }),
        request(8, { grantId: 'g-2', subject: subject(2), countyCode: '350921' }),
        request(9, { grantId: 'g-none' }),
      ],
    });
    const result = await c.submit<{ records: Rec[]; replayed: string[] }>(
      'bankA',
      'Access:RecordAccessBatch',
      body,
    );
    expect(result.records.map((r) => [r.accessId, r.outcome, r.countyCode ?? ''])).to.deep.equal([
      ['k-7', 'GRANTED', '350902'],
      ['k-8', 'GRANTED', '350921'],
      ['k-9', 'DENIED', ''],
    ]);
    const events = await eventsSince(c, start);
    expect(events.map(([name]) => name)).to.deep.equal(['AccessesRecorded']);
    const listed = events[0]![1].accesses as Rec[];
    expect(listed.map((a) => [a.accessor, a.accessId, a.countyCode ?? ''])).to.deep.equal([
      [MSP.bankA, 'k-7', '350902'],
      [MSP.bankA, 'k-8', '350921'],
      [MSP.bankA, 'k-9', ''],
    ]);
    const again = await c.submit<{ replayed: string[] }>('bankA', 'Access:RecordAccessBatch', body);
    expect(again.replayed).to.deep.equal(['k-7', 'k-8', 'k-9']);
    // The same access ID for another county is another request.
    await c.refused(
      'CONFLICT',
      'bankA',
      'Access:RecordAccessBatch',
      JSON.stringify({ accesses: [request(7, { countyCode: '350981' })] }),
    );
  });
});
