/** Request and response schemas of the watch and webhook endpoints (validation and OpenAPI). */
import { z } from 'zod';
import { LedgerTimeSchema, ObjectIdSchema, SubjectIdSchema } from '../http/fields';
import { DatasetTypeCodeSchema } from '../provenance/schemas';

const FieldNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a record field name');

/** One watch rule. */
export const WatchRuleSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('THRESHOLD'),
        datasetType: DatasetTypeCodeSchema,
        field: FieldNameSchema,
        above: z.number().finite().optional(),
        below: z.number().finite().optional(),
      })
      .strict()
      .refine((r) => r.above !== undefined || r.below !== undefined, 'give above, below or both'),
    z
      .object({
        kind: z.literal('CHANGE_PERCENT'),
        datasetType: DatasetTypeCodeSchema,
        field: FieldNameSchema,
        percent: z.number().positive().max(1_000_000),
      })
      .strict(),
    z.object({ kind: z.literal('RECORD_REMOVED'), datasetType: DatasetTypeCodeSchema }).strict(),
    z.object({ kind: z.literal('RECORD_CORRECTED'), datasetType: DatasetTypeCodeSchema }).strict(),
    z.object({ kind: z.literal('ASSET_SEIZED') }).strict(),
    z.object({ kind: z.literal('OTHER_BANK_LIEN') }).strict(),
    z.object({ kind: z.literal('RIGHT_EXPIRES') }).strict(),
    z.object({ kind: z.literal('GRANT_EXPIRES') }).strict(),
    z.object({ kind: z.literal('DISPUTE_OPENED') }).strict(),
    z
      .object({
        kind: z.literal('MULTI_LENDER'),
        k: z
          .number()
          .int()
          .min(0)
          .max(1000)
          .describe(
            'Alert when a new lien or claim by another institution makes the multi-lender count exceed k: other ' +
              'institutions applying (active LOAN_APPLICATION grants, open claims) + other banks’ active liens + ' +
              'other banks’ active loans, from the multi-lender signal the ledger computes',
          ),
      })
      .strict(),
  ])
  .meta({ id: 'WatchRule' });

/** `POST /watches`. */
export const WatchRequestSchema = z
  .object({
    subjectId: SubjectIdSchema,
    consentId: ObjectIdSchema.describe('An ACTIVE POST_LOAN_MANAGEMENT consent of the subject to your bank'),
    rules: z.array(WatchRuleSchema).min(1).max(32),
    until: LedgerTimeSchema.optional().describe(
      "End of the watch (the loan's end); the consent's end by default. GRANT_EXPIRES and RIGHT_EXPIRES fire when the consent or a right ends before it",
    ),
  })
  .strict()
  .meta({ id: 'WatchRequest' });
/** A validated watch request. */
export type WatchRequest = z.infer<typeof WatchRequestSchema>;

/** A watch as shown to its bank. */
export const WatchViewSchema = z
  .object({
    watchId: z.string(),
    subject: z.string().describe('Pseudonym'),
    maskedSubjectId: z.string(),
    consentId: z.string(),
    rules: z.array(WatchRuleSchema),
    until: z.string(),
    status: z.enum(['ACTIVE', 'STOPPED']),
    stoppedReason: z.string().optional(),
    stoppedAt: z.string().optional(),
    createdAt: z.string(),
  })
  .meta({ id: 'Watch' });

/** An alert as kept for its bank. */
export const WatchAlertSchema = z
  .object({
    alertId: z.string(),
    watchId: z.string(),
    type: z.enum(['WATCH_ALERT', 'WATCH_EVENT', 'WATCH_STOPPED']),
    createdAt: z.string(),
    body: z.record(z.string(), z.unknown()),
    digest: z.string().optional().describe('SHA-256 of the canonical body: the access releaseDigest'),
    accessId: z.string().optional().describe('The GRANTED access recorded before the alert was delivered'),
    txId: z.string().optional(),
  })
  .meta({ id: 'WatchAlert' });
/** A kept alert. */
export type WatchAlert = z.infer<typeof WatchAlertSchema>;

/** Path of the watch endpoints. */
export const WatchParamsSchema = z.object({ watchId: ObjectIdSchema });

/** `PUT /webhooks/endpoint`. */
export const WebhookRequestSchema = z
  .object({ url: z.string().min(1).max(2048) })
  .strict()
  .meta({ id: 'WebhookRequest' });

/** A registered endpoint. */
export const WebhookEndpointSchema = z.object({
  url: z.string(),
  registeredAt: z.string(),
  registeredBy: z.string(),
});

/** A logged delivery. */
export const DeliverySchema = z
  .object({
    deliveryId: z.string(),
    orgMspId: z.string(),
    eventType: z.string(),
    alertId: z.string(),
    url: z.string(),
    status: z.enum(['PENDING', 'DELIVERED', 'FAILED']),
    attempts: z.number().int(),
    createdAt: z.string(),
    lastAttemptAt: z.string().optional(),
    lastStatusCode: z.number().int().optional(),
    lastError: z.string().optional(),
    deliveredAt: z.string().optional(),
  })
  .meta({ id: 'WebhookDelivery' });

/** Path of the redelivery endpoint. */
export const DeliveryParamsSchema = z.object({ deliveryId: ObjectIdSchema });
