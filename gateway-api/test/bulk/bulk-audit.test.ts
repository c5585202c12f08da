import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import {
  isoFromEpochSeconds,
  signTypedMessage,
  type SubjectAccessLogRequestMessage,
} from '@ruralcredit/protocol';
import { auditModule } from '../../src/audit/routes';
import { createBulkModule } from '../../src/bulk/module';
import { consentModule } from '../../src/consent/routes';
import type { AccessEntry } from '../../src/indexer/access-entry';
import { provenanceModule } from '../../src/provenance/routes';
import { supervisionModule } from '../../src/supervision/routes';
import {
  bindSubjectKey,
  DEPLOYMENT,
  ORG,
  residentId,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { startGatewayAt } from '../alerts/durable-gateway';
import { tempDir, testEnv } from '../helpers';

/** Subjects of the job: 6 with a consent that is revoked before the job, 4 with one for another dataset. */
const SUBJECTS = [1, 2, 3, 4, 5, 6];
const REVOKED = 6;
const OUT_OF_SCOPE = 4;
const MODULES = [
  provenanceModule,
  consentModule,
  auditModule,
  supervisionModule,
  // Two RecordAccessBatch transactions for six subjects (4 + 2): each event lists several accesses.
  createBulkModule({ chunkSize: 4 }),
];

interface LedgerAccess {
  accessId: string;
  grantId: string;
  subject: string;
  accessor: string;
  operator: string;
  datasets: string[];
  purpose: string;
  outcome: string;
  reason?: string;
  releaseDigest: string;
  txId: string;
  accessedAt: string;
}

interface Counters {
  accessesGranted: number;
  accessesDenied: number;
}

async function consent(g: ConsortiumGateway, n: number, scope: string[]): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const form = new FormData();
  form.set(
    'consent',
    JSON.stringify({
      consentId: `ba-c-${n}`,
      subjectId: residentId(n),
      scope,
      purpose: 'LOAN_APPLICATION',
      maxAccesses: 5,
      validFrom: isoFromEpochSeconds(now - 60),
      validUntil: isoFromEpochSeconds(now + 90 * 86_400),
    }),
  );
  form.set('evidence', new Blob([Buffer.from(`%PDF-1.7\nsigned form ba ${n}`)]), 'form.pdf');
  const res = await g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: form });
  expect(res.status, res.text).to.equal(201);
}

async function bankACounters(g: ConsortiumGateway): Promise<Counters> {
  const res = await g.api('/stats', { as: ['regulator', 'AUDITOR'] });
  expect(res.status, res.text).to.equal(200);
  const row = (res.body as { institutions: (Counters & { mspId: string })[] }).institutions.find(
    (i) => i.mspId === ORG.bankA,
  );
  return { accessesGranted: row?.accessesGranted ?? 0, accessesDenied: row?.accessesDenied ?? 0 };
}

/** The auditor's export of bank A's accesses, parsed, and its summary. */
async function exportOfBankA(g: ConsortiumGateway): Promise<{ lines: AccessEntry[]; count: number }> {
  const res = await g.api(`/audit/export?accessor=${ORG.bankA}`, { as: ['auditor', 'AUDITOR'] });
  expect(res.status, res.text).to.equal(200);
  const lines = res.text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AccessEntry);
  const summary = await g.api(`/audit/export/summary?accessor=${ORG.bankA}`, { as: ['auditor', 'AUDITOR'] });
  expect(summary.status, summary.text).to.equal(200);
  return { lines, count: (summary.body as { count: number }).count };
}

/** What an index entry must say of an access the ledger holds. */
function expectedEntry(a: LedgerAccess): Record<string, unknown> {
  return {
    accessId: a.accessId,
    grantId: a.grantId,
    subject: a.subject,
    accessor: a.accessor,
    operator: a.operator,
    datasets: a.datasets,
    purpose: a.purpose,
    outcome: a.outcome,
    ...(a.reason === undefined ? {} : { reason: a.reason }),
    releaseDigest: a.releaseDigest,
    txId: a.txId,
    accessedAt: a.accessedAt,
  };
}

/**
 * An index entry or export line as the ledger states it: without its position, export sequence
 * and digest, its time in whole seconds (the ledger's form of the same transaction time).
 */
function asOnLedger(e: AccessEntry): Record<string, unknown> {
  const {
    blockNumber: _b,
    txIndex: _t,
    seq: _s,
    digest: _d,
    ...rest
  } = e as AccessEntry & {
    seq?: number;
    digest?: string;
  };
  return { ...rest, accessedAt: rest.accessedAt.replace(/\.\d{3}Z$/, 'Z') };
}

