import { Object as DataType, Property } from 'fabric-contract-api';
import { ROLES, type Role } from '@ruralcredit/protocol';
import { Fields } from '../lib/fields';
import { invalid } from '../lib/errors';

/** Longest reason the regulator may give for an admission, suspension or reinstatement. */
export const MAX_REASON_LENGTH = 200;

/** Membership status. */
export type MemberStatus = 'ACTIVE' | 'SUSPENDED';

/** A consortium member organisation, keyed by its MSP ID. */
@DataType()
export class Member {
  @Property('mspId', 'string') mspId = '';
  @Property('role', 'string') role: Role = 'BANK';
  @Property('name', 'string') name = '';
  @Property('status', 'string') status: MemberStatus = 'ACTIVE';
  /** Registered secp256k1 signing address (lower-case), if any. */
  @Property('signer', 'string') signer?: string;
  @Property('admittedAt', 'string') admittedAt = '';
  @Property('updatedAt', 'string') updatedAt = '';
  @Property('suspendedReason', 'string') suspendedReason?: string;
  /** The regulator's reason for admitting the member, when it gave one (bootstrap admissions carry none). */
  @Property('admissionReason', 'string') admissionReason?: string;
  /** The regulator's reason for the last reinstatement. */
  @Property('reinstatedReason', 'string') reinstatedReason?: string;
  /** When the current status began (admission, suspension or reinstatement). */
  @Property('statusSince', 'string') statusSince?: string;

  /**
   * Validates an admission request.
   *
   * @throws INVALID on a malformed field or an attempt to admit a second regulator.
   */
  static newInstance(raw: Record<string, unknown>, at: string): Member {
    const f = new Fields(raw, 'member', ['mspId', 'role', 'name', 'reason']);
    const m = new Member();
    m.mspId = f.mspId('mspId');
    m.role = f.oneOf('role', ROLES);
    if (m.role === 'REGULATOR') throw invalid('member.role REGULATOR is fixed by Bootstrap');
    m.name = f.text('name', 128);
    if (f.has('reason')) m.admissionReason = f.text('reason', MAX_REASON_LENGTH);
    m.admittedAt = at;
    m.statusSince = at;
    m.updatedAt = at;
    return m;
  }
}
