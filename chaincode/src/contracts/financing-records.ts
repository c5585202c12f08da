/**
 * Reads and writes of financing records shared by the Financing and Lending
 * contracts: one key helper per record type, bounded index scans, the
 * deployment's financing policy, and the claim-ending step that revokes the
 * claim's grant.
 */
import type { Context } from 'fabric-contract-api';
import { conflict, notFound } from '../lib/errors';
import { KeyType, type KeyTypeName, checkKeyPart, key } from '../lib/keys';
import { deleteIndex, readRecord, txTime, writeRecord } from '../lib/state';
import { DEFAULT_CONTACT_DAYS, type Claim, type Demand, type Loan } from '../model/financing';
import { Revocation } from '../model/grant';
import { readGrant } from './consent';

/** Most entries one bounded index scan reads. */
export const MAX_SCAN = 10_000;

/** The deployment's financing policy, fixed in state by the regulator. */
export interface FinancingPolicy {
  /** Days a bank has to contact the subject after claiming. */
  contactDays: number;
  updatedAt?: string;
}

/** The policy key. */
export function policyKey(ctx: Context): string {
  return key(ctx, KeyType.config, ['financing']);
}

/** The deployment's financing policy (the default until the regulator sets one). */
export async function readPolicy(ctx: Context): Promise<FinancingPolicy> {
  return (await readRecord<FinancingPolicy>(ctx, policyKey(ctx))) ?? { contactDays: DEFAULT_CONTACT_DAYS };
}

/** Keys of financing records. */
export const financingKey = {
  product: (ctx: Context, id: string): string => key(ctx, KeyType.product, [id]),
  demand: (ctx: Context, id: string): string => key(ctx, KeyType.demand, [id]),
  claim: (ctx: Context, id: string): string => key(ctx, KeyType.claim, [id]),
  loan: (ctx: Context, id: string): string => key(ctx, KeyType.loan, [id]),
};

/** Reads a record of `what` or throws NOT_FOUND. */
async function existing<T>(ctx: Context, k: string, what: string): Promise<T> {
  const record = await readRecord<T>(ctx, k);
  if (!record) throw notFound(`${what} does not exist`);
  return record;
}

/** Reads a demand or throws NOT_FOUND. */
export const readDemand = (ctx: Context, id: string): Promise<Demand> =>
  existing<Demand>(ctx, financingKey.demand(ctx, id), `demand ${id}`);
/** Reads a claim or throws NOT_FOUND. */
export const readClaim = (ctx: Context, id: string): Promise<Claim> =>
  existing<Claim>(ctx, financingKey.claim(ctx, id), `claim ${id}`);
/** Reads a loan or throws NOT_FOUND. */
export const readLoan = (ctx: Context, id: string): Promise<Loan> =>
  existing<Loan>(ctx, financingKey.loan(ctx, id), `loan ${id}`);

/**
 * The attributes of the entries of index `type` under `prefix`, at most
 * {@link MAX_SCAN}, as a plain prefix read (a peer refuses paginated and
 * composite-key range reads in a transaction that writes). With `range`,
 * only entries whose attribute after the prefix lies in [from, to).
 */
export async function scanIndex(
  ctx: Context,
  type: KeyTypeName,
  prefix: readonly string[],
  range?: { from?: string; to?: string },
): Promise<string[][]> {
  const out: string[][] = [];
  const iterator = await ctx.stub.getStateByPartialCompositeKey(type, prefix.map(checkKeyPart));
  try {
    for (let r = await iterator.next(); !r.done && out.length < MAX_SCAN; r = await iterator.next()) {
      const attributes = ctx.stub.splitCompositeKey(r.value.key).attributes;
      const v = attributes[prefix.length] ?? '';
      if (range?.to !== undefined && v >= range.to) break;
      if (range?.from !== undefined && v < range.from) continue;
      out.push(attributes);
    }
  } finally {
    await iterator.close();
  }
  return out;
}

/** The object IDs (last key part) of index `type` under `prefix`. */
export async function scanIds(ctx: Context, type: KeyTypeName, prefix: readonly string[]): Promise<string[]> {
  return (await scanIndex(ctx, type, prefix)).map((a) => a[a.length - 1]!);
}

/**
 * Ends an active claim (DECLINED, CANCELLED, RELEASED or DISBURSED) and
 * revokes the LOAN_APPLICATION grant it created. The caller updates the demand.
 *
 * @throws CONFLICT when the claim is not active.
 */
export async function endClaim(
  ctx: Context,
  claim: Claim,
  status: 'DECLINED' | 'CANCELLED' | 'RELEASED' | 'DISBURSED',
  reason: string,
): Promise<Claim> {
  if (!['CLAIMED', 'CONTACTED', 'APPROVED'].includes(claim.status)) {
    throw conflict(`claim ${claim.claimId} is ${claim.status}`);
  }
  const at = txTime(ctx);
  if (claim.status === 'CLAIMED') {
    await deleteIndex(ctx, KeyType.claimUncontacted, [claim.claimedAt, claim.claimId]);
  }
  claim.status = status;
  claim.endedAt = at;
  claim.endReason = reason;
  claim.updatedAt = at;
  claim.txId = ctx.stub.getTxID();
  await writeRecord(ctx, financingKey.claim(ctx, claim.claimId), claim);
  const grant = await readGrant(ctx, claim.grantId);
  if (grant && !grant.revocation) {
    const revocation = new Revocation();
    revocation.at = at;
    revocation.by = claim.bank;
    revocation.reason = 'CLAIM_ENDED';
    revocation.txId = ctx.stub.getTxID();
    grant.revocation = revocation;
    await writeRecord(ctx, key(ctx, KeyType.grant, [grant.grantId]), grant);
  }
  return claim;
}
