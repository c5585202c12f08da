import { expect } from 'chai';
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import { createBulkModule } from '../../src/bulk/module';
import { INITIAL_DIGEST, nextDigest } from '../../src/bulk/service';
import { consentModule } from '../../src/consent/routes';
import { provenanceModule } from '../../src/provenance/routes';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';

const now = Math.floor(Date.now() / 1000);
const SUBJECTS = [1, 2, 3, 4, 5, 6];

interface Line {
  type: string;
  seq?: number;
  cursor?: number;
  digest?: string;
  outcome?: string;
  reason?: string;
  accessId?: string;
  record?: Record<string, unknown>;
  [k: string]: unknown;
}

function homestead(n: number): Record<string, unknown> {
  return {
    subjectId: residentId(n),
    certificateNo: `HS-${n}`,
    parcelCode: `350902-${n}`,
    areaSquareMetres: 120 + n,
    registeredOn: '2019-05-01',
  };
}

async function seed(g: ConsortiumGateway, prefix: string): Promise<void> {
  const upload = await g.api(
    `/datasets/HOMESTEAD/batches?batchId=${prefix}-hs&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z`,
    { method: 'POST', as: ['land', 'DATA_OFFICER'], json: SUBJECTS.map(homestead) },
  );
  expect(upload.status, upload.text).to.equal(201);
  for (const n of SUBJECTS) {
    const form = new FormData();
    form.set(
      'consent',
      JSON.stringify({
        consentId: `${prefix}-c-${n}`,
        subjectId: residentId(n),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        maxAccesses: 5,
        validFrom: isoFromEpochSeconds(now - 60),
        validUntil: isoFromEpochSeconds(now + 90 * 86_400),
      }),
    );
    form.set('evidence', new Blob([Buffer.from(`%PDF-1.7\nsigned form ${prefix} ${n}`)]), 'form.pdf');
    const consent = await g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: form });
    expect(consent.status, consent.text).to.equal(201);
  }
}

async function createJob(g: ConsortiumGateway, prefix: string): Promise<string> {
  const res = await g.api('/bulk/jobs', {
    method: 'POST',
    as: ['bankA', 'LOAN_OFFICER'],
    json: {
      items: SUBJECTS.map((n) => ({ subjectId: residentId(n), consentId: `${prefix}-c-${n}` })),
      datasets: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    },
  });
  expect(res.status, res.text).to.equal(201);
  return (res.body as { jobId: string }).jobId;
}

