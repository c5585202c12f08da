/** Request and response schemas of the audit routes (one schema: type, validator and OpenAPI). */
import { z } from 'zod';
import { MspIdSchema } from '../auth/roles';
import { DigestSchema, LedgerTimeSchema, SignatureSchema } from '../http/fields';
import { MAX_CURSOR_LENGTH, pageSchema, type pageQueryShape } from '../http/pagination';
import { AccessEntrySchema } from '../indexer/access-entry';

/** A time bound: ISO-8601 date-time with `Z` or an offset. */
export const TimeBoundSchema = z.iso
  .datetime({ offset: true })
  .meta({ description: 'ISO-8601 date-time, e.g. 2026-11-23T08:00:00Z', examples: ['2026-11-23T08:00:00Z'] });

const rangeShape = {
  from: TimeBoundSchema.optional().describe('Inclusive lower bound on the transaction time'),
  to: TimeBoundSchema.optional().describe('Exclusive upper bound on the transaction time'),
  accessor: MspIdSchema.optional().describe('Accessing institution; a bank may name only itself'),
};

/** Query of `GET /audit/accesses`. */
export function accessListQuerySchema(page: ReturnType<typeof pageQueryShape>) {
  return z
    .object({
      subjectId: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .describe('Resident ID or unified social credit code; pseudonymised, never stored'),
      outcome: z.enum(['GRANTED', 'DENIED']).optional(),
      ...rangeShape,
      ...page,
    })
    .strict();
}

/** Query of `GET /audit/export` and `GET /audit/export/summary`. */
export const ExportQuerySchema = z.object(rangeShape).strict();

/** Response of `GET /audit/accesses`. */
export const AccessPageSchema = pageSchema(AccessEntrySchema).meta({ id: 'AccessPage' });

/** Response of `GET /audit/export/summary`. */
export const ExportSummarySchema = z
  .object({
    count: z.number().int().describe('Lines the export of the same query holds'),
    lastDigest: z.string().describe('Running digest of the last line (64 zeros when empty)'),
  })
  .meta({ id: 'AuditExportSummary' });

/** Query of `POST /audit/export/verify`: optional anchors that detect truncation. */
export const VerifyQuerySchema = z
  .object({
    expectedCount: z.coerce.number().int().min(0).optional().describe('Count from the export summary'),
    expectedLastDigest: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters')
      .optional()
      .describe('Last digest from the export summary'),
  })
  .strict();

/** Response of `POST /audit/export/verify`. */
export const VerifyResultSchema = z
  .union([
    z.object({ ok: z.literal(true), count: z.number().int(), lastDigest: z.string() }),
    z.object({
      ok: z.literal(false),
      line: z.number().int().describe('One-based line number of the first failure'),
      reason: z.enum(['MALFORMED', 'DIGEST_MISMATCH', 'SEQUENCE_GAP']),
      detail: z.string(),
    }),
  ])
  .meta({ id: 'AuditExportVerification' });

/** Body of `POST /subjects/access-log`: a subject's signed request for one page of its log. */
export const SubjectAccessLogRequestSchema = z
  .object({
    subject: DigestSchema.describe('The subject pseudonym its key is bound to (64 hex)'),
    requestedAt: LedgerTimeSchema.describe(
      "When the request was signed; within 5 minutes of the gateway's clock",
    ),
    nonce: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be 16-64 of A-Z a-z 0-9 _ -')
      .describe('A fresh random value; each signed request is answered once'),
    cursor: z
      .string()
      .max(MAX_CURSOR_LENGTH)
      .regex(/^[A-Za-z0-9_-]*$/, 'must be a cursor returned by a previous page')
      .default('')
      .describe('`nextCursor` of the previous page; empty or absent for the first page'),
    signature: SignatureSchema.describe(
      'EIP-712 `SubjectAccessLogRequest` {subject, requestedAt, nonce, cursor} by the key bound to the subject',
    ),
  })
  .strict()
  .meta({ id: 'SubjectAccessLogRequest' });

/** One access as the subject sees it: the institution, not its staff. */
export const SubjectAccessSchema = AccessEntrySchema.omit({ operator: true, subject: true }).meta({
  id: 'SubjectAccess',
});

/** Response of `POST /subjects/access-log`. */
export const SubjectAccessPageSchema = pageSchema(SubjectAccessSchema).meta({ id: 'SubjectAccessPage' });
