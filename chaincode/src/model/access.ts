import { Object as DataType, Property } from 'fabric-contract-api';
import { CATALOGUE_CODE_PATTERN, PURPOSES, SELF_PURPOSE, type Purpose } from '@ruralcredit/protocol';
import { Fields } from '../lib/fields';
import { COUNTY_CODE_PATTERN } from './financing';

/** Why an access was denied. */
export const DENIAL_REASONS = [
  'SUSPENDED',
  'NO_GRANT',
  'OTHER_BANK_GRANT',
  'WRONG_SUBJECT',
  'REVOKED',
  'NOT_YET_VALID',
  'EXPIRED',
  'WRONG_PURPOSE',
  'PURPOSE_NOT_ALLOWED',
  'OUT_OF_SCOPE',
  'BUDGET_EXHAUSTED',
] as const;
/** A denial reason code. */
export type DenialReason = (typeof DENIAL_REASONS)[number];

/** One entry of the query audit trail: recorded before any data is released, granted or denied. */
@DataType()
export class AccessRecord {
  @Property('accessId', 'string') accessId = '';
  @Property('grantId', 'string') grantId = '';
  @Property('subject', 'string') subject = '';
  @Property('accessor', 'string') accessor = '';
  /** Pseudonym of the bank's operator (the person). */
  @Property('operator', 'string') operator = '';
  @Property('datasets', 'string[]') datasets: string[] = [];
  /** A consent's purpose, or SELF for a subject reading its own data (no grant: `grantId` is SELF). */
  @Property('purpose', 'string') purpose: Purpose | typeof SELF_PURPOSE = 'LOAN_APPLICATION';
  /** SHA-256 of what is released when granted (the report digest). */
  @Property('releaseDigest', 'string') releaseDigest = '';
  @Property('outcome', 'string') outcome: 'GRANTED' | 'DENIED' = 'DENIED';
  @Property('reason', 'string') reason?: DenialReason;
  /**
   * The subject's county (6-digit administrative division code from its ID), for statistics by
   * county; absent on records written before it was kept and on accesses whose gateway knows none.
   */
  @Property('countyCode', 'string') countyCode?: string;
  @Property('accessedAt', 'string') accessedAt = '';
  @Property('txId', 'string') txId = '';

  /**
   * Validates an access request.
   *
   * @throws INVALID on a malformed field.
   */
  static newInstance(raw: Record<string, unknown>): AccessRecord {
    const f = new Fields(raw, 'access', [
      'accessId',
      'grantId',
      'subject',
      'datasets',
      'purpose',
      'operator',
      'releaseDigest',
      'countyCode',
    ]);
    const a = new AccessRecord();
    a.accessId = f.id('accessId');
    a.grantId = f.id('grantId');
    a.subject = f.pseudonym('subject');
    a.datasets = f.stringSet(
      'datasets',
      32,
      (s) => CATALOGUE_CODE_PATTERN.test(s),
      'must list dataset type codes',
    );
    a.purpose = f.oneOf('purpose', PURPOSES);
    a.operator = f.pseudonym('operator');
    a.releaseDigest = f.digest('releaseDigest');
    if (f.has('countyCode')) {
      a.countyCode = f.string('countyCode', COUNTY_CODE_PATTERN, 'must be a 6-digit county code');
    }
    return a;
  }
}
