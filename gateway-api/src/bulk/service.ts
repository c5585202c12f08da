/**
 * Bulk download under authorisation: a bank submits up to 10,000 (subject,
 * consent) pairs, then reads the job as NDJSON. Subjects are recorded on the
 * ledger in chunks, one `Access:RecordAccessBatch` transaction each; a
 * subject's lines are released only after its access committed, and only
 * when GRANTED. Recording is driven by the reader: a chunk is recorded when
 * the stream asks for its lines, so a dropped connection stops the job after
 * the chunk in flight, and the reader resumes with the last cursor it got.
 */
import { randomUUID } from 'node:crypto';
import { canonicalJson, sha256Hex } from '@ruralcredit/protocol';
import type { Principal } from '../auth/principal';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import type { RecordStore, StoredRecord } from '../provenance/record-store';
import type { GatewayDb } from '../store/db';
import { countyField } from '../supervision/county';
import type { BulkJobRequest, BulkJobStatus } from './schemas';
import { entryKey, jobKey, type BulkStores, type JobEntry, type JobProgress, type StoredJob } from './store';

/** Subjects recorded per ledger transaction unless configured. */
export const DEFAULT_CHUNK_SIZE = 250;

/** Most records of one dataset released for one subject. */
const MAX_RECORDS_PER_DATASET = 1000;

/** The running digest before any line: 64 zeros. */
export const INITIAL_DIGEST = '0'.repeat(64);

/**
 * The running digest after `line`: SHA-256 over the previous digest (hex), the line
 * and a newline. A reader recomputes it over every `subject` and `record` line.
 */
export function nextDigest(previous: string, line: string): string {
  return sha256Hex(`${previous}${line}\n`);
}

interface LedgerAccess {
  accessId: string;
  outcome: 'GRANTED' | 'DENIED';
  reason?: string;
  txId: string;
  accessedAt: string;
}

/** What {@link BulkService} needs besides the domain context. */
export interface BulkServiceOptions {
  readonly records: RecordStore;
  readonly stores: BulkStores;
  readonly db: GatewayDb;
  /** Subjects per ledger transaction; {@link DEFAULT_CHUNK_SIZE} by default (at most 500). */
  readonly chunkSize?: number;
}

/** Bulk-download use cases. */
export class BulkService {
  readonly #ctx: DomainContext;
  readonly #records: RecordStore;
  readonly #stores: BulkStores;
  readonly #db: GatewayDb;
  readonly #chunkSize: number;
  readonly #streaming = new Set<string>();

  constructor(ctx: DomainContext, options: Readonly<BulkServiceOptions>) {
    this.#ctx = ctx;
    this.#records = options.records;
    this.#stores = options.stores;
    this.#db = options.db;
    this.#chunkSize = Math.min(500, Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE));
  }

