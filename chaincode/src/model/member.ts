import { Object as DataType, Property } from 'fabric-contract-api';
import { ROLES, type Role } from '@ruralcredit/protocol';
import { Fields } from '../lib/fields';
import { invalid } from '../lib/errors';

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

  /**
   * Validates an admission request.
   *
   * @throws INVALID on a malformed field or an attempt to admit a second regulator.
   */
  static newInstance(raw: Record<string, unknown>, at: string): Member {
    const f = new Fields(raw, 'member', ['mspId', 'role', 'name']);
    const m = new Member();
    m.mspId = f.mspId('mspId');
    m.role = f.oneOf('role', ROLES);
    if (m.role === 'REGULATOR') throw invalid('member.role REGULATOR is fixed by Bootstrap');
    m.name = f.text('name', 128);
    m.admittedAt = at;
    m.updatedAt = at;
    return m;
  }
}
