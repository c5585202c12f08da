import { expect } from 'chai';
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import { consentModule } from '../../src/consent/routes';
import { provenanceModule } from '../../src/provenance/routes';
import { reportsModule } from '../../src/reports/routes';
import type { Report } from '../../src/reports/schemas';
import type { Principal } from '../../src/auth/principal';
import { AppError } from '../../src/http/errors';
import type { LedgerClient } from '../../src/ledger/types';
import { createRecordStore } from '../../src/provenance/record-store';
import { KeptReportSchema, ReportService, type KeptReport } from '../../src/reports/service';
import type { SealedStore } from '../../src/store/sealed';
import { expectError } from '../helpers';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';

const now = Math.floor(Date.now() / 1000);
const validity = {
  validFrom: isoFromEpochSeconds(now - 60),
  validUntil: isoFromEpochSeconds(now + 90 * 86_400),
};

function homestead(n: number): Record<string, unknown> {
  return {
    subjectId: residentId(n),
    certificateNo: `HS-${n}`,
    parcelCode: `350902-${n}`,
    areaSquareMetres: 120 + n,
    registeredOn: '2019-05-01',
  };
}

/** Anchors a HOMESTEAD batch of test subjects' records and records bank A's consent from one subject. */
async function seed(
  g: ConsortiumGateway,
  plan: { batchId: string; records: number[]; consentId: string; subject: number; maxAccesses: number },
): Promise<void> {
  const upload = await g.api(
    `/datasets/HOMESTEAD/batches?batchId=${plan.batchId}&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z`,
    { method: 'POST', as: ['land', 'DATA_OFFICER'], json: plan.records.map(homestead) },
  );
  expect(upload.status, upload.text).to.equal(201);
  const form = new FormData();
  form.set(
    'consent',
    JSON.stringify({
      consentId: plan.consentId,
      subjectId: residentId(plan.subject),
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      maxAccesses: plan.maxAccesses,
      ...validity,
    }),
  );
  form.set('evidence', new Blob([Buffer.from(`%PDF-1.7\nsigned form ${plan.subject}`)]), 'form.pdf');
  const consent = await g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: form });
  expect(consent.status, consent.text).to.equal(201);
}