  /**
   * Stores a job; nothing is recorded or released until its lines are read.
   *
   * @throws AppError 400 INVALID_SUBJECT_ID (details: the item index) or DUPLICATE_ITEM;
   *   400 INVALID when a dataset type is not in the catalogue.
   */
  async create(principal: Principal, request: BulkJobRequest): Promise<BulkJobStatus> {
    const datasets = [...new Set(request.datasets)].sort();
    for (const code of datasets) {
      await this.#ctx.ledger.evaluate(principal.orgMspId, 'Catalogue:GetDatasetType', [code]).catch((err) => {
        if (err instanceof AppError && err.status === 404) {
          throw AppError.badRequest(`dataset type ${code} is not in the catalogue`, { code: 'INVALID' });
        }
        throw err;
      });
    }
    const seen = new Set<string>();
    // All at once: a member gateway sends concurrent lookups to the regulator in one batch.
    const pseudonyms = await Promise.all(
      request.items.map((item, index) =>
        this.#ctx.subjects.pseudonym(item.subjectId).catch((err: unknown) => {
          if (err instanceof AppError && err.code === 'INVALID_SUBJECT_ID') {
            throw AppError.badRequest(`items[${index}].subjectId is not a valid subject ID`, {
              code: err.code,
              details: { index },
            });
          }
          throw err;
        }),
      ),
    );
    const items = request.items.map((item, index) => {
      const pseudonym = pseudonyms[index]!;
      const pair = `${pseudonym}/${item.consentId}`;
      if (seen.has(pair)) {
        throw AppError.badRequest(`items[${index}] repeats an earlier (subject, consent) pair`, {
          code: 'DUPLICATE_ITEM',
          details: { index },
        });
      }
      seen.add(pair);
      return { subjectId: item.subjectId, pseudonym, consentId: item.consentId };
    });
    const job: StoredJob = {
      jobId: `job-${randomUUID()}`,
      orgMspId: principal.orgMspId,
      userId: principal.userId,
      operator: principal.operator,
      purpose: request.purpose,
      datasets,
      ...(request.since === undefined ? {} : { since: request.since }),
      createdAt: new Date().toISOString(),
      items,
    };
    const progress: JobProgress = {
      recorded: 0,
      granted: 0,
      denied: 0,
      recordsReleased: 0,
      digest: INITIAL_DIGEST,
      deniedSubjects: [],
    };
    const key = jobKey(job.orgMspId, job.jobId);
    await this.#db.batch([this.#stores.jobs.putOp(key, job), this.#stores.progress.putOp(key, progress)]);
    return statusOf(job, progress);
  }

  /**
   * A job's progress and its denied subjects with reasons.
   *
   * @throws AppError 404 JOB_NOT_FOUND unless the caller created it.
   */
  async status(principal: Principal, jobId: string): Promise<BulkJobStatus> {
    const { job, progress } = await this.#load(principal, jobId);
    return statusOf(job, progress);
  }

  /**
   * Checks a stream of the job may start at `cursor` and claims the job; call
   * the returned generator for its lines and `release` when done.
   *
   * @throws AppError 404 JOB_NOT_FOUND; 409 JOB_BUSY when a stream of it is open;
   *   400 INVALID_CURSOR when `cursor` is beyond the subjects recorded so far.
   */
  async open(
    principal: Principal,
    jobId: string,
    cursor: number,
    limit: number | undefined,
  ): Promise<{ lines: AsyncGenerator<string>; release: () => void }> {
    const { job, progress } = await this.#load(principal, jobId);
    if (cursor > progress.recorded) {
      throw AppError.badRequest(
        `cursor ${cursor} is beyond the ${progress.recorded} subjects recorded so far`,
        { code: 'INVALID_CURSOR', details: { recorded: progress.recorded } },
      );
    }
    const key = jobKey(job.orgMspId, job.jobId);
    if (this.#streaming.has(key)) {
      throw AppError.conflict(`job ${jobId} is being read by another stream`, {
        code: 'JOB_BUSY',
        headers: { 'Retry-After': '1' },
      });
    }
    this.#streaming.add(key);
    let released = false;
    return {
      lines: this.#lines(job, cursor, limit),
      release: () => {
        if (released) return;
        released = true;
        this.#streaming.delete(key);
      },
    };
  }

  async *#lines(job: StoredJob, cursor: number, limit: number | undefined): AsyncGenerator<string> {
    const total = job.items.length;
    const end = limit === undefined ? total : Math.min(total, cursor + limit);
    yield canonicalJson({ type: 'job', jobId: job.jobId, total, cursor });
    let seq = cursor;
    while (seq < end) {
      const progress = await this.#progress(job);
      const recordedUpTo = Math.min(progress.recorded, end);
      if (seq < recordedUpTo) {
        for (; seq < recordedUpTo; seq++) {
          const entry = await this.#stores.entries.get(entryKey(job.orgMspId, job.jobId, seq));
          if (entry?.state !== 'RECORDED') throw new Error(`bulk job ${job.jobId}: entry ${seq} missing`);
          yield* entryLines(job, seq, entry);
        }
        continue;
      }
      const recorded = await this.#recordChunk(job, progress, Math.min(end, seq + this.#chunkSize));
      for (const entry of recorded) {
        yield* entryLines(job, seq, entry);
        seq++;
      }
    }
    const progress = await this.#progress(job);
    yield canonicalJson(
      end < total
        ? { type: 'pause', cursor: end, digest: progress.digest }
        : {
            type: 'end',
            total,
            granted: progress.granted,
            denied: progress.denied,
            recordsReleased: progress.recordsReleased,
            digest: progress.digest,
          },
    );
  }

  /**
   * Records subjects `progress.recorded` to `end - 1` in one transaction. Their entries are
   * written PREPARED first (or reused when an earlier attempt prepared them), so the
   * transaction retried after any failure carries the same access IDs and digests.
   */
  async #recordChunk(job: StoredJob, progress: JobProgress, end: number): Promise<JobEntry[]> {
    const start = progress.recorded;
    const entries: JobEntry[] = [];
    const prepareOps = [];
    for (let seq = start; seq < end; seq++) {
      const key = entryKey(job.orgMspId, job.jobId, seq);
      const earlier = await this.#stores.entries.get(key);
      if (earlier !== undefined) {
        entries.push(earlier);
        continue;
      }
      const entry = await this.#prepare(job, seq);
      entries.push(entry);
      prepareOps.push(this.#stores.entries.putOp(key, entry));
    }
    if (prepareOps.length > 0) await this.#db.batch(prepareOps);
    const committed = await this.#ctx.ledger.submit<{ records: LedgerAccess[] }>(
      job.orgMspId,
      'Access:RecordAccessBatch',
      [
        JSON.stringify({
          accesses: entries.map((entry, i) => {
            const item = job.items[start + i]!;
            return {
              accessId: entry.accessId,
              grantId: item.consentId,
              subject: item.pseudonym,
              datasets: job.datasets,
              purpose: job.purpose,
              operator: job.operator,
              releaseDigest: entry.releaseDigest,
              ...countyField(item.subjectId),
            };
          }),
        }),
      ],
    );
    const next: JobProgress = { ...progress, deniedSubjects: [...progress.deniedSubjects] };
    const recordOps = [];
    const recorded: JobEntry[] = [];
    for (let i = 0; i < entries.length; i++) {
      const seq = start + i;
      const access = committed.result.records[i];
      const prepared = entries[i]!;
      if (access?.accessId !== prepared.accessId) throw new Error('RecordAccessBatch answered out of order');
      const granted = access.outcome === 'GRANTED';
      const entry: JobEntry = {
        ...prepared,
        state: 'RECORDED',
        outcome: access.outcome,
        ...(access.reason === undefined ? {} : { reason: access.reason }),
        txId: access.txId,
        accessedAt: access.accessedAt,
        // A denied subject's records are never released, so they are not kept either.
        recordLines: granted ? prepared.recordLines : [],
      };
      let digest = next.digest;
      for (const line of [subjectLine(job, seq, entry), ...entry.recordLines])
        digest = nextDigest(digest, line);
      entry.digestAfter = digest;
      next.digest = digest;
      next.recorded = seq + 1;
      if (granted) {
        next.granted += 1;
        next.recordsReleased += entry.recordLines.length;
      } else {
        next.denied += 1;
        next.deniedSubjects.push({
          seq,
          consentId: job.items[seq]!.consentId,
          accessId: entry.accessId,
          reason: entry.reason ?? 'UNKNOWN',
        });
      }
      recordOps.push(this.#stores.entries.putOp(entryKey(job.orgMspId, job.jobId, seq), entry));
      recorded.push(entry);
    }
    recordOps.push(this.#stores.progress.putOp(jobKey(job.orgMspId, job.jobId), next));
    await this.#db.batch(recordOps);
    return recorded;
  }

  /** Builds a subject's record lines and the digest of what they disclose. */
  async #prepare(job: StoredJob, seq: number): Promise<JobEntry> {
    const item = job.items[seq]!;
    const recordLines: string[] = [];
    for (const datasetType of job.datasets) {
      const stored =
        job.since === undefined
          ? await this.#records.latestForSubject(item.pseudonym, datasetType)
          : await this.#records.historyForSubject(
              item.pseudonym,
              datasetType,
              { from: job.since },
              MAX_RECORDS_PER_DATASET,
            );
      for (const r of stored) recordLines.push(recordLine(seq, r));
    }
    return {
      state: 'PREPARED',
      accessId: `${job.jobId.replace(/^job-/, 'bulk-')}-${seq}`,
      releaseDigest: sha256Hex(canonicalJson(recordLines)),
      recordLines,
    };
  }

  async #load(principal: Principal, jobId: string): Promise<{ job: StoredJob; progress: JobProgress }> {
    const key = jobKey(principal.orgMspId, jobId);
    const job = await this.#stores.jobs.get(key);
    // Another user's job is not found: its lines carry the accesses of the operator who submitted it.
    if (job === undefined || job.userId !== principal.userId) {
      throw AppError.notFound(`bulk job ${jobId} not found`, { code: 'JOB_NOT_FOUND' });
    }
    return { job, progress: await this.#progress(job) };
  }

  async #progress(job: StoredJob): Promise<JobProgress> {
    const progress = await this.#stores.progress.get(jobKey(job.orgMspId, job.jobId));
    if (progress === undefined) throw new Error(`bulk job ${job.jobId} has no progress`);
    return progress;
  }
}

