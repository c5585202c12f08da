/**
 * Bulk download: submit a job of (subject, consent) pairs, then read its
 * NDJSON lines. Each subject is recorded on the ledger (GRANTED or DENIED)
 * before its lines arrive; a dropped stream resumes at the last `cursor` line
 * read, and nothing is recorded twice.
 */
import { sha256Hex } from '@ruralcredit/protocol';
import type { CallOptions } from './client';
import type { HttpTransport } from './http';
import { textLines } from './streams';

/** `POST /bulk/jobs` body. */
export interface BulkJobRequest {
  readonly items: readonly { readonly subjectId: string; readonly consentId: string }[];
  readonly datasets: readonly string[];
  readonly purpose: 'LOAN_APPLICATION' | 'POST_LOAN_MANAGEMENT' | 'COLLATERAL_REGISTRATION';
  /** Every record anchored at or after this time; without it, each dataset's latest batch. */
  readonly since?: string;
}

/** A job's progress. */
export interface BulkJobStatus {
  readonly jobId: string;
  readonly total: number;
  readonly recorded: number;
  readonly granted: number;
  readonly denied: number;
  readonly recordsReleased: number;
  readonly digest: string;
  readonly state: 'OPEN' | 'DONE';
  readonly deniedSubjects: readonly { seq: number; consentId: string; accessId: string; reason: string }[];
}

/** One NDJSON line of a job, parsed (the raw text is kept for the running digest). */
export interface BulkLine {
  readonly type: 'job' | 'subject' | 'record' | 'cursor' | 'pause' | 'end' | 'error';
  readonly raw: string;
  readonly [field: string]: unknown;
}

/** The running digest before any line. */
export const BULK_INITIAL_DIGEST = '0'.repeat(64);

/** The running digest after a `subject` or `record` line (as the gateway computes it). */
export function nextBulkDigest(previous: string, rawLine: string): string {
  return sha256Hex(`${previous}${rawLine}\n`);
}

/** Bulk-download calls. */
export interface BulkApi {
  /** Stores a job; nothing is recorded until its lines are read. @throws GatewayError 400 `DUPLICATE_ITEM`, `INVALID_SUBJECT_ID`. */
  submit(request: BulkJobRequest): Promise<BulkJobStatus>;
  /** Progress and denied subjects. @throws GatewayError 404 `JOB_NOT_FOUND`. */
  status(jobId: string): Promise<BulkJobStatus>;
  /**
   * The job's lines from `cursor` (0 by default). @throws GatewayError 400 `INVALID_CURSOR`,
   * 409 `JOB_BUSY`.
   */
  lines(
    jobId: string,
    query?: { cursor?: number; limit?: number },
    options?: CallOptions,
  ): AsyncGenerator<BulkLine>;
}

/** The {@link BulkApi} over a transport. */
export function bulkApi(http: HttpTransport): BulkApi {
  const path = (jobId: string): string => `/bulk/jobs/${encodeURIComponent(jobId)}`;
  return {
    submit: (request) => http.json({ method: 'POST', path: '/bulk/jobs', json: request }),
    status: (jobId) => http.json({ method: 'GET', path: path(jobId) }),
    async *lines(jobId, query = {}, options = {}) {
      const res = await http.send({
        method: 'GET',
        path: `${path(jobId)}/lines`,
        query: {
          cursor: String(query.cursor ?? 0),
          ...(query.limit === undefined ? {} : { limit: String(query.limit) }),
        },
        timeoutMs: 0,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      if (res.body === null) return;
      for await (const raw of textLines(res.body)) {
        if (raw === '') continue;
        const parsed = JSON.parse(raw) as Record<string, unknown>;
        yield { ...parsed, raw } as BulkLine;
      }
    },
  };
}
