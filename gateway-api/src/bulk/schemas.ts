/** Request and response schemas of the bulk-download endpoints (validation and OpenAPI). */
import { PURPOSES } from '@ruralcredit/protocol';
import { z } from 'zod';
import { DigestSchema, LedgerTimeSchema, ObjectIdSchema, SubjectIdSchema } from '../http/fields';
import { DatasetTypeCodeSchema } from '../provenance/schemas';

/** Most (subject, consent) pairs in one job. */
export const MAX_JOB_ITEMS = 10_000;

/** `POST /bulk/jobs`. */
export const BulkJobRequestSchema = z
  .object({
    items: z
      .array(z.object({ subjectId: SubjectIdSchema, consentId: ObjectIdSchema }).strict())
      .min(1)
      .max(MAX_JOB_ITEMS)
      .describe('The (subject, consent) pairs, released in this order'),
    datasets: z.array(DatasetTypeCodeSchema).min(1).max(32),
    purpose: z.enum(PURPOSES),
    since: LedgerTimeSchema.optional().describe(
      "Release every record of a subject anchored at or after this time; without it, each dataset's latest batch",
    ),
  })
  .strict()
  .meta({ id: 'BulkJobRequest' });
/** A validated job request. */
export type BulkJobRequest = z.infer<typeof BulkJobRequestSchema>;

/** A denied subject of a job. */
export const DeniedSubjectSchema = z.object({
  seq: z.number().int(),
  consentId: z.string(),
  accessId: z.string(),
  reason: z.string(),
});

/** The status of a job. */
export const BulkJobStatusSchema = z
  .object({
    jobId: z.string(),
    total: z.number().int(),
    recorded: z.number().int().describe('Subjects whose access is on the ledger (the largest valid cursor)'),
    granted: z.number().int(),
    denied: z.number().int(),
    recordsReleased: z.number().int(),
    digest: DigestSchema.describe('Running digest after the last recorded subject'),
    state: z.enum(['OPEN', 'DONE']),
    deniedSubjects: z.array(DeniedSubjectSchema),
  })
  .meta({ id: 'BulkJobStatus' });
/** The status of a job. */
export type BulkJobStatus = z.infer<typeof BulkJobStatusSchema>;

/** Path of the job endpoints. */
export const JobParamsSchema = z.object({ jobId: ObjectIdSchema });

/** Query of `GET /bulk/jobs/{jobId}/lines`. */
export const LinesQuerySchema = z.object({
  cursor: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Resume here: the `cursor` of the last `cursor` line received (0 = from the start)'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_JOB_ITEMS)
    .optional()
    .describe('Release at most this many subjects, then end with a `pause` line'),
});
