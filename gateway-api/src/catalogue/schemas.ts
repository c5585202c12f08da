/**
 * Catalogue payloads: dataset types and asset types as the regulator defines
 * and versions them. Shape checks only: the `Catalogue` contract decides who
 * may define, that versions only increase and that providers and issuers stay.
 */
import { z } from 'zod';
import { MspIdSchema } from '../auth/roles';
import { CatalogueCodeSchema, withoutPersonalIdentifiers } from '../http/fields';

const NameSchema = withoutPersonalIdentifiers(z.string().min(1).max(128));
const FIELD_NAME = /^[a-z][A-Za-z0-9_]{0,63}$/;

/** One field of a dataset schema. */
export const DatasetFieldSchema = z
  .object({
    name: z.string().regex(FIELD_NAME, 'must be a camelCase field name'),
    type: z.enum(['STRING', 'INTEGER', 'NUMBER', 'BOOLEAN', 'DATE']),
    required: z.boolean().optional().describe('Default true'),
    personal: z
      .boolean()
      .optional()
      .describe('Holds personal data: kept sealed in the gateway, never on the ledger (default false)'),
  })
  .strict()
  .meta({ id: 'DatasetField' });

/** A dataset type's definition, without its code (the path names it on update). */
export const DatasetTypeVersionSchema = z
  .object({
    name: NameSchema,
    provider: MspIdSchema.describe('The data provider delivering it (cannot change after definition)'),
    frequency: z.enum(['REALTIME', 'DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY', 'YEARLY']),
    schemaVersion: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .describe('Must exceed the current version on update'),
    fields: z.array(DatasetFieldSchema).min(1).max(64),
    subjectField: z
      .string()
      .regex(FIELD_NAME)
      .describe('The required, personal STRING field holding the subject ID'),
  })
  .strict()
  .meta({ id: 'DatasetTypeVersion' });

/** Body of `POST /catalogue/dataset-types`. */
export const DefineDatasetTypeSchema = DatasetTypeVersionSchema.extend({ code: CatalogueCodeSchema })
  .strict()
  .meta({ id: 'DefineDatasetTypeRequest' });

/** An asset type's definition, without its code. */
export const AssetTypeVersionSchema = z
  .object({
    name: NameSchema,
    issuer: MspIdSchema.describe('The authority issuing the rights (cannot change after definition)'),
    lienPolicy: z.enum(['EXCLUSIVE', 'RANKED']),
    maxLtvBps: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .describe('Cap on secured amounts, basis points of appraisal'),
    version: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .describe('1 at definition; must exceed the current on update'),
  })
  .strict()
  .meta({ id: 'AssetTypeVersion' });

/** Body of `POST /catalogue/asset-types`. */
export const DefineAssetTypeSchema = AssetTypeVersionSchema.extend({
  code: CatalogueCodeSchema,
  version: AssetTypeVersionSchema.shape.version.optional(),
})
  .strict()
  .meta({ id: 'DefineAssetTypeRequest' });

/** Path parameters naming a catalogue entry. */
export const CatalogueTypeParamsSchema = z.object({ type: CatalogueCodeSchema });

/** A dataset type as the API returns it. */
export const DatasetTypeSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    provider: z.string(),
    frequency: z.string(),
    schemaVersion: z.number().int(),
    fields: z.array(
      z.object({ name: z.string(), type: z.string(), required: z.boolean(), personal: z.boolean() }),
    ),
    subjectField: z.string(),
    definedAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'DatasetType' });

/** An asset type as the API returns it. */
export const AssetTypeSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    issuer: z.string(),
    lienPolicy: z.enum(['EXCLUSIVE', 'RANKED']),
    maxLtvBps: z.number().int(),
    version: z.number().int(),
    definedAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'AssetType' });

/** A committed change returning a dataset type. */
export const DatasetTypeChangeSchema = z
  .object({ datasetType: DatasetTypeSchema, txId: z.string(), blockNumber: z.number().int() })
  .meta({ id: 'DatasetTypeChange' });

/** A committed change returning an asset type. */
export const AssetTypeChangeSchema = z
  .object({ assetType: AssetTypeSchema, txId: z.string(), blockNumber: z.number().int() })
  .meta({ id: 'AssetTypeChange' });

/** Validated body of `POST /catalogue/dataset-types`. */
export type DefineDatasetTypeInput = z.output<typeof DefineDatasetTypeSchema>;
/** Validated body of `PUT /catalogue/dataset-types/{type}`. */
export type DatasetTypeVersionInput = z.output<typeof DatasetTypeVersionSchema>;
/** Validated body of `POST /catalogue/asset-types`. */
export type DefineAssetTypeInput = z.output<typeof DefineAssetTypeSchema>;
/** Validated body of `PUT /catalogue/asset-types/{type}`. */
export type AssetTypeVersionInput = z.output<typeof AssetTypeVersionSchema>;
/** A dataset type. */
export type DatasetTypeView = z.output<typeof DatasetTypeSchema>;
/** An asset type. */
export type AssetTypeView = z.output<typeof AssetTypeSchema>;
/** A committed dataset type change. */
export type DatasetTypeChange = z.output<typeof DatasetTypeChangeSchema>;
/** A committed asset type change. */
export type AssetTypeChange = z.output<typeof AssetTypeChangeSchema>;