function statusOf(job: StoredJob, progress: JobProgress): BulkJobStatus {
  return {
    jobId: job.jobId,
    total: job.items.length,
    recorded: progress.recorded,
    granted: progress.granted,
    denied: progress.denied,
    recordsReleased: progress.recordsReleased,
    digest: progress.digest,
    state: progress.recorded === job.items.length ? 'DONE' : 'OPEN',
    deniedSubjects: progress.deniedSubjects,
  };
}

function recordLine(seq: number, r: StoredRecord): string {
  return canonicalJson({
    type: 'record',
    seq,
    datasetType: r.datasetType,
    batchId: r.batchId,
    index: r.index,
    anchoredAt: r.anchoredAt,
    leafHash: r.leafHash,
    merkleRoot: r.merkleRoot,
    record: r.record,
  });
}

function subjectLine(job: StoredJob, seq: number, entry: JobEntry): string {
  const item = job.items[seq]!;
  return canonicalJson({
    type: 'subject',
    seq,
    subjectId: item.subjectId,
    pseudonym: item.pseudonym,
    consentId: item.consentId,
    accessId: entry.accessId,
    outcome: entry.outcome,
    ...(entry.reason === undefined ? {} : { reason: entry.reason }),
    txId: entry.txId,
    accessedAt: entry.accessedAt,
    releaseDigest: entry.releaseDigest,
    records: entry.recordLines.length,
  });
}

/** A recorded subject's lines: the subject line, its records when GRANTED, and a cursor line. */
function* entryLines(job: StoredJob, seq: number, entry: JobEntry): Generator<string> {
  yield subjectLine(job, seq, entry);
  yield* entry.recordLines;
  yield canonicalJson({ type: 'cursor', cursor: seq + 1, digest: entry.digestAfter });
}