describe('bulk download in the audit trail: every access of RecordAccessBatch is indexed', function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  let g: ConsortiumGateway;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    env = testEnv(dir);
    g = await startGatewayAt(env, MODULES);
  });
  after(async () => {
    await g.stop();
    await cleanup();
  });

  it('when a bulk job over 6 subjects records 4 GRANTED and 2 DENIED, then the trace, the export and /stats show exactly those 6, also after a restart', async () => {
    const upload = await g.api(
      '/datasets/HOMESTEAD/batches?batchId=ba-hs&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z',
      {
        method: 'POST',
        as: ['land', 'DATA_OFFICER'],
        json: SUBJECTS.map((n) => ({
          subjectId: residentId(n),
          certificateNo: `HS-BA-${n}`,
          parcelCode: `350902-${n}`,
          areaSquareMetres: 120 + n,
          registeredOn: '2019-05-01',
        })),
      },
    );
    expect(upload.status, upload.text).to.equal(201);
    for (const n of SUBJECTS) await consent(g, n, n === OUT_OF_SCOPE ? ['LAND_CONTRACT'] : ['HOMESTEAD']);
    const revoke = await g.api(`/consents/ba-c-${REVOKED}/revoke`, {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { reason: 'BANK_REQUEST' },
    });
    expect(revoke.status, revoke.text).to.equal(200);

    const before = await bankACounters(g);
    const exportBefore = await exportOfBankA(g);
    expect(exportBefore.lines).to.have.length(exportBefore.count);

    const job = await g.api('/bulk/jobs', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        items: SUBJECTS.map((n) => ({ subjectId: residentId(n), consentId: `ba-c-${n}` })),
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    expect(job.status, job.text).to.equal(201);
    const jobId = (job.body as { jobId: string }).jobId;
    const lines = await g.api(`/bulk/jobs/${jobId}/lines?cursor=0`, { as: ['bankA', 'LOAN_OFFICER'] });
    expect(lines.status, lines.text).to.equal(200);
    const end = lines.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .at(-1);
    expect(end).to.include({ type: 'end', total: 6, granted: 4, denied: 2 });

    // What the chaincode recorded: the ledger's own list of bank A's accesses of this job.
    const prefix = jobId.replace(/^job-/, 'bulk-');
    const page = await g.context.ledger.evaluate<{ records: LedgerAccess[] }>(
      ORG.auditor,
      'Access:ListAccessesByAccessor',
      [ORG.bankA, '', '', '200', ''],
    );
    const onLedger = page.records.filter((r) => r.accessId.startsWith(prefix));
    expect(onLedger.map((a) => [a.accessId, a.outcome, a.reason ?? ''])).to.deep.equal(
      SUBJECTS.map((n, i) => [
        `${prefix}-${i}`,
        n === REVOKED || n === OUT_OF_SCOPE ? 'DENIED' : 'GRANTED',
        n === REVOKED ? 'REVOKED' : n === OUT_OF_SCOPE ? 'OUT_OF_SCOPE' : '',
      ]),
    );
    expect(new Set(onLedger.map((a) => a.txId)).size, 'two batch transactions').to.equal(2);

    const check = async (gw: ConsortiumGateway, when: string): Promise<void> => {
      // The auditor's trace of one bulk subject: exactly its one access, as recorded.
      for (const n of [2, OUT_OF_SCOPE]) {
        const trace = await gw.api(`/audit/accesses?subjectId=${residentId(n)}`, {
          as: ['auditor', 'AUDITOR'],
        });
        expect(trace.status, trace.text).to.equal(200);
        const items = (trace.body as { items: AccessEntry[] }).items;
        const recorded = onLedger[SUBJECTS.indexOf(n)]!;
        expect(items.map(asOnLedger), `${when}: trace of subject ${n}`).to.deep.equal([
          expectedEntry(recorded),
        ]);
        expect(items[0]).to.include({
          accessor: ORG.bankA,
          purpose: 'LOAN_APPLICATION',
          grantId: `ba-c-${n}`,
          outcome: n === OUT_OF_SCOPE ? 'DENIED' : 'GRANTED',
        });
      }
      // The export holds all 6 accesses as the chaincode recorded them, after the earlier ones.
      const exported = await exportOfBankA(gw);
      expect(exported.count, `${when}: export count`).to.equal(exportBefore.count + 6);
      expect(exported.lines).to.have.length(exportBefore.count + 6);
      const ofJob = exported.lines.filter((e) => e.accessId.startsWith(prefix));
      expect(
        [...ofJob].map(asOnLedger).sort((a, b) => String(a.accessId).localeCompare(String(b.accessId))),
        `${when}: exported accesses of the job`,
      ).to.deep.equal(onLedger.map(expectedEntry));
      // /stats: exactly 4 more granted and 2 more denied.
      expect(await bankACounters(gw), `${when}: /stats`).to.deep.equal({
        accessesGranted: before.accessesGranted + 4,
        accessesDenied: before.accessesDenied + 2,
      });
    };
    await check(g, 'before the restart');

    // Restart over the same data: the indexer re-reads the last block (the second batch) and skips it.
    await g.stop();
    g = await startGatewayAt(env, MODULES);
    await check(g, 'after the restart');

    // The subject's own access log lists the bulk access too (staff pseudonym left out).
    const wallet = Wallet.createRandom();
    const recorded = onLedger[SUBJECTS.indexOf(2)]!;
    await bindSubjectKey(g.context.ledger, ORG.bankB, recorded.subject, wallet);
    const message: SubjectAccessLogRequestMessage = {
      subject: recorded.subject,
      requestedAt: isoFromEpochSeconds(Date.now() / 1000),
      nonce: randomBytes(16).toString('hex'),
      cursor: '',
    };
    const own = await g.api('/subjects/access-log', {
      method: 'POST',
      json: {
        ...message,
        signature: await signTypedMessage(wallet, 'SubjectAccessLogRequest', message, DEPLOYMENT),
      },
    });
    expect(own.status, own.text).to.equal(200);
    const { subject: _s, operator: _o, ...visible } = expectedEntry(recorded);
    expect((own.body as { items: AccessEntry[] }).items.map(asOnLedger)).to.deep.equal([visible]);
  });
});
