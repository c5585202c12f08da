/** Payload schemas of the consent endpoints: they validate requests and document them. */
import { CATALOGUE_CODE_PATTERN, COLLATERAL_SCOPE, PURPOSES } from '@ruralcredit/protocol';
import { z } from 'zod';

export { LedgerTimeSchema, ObjectIdSchema, SignatureSchema, SubjectIdSchema } from '../http/fields';
import { LedgerTimeSchema, ObjectIdSchema, SignatureSchema, SubjectIdSchema } from '../http/fields';

/** What a bank sends to record a consent. */
export const ConsentRequestSchema = z
  .object({
    consentId: ObjectIdSchema.optional().describe('Generated when absent'),
    subjectId: SubjectIdSchema,
    scope: z
      .array(
        z
          .string()
          .refine(
            (s) => s === COLLATERAL_SCOPE || CATALOGUE_CODE_PATTERN.test(s),
            'must be a dataset type code or COLLATERAL',
          ),
      )
      .min(1)
      .max(32),
    purpose: z.enum(PURPOSES),
    validFrom: LedgerTimeSchema,
    validUntil: LedgerTimeSchema,
    maxAccesses: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .optional()
      .describe('Access budget; 0 or absent: none'),
    subjectSignature: SignatureSchema.optional().describe(
      "The subject's EIP-712 ConsentGrant signature; without it a signed form must be uploaded (multipart)",
    ),
  })
  .strict()
  .meta({ id: 'ConsentRequest' });

/** A consent request as parsed. */
export type ConsentRequest = z.infer<typeof ConsentRequestSchema>;

/** Revocation of a consent: by the grantee bank or the regulator with a reason, or on the subject's signature. */
export const RevokeRequestSchema = z
  .object({
    reason: z.enum(['SUBJECT_REQUEST', 'BANK_REQUEST', 'REGULATOR_ORDER', 'LOAN_CLOSED', 'OTHER']).optional(),
    subjectSignature: SignatureSchema.optional().describe(
      "The subject's EIP-712 ConsentRevocation signature",
    ),
  })
  .strict()
  .refine(
    (r) => (r.reason === undefined) !== (r.subjectSignature === undefined),
    'give either reason or subjectSignature',
  )
  .meta({ id: 'RevokeRequest' });

/** A consent as returned. */
export const ConsentViewSchema = z
  .object({
    consentId: z.string(),
    subject: z.string().describe('Subject pseudonym'),
    grantee: z.string(),
    scope: z.array(z.string()),
    purpose: z.string(),
    validFrom: z.string(),
    validUntil: z.string(),
    maxAccesses: z.number(),
    accessesUsed: z.number(),
    status: z.enum(['ACTIVE', 'REVOKED', 'EXPIRED', 'NOT_YET_VALID']),
    statusAt: z.string(),
    evidence: z.record(z.string(), z.unknown()),
    revocation: z.record(z.string(), z.unknown()).optional(),
    recordedAt: z.string(),
    txId: z.string().describe('Transaction that recorded the consent'),
  })
  .meta({ id: 'Consent' });

/** A write's answer: the object and the transaction that committed it. */
export function committedSchema<S extends z.ZodType>(item: S, id: string) {
  return z.object({ consent: item, txId: z.string(), blockNumber: z.number().int() }).meta({ id });
}
