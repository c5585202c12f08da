/**
 * Where bulk jobs live between requests, sealed at rest (they hold subject IDs
 * and released records): the job as submitted, its progress, and one entry per
 * subject. An entry is written PREPARED (its lines and digest) before its access
 * is submitted and RECORDED after it committed, so a retry submits the very same
 * accesses and a resumed stream replays what was released.
 */
import { z } from 'zod';
import type { GatewayDeps } from '../feature';
import type { SealedStore } from '../store/sealed';

/** A job as submitted, with the subjects' pseudonyms. */
export const StoredJobSchema = z.object({
  jobId: z.string(),
  orgMspId: z.string(),
  userId: z.string(),
  operator: z.string(),
  purpose: z.string(),
  datasets: z.array(z.string()),
  since: z.string().optional(),
  createdAt: z.string(),
  items: z.array(z.object({ subjectId: z.string(), pseudonym: z.string(), consentId: z.string() })),
});
/** A stored job. */
export type StoredJob = z.infer<typeof StoredJobSchema>;

/** Progress of a job: the first `recorded` subjects have their access on the ledger. */
export const JobProgressSchema = z.object({
  recorded: z.number().int(),
  granted: z.number().int(),
  denied: z.number().int(),
  recordsReleased: z.number().int(),
  digest: z.string(),
  deniedSubjects: z.array(
    z.object({ seq: z.number().int(), consentId: z.string(), accessId: z.string(), reason: z.string() }),
  ),
});
/** Progress of a job. */
export type JobProgress = z.infer<typeof JobProgressSchema>;

/** One subject of a job: PREPARED (lines built, access not yet known to be recorded) or RECORDED. */
export const JobEntrySchema = z.object({
  state: z.enum(['PREPARED', 'RECORDED']),
  accessId: z.string(),
  releaseDigest: z.string(),
  /** The NDJSON record lines (released only when GRANTED; dropped when DENIED). */
  recordLines: z.array(z.string()),
  outcome: z.enum(['GRANTED', 'DENIED']).optional(),
  reason: z.string().optional(),
  txId: z.string().optional(),
  accessedAt: z.string().optional(),
  /** Running digest after this subject's lines. */
  digestAfter: z.string().optional(),
});
/** One subject of a job. */
export type JobEntry = z.infer<typeof JobEntrySchema>;

/** The sealed stores of the bulk module. */
export interface BulkStores {
  readonly jobs: SealedStore<StoredJob>;
  readonly progress: SealedStore<JobProgress>;
  readonly entries: SealedStore<JobEntry>;
}

/** Opens the bulk module's stores. */
export function bulkStores(deps: Pick<GatewayDeps, 'sealedStore'>): BulkStores {
  return {
    jobs: deps.sealedStore('bulk-jobs', StoredJobSchema),
    progress: deps.sealedStore('bulk-progress', JobProgressSchema),
    entries: deps.sealedStore('bulk-entries', JobEntrySchema),
  };
}

/** Key of a job (jobs are per organisation). */
export function jobKey(orgMspId: string, jobId: string): string {
  return `${orgMspId}!${jobId}`;
}

/** Key of subject `seq` of a job, in subject order. */
export function entryKey(orgMspId: string, jobId: string, seq: number): string {
  return `${jobKey(orgMspId, jobId)}!${String(seq).padStart(6, '0')}`;
}
