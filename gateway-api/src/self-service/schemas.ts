/** Payloads of the data subject's self-service (`/subjects/self/...`): signed requests, no account. */
import { SELF_SERVICE_ACTIONS } from '@ruralcredit/protocol';
import { z } from 'zod';
import { DigestSchema, LedgerTimeSchema, SignatureSchema } from '../http/fields';

/** Body of every self-service endpoint: the signed EIP-712 `SubjectSelfServiceRequest` and its signature. */
export const SelfServiceRequestSchema = z
  .object({
    subject: DigestSchema.describe('The subject pseudonym its key is bound to (64 hex)'),
    action: z.enum(SELF_SERVICE_ACTIONS).describe('Must be the action of the endpoint called'),
    target: z
      .string()
      .max(512)
      .describe(
        'READ_RECORDS and REPORT_PDF: dataset types, comma-separated; FILE_DISPUTE: `<batchId>#<index>`; else empty',
      ),
    detail: z
      .string()
      .max(32)
      .describe('FILE_DISPUTE: the reason code (WRONG_VALUE, NOT_MINE, ...); else empty'),
    requestedAt: LedgerTimeSchema.describe(
      "When the request was signed; within 5 minutes of the gateway's clock",
    ),
    nonce: z
      .string()
      .regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits')
      .describe('A fresh random value; each signed request is answered once'),
    signature: SignatureSchema.describe(
      'EIP-712 `SubjectSelfServiceRequest` {subject, action, target, detail, requestedAt, nonce} by the bound key',
    ),
  })
  .strict()
  .meta({ id: 'SubjectSelfServiceRequest' });

/** A consent as its subject sees it. */
export const SelfConsentSchema = z
  .object({
    consentId: z.string(),
    grantee: z.string(),
    scope: z.array(z.string()),
    purpose: z.string(),
    validFrom: z.string(),
    validUntil: z.string(),
    status: z.string(),
    revokedAt: z.string().optional(),
  })
  .meta({ id: 'SelfConsent' });

/** The subject's consents. */
export const SelfConsentListSchema = z
  .object({ consents: z.array(SelfConsentSchema) })
  .meta({ id: 'SelfConsentList' });

/** One of the subject's own records, with its proof and dispute mark. */
const SelfRecordSchema = z.object({
  batchId: z.string(),
  index: z.number().int(),
  record: z.record(z.string(), z.unknown()),
  leafHash: z.string(),
  proof: z.object({ leafIndex: z.number().int(), treeSize: z.number().int(), path: z.array(z.string()) }),
  merkleRoot: z.string(),
  anchoredAt: z.string(),
  disputed: z.boolean(),
  disputeId: z.string().optional(),
});

/** The subject's records, released after the SELF access committed. */
export const SelfRecordsSchema = z
  .object({
    accessId: z.string(),
    txId: z.string(),
    blockNumber: z.number().int(),
    releaseDigest: z.string(),
    datasets: z.array(z.object({ datasetType: z.string(), records: z.array(SelfRecordSchema) })),
  })
  .meta({ id: 'SelfRecords' });

/** A dispute as its subject follows it. */
export const SelfDisputeSchema = z
  .object({
    disputeId: z.string(),
    datasetType: z.string(),
    batchId: z.string(),
    recordHash: z.string(),
    reason: z.string(),
    status: z.string(),
    filedAt: z.string(),
    dueBy: z.string(),
    overdue: z.boolean(),
    resolution: z
      .object({
        outcome: z.string(),
        correctingBatchId: z.string().optional(),
        resolvedAt: z.string(),
        late: z.boolean(),
      })
      .optional(),
    txId: z.string(),
  })
  .meta({ id: 'SelfDispute' });

/** The disputes the subject filed. */
export const SelfDisputeListSchema = z
  .object({ disputes: z.array(SelfDisputeSchema) })
  .meta({ id: 'SelfDisputeList' });