describe('verification reports', () => {
  let g: ConsortiumGateway;
  let issued: { report: Report; accessId: string; txId: string; blockNumber: number };

  before(async () => {
    g = await startConsortiumGateway([provenanceModule, consentModule, reportsModule]);
    await seed(g, { batchId: 'hs-1', records: [1, 2, 3], consentId: 'c-1', subject: 1, maxAccesses: 3 });
  });
  after(() => g.stop());

  it("when the consent covers the request, then 201 with the subject's records, proofs and digest, after the access committed", async () => {
    const res = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    expect(res.status, res.text).to.equal(201);
    issued = res.body as typeof issued;
    expect(issued.report.accessId).to.equal(issued.accessId);
    expect(issued.report.datasets).to.have.length(1);
    const records = issued.report.datasets[0]!.records;
    expect(records.map((r) => r.record)).to.deep.equal([homestead(1)]);
    expect(records[0]).to.include({ batchId: 'hs-1', index: 0, disputed: false });
    expect(issued.report.subject.maskedId).to.not.equal(residentId(1));
    const access = await g.context.ledger.evaluate<Record<string, unknown>>(ORG.auditor, 'Access:GetAccess', [
      issued.accessId,
    ]);
    expect(access).to.include({
      outcome: 'GRANTED',
      releaseDigest: issued.report.digest,
      accessor: ORG.bankA,
      txId: issued.txId,
    });
  });

  it('when a filed report is verified, then valid; one changed byte anywhere is detected', async () => {
    const ok = await g.api('/reports/verify', {
      method: 'POST',
      as: ['auditor', 'AUDITOR'],
      json: { report: issued.report },
    });
    expect(ok.status, ok.text).to.equal(200);
    expect(ok.body).to.deep.include({ valid: true, digestMatches: true, anchored: true });
    const tamperedRecord = structuredClone(issued.report);
    tamperedRecord.datasets[0]!.records[0]!.record.areaSquareMetres = 999;
    const bad = await g.api('/reports/verify', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { report: tamperedRecord },
    });
    expect(bad.body).to.deep.include({ valid: false, digestMatches: false });
    expect((bad.body as { records: { valid: boolean }[] }).records).to.deep.equal([
      { batchId: 'hs-1', index: 0, valid: false },
    ]);
    const reDigested = {
      ...issued.report,
      digest: issued.report.digest.replace(/^./, (c) => (c === '0' ? '1' : '0')),
    };
    const unanchored = await g.api('/reports/verify', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { report: reDigested },
    });
    expect(unanchored.body).to.deep.include({ valid: false, digestMatches: false, anchored: false });
  });

  it('when another bank without consent asks, then 403 ACCESS_DENIED and the denial is on the ledger', async () => {
    const res = await g.api('/reports', {
      method: 'POST',
      as: ['bankB', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    const error = expectError(res, 403, 'ACCESS_DENIED');
    const details = error.details as { accessId: string; reason: string };
    expect(details.reason).to.equal('OTHER_BANK_GRANT');
    expect(res.text).to.not.contain('areaSquareMetres');
    const access = await g.context.ledger.evaluate<Record<string, unknown>>(
      ORG.regulator,
      'Access:GetAccess',
      [details.accessId],
    );
    expect(access).to.include({ outcome: 'DENIED', reason: 'OTHER_BANK_GRANT', accessor: ORG.bankB });
  });

  it('when the datasets exceed the scope or the purpose differs, then 403 with the reason', async () => {
    const scope = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'c-1',
        datasets: ['HOMESTEAD', 'LAND_CONTRACT'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    expect((expectError(scope, 403, 'ACCESS_DENIED').details as { reason: string }).reason).to.equal(
      'OUT_OF_SCOPE',
    );
    const purpose = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'POST_LOAN_MANAGEMENT',
      },
    });
    expect((expectError(purpose, 403, 'ACCESS_DENIED').details as { reason: string }).reason).to.equal(
      'WRONG_PURPOSE',
    );
    const subject = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(2),
        consentId: 'c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    expect((expectError(subject, 403, 'ACCESS_DENIED').details as { reason: string }).reason).to.equal(
      'WRONG_SUBJECT',
    );
  });

  it('when the input or role is wrong, then a stable 4xx and no access is recorded', async () => {
    const height = await g.context.ledger.height();
    const body = {
      subjectId: residentId(1),
      consentId: 'c-1',
      datasets: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    };
    expectError(
      await g.api('/reports', { method: 'POST', as: ['land', 'DATA_OFFICER'], json: body }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await g.api('/reports', { method: 'POST', as: ['auditor', 'AUDITOR'], json: body }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await g.api('/reports', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: { ...body, subjectId: '350902198001010000' },
      }),
      400,
      'INVALID_SUBJECT_ID',
    );
    expectError(
      await g.api('/reports', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: { ...body, datasets: [] },
      }),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await g.api('/reports', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], json: { ...body, extra: 1 } }),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await g.api('/reports', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: { ...body, datasets: ['MARRIAGE'] },
      }),
      400,
      'INVALID',
    );
    expect(await g.context.ledger.height()).to.equal(height);
  });

  it("when a record of the report is disputed, then the next report marks it disputed with the open dispute's ID", async () => {
    await seed(g, {
      batchId: 'hs-disputed',
      records: [7, 8],
      consentId: 'c-disputed',
      subject: 7,
      maxAccesses: 3,
    });
    const report = async () => {
      const res = await g.api('/reports', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          subjectId: residentId(7),
          consentId: 'c-disputed',
          datasets: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
        },
      });
      expect(res.status, res.text).to.equal(201);
      return (res.body as { report: Report }).report.datasets[0]!.records;
    };
    const before = await report();
    expect(before.map((r) => [r.batchId, r.disputed, r.disputeId])).to.deep.equal([
      ['hs-disputed', false, undefined],
    ]);
    await g.context.ledger.submit(ORG.bankA, 'Dispute:FileDispute', [
      JSON.stringify({
        disputeId: 'd-report-1',
        datasetType: 'HOMESTEAD',
        batchId: 'hs-disputed',
        recordHash: before[0]!.leafHash,
        subject: await g.context.subjects.pseudonym(residentId(7)),
        grantId: 'c-disputed',
        reason: 'WRONG_VALUE',
      }),
    ]);
    const after = await report();
    expect(after.map((r) => [r.batchId, r.disputed, r.disputeId])).to.deep.equal([
      ['hs-disputed', true, 'd-report-1'],
    ]);
  });
});

