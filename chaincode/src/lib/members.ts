/**
 * Who is calling: the caller's MSP ID from ctx.clientIdentity, checked against
 * the on-chain member registry in every transaction.
 */
import type { Context } from 'fabric-contract-api';
import type { Role } from '@ruralcredit/protocol';
import { forbidden, suspended } from './errors';
import { KeyType, key } from './keys';
import { readRecord } from './state';
import type { Member } from '../model/member';

/**
 * The MSP this peer expects to bootstrap the consortium, from the peer's
 * environment (`RCL_REGULATOR_MSP`, default `RegulatorMSP`). Read by
 * `Membership:Bootstrap` only, and only before the consortium exists: a peer
 * configured with another value refuses to endorse that one bootstrap, so the
 * endorsement policy (a majority of the organisations' peers) must agree on it.
 * From then on the regulator is the one fixed in state ({@link readConsortium});
 * no decision reads the environment again.
 */
export function intendedRegulatorMspId(): string {
  return process.env.RCL_REGULATOR_MSP ?? 'RegulatorMSP';
}

/** Consortium configuration fixed in state by `Membership:Bootstrap`. */
export interface ConsortiumConfig {
  /** The regulator's MSP ID, fixed once: every peer reads it from state. */
  regulator: string;
  bootstrappedAt: string;
  txId: string;
}

/** The ledger key of the consortium configuration. */
export function consortiumKey(ctx: Context): string {
  return key(ctx, KeyType.config, ['consortium']);
}

/** Reads the consortium configuration, or undefined before bootstrap. */
export function readConsortium(ctx: Context): Promise<ConsortiumConfig | undefined> {
  return readRecord<ConsortiumConfig>(ctx, consortiumKey(ctx));
}

/** The caller's MSP ID. */
export function callerMspId(ctx: Context): string {
  return ctx.clientIdentity.getMSPID();
}

/** Reads a member record. */
export function readMember(ctx: Context, mspId: string): Promise<Member | undefined> {
  return readRecord<Member>(ctx, memberKey(ctx, mspId));
}

/**
 * Returns the caller's member record when it is an active member holding one
 * of `roles` (any role when none given).
 *
 * @throws MEMBER_SUSPENDED when the caller is suspended; FORBIDDEN when it is
 * not a member or lacks the role.
 */
export async function requireCaller(ctx: Context, ...roles: Role[]): Promise<Member> {
  const mspId = callerMspId(ctx);
  return checkCaller(mspId, await readMember(ctx, mspId), roles);
}

/** The ledger key of a member record. */
export function memberKey(ctx: Context, mspId: string): string {
  return key(ctx, KeyType.member, [mspId]);
}

/**
 * {@link requireCaller} on a member record already read (in the same transaction).
 *
 * @throws MEMBER_SUSPENDED when the caller is suspended; FORBIDDEN when it is
 * not a member or lacks the role.
 */
export function checkCaller(mspId: string, member: Member | undefined, roles: readonly Role[]): Member {
  if (!member) throw forbidden(`${mspId} is not a member of the consortium`);
  if (member.status !== 'ACTIVE') throw suspended(`${mspId} is suspended: ${member.suspendedReason ?? ''}`);
  if (roles.length > 0 && !roles.includes(member.role)) {
    throw forbidden(`${mspId} (${member.role}) may not do this; requires ${roles.join(' or ')}`);
  }
  return member;
}

/** Whether the member sees every institution's records (regulator and auditors). */
export function seesAll(member: Member): boolean {
  return member.role === 'REGULATOR' || member.role === 'AUDITOR';
}
