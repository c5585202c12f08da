/**
 * The membership flow: the regulator's decisions (admit, suspend, reinstate)
 * go to the `Membership` contract as the caller's organisation, which decides
 * whether it is the regulator; every member reads the registry.
 */
import type { Role } from '@ruralcredit/protocol';
import type { Principal } from '../auth/principal';
import type { Page, PageRequest } from '../http/pagination';
import { ledgerPage } from '../ledger/pages';
import type { Committed, LedgerClient } from '../ledger/types';
import type { AdmitMemberInput, MemberChange, MemberView } from './schemas';

/** A member as the chaincode returns it. */
interface LedgerMember {
  mspId: string;
  role: Role;
  name: string;
  status: 'ACTIVE' | 'SUSPENDED';
  signer?: string;
  admittedAt: string;
  updatedAt: string;
  statusSince?: string;
  suspendedReason?: string;
  admissionReason?: string;
  reinstatedReason?: string;
}

/** The API view of a ledger member: the reason shown is the one behind its current status. */
export function memberView(m: LedgerMember): MemberView {
  // Only a reinstatement writes `reinstatedReason`, and an active member's last change is either it
  // or the admission. (Comparing times cannot tell them apart: a reinstatement in the admission's
  // second has the same transaction time.)
  const reason = m.status === 'SUSPENDED' ? m.suspendedReason : (m.reinstatedReason ?? m.admissionReason);
  return {
    mspId: m.mspId,
    role: m.role,
    name: m.name,
    status: m.status,
    // Members admitted before statuses carried a date: the last change is the best known.
    since:
      m.statusSince ?? (m.status === 'ACTIVE' && m.updatedAt === m.admittedAt ? m.admittedAt : m.updatedAt),
    admittedAt: m.admittedAt,
    updatedAt: m.updatedAt,
    reason: reason ?? null,
    signer: m.signer ?? null,
  };
}

/** Member registry operations, each as the calling organisation. */
export interface MembershipService {
  /**
   * Lists the consortium's members.
   * @throws AppError 403 MEMBER_SUSPENDED for a suspended caller; 400 INVALID_CURSOR.
   */
  list(principal: Principal, page: PageRequest): Promise<Page<MemberView>>;
  /**
   * Reads one member.
   * @throws AppError 404 NOT_FOUND; 403 MEMBER_SUSPENDED for a suspended caller.
   */
  get(principal: Principal, mspId: string): Promise<MemberView>;
  /**
   * Admits an organisation (the regulator's organisation only).
   * @throws AppError 403 FORBIDDEN (not the regulator); 409 CONFLICT (already a member); 400 INVALID.
   */
  admit(principal: Principal, input: AdmitMemberInput): Promise<MemberChange>;
  /**
   * Suspends a member (the regulator's organisation only).
   * @throws AppError 403 FORBIDDEN; 404 NOT_FOUND; 409 CONFLICT (already suspended); 400 INVALID (itself).
   */
  suspend(principal: Principal, mspId: string, reason: string): Promise<MemberChange>;
  /**
   * Reinstates a suspended member (the regulator's organisation only).
   * @throws AppError 403 FORBIDDEN; 404 NOT_FOUND; 409 CONFLICT (not suspended).
   */
  reinstate(principal: Principal, mspId: string, reason: string): Promise<MemberChange>;
}

/** What {@link MembershipServiceImpl} needs. */
export interface MembershipServiceOptions {
  /** The ledger backend. */
  readonly ledger: LedgerClient;
}

/** {@link MembershipService} over the `Membership` contract. */
export class MembershipServiceImpl implements MembershipService {
  readonly #ledger: LedgerClient;

  constructor(options: Readonly<MembershipServiceOptions>) {
    this.#ledger = options.ledger;
  }

  async list(principal: Principal, page: PageRequest): Promise<Page<MemberView>> {
    const result = await ledgerPage<LedgerMember>(
      this.#ledger,
      principal.orgMspId,
      'Membership:ListMembers',
      [],
      page,
    );
    return { items: result.items.map(memberView), nextCursor: result.nextCursor };
  }

  async get(principal: Principal, mspId: string): Promise<MemberView> {
    return memberView(
      await this.#ledger.evaluate<LedgerMember>(principal.orgMspId, 'Membership:GetMember', [mspId]),
    );
  }

  admit(principal: Principal, input: AdmitMemberInput): Promise<MemberChange> {
    return this.#decide(principal, 'Membership:AdmitMember', [JSON.stringify(input)]);
  }

  suspend(principal: Principal, mspId: string, reason: string): Promise<MemberChange> {
    return this.#decide(principal, 'Membership:SuspendMember', [mspId, reason]);
  }

  reinstate(principal: Principal, mspId: string, reason: string): Promise<MemberChange> {
    return this.#decide(principal, 'Membership:ReinstateMember', [mspId, reason]);
  }

  async #decide(principal: Principal, fn: string, args: string[]): Promise<MemberChange> {
    const committed: Committed<LedgerMember> = await this.#ledger.submit<LedgerMember>(
      principal.orgMspId,
      fn,
      args,
    );
    return { member: memberView(committed.result), txId: committed.txId, blockNumber: committed.blockNumber };
  }
}
