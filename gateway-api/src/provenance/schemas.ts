/** Request and response schemas of the provenance endpoints (validation and OpenAPI). */
import { CATALOGUE_CODE_PATTERN, OBJECT_ID_PATTERN } from '@ruralcredit/protocol';
import { z } from 'zod';
import { DigestSchema, LedgerTimeSchema, withoutPersonalIdentifiers } from '../http/fields';

/** A batch ID (business object ID pattern). */
export const BatchIdSchema = withoutPersonalIdentifiers(
  z
    .string()
    .regex(OBJECT_ID_PATTERN, 'must be 1-128 letters, digits or ._:- starting with a letter or digit'),
).meta({ description: 'Batch ID', examples: ['hs-2026-11-23'] });

/** A dataset type code. */
export const DatasetTypeCodeSchema = z
  .string()
  .regex(CATALOGUE_CODE_PATTERN, 'must be a catalogue code (A-Z, 0-9, _)')
  .meta({ description: 'Dataset type code', examples: ['HOMESTEAD'] });

/** Path of `POST /datasets/{type}/batches`. */
export const DatasetParamsSchema = z.object({ type: DatasetTypeCodeSchema });

/** Path of `GET /batches/{id}`. */
export const BatchParamsSchema = z.object({ id: BatchIdSchema });

/** Query of `POST /datasets/{type}/batches`. */
export const UploadQuerySchema = z
  .object({
    batchId: BatchIdSchema.optional().describe('Batch ID; generated (`bat-<uuid>`) when absent'),
    periodStart: LedgerTimeSchema.describe('Start of the period the batch covers'),
    periodEnd: LedgerTimeSchema.describe('End of the period the batch covers'),
    corrects: BatchIdSchema.optional().describe('The batch this one corrects'),
  })
  .strict();

/** Parsed upload query. */
export type UploadQuery = z.infer<typeof UploadQuerySchema>;

/** Response of a successful upload. */
export const UploadResultSchema = z
  .object({
    batchId: z.string(),
    datasetType: z.string(),
    merkleRoot: DigestSchema.describe('RFC 6962 root over the records’ leaf hashes'),
    recordCount: z.number().int(),
    txId: z.string().describe('Anchoring transaction'),
    blockNumber: z.number().int().describe('Block the anchor was committed in'),
  })
  .meta({ id: 'BatchUploadResult' });

/** Result of a batch upload. */
export type UploadResult = z.infer<typeof UploadResultSchema>;

/** A batch as the ledger holds it (`Provenance:GetBatch`). */
export const AnchoredBatchSchema = z.object({
  batchId: z.string(),
  datasetType: z.string(),
  provider: z.string(),
  merkleRoot: DigestSchema,
  recordCount: z.number().int(),
  periodStart: z.string(),
  periodEnd: z.string(),
  schemaVersion: z.number().int(),
  corrects: z.string().describe('The batch this one corrects, or empty'),
  correctedBy: z.array(z.string()).describe('Batches that correct this one'),
  signer: z.string().describe('Provider signing address'),
  signature: z.string().describe('EIP-712 BatchManifest signature'),
  anchoredAt: z.string(),
  txId: z.string(),
});

/** An anchored batch from the ledger. */
export type AnchoredBatch = z.infer<typeof AnchoredBatchSchema>;

/** Response of `GET /batches/{id}`. */
export const BatchViewSchema = AnchoredBatchSchema.extend({
  storedRecordCount: z
    .number()
    .int()
    .describe('Records of the batch stored (encrypted) at this gateway; 0 when uploaded elsewhere'),
}).meta({ id: 'Batch' });

/** An anchored batch with its off-chain record count. */
export type BatchView = z.infer<typeof BatchViewSchema>;

/** Body of `POST /provenance/verify`. */
export const VerifyRequestSchema = z
  .object({
    record: z.record(z.string(), z.unknown()).describe('The record exactly as uploaded'),
    proof: z
      .object({
        leafIndex: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        treeSize: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
        path: z.array(DigestSchema).max(64),
      })
      .strict(),
    batchId: BatchIdSchema.optional().describe('The batch to check against; found by leaf hash when absent'),
  })
  .strict()
  .meta({ id: 'ProvenanceVerifyRequest' });

/** A verification request. */
export type VerifyRequest = z.infer<typeof VerifyRequestSchema>;

/** Response of `POST /provenance/verify`. */
export const VerifyResultSchema = z
  .object({
    valid: z.boolean(),
    batchId: z.string().optional(),
    datasetType: z.string().optional(),
    merkleRoot: z.string().optional(),
    anchoredAt: z.string().optional(),
    txId: z.string().optional(),
  })
  .meta({ id: 'ProvenanceVerifyResult' });

/** A verification outcome. */
export type VerifyResult = z.infer<typeof VerifyResultSchema>;

/** Path of `GET /batches/{id}/records/{index}/proof`. */
export const RecordProofParamsSchema = z.object({
  id: BatchIdSchema,
  index: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('Position in the batch'),
});

/** Query of `GET /batches/{id}/records/{index}/proof`. */
export const RecordProofQuerySchema = z
  .object({
    accessId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/)
      .optional()
      .describe('For a bank: its GRANTED access that released the record'),
  })
  .strict();

/** Response of `GET /batches/{id}/records/{index}/proof`. */
export const RecordProofSchema = z
  .object({
    batchId: z.string(),
    datasetType: z.string(),
    index: z.number().int(),
    leafHash: DigestSchema.describe('SHA-256 leaf hash of the canonical record (RFC 6962)'),
    proof: z.object({
      leafIndex: z.number().int(),
      treeSize: z.number().int(),
      path: z.array(DigestSchema),
    }),
    merkleRoot: DigestSchema,
    anchoredAt: z.string(),
    txId: z.string().describe('The anchoring transaction'),
  })
  .meta({ id: 'RecordProof' });

/** A record's inclusion proof. */
export type RecordProof = z.infer<typeof RecordProofSchema>;
