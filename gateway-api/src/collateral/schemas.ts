/**
 * Collateral payloads: one zod schema per request body gives the TypeScript
 * type, the runtime check and the OpenAPI document; response schemas document
 * what the routes answer. Shape checks only: the chaincode decides every
 * business rule (issuer, consent, exclusivity, caps, terms).
 */
import { z } from 'zod';

export { LedgerTimeSchema, ObjectIdSchema, SubjectIdSchema } from '../http/fields';
import {
  CatalogueCodeSchema,
  LedgerTimeSchema,
  ObjectIdSchema,
  SubjectIdSchema,
  withoutPersonalIdentifiers,
} from '../http/fields';

/** An amount in fen (0.01 yuan): a positive safe integer. */
export const FenSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const CodeSchema = CatalogueCodeSchema;

/** Body of `POST /assets`. */
export const RegisterAssetSchema = z
  .object({
    assetType: CodeSchema.describe('Asset type code from the catalogue, e.g. LAND_CONTRACT_RIGHT'),
    certificateNo: withoutPersonalIdentifiers(z.string().min(1).max(64)).describe(
      'Certificate number; the asset ID is `<assetType>:<certificateNo>`',
    ),
    ownerSubjectId: SubjectIdSchema,
    location: withoutPersonalIdentifiers(z.string().min(1).max(64)).describe(
      'Parcel or location code (no address or name)',
    ),
    areaValue: z.number().positive(),
    areaUnit: CodeSchema.describe('MU, HECTARE, SQUARE_METRE, CUBIC_METRE or UNIT'),
    appraisedValueFen: FenSchema,
    appraisalDate: LedgerTimeSchema,
    rightExpiry: LedgerTimeSchema.describe('End of the right’s term'),
    provenanceBatch: ObjectIdSchema.optional().describe('Anchored batch the right’s record belongs to'),
  })
  .strict()
  .meta({ id: 'RegisterAssetRequest' });

/** Most rights one `POST /assets/batch` registers (the chaincode's limit per transaction). */
export const MAX_BATCH_ASSETS = 500;

/** Body of `POST /assets/batch`. */
export const RegisterAssetBatchSchema = z
  .object({
    assets: z
      .array(RegisterAssetSchema)
      .min(1)
      .max(MAX_BATCH_ASSETS)
      .describe(
        `1 to ${MAX_BATCH_ASSETS} rights, each as \`POST /assets\` takes one; registered in one transaction, all or none`,
      ),
  })
  .strict()
  .meta({ id: 'RegisterAssetBatchRequest' });

/** Body of `POST /liens`. */
export const RegisterLienSchema = z
  .object({
    lienId: ObjectIdSchema.optional().describe('Generated (`lien-<uuid>`) when omitted'),
    assetId: ObjectIdSchema,
    consentId: ObjectIdSchema.describe('The owner’s COLLATERAL_REGISTRATION consent to the calling bank'),
    securedAmountFen: FenSchema,
    loanEnd: LedgerTimeSchema,
  })
  .strict()
  .meta({ id: 'RegisterLienRequest' });

/** Body of `POST /assets/{id}/seizure`. */
export const SeizureRequestSchema = z
  .object({ orderRef: ObjectIdSchema.describe('Reference of the seizure order') })
  .strict()
  .meta({ id: 'SeizureRequest' });

/** Body of `POST /assets/{id}/transfer`. */
export const TransferRequestSchema = z
  .object({ newOwnerSubjectId: SubjectIdSchema })
  .strict()
  .meta({ id: 'TransferRequest' });

/** Path parameters naming an asset or a lien. */
export const ObjectIdParamsSchema = z.object({ id: ObjectIdSchema });

/** A lien as listed on its asset. */
export const LienEntrySchema = z
  .object({
    lienId: z.string(),
    mortgagee: z.string().describe('MSP ID of the mortgagee bank'),
    rank: z.number().int(),
    securedAmountFen: z.number().int(),
    loanEnd: z.string(),
    status: z.string().describe('ACTIVE or ENFORCING'),
  })
  .meta({ id: 'AssetLien' });

/** A seizure (查封) of an asset. */
export const SeizureSchema = z
  .object({ by: z.string(), orderRef: z.string(), at: z.string() })
  .meta({ id: 'Seizure' });

