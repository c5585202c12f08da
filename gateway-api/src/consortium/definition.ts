/**
 * The consortium definition (network/consortium.json): organisations with
 * their roles, and the starter catalogue. One file feeds the Fabric network
 * bootstrap, the embedded ledger and the demo.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROLES, type Deployment } from '@ruralcredit/protocol';
import { z } from 'zod';

const OrganisationSchema = z.object({
  mspId: z.string(),
  role: z.enum(ROLES),
  name: z.string(),
  peer: z.boolean(),
});

const DatasetFieldSchema = z.object({
  name: z.string(),
  type: z.enum(['STRING', 'INTEGER', 'NUMBER', 'BOOLEAN', 'DATE']),
  required: z.boolean().optional(),
  personal: z.boolean().optional(),
});

const DatasetTypeSchema = z.object({
  code: z.string(),
  name: z.string(),
  provider: z.string(),
  frequency: z.string(),
  schemaVersion: z.number().int(),
  subjectField: z.string(),
  fields: z.array(DatasetFieldSchema),
});

const AssetTypeSchema = z.object({
  code: z.string(),
  name: z.string(),
  issuer: z.string(),
  lienPolicy: z.enum(['EXCLUSIVE', 'RANKED']),
  maxLtvBps: z.number().int(),
});

/** The consortium file's schema. */
export const ConsortiumSchema = z.object({
  channel: z.string(),
  chaincode: z.string(),
  organisations: z.array(OrganisationSchema).min(1),
  datasetTypes: z.array(DatasetTypeSchema),
  assetTypes: z.array(AssetTypeSchema),
});

/** A consortium definition. */
export type Consortium = z.infer<typeof ConsortiumSchema>;

/** The deployment every EIP-712 signature of this consortium is bound to: its channel and chaincode. */
export function deploymentOf(consortium: Pick<Consortium, 'channel' | 'chaincode'>): Deployment {
  return { channel: consortium.channel, chaincode: consortium.chaincode };
}
/** One organisation of the consortium. */
export type Organisation = Consortium['organisations'][number];
/** A dataset type as the catalogue defines it. */
export type DatasetTypeDefinition = Consortium['datasetTypes'][number];

/** Where the repository keeps the consortium definition. */
export const DEFAULT_CONSORTIUM_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'network',
  'consortium.json',
);

/**
 * Reads and validates a consortium definition.
 *
 * @throws Error naming the file when it is missing or malformed.
 */
export function loadConsortium(file: string = DEFAULT_CONSORTIUM_FILE): Consortium {
  const parsed = ConsortiumSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.message}`);
  return parsed.data;
}
