import { expect } from 'chai';
import { MSP, TestConsortium, days, digest, plus, readAllPages, subject } from './support/consortium';

describe('Access', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
    await c.grant('bankA', {
      grantId: 'g-1',
      subject: subject(1),
      scope: ['HOMESTEAD', 'LAND_CONTRACT'],
      maxAccesses: 2,
    });
  });
  afterEach(() => c.stop());

  it('when the grant covers the access, then GRANTED and one unit of budget is used', async () => {
    const a = await c.access('bankA', {
      accessId: 'a-1',
      grantId: 'g-1',
      subject: subject(1),
      datasets: ['HOMESTEAD'],
    });
    expect(a).to.include({
      outcome: 'GRANTED',
      accessor: MSP.bankA,
      subject: subject(1),
      purpose: 'LOAN_APPLICATION',
    });
    expect(a).to.not.have.property('reason');
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'g-1')).to.include({ accessesUsed: 1 });
  });

  it('records each denial on the ledger with its reason code', async () => {
    await c.grant('bankB', { grantId: 'g-b', subject: subject(1) });
    await c.grant('bankA', { grantId: 'g-purpose', subject: subject(1), purpose: 'POST_LOAN_MANAGEMENT' });
    await c.grant('bankA', { grantId: 'g-rev', subject: subject(1) });
    await c.submit('bankA', 'Consent:RevokeGrant', 'g-rev', 'BANK_REQUEST');
    await c.grant('bankA', {
      grantId: 'g-later',
      subject: subject(1),
      validFrom: plus(c.now, days(2)),
      validUntil: plus(c.now, days(30)),
    });
    await c.grant('bankA', { grantId: 'g-short', subject: subject(1), validUntil: plus(c.now, 60) });
    c.advance(120);
    const cases: [Record<string, unknown>, string][] = [
      [{ grantId: 'g-none' }, 'NO_GRANT'],
      [{ grantId: 'g-b' }, 'OTHER_BANK_GRANT'],
      [{ grantId: 'g-1', subject: subject(2) }, 'WRONG_SUBJECT'],
      [{ grantId: 'g-rev' }, 'REVOKED'],
      [{ grantId: 'g-later' }, 'NOT_YET_VALID'],
      [{ grantId: 'g-short' }, 'EXPIRED'],
      [{ grantId: 'g-purpose' }, 'WRONG_PURPOSE'],
      [{ grantId: 'g-1', datasets: ['AGRI_SUBSIDY'] }, 'OUT_OF_SCOPE'],
    ];
    let n = 0;
    for (const [override, reason] of cases) {
      const accessId = `d-${n++}`;
      const a = await c.access('bankA', { accessId, grantId: 'g-1', subject: subject(1), ...override });
      expect(a, reason).to.include({ outcome: 'DENIED', reason });
      expect(await c.evaluate('auditor', 'Access:GetAccess', accessId)).to.include({
        outcome: 'DENIED',
        reason,
      });
    }
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'g-1')).to.include({ accessesUsed: 0 });
  });

  it('when the budget is used up, then BUDGET_EXHAUSTED', async () => {
    await c.access('bankA', { accessId: 'a-1', grantId: 'g-1', subject: subject(1) });
    await c.access('bankA', { accessId: 'a-2', grantId: 'g-1', subject: subject(1) });
    const third = await c.access('bankA', { accessId: 'a-3', grantId: 'g-1', subject: subject(1) });
    expect(third).to.include({ outcome: 'DENIED', reason: 'BUDGET_EXHAUSTED' });
  });

  it('when the bank is suspended, then the attempt is recorded DENIED SUSPENDED', async () => {
    await c.submit('regulator', 'Membership:SuspendMember', MSP.bankA, 'inspection');
    const a = await c.access('bankA', { accessId: 'a-s', grantId: 'g-1', subject: subject(1) });
    expect(a).to.include({ outcome: 'DENIED', reason: 'SUSPENDED' });
  });

  it('when a non-bank records an access, bad input or a duplicate ID, then refused and nothing is written', async () => {
    const body = JSON.stringify({
      accessId: 'a-x',
      grantId: 'g-1',
      subject: subject(1),
      datasets: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      operator: subject(9),
      releaseDigest: subject(8),
    });
    for (const org of ['regulator', 'land', 'auditor', 'outsider'] as const)
      await c.refused('FORBIDDEN', org, 'Access:RecordAccess', body);
    await c.refused('INVALID', 'bankA', 'Access:RecordAccess', body.replace('"HOMESTEAD"', '"MARRIAGE"'));
    await c.refused(
      'INVALID',
      'bankA',
      'Access:RecordAccess',
      body.replace('"LOAN_APPLICATION"', '"CURIOSITY"'),
    );
    await c.refused('INVALID', 'bankA', 'Access:RecordAccess', body.replace(subject(9), 'not-a-pseudonym'));
    await c.submit('bankA', 'Access:RecordAccess', body);
    await c.refused('CONFLICT', 'bankA', 'Access:RecordAccess', body);
  });

  it("when a bank reads another bank's access, then it is not found in its own namespace, and FORBIDDEN by name", async () => {
    await c.access('bankA', { accessId: 'a-1', grantId: 'g-1', subject: subject(1) });
    await c.queryRefused('NOT_FOUND', 'bankB', 'Access:GetAccess', 'a-1');
    await c.queryRefused('FORBIDDEN', 'land', 'Access:GetAccess', 'a-1');
    await c.queryRefused('FORBIDDEN', 'bankB', 'Access:GetAccessOf', MSP.bankA, 'a-1');
    // Whether or not the access exists: no oracle.
    await c.queryRefused('FORBIDDEN', 'bankB', 'Access:GetAccessOf', MSP.bankA, 'a-none');
    await c.queryRefused('FORBIDDEN', 'bankB', 'Access:ListAccessesByAccessor', MSP.bankA, '', '', '10', '');
    await c.queryRefused('NOT_FOUND', 'bankA', 'Access:GetAccess', 'a-none');
  });

  it('when two banks use the same access ID, then each attempt is recorded in its own namespace, both on the ledger (issue 12 item 18)', async () => {
    await c.grant('bankB', { grantId: 'g-b', subject: subject(1) });
    // Bank B first, under bank A's grant: recorded DENIED; bank A's valid request with the same ID still goes through.
    const denied = await c.access('bankB', {
      accessId: 'loan-2026-0042',
      grantId: 'g-1',
      subject: subject(1),
    });
    expect(denied).to.include({ accessor: MSP.bankB, outcome: 'DENIED', reason: 'OTHER_BANK_GRANT' });
    const granted = await c.access('bankA', {
      accessId: 'loan-2026-0042',
      grantId: 'g-1',
      subject: subject(1),
    });
    expect(granted).to.include({ accessor: MSP.bankA, outcome: 'GRANTED' });
    await c.refused(
      'CONFLICT',
      'bankA',
      'Access:RecordAccess',
      JSON.stringify({
        accessId: 'loan-2026-0042',
        grantId: 'g-1',
        subject: subject(1),
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        operator: digest(5),
        releaseDigest: digest(6),
      }),
    );
    expect(await c.evaluate('bankA', 'Access:GetAccess', 'loan-2026-0042')).to.include({
      outcome: 'GRANTED',
    });
    expect(await c.evaluate('bankB', 'Access:GetAccess', 'loan-2026-0042')).to.include({ outcome: 'DENIED' });
    expect(await c.evaluate('auditor', 'Access:GetAccessOf', MSP.bankB, 'loan-2026-0042')).to.include({
      accessor: MSP.bankB,
    });
    await c.queryRefused('CONFLICT', 'auditor', 'Access:GetAccess', 'loan-2026-0042');
    const bySubject = await c.evaluate<{ records: { accessor: string; accessId: string }[] }>(
      'regulator',
      'Access:ListAccessesBySubject',
      subject(1),
      '',
      '',
      '10',
      '',
    );
    expect(bySubject.records.map((a) => `${a.accessor}/${a.accessId}`)).to.deep.equal([
      `${MSP.bankB}/loan-2026-0042`,
      `${MSP.bankA}/loan-2026-0042`,
    ]);
  });

  it('lists by subject and by accessor over a time range, each record exactly once, banks their own only', async () => {
    await c.grant('bankB', { grantId: 'g-b', subject: subject(1) });
    const start = c.now;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(`a-${i}`);
      await c.access('bankA', { accessId: `a-${i}`, grantId: 'g-1', subject: subject(1) });
      await c.access('bankB', { accessId: `b-${i}`, grantId: 'g-b', subject: subject(1) });
      c.advance(100);
    }
    const end = c.now;
    const bankAView = await readAllPages<{ accessId: string }>(
      c,
      'bankA',
      'Access:ListAccessesBySubject',
      [subject(1), '', ''],
      4,
    );
    expect(bankAView.map((a) => a.accessId)).to.deep.equal(ids);
    const auditorView = await readAllPages<{ accessId: string }>(
      c,
      'auditor',
      'Access:ListAccessesBySubject',
      [subject(1), start, end],
      5,
    );
    expect(auditorView).to.have.length(12);
    expect(new Set(auditorView.map((a) => a.accessId)).size).to.equal(12);
    // A window from the third round (inclusive) to the fifth (exclusive).
    const from = plus(start, 202);
    const to = plus(start, 404);
    const windowed = await readAllPages<{ accessId: string }>(
      c,
      'regulator',
      'Access:ListAccessesByAccessor',
      [MSP.bankA, from, to],
      1,
    );
    expect(windowed.map((a) => a.accessId)).to.deep.equal(['a-2', 'a-3']);
    await c.queryRefused(
      'INVALID',
      'auditor',
      'Access:ListAccessesByAccessor',
      MSP.bankA,
      to,
      from,
      '10',
      '',
    );
    await c.queryRefused(
      'INVALID',
      'auditor',
      'Access:ListAccessesByAccessor',
      MSP.bankA,
      'yesterday',
      '',
      '10',
      '',
    );
  });

  it('when a revocation races an access under the same grant, then only one commits as VALID', async () => {
    const access = await c.endorse(
      'bankA',
      'Access:RecordAccess',
      JSON.stringify({
        accessId: 'race-1',
        grantId: 'g-1',
        subject: subject(1),
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        operator: subject(9),
        releaseDigest: subject(8),
      }),
    );
    const revoke = await c.endorse('bankA', 'Consent:RevokeGrant', 'g-1', 'SUBJECT_REQUEST');
    const first = await c.ledger.commit(revoke);
    const second = await c.ledger.commit(access);
    expect(first.validationCode).to.equal('VALID');
    expect(second.validationCode).to.equal('MVCC_READ_CONFLICT');
    await c.queryRefused('NOT_FOUND', 'auditor', 'Access:GetAccess', 'race-1');
    expect(await c.evaluate('auditor', 'Consent:GetGrant', 'g-1')).to.include({
      status: 'REVOKED',
      accessesUsed: 0,
    });
  });
  it('when a provider asks for a bank access before releasing, then it gets the access and the grant status, only for its own datasets (issue 13)', async () => {
    await c.access('bankA', {
      accessId: 'a-rel',
      grantId: 'g-1',
      subject: subject(1),
      datasets: ['HOMESTEAD'],
    });
    const seen = await c.evaluate<{
      access: { outcome: string; accessor: string };
      providedDatasets: string[];
      grantStatus: string;
    }>('land', 'Access:GetAccessForRelease', MSP.bankA, 'a-rel');
    expect(seen.access).to.include({ outcome: 'GRANTED', accessor: MSP.bankA });
    expect(seen.providedDatasets).to.deep.equal(['HOMESTEAD']);
    expect(seen.grantStatus).to.equal('ACTIVE');
    await c.queryRefused('FORBIDDEN', 'agri', 'Access:GetAccessForRelease', MSP.bankA, 'a-rel');
    await c.queryRefused('NOT_FOUND', 'land', 'Access:GetAccessForRelease', MSP.bankB, 'a-rel');
    await c.queryRefused('FORBIDDEN', 'bankB', 'Access:GetAccessForRelease', MSP.bankA, 'a-rel');
    await c.submit('bankA', 'Consent:RevokeGrant', 'g-1', 'BANK_REQUEST');
    const after = await c.evaluate<{ grantStatus: string }>(
      'land',
      'Access:GetAccessForRelease',
      MSP.bankA,
      'a-rel',
    );
    expect(after.grantStatus).to.equal('REVOKED');
  });
});
