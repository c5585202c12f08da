/**
 * Dispute payloads: request schemas (shape only; the chaincode decides who
 * may file or resolve and what a valid reason, outcome or correction is) and
 * the documented responses.
 */
import { DIGEST_PATTERN } from '@ruralcredit/protocol';
import { z } from 'zod';
import { CatalogueCodeSchema, ObjectIdSchema, SubjectIdSchema } from '../http/fields';
import type { GatewayDeps } from '../feature';

/** Longest note (filing or resolution) accepted, in characters. */
export const MAX_NOTE_LENGTH = 4000;

const CodeSchema = CatalogueCodeSchema;

/** Free text kept off-chain, sealed; may contain personal data, so never logged. */
const NoteSchema = z
  .string()
  .min(1)
  .max(MAX_NOTE_LENGTH)
  .meta({ description: 'Free text, stored encrypted off the ledger; the ledger holds its SHA-256 at most' });

/** Body of `POST /disputes`. */
export const FileDisputeSchema = z
  .object({
    disputeId: ObjectIdSchema.optional().describe('Generated (`dsp-<uuid>`) when omitted'),
    subjectId: SubjectIdSchema,
    datasetType: CodeSchema.describe('Dataset type of the disputed record'),
    batchId: ObjectIdSchema.describe('Anchored batch holding the record'),
    recordHash: z
      .string()
      .regex(DIGEST_PATTERN, 'must be 64 lowercase hex digits')
      .describe('The record’s Merkle leaf hash'),
    consentId: ObjectIdSchema.optional().describe(
      'The subject’s consent to the filing bank covering the dataset (banks only; the regulator files without)',
    ),
    reason: CodeSchema.describe('WRONG_VALUE, NOT_MINE, OUTDATED, INCOMPLETE or OTHER'),
    note: NoteSchema.optional(),
  })
  .strict()
  .meta({ id: 'FileDisputeRequest' });

/** Body of `POST /disputes/{id}/resolution`. */
export const ResolveDisputeSchema = z
  .object({
    outcome: CodeSchema.describe('CORRECTED (with correctingBatchId), UPHELD or REJECTED'),
    correctingBatchId: ObjectIdSchema.optional().describe('The anchored batch correcting the disputed one'),
    note: NoteSchema.describe('The provider’s written finding; its SHA-256 is anchored as noteDigest'),
  })
  .strict()
  .meta({ id: 'ResolveDisputeRequest' });

/** Query of `GET /disputes`. */
export function listDisputesQuery(pageQuery: GatewayDeps['pageQuery']) {
  return z
    .object({
      ...pageQuery,
      overdue: z
        .enum(['true', 'false'])
        .default('false')
        .describe('true: only open disputes past their 20 days, oldest first'),
    })
    .strict();
}

/** Path parameters naming a dispute. */
export const DisputeIdParamsSchema = z.object({ id: ObjectIdSchema });

/** The provider's answer, as anchored. */
export const ResolutionSchema = z
  .object({
    outcome: z.string(),
    correctingBatchId: z.string().nullable(),
    noteDigest: z.string().describe('SHA-256 of the resolution note'),
    resolvedBy: z.string(),
    resolvedAt: z.string(),
    late: z.boolean().describe('Resolved after the due date'),
    txId: z.string(),
  })
  .meta({ id: 'DisputeResolution' });

/** A dispute as anchored, with whether it is overdue at the ledger's time of reading. */
export const DisputeSchema = z
  .object({
    disputeId: z.string(),
    datasetType: z.string(),
    batchId: z.string(),
    recordHash: z.string(),
    subject: z.string().describe('Subject pseudonym'),
    provider: z.string().describe('MSP ID of the dataset’s provider, who must answer'),
    filedBy: z.string(),
    consentId: z.string().nullable(),
    reason: z.string(),
    status: z.string().describe('OPEN or RESOLVED'),
    filedAt: z.string(),
    dueBy: z.string().describe('Filing time plus 20 days'),
    overdue: z.boolean().describe('OPEN and past dueBy at the time of reading'),
    resolution: ResolutionSchema.nullable(),
    txId: z.string().describe('Transaction that filed the dispute'),
  })
  .meta({ id: 'Dispute' });

/** A note kept off-chain. */
export const DisputeNoteSchema = z
  .object({
    text: z.string(),
    author: z.string().describe('MSP ID of the organisation that wrote it'),
    txId: z.string().describe('Transaction the note belongs to'),
  })
  .meta({ id: 'DisputeNote' });

/** A dispute with the notes its readers may see. */
export const DisputeDetailSchema = DisputeSchema.extend({
  notes: z.object({
    filing: DisputeNoteSchema.nullable(),
    resolution: DisputeNoteSchema.extend({
      digestMatches: z.boolean().describe('Whether the note’s SHA-256 equals the anchored noteDigest'),
    }).nullable(),
  }),
}).meta({ id: 'DisputeDetail' });

/** A committed dispute change. */
export const DisputeChangeSchema = z
  .object({ dispute: DisputeDetailSchema, txId: z.string(), blockNumber: z.number().int() })
  .meta({ id: 'DisputeChange' });

/** Validated body of `POST /disputes`. */
export type FileDisputeInput = z.output<typeof FileDisputeSchema>;
/** Validated body of `POST /disputes/{id}/resolution`. */
export type ResolveDisputeInput = z.output<typeof ResolveDisputeSchema>;
/** A dispute as the API returns it in lists. */
export type DisputeView = z.output<typeof DisputeSchema>;
/** A dispute with its notes. */
export type DisputeDetail = z.output<typeof DisputeDetailSchema>;
/** A note as stored (sealed). */
export type DisputeNote = z.output<typeof DisputeNoteSchema>;
/** A committed dispute change. */
export type DisputeChange = z.output<typeof DisputeChangeSchema>;
