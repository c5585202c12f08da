/**
 * Ledger keys. Every key part is validated before use because the Node shim
 * does not check them: non-empty, bounded, NFC, and free of U+0000 (the
 * composite-key separator) and U+10FFFF (the range-end sentinel).
 */
import type { Context } from 'fabric-contract-api';
import { invalid } from './errors';

/** Longest key part accepted. */
export const MAX_KEY_PART_LENGTH = 256;

/** Object types of the ledger's keys: records and their indexes. */
export const KeyType = {
  config: 'config',
  member: 'member',
  subjectSigner: 'subject~signer',
  datasetType: 'dataset',
  assetType: 'assettype',
  batch: 'batch',
  batchByType: 'batch~type~time',
  latestBatch: 'batch~latest',
  grant: 'grant',
  grantByGrantee: 'grant~grantee',
  grantBySubject: 'grant~subject',
  grantByGranteeSubject: 'grant~grantee~subject',
  /** An access record, keyed by accessor and access ID: each institution has its own ID namespace. */
  access: 'access',
  /** Which institutions used an access ID (for the regulator's and auditors' reads by ID alone). */
  accessById: 'access~id',
  accessBySubject: 'access~subject~time',
  accessByAccessor: 'access~accessor~time',
  accessByAccessorSubject: 'access~accessor~subject~time',
  asset: 'asset',
  assetByOwner: 'asset~owner',
  lien: 'lien',
  lienByMortgagee: 'lien~mortgagee',
  dispute: 'dispute',
  disputeByParty: 'dispute~party',
  disputeOpen: 'dispute~open~time',
  disputeOpenByParty: 'dispute~party~open~time',
  disputeByRecord: 'dispute~record',
  product: 'product',
  productVersion: 'product~version',
  productByBank: 'product~bank',
  productByCounty: 'product~county',
  demand: 'demand',
  demandByTime: 'demand~time',
  demandBySubject: 'demand~subject',
  claim: 'claim',
  claimByBank: 'claim~bank',
  claimBySubject: 'claim~subject',
  /** Claims still CLAIMED (not yet contacted), by claim time: the overdue sweep reads it. */
  claimUncontacted: 'claim~uncontacted~time',
  loan: 'loan',
  loanByBank: 'loan~bank',
  loanBySubject: 'loan~subject',
  /** A lender's move towards a subject (claim, loan-application grant, loan), by time: supervision reads it. */
  lendingByTime: 'lending~time',
  multiLenderSignal: 'signal',
} as const;

/** An object type from {@link KeyType}. */
export type KeyTypeName = (typeof KeyType)[keyof typeof KeyType];

/**
 * Checks one key part.
 *
 * @throws INVALID when the part is empty, too long, not NFC or holds U+0000 or U+10FFFF.
 */
export function checkKeyPart(part: string): string {
  if (typeof part !== 'string' || part.length === 0) throw invalid('key part must be a non-empty string');
  if (part.length > MAX_KEY_PART_LENGTH)
    throw invalid(`key part longer than ${MAX_KEY_PART_LENGTH} characters`);
  if (part.includes('\u0000') || part.includes('\u{10ffff}'))
    throw invalid('key part contains U+0000 or U+10FFFF');
  if (part.normalize('NFC') !== part) throw invalid('key part is not in Unicode NFC');
  return part;
}

/** Builds a validated composite key. */
export function key(ctx: Context, type: KeyTypeName, parts: readonly string[]): string {
  return ctx.stub.createCompositeKey(type, parts.map(checkKeyPart));
}

/** The last attribute of a composite key (the object's ID in every index). */
export function lastKeyPart(ctx: Context, compositeKey: string): string {
  const { attributes } = ctx.stub.splitCompositeKey(compositeKey);
  const last = attributes[attributes.length - 1];
  if (last === undefined) throw invalid('index key without attributes');
  return last;
}

/** The attribute at `index` of a composite key. */
export function keyPart(ctx: Context, compositeKey: string, index: number): string {
  const { attributes } = ctx.stub.splitCompositeKey(compositeKey);
  const part = attributes[index];
  if (part === undefined) throw invalid('index key too short');
  return part;
}