describe('verification reports: retries with the same accessId (idempotency)', () => {
  let g: ConsortiumGateway;
  const request = (accessId: string, overrides: Record<string, unknown> = {}) => ({
    subjectId: residentId(5),
    consentId: 'c-once',
    datasets: ['HOMESTEAD'],
    purpose: 'LOAN_APPLICATION',
    accessId,
    ...overrides,
  });
  const post = (json: unknown, org: 'bankA' | 'bankB' = 'bankA') =>
    g.api('/reports', { method: 'POST', as: [org, 'LOAN_OFFICER'], json });
  const accessesOf = async (subject: string) =>
    (
      await g.context.ledger.evaluate<{ records: { accessId: string; outcome: string }[] }>(
        ORG.auditor,
        'Access:ListAccessesBySubject',
        [subject, '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '100', ''],
      )
    ).records;

  before(async () => {
    g = await startConsortiumGateway([provenanceModule, consentModule, reportsModule]);
    await seed(g, { batchId: 'hs-5', records: [5], consentId: 'c-once', subject: 5, maxAccesses: 1 });
  });
  after(() => g.stop());

  it('when a granted request is sent again with its accessId, then the same report comes back (200) and nothing new is recorded or spent', async () => {
    const first = await post(request('acc-retry-1'));
    expect(first.status, first.text).to.equal(201);
    const again = await post(request('acc-retry-1'));
    expect(again.status, again.text).to.equal(200);
    expect(again.body).to.deep.equal(first.body);
    const subject = await g.context.subjects.pseudonym(residentId(5));
    expect((await accessesOf(subject)).map((a) => [a.accessId, a.outcome])).to.deep.equal([
      ['acc-retry-1', 'GRANTED'],
    ]);
    // The budget of one access was spent once: a new request is denied, and recorded as such.
    expectError(await post(request('acc-retry-2')), 403, 'ACCESS_DENIED');
    expect((await accessesOf(subject)).map((a) => [a.accessId, a.outcome])).to.deep.equal([
      ['acc-retry-1', 'GRANTED'],
      ['acc-retry-2', 'DENIED'],
    ]);
  });

  it('when a denied request is sent again with its accessId, then the same denial comes back and nothing new is recorded', async () => {
    const first = await post(request('acc-retry-2'));
    expectError(first, 403, 'ACCESS_DENIED');
    const subject = await g.context.subjects.pseudonym(residentId(5));
    expect(await accessesOf(subject)).to.have.length(2);
    const body = first.body as { error: { txId: string; details: { reason: string } } };
    expect(body.error.details.reason).to.equal('BUDGET_EXHAUSTED');
  });

  it("when the accessId names the bank's access of another request, then 409; another bank's use of the ID is its own access; the first report is untouched", async () => {
    expectError(
      await post(request('acc-retry-1', { purpose: 'POST_LOAN_MANAGEMENT' })),
      409,
      'ACCESS_ID_TAKEN',
    );
    expectError(await post(request('acc-retry-1', { subjectId: residentId(6) })), 409, 'ACCESS_ID_TAKEN');
    // Access IDs are per bank (issue 12 item 18): bank B's request is decided (and recorded) as its own.
    expectError(await post(request('acc-retry-1'), 'bankB'), 403, 'ACCESS_DENIED');
    const again = await post(request('acc-retry-1'));
    expect(again.status, again.text).to.equal(200);
    expect((again.body as { accessId: string }).accessId).to.equal('acc-retry-1');
  });

  it('when the same accessId is sent twice at once, then one is answered and the other told to retry; one access is recorded', async () => {
    const answers = await Promise.all([
      post(request('acc-race-1', { consentId: 'c-none' })),
      post(request('acc-race-1', { consentId: 'c-none' })),
    ]);
    const codes = answers.map((a) => (a.body as { error?: { code: string } }).error?.code).sort();
    expect(codes).to.deep.equal(['ACCESS_DENIED', 'REQUEST_IN_PROGRESS']);
    const subject = await g.context.subjects.pseudonym(residentId(5));
    expect((await accessesOf(subject)).filter((a) => a.accessId === 'acc-race-1')).to.have.length(1);
  });
});

describe('verification reports: retries when the first answer was lost in the ledger client', () => {
  let g: ConsortiumGateway;
  let kept: SealedStore<KeptReport>;
  const officer: Principal = {
    userId: 'u-officer',
    username: 'officer',
    orgMspId: ORG.bankA,
    roles: ['LOAN_OFFICER'],
    operator: 'b'.repeat(64),
  };
  const request = (accessId: string) => ({
    subjectId: residentId(7),
    consentId: 'c-lost',
    datasets: ['HOMESTEAD'],
    purpose: 'LOAN_APPLICATION',
    accessId,
  });

  /** The ledger client, except that the next RecordAccess submits fail as `fault` says. */
  function service(fault: { commitThenFail?: boolean; failBeforeCommit?: boolean }) {
    const ledger = g.context.ledger;
    const faulty: LedgerClient = {
      backend: ledger.backend,
      evaluate: (mspId, fn, args) => ledger.evaluate(mspId, fn, args),
      async submit<T>(mspId: string, fn: string, args: readonly string[]) {
        if (fn === 'Access:RecordAccess' && fault.failBeforeCommit) {
          fault.failBeforeCommit = false;
          throw AppError.unavailable('deadline exceeded');
        }
        const result = await ledger.submit<T>(mspId, fn, args);
        if (fn === 'Access:RecordAccess' && fault.commitThenFail) {
          fault.commitThenFail = false;
          throw AppError.unavailable('commit status lost', { txId: result.txId });
        }
        return result;
      },
      blocks: (startBlock) => ledger.blocks(startBlock),
      height: () => ledger.height(),
      ready: () => ledger.ready(),
      close: () => Promise.resolve(),
    };
    return new ReportService(
      { ...g.context, ledger: faulty },
      {
        records: createRecordStore(g.gateway.deps),
        kept,
        locate: async (txId) => {
          for await (const block of ledger.blocks(0)) {
            if (block.transactions.some((t) => t.txId === txId)) return block.number;
            if (block.number + 1 >= (await ledger.height())) break;
          }
          return undefined;
        },
      },
    );
  }

  before(async () => {
    g = await startConsortiumGateway([provenanceModule, consentModule, reportsModule]);
    kept = g.gateway.deps.sealedStore('kept-reports', KeptReportSchema);
    await seed(g, { batchId: 'hs-7', records: [7], consentId: 'c-lost', subject: 7, maxAccesses: 5 });
  });
  after(() => g.stop());

  it('when the access committed but the answer was lost, then the retry returns the kept report, recorded once', async () => {
    const first = await service({ commitThenFail: true })
      .issue(officer, request('acc-lost-1'))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect((first as AppError).status).to.equal(503);
    const retry = await service({}).issue(officer, request('acc-lost-1'));
    expect(retry.replayed).to.equal(true);
    const access = await g.context.ledger.evaluate<{ releaseDigest: string; outcome: string }>(
      ORG.auditor,
      'Access:GetAccess',
      ['acc-lost-1'],
    );
    expect(access).to.include({ outcome: 'GRANTED', releaseDigest: retry.report.digest });
  });

  it('when the first attempt never reached the ledger, then the retry records the same report (same digest), once', async () => {
    const failing = service({ failBeforeCommit: true });
    const first = await failing.issue(officer, request('acc-lost-2')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((first as AppError).status).to.equal(503);
    const keptReport = (await kept.get(`${ORG.bankA}!acc-lost-2`))?.report;
    expect(keptReport?.accessId).to.equal('acc-lost-2');
    const retry = await service({}).issue(officer, request('acc-lost-2'));
    expect(retry.replayed).to.equal(false);
    expect(retry.report).to.deep.equal(keptReport);
    const access = await g.context.ledger.evaluate<{ releaseDigest: string }>(
      ORG.auditor,
      'Access:GetAccess',
      ['acc-lost-2'],
    );
    expect(access.releaseDigest).to.equal(keptReport?.digest);
  });

  it("when another operator of the same bank retries an operator's access ID, then 409 ACCESS_ID_TAKEN and nothing is released", async () => {
    await service({}).issue(officer, request('acc-lost-3'));
    const colleague: Principal = { ...officer, userId: 'u-colleague', operator: 'c'.repeat(64) };
    const err = await service({})
      .issue(colleague, request('acc-lost-3'))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as AppError).code).to.equal('ACCESS_ID_TAKEN');
  });
});
