import { Object as DataType, Property } from 'fabric-contract-api';
import { epochSecondsFromIso } from '@ruralcredit/protocol';
import { Fields } from '../lib/fields';
import { invalid } from '../lib/errors';

/** How a subject's binding last changed. */
export const SUBJECT_SIGNER_CHANGES = ['REGISTERED', 'REPLACED', 'ROTATED'] as const;
/** A change of a subject's binding. */
export type SubjectSignerChange = (typeof SUBJECT_SIGNER_CHANGES)[number];

/** Why the regulator replaced a subject's binding. */
export const REPLACEMENT_REASONS = ['LOST_KEY', 'WRONGFUL_BINDING', 'OTHER'] as const;
/** A replacement reason. */
export type ReplacementReason = (typeof REPLACEMENT_REASONS)[number];

/**
 * A know-your-customer attestation: who checked the subject's identity in
 * person (an operator pseudonym of the attesting organisation), when, and the
 * SHA-256 digest of the evidence kept off the ledger (ID card scan, signed
 * form). No personal data.
 */
@DataType()
export class KycAttestation {
  /** The grant the attesting bank holds from the subject (bank attestations only). */
  @Property('grantId', 'string') grantId?: string;
  @Property('operator', 'string') operator = '';
  @Property('attestedAt', 'string') attestedAt = '';
  @Property('evidenceDigest', 'string') evidenceDigest = '';

  /**
   * Validates an attestation made no later than `atSeconds` (the transaction time).
   *
   * @throws INVALID on a malformed field or an attestation dated after the transaction.
   */
  static newInstance(raw: Record<string, unknown>, atSeconds: number, withGrant: boolean): KycAttestation {
    const allowed = ['operator', 'attestedAt', 'evidenceDigest', ...(withGrant ? ['grantId'] : [])];
    const f = new Fields(raw, 'kyc', allowed);
    const k = new KycAttestation();
    if (withGrant) k.grantId = f.id('grantId');
    k.operator = f.pseudonym('operator');
    k.attestedAt = f.time('attestedAt');
    k.evidenceDigest = f.digest('evidenceDigest');
    if (epochSecondsFromIso(k.attestedAt) > atSeconds)
      throw invalid('kyc.attestedAt is after the transaction time');
    return k;
  }
}

/**
 * A data subject's signing address, bound after an identity check. Every
 * change (registration by a bank holding the subject's grant, replacement by
 * the regulator, rotation signed by the subject's current key) rewrites this
 * one record, so the key history is the binding's audit trail.
 */
@DataType()
export class SubjectSigner {
  @Property('subject', 'string') subject = '';
  /** Lower-case secp256k1 address. */
  @Property('signer', 'string') signer = '';
  /** The organisation whose identity check stands behind the current key. */
  @Property('attestedBy', 'string') attestedBy = '';
  /** The member that submitted the current binding. */
  @Property('registeredBy', 'string') registeredBy = '';
  @Property('registeredAt', 'string') registeredAt = '';
  @Property('change', 'string') change: SubjectSignerChange = 'REGISTERED';
  /** 1 at registration, one more at every change. */
  @Property('version', 'number') version = 1;
  @Property('kyc', 'KycAttestation') kyc?: KycAttestation;
  @Property('previousSigner', 'string') previousSigner?: string;
  @Property('reason', 'string') reason?: ReplacementReason;
  @Property('txId', 'string') txId = '';
}
