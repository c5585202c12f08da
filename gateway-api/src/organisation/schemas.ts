/** Payloads of the organisation-to-organisation API. */
import { z } from 'zod';

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const Code = z.string().regex(/^[A-Z][A-Z0-9_]{1,31}$/);

/** A bank's request for a subject's records under its committed access. */
export const ReleaseRequestSchema = z.strictObject({
  accessId: Id,
  subject: Hex64,
  datasets: z.array(Code).min(1).max(32),
});
export type ReleaseRequest = z.infer<typeof ReleaseRequestSchema>;

/** One released record, with what proves it against the anchored root. */
export const ReleasedRecordSchema = z.object({
  batchId: z.string(),
  index: z.number().int().nonnegative(),
  record: z.record(z.string(), z.unknown()),
  leafHash: Hex64,
  proof: z.object({ leafIndex: z.number().int(), treeSize: z.number().int(), path: z.array(z.string()) }),
  merkleRoot: Hex64,
  anchoredAt: z.string(),
});

/** What a provider's gateway releases. */
export const ReleaseSchema = z.object({
  accessId: Id,
  accessor: z.string(),
  provider: z.string(),
  subject: Hex64,
  datasets: z.array(z.object({ datasetType: Code, records: z.array(ReleasedRecordSchema) })),
  releasedAt: z.string(),
  /** SHA-256 of the RFC 8785 JSON of everything above: what the release log holds. */
  releaseDigest: Hex64,
});
export type Release = z.infer<typeof ReleaseSchema>;

/** One line of a provider's release log: a release, or a refusal with its stable code. */
export const ReleaseLogEntrySchema = z.object({
  seq: z.number().int().positive(),
  at: z.string(),
  requester: z.string(),
  accessId: z.string(),
  subject: z.string(),
  datasets: z.array(z.string()),
  outcome: z.enum(['RELEASED', 'REFUSED']),
  code: z.string().optional(),
  releaseDigest: Hex64.optional(),
  accessTxId: z.string().optional(),
});
export type ReleaseLogEntry = z.infer<typeof ReleaseLogEntrySchema>;

export const ReleaseLogPageSchema = z.object({ entries: z.array(ReleaseLogEntrySchema) });