/** An asset as recorded on the ledger. */
export const AssetSchema = z
  .object({
    assetId: z.string(),
    assetType: z.string(),
    certificateNo: z.string(),
    issuer: z.string(),
    owner: z
      .string()
      .optional()
      .describe('Owner pseudonym (absent when the caller holds no COLLATERAL consent from the owner)'),
    location: z
      .string()
      .optional()
      .describe('Absent when the caller holds no COLLATERAL consent from the owner'),
    areaValue: z.number(),
    areaUnit: z.string(),
    appraisedValueFen: z
      .number()
      .int()
      .optional()
      .describe('Absent when the caller holds no COLLATERAL consent from the owner'),
    appraisalDate: z.string().optional(),
    rightExpiry: z.string().describe('End of the right’s term'),
    provenanceBatch: z.string().nullable(),
    status: z.string().describe('ACTIVE, SEIZED or ENFORCEMENT'),
    liens: z
      .array(LienEntrySchema)
      .describe("Active liens, by rank: all for the issuer and the regulator, the caller's own for a bank"),
    otherLiens: z
      .object({ count: z.number().int(), totalSecuredFen: z.number().int() })
      .optional()
      .describe('Active liens of other banks, as a count and a total (absent in the FULL view)'),
    visibility: z
      .enum(['FULL', 'COLLATERAL_GRANT', 'MEMBER'])
      .describe(
        'FULL: the issuer and the regulator; COLLATERAL_GRANT: a bank with an active consent from the owner ' +
          'covering COLLATERAL (owner, location, appraisal shown); MEMBER: anyone else',
      ),
    seizure: SeizureSchema.nullable(),
    enforcingLien: z.string().nullable(),
    lastAction: z.string(),
    registeredAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Asset' });

/** One entry of an asset's history (newest first). */
export const AssetHistoryEntrySchema = z
  .object({
    txId: z.string(),
    time: z.string(),
    action: z.string(),
    status: z.string(),
    owner: z.string().optional(),
    activeLiens: z.number().int(),
  })
  .meta({ id: 'AssetHistoryEntry' });

/** Where the latest change of a record is on the ledger. */
export const LedgerProofSchema = z
  .object({
    txId: z.string(),
    blockNumber: z.number().int().nullable().describe('Null while the transaction is not yet indexed'),
  })
  .meta({ id: 'LedgerProof' });

/** `GET /assets/{id}`. */
export const AssetDetailSchema = AssetSchema.extend({
  history: z.array(AssetHistoryEntrySchema),
  proof: LedgerProofSchema.describe('The transaction and block of the latest change'),
}).meta({ id: 'AssetDetail' });

/** A lien (mortgage registration). */
export const LienSchema = z
  .object({
    lienId: z.string(),
    assetId: z.string(),
    mortgagee: z.string(),
    mortgagor: z.string().describe('Owner pseudonym at registration'),
    consentId: z.string(),
    securedAmountFen: z.number().int(),
    loanEnd: z.string(),
    rank: z.number().int(),
    status: z.string().describe('ACTIVE, RELEASED, ENFORCING, ENFORCED or DISCHARGED'),
    registeredAt: z.string(),
    updatedAt: z.string(),
    txId: z.string().describe('Transaction that registered the lien'),
  })
  .meta({ id: 'Lien' });

/** `GET /liens/{id}`: the whole lien for its mortgagee, the asset's issuer and the regulator; the public part otherwise. */
export const LienRecordSchema = LienSchema.partial({
  mortgagee: true,
  mortgagor: true,
  consentId: true,
  securedAmountFen: true,
  loanEnd: true,
  txId: true,
})
  .extend({
    visibility: z
      .enum(['FULL', 'PUBLIC'])
      .describe(
        'FULL: the mortgagee, the asset’s issuer and the regulator; PUBLIC (公示): any other member sees that ' +
          'the lien exists, its asset, rank and status',
      ),
  })
  .meta({ id: 'LienRecord' });

/** A committed change that returns the asset. */
export const AssetChangeSchema = z
  .object({ asset: AssetSchema, txId: z.string(), blockNumber: z.number().int() })
  .meta({ id: 'AssetChange' });

/** A committed change that returns the lien. */
export const LienChangeSchema = z
  .object({ lien: LienSchema, txId: z.string(), blockNumber: z.number().int() })
  .meta({ id: 'LienChange' });

/** The answer of `POST /assets/batch`. */
export const AssetBatchChangeSchema = z
  .object({
    registered: z.array(z.string()).describe('Asset IDs registered by this transaction, in request order'),
    replayed: z
      .array(z.string())
      .describe(
        'Asset IDs already registered with the same registration (a retried batch), not written again',
      ),
    txId: z.string(),
    blockNumber: z.number().int(),
  })
  .meta({ id: 'AssetBatchChange' });

/** Validated body of `POST /assets/batch`. */
export type RegisterAssetBatchInput = z.output<typeof RegisterAssetBatchSchema>;
/** The answer of `POST /assets/batch`. */
export type AssetBatchChange = z.output<typeof AssetBatchChangeSchema>;
/** Validated body of `POST /assets`. */
export type RegisterAssetInput = z.output<typeof RegisterAssetSchema>;
/** Validated body of `POST /liens`. */
export type RegisterLienInput = z.output<typeof RegisterLienSchema>;
/** An asset as the API returns it. */
export type AssetView = z.output<typeof AssetSchema>;
/** `GET /assets/{id}` body. */
export type AssetDetail = z.output<typeof AssetDetailSchema>;
/** A lien as the API returns it. */
export type LienView = z.output<typeof LienSchema>;
/** A lien as `GET /liens/{id}` returns it. */
export type LienRecord = z.output<typeof LienRecordSchema>;
/** A committed change returning an asset. */
export type AssetChange = z.output<typeof AssetChangeSchema>;
/** A committed change returning a lien. */
export type LienChange = z.output<typeof LienChangeSchema>;
