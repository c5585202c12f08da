/**
 * Data deliveries as the regulator supervises them: batches of a dataset type
 * anchored in a period, and each provider's freshness per dataset type.
 */
import { z } from 'zod';
import { MspIdSchema } from '../auth/roles';
import type { GatewayDeps } from '../feature';
import { CatalogueCodeSchema, LedgerTimeSchema } from '../http/fields';
import { AnchoredBatchSchema } from '../provenance/schemas';

/** Query of `GET /batches`. */
export function listBatchesQuery(pageQuery: GatewayDeps['pageQuery']) {
  return z
    .object({
      ...pageQuery,
      datasetType: CatalogueCodeSchema.describe('The dataset type'),
      from: LedgerTimeSchema.optional().describe('Anchored at or after (inclusive)'),
      to: LedgerTimeSchema.optional().describe('Anchored before (exclusive)'),
    })
    .strict();
}

/** An anchored batch as listed. */
export const ListedBatchSchema = AnchoredBatchSchema.meta({ id: 'AnchoredBatch' });

/** Path parameters naming a provider. */
export const ProviderParamsSchema = z.object({ mspId: MspIdSchema });

/** One dataset type's freshness. */
export const DatasetFreshnessSchema = z
  .object({
    datasetType: z.string(),
    frequency: z.string().describe('Declared reporting frequency'),
    maxAgeSeconds: z
      .number()
      .int()
      .describe('How old the latest batch may get before the dataset is overdue'),
    latestBatchId: z.string().nullable(),
    lastBatchAt: z.string().nullable().describe('When the latest batch was anchored; null when none yet'),
    ageSeconds: z.number().int().describe('Since the latest batch (or, before any, the definition)'),
    overdue: z.boolean(),
  })
  .meta({ id: 'DatasetFreshness' });

/** Response of `GET /providers/{mspId}/freshness`. */
export const ProviderFreshnessSchema = z
  .object({
    provider: z.string(),
    datasets: z.array(DatasetFreshnessSchema).describe('Every dataset type the provider delivers, by code'),
    overdueCount: z.number().int(),
    judgedAt: z.string().describe('Ledger time of the judgement (the newest of the per-dataset reads)'),
  })
  .meta({ id: 'ProviderFreshness' });

/** A dataset's freshness. */
export type DatasetFreshness = z.output<typeof DatasetFreshnessSchema>;
/** A provider's freshness. */
export type ProviderFreshness = z.output<typeof ProviderFreshnessSchema>;
/** A listed batch. */
export type ListedBatch = z.output<typeof ListedBatchSchema>;
