import { Object as DataType, Property } from 'fabric-contract-api';
import { Fields } from '../lib/fields';

/** Days a provider has to answer a dispute (Credit Reporting Regulation Art. 25). */
export const DISPUTE_DAYS = 20;

/** Grounds a dispute may give. */
export const DISPUTE_REASONS = ['WRONG_VALUE', 'NOT_MINE', 'OUTDATED', 'INCOMPLETE', 'OTHER'] as const;
/** A dispute ground. */
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

/**
 * How a dispute ends: CORRECTED (the record was wrong; a correcting batch is
 * anchored), UPHELD (the record was verified and stands), REJECTED (the
 * dispute does not concern this record or subject).
 */
export const DISPUTE_OUTCOMES = ['CORRECTED', 'UPHELD', 'REJECTED'] as const;
/** A dispute outcome. */
export type DisputeOutcome = (typeof DISPUTE_OUTCOMES)[number];

/** The provider's answer to a dispute. */
@DataType()
export class Resolution {
  @Property('outcome', 'string') outcome: DisputeOutcome = 'UPHELD';
  @Property('correctingBatchId', 'string') correctingBatchId = '';
  /** SHA-256 of the provider's written finding (kept off-chain). */
  @Property('noteDigest', 'string') noteDigest = '';
  @Property('resolvedBy', 'string') resolvedBy = '';
  @Property('resolvedAt', 'string') resolvedAt = '';
  @Property('late', 'boolean') late = false;
  @Property('txId', 'string') txId = '';
}

/** A subject's objection (异议) to one record of an anchored batch. */
@DataType()
export class Dispute {
  @Property('disputeId', 'string') disputeId = '';
  @Property('datasetType', 'string') datasetType = '';
  @Property('batchId', 'string') batchId = '';
  /** The record's Merkle leaf hash. */
  @Property('recordHash', 'string') recordHash = '';
  @Property('subject', 'string') subject = '';
  @Property('provider', 'string') provider = '';
  @Property('filedBy', 'string') filedBy = '';
  @Property('grantId', 'string') grantId = '';
  @Property('reason', 'string') reason: DisputeReason = 'OTHER';
  @Property('status', 'string') status: 'OPEN' | 'RESOLVED' = 'OPEN';
  @Property('filedAt', 'string') filedAt = '';
  @Property('dueBy', 'string') dueBy = '';
  @Property('resolution', 'Resolution') resolution?: Resolution;
  @Property('txId', 'string') txId = '';

  /**
   * Validates a filing.
   *
   * @throws INVALID on a malformed field.
   */
  static newInstance(raw: Record<string, unknown>): Dispute {
    const f = new Fields(raw, 'dispute', [
      'disputeId',
      'datasetType',
      'batchId',
      'recordHash',
      'subject',
      'grantId',
      'reason',
    ]);
    const d = new Dispute();
    d.disputeId = f.id('disputeId');
    d.datasetType = f.code('datasetType');
    d.batchId = f.id('batchId');
    d.recordHash = f.digest('recordHash');
    d.subject = f.pseudonym('subject');
    d.grantId = f.has('grantId') ? f.id('grantId') : '';
    d.reason = f.oneOf('reason', DISPUTE_REASONS);
    return d;
  }
}