/** Reads the job's lines; with `stopAfterCursor`, drops the connection after that cursor line. */
async function readLines(
  g: ConsortiumGateway,
  jobId: string,
  query: string,
  stopAfterCursor?: number,
): Promise<{ status: number; lines: Line[]; raw: string[] }> {
  const token = await g.token('bankA', 'LOAN_OFFICER');
  const abort = new AbortController();
  const res = await fetch(`${g.url}/api/v1/bulk/jobs/${jobId}/lines?${query}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  const raw: string[] = [];
  if (res.status !== 200 || res.body === null) return { status: res.status, lines: [], raw };
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        raw.push(line);
        const parsed = JSON.parse(line) as Line;
        if (stopAfterCursor !== undefined && parsed.type === 'cursor' && parsed.cursor === stopAfterCursor) {
          abort.abort();
          return { status: res.status, lines: raw.map((l) => JSON.parse(l) as Line), raw };
        }
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
  return { status: res.status, lines: raw.map((l) => JSON.parse(l) as Line), raw };
}

/** Bank A's accesses on the ledger whose ID starts with `prefix`. */
async function ledgerAccesses(
  g: ConsortiumGateway,
  prefix: string,
): Promise<{ accessId: string; outcome: string; reason?: string }[]> {
  const page = await g.context.ledger.evaluate<{
    records: { accessId: string; outcome: string; reason?: string }[];
  }>(ORG.bankA, 'Access:ListAccessesByAccessor', [ORG.bankA, '', '', '200', '']);
  return page.records.filter((r) => r.accessId.startsWith(prefix));
}

async function grantUse(g: ConsortiumGateway, consentId: string): Promise<number> {
  const grant = await g.context.ledger.evaluate<{ accessesUsed: number }>(ORG.bankA, 'Consent:GetGrant', [
    consentId,
  ]);
  return grant.accessesUsed;
}

describe('bulk download under authorisation', () => {
  let g: ConsortiumGateway;

  before(async () => {
    g = await startConsortiumGateway([provenanceModule, consentModule, createBulkModule({ chunkSize: 2 })]);
  });
  after(() => g.stop());

  it('when a consent is revoked during a job, then its subject is recorded DENIED REVOKED and none of its records is released', async () => {
    await seed(g, 'rv');
    const jobId = await createJob(g, 'rv');
    const first = await readLines(g, jobId, 'cursor=0&limit=2');
    expect(first.lines.map((l) => l.type)).to.deep.equal([
      'job',
      'subject',
      'record',
      'cursor',
      'subject',
      'record',
      'cursor',
      'pause',
    ]);
    const revoke = await g.api('/consents/rv-c-4/revoke', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { reason: 'BANK_REQUEST' },
    });
    expect(revoke.status, revoke.text).to.equal(200);
    const rest = await readLines(g, jobId, 'cursor=2');
    const subjects = rest.lines.filter((l) => l.type === 'subject');
    expect(subjects.map((l) => [l.seq, l.outcome, l.reason ?? ''])).to.deep.equal([
      [2, 'GRANTED', ''],
      [3, 'DENIED', 'REVOKED'],
      [4, 'GRANTED', ''],
      [5, 'GRANTED', ''],
    ]);
    const releasedFor4 = rest.lines.filter((l) => l.type === 'record' && l.seq === 3);
    expect(releasedFor4).to.deep.equal([]);
    expect(rest.raw.join('\n')).to.not.include('HS-4');
    expect(rest.lines.at(-1)).to.include({
      type: 'end',
      total: 6,
      granted: 5,
      denied: 1,
      recordsReleased: 5,
    });
    const status = await g.api(`/bulk/jobs/${jobId}`, { as: ['bankA', 'LOAN_OFFICER'] });
    expect(status.body).to.deep.include({
      state: 'DONE',
      deniedSubjects: [{ seq: 3, consentId: 'rv-c-4', accessId: subjects[1]!.accessId, reason: 'REVOKED' }],
    });
    const onLedger = await ledgerAccesses(g, jobId.replace(/^job-/, 'bulk-'));
    expect(onLedger.filter((a) => a.outcome === 'DENIED').map((a) => a.reason)).to.deep.equal(['REVOKED']);
    expect(onLedger).to.have.length(6);
    expect(await grantUse(g, 'rv-c-4')).to.equal(0);
    expect(await grantUse(g, 'rv-c-5')).to.equal(1);
  });

  it('when the connection drops and the job resumes by cursor, then nothing is recorded twice and the running digest continues', async () => {
    await seed(g, 'rs');
    const jobId = await createJob(g, 'rs');
    const dropped = await readLines(g, jobId, 'cursor=0', 1);
    expect(dropped.lines.at(-1)).to.include({ type: 'cursor', cursor: 1 });
    // Let the gateway notice the closed socket and release the job.
    let resumed = await readLines(g, jobId, 'cursor=1');
    for (let i = 0; resumed.status === 409 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 50));
      resumed = await readLines(g, jobId, 'cursor=1');
    }
    expect(resumed.status).to.equal(200);
    const seqs = resumed.lines.filter((l) => l.type === 'subject').map((l) => l.seq);
    expect(seqs).to.deep.equal([1, 2, 3, 4, 5]);
    let digest = INITIAL_DIGEST;
    const released = [...dropped.raw, ...resumed.raw].filter((l) =>
      ['record', 'subject'].includes((JSON.parse(l) as Line).type),
    );
    for (const line of released) digest = nextDigest(digest, line);
    expect(resumed.lines.at(-1)).to.include({ type: 'end', granted: 6, denied: 0, digest });

    const again = await readLines(g, jobId, 'cursor=0');
    expect(again.lines.filter((l) => l.type === 'subject')).to.have.length(6);
    const onLedger = await ledgerAccesses(g, jobId.replace(/^job-/, 'bulk-'));
    expect(onLedger.map((a) => a.accessId).sort()).to.deep.equal(
      SUBJECTS.map((_, i) => `${jobId.replace(/^job-/, 'bulk-')}-${i}`).sort(),
    );
    for (const n of SUBJECTS) expect(await grantUse(g, `rs-c-${n}`), `rs-c-${n}`).to.equal(1);
  });

  it('refuses a cursor beyond what was recorded, another user’s job, a repeated pair and a bad subject ID', async () => {
    const jobId = await createJob(g, 'rs');
    const early = await g.api(`/bulk/jobs/${jobId}/lines?cursor=3`, { as: ['bankA', 'LOAN_OFFICER'] });
    expect(early.status).to.equal(400);
    expect(early.body).to.nested.include({ 'error.code': 'INVALID_CURSOR' });
    const other = await g.api(`/bulk/jobs/${jobId}`, { as: ['bankB', 'LOAN_OFFICER'] });
    expect(other.body).to.nested.include({ 'error.code': 'JOB_NOT_FOUND' });
    const pair = { subjectId: residentId(1), consentId: 'rs-c-1' };
    const repeated = await g.api('/bulk/jobs', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { items: [pair, pair], datasets: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION' },
    });
    expect(repeated.status).to.equal(400);
    expect(repeated.body).to.nested.include({ 'error.code': 'DUPLICATE_ITEM', 'error.details.index': 1 });
    const bad = await g.api('/bulk/jobs', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        items: [{ subjectId: '123', consentId: 'x' }],
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    expect(bad.status).to.equal(400);
    expect(bad.body).to.nested.include({ 'error.code': 'INVALID_SUBJECT_ID', 'error.details.index': 0 });
  });
});
