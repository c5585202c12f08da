import { Object as DataType, Property } from 'fabric-contract-api';
import {
  COLLATERAL_SCOPE,
  CATALOGUE_CODE_PATTERN,
  PURPOSES,
  epochSecondsFromIso,
  type ConsentGrantMessage,
  type Purpose,
} from '@ruralcredit/protocol';
import { Fields } from '../lib/fields';
import { invalid } from '../lib/errors';

/** Status of a grant at a given time. */
export type GrantStatus = 'ACTIVE' | 'REVOKED' | 'EXPIRED' | 'NOT_YET_VALID';

/** Why a grant was revoked. */
export const REVOCATION_REASONS = [
  'SUBJECT_REQUEST',
  'BANK_REQUEST',
  'REGULATOR_ORDER',
  'LOAN_CLOSED',
  /** The financing claim that created the grant ended (declined, cancelled, released, disbursed). */
  'CLAIM_ENDED',
  'OTHER',
] as const;
/** A revocation reason. */
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** Longest validity window a grant may have (5 years and a day). */
export const MAX_GRANT_SECONDS = (5 * 365 + 2) * 86_400;

/** Evidence of the subject's consent. */
@DataType()
export class ConsentEvidence {
  /** FORM_HASH: SHA-256 of the signed paper or scanned form; SUBJECT_SIGNATURE: the subject's EIP-712 signature. */
  @Property('type', 'string') type: 'FORM_HASH' | 'SUBJECT_SIGNATURE' = 'FORM_HASH';
  @Property('formHash', 'string') formHash?: string;
  @Property('signature', 'string') signature?: string;
  @Property('signer', 'string') signer?: string;
}

/** How a grant was revoked. */
@DataType()
export class Revocation {
  @Property('at', 'string') at = '';
  @Property('by', 'string') by = '';
  @Property('reason', 'string') reason: RevocationReason = 'OTHER';
  @Property('bySubjectSignature', 'boolean') bySubjectSignature = false;
  @Property('txId', 'string') txId = '';
}

/** A subject's consent to one bank, for a scope and purpose, within a validity window. */
@DataType()
export class Grant {
  @Property('grantId', 'string') grantId = '';
  @Property('subject', 'string') subject = '';
  @Property('grantee', 'string') grantee = '';
  @Property('scope', 'string[]') scope: string[] = [];
  @Property('purpose', 'string') purpose: Purpose = 'LOAN_APPLICATION';
  @Property('validFrom', 'string') validFrom = '';
  @Property('validUntil', 'string') validUntil = '';
  /** Maximum GRANTED accesses; 0 means no budget. */
  @Property('maxAccesses', 'number') maxAccesses = 0;
  @Property('accessesUsed', 'number') accessesUsed = 0;
  @Property('evidence', 'ConsentEvidence') evidence: ConsentEvidence = new ConsentEvidence();
  @Property('revocation', 'Revocation') revocation?: Revocation;
  @Property('recordedAt', 'string') recordedAt = '';
  @Property('txId', 'string') txId = '';

  /**
   * Validates a grant recorded by `grantee`.
   *
   * @throws INVALID on a malformed field or window.
   */
  static newInstance(raw: Record<string, unknown>, grantee: string): Grant {
    const f = new Fields(raw, 'grant', [
      'grantId',
      'subject',
      'grantee',
      'scope',
      'purpose',
      'validFrom',
      'validUntil',
      'maxAccesses',
      'evidence',
    ]);
    const g = new Grant();
    g.grantId = f.id('grantId');
    g.subject = f.pseudonym('subject');
    g.grantee = f.has('grantee') ? f.mspId('grantee') : grantee;
    g.scope = f.stringSet(
      'scope',
      32,
      (s) => s === COLLATERAL_SCOPE || CATALOGUE_CODE_PATTERN.test(s),
      'must list dataset type codes or COLLATERAL',
    );
    g.purpose = f.oneOf('purpose', PURPOSES);
    g.validFrom = f.time('validFrom');
    g.validUntil = f.time('validUntil');
    const window = epochSecondsFromIso(g.validUntil) - epochSecondsFromIso(g.validFrom);
    if (window <= 0) throw invalid('grant.validUntil must be after validFrom');
    if (window > MAX_GRANT_SECONDS) throw invalid('grant validity window may not exceed 5 years');
    g.maxAccesses = f.has('maxAccesses') ? f.integer('maxAccesses', 0, 1_000_000) : 0;
    const e = f.object('evidence', ['type', 'formHash', 'signature']);
    g.evidence = new ConsentEvidence();
    g.evidence.type = e.oneOf('type', ['FORM_HASH', 'SUBJECT_SIGNATURE'] as const);
    if (g.evidence.type === 'FORM_HASH') {
      if (e.has('signature')) throw invalid('grant.evidence: FORM_HASH takes formHash only');
      g.evidence.formHash = e.digest('formHash');
    } else {
      if (e.has('formHash')) throw invalid('grant.evidence: SUBJECT_SIGNATURE takes signature only');
      g.evidence.signature = e.signature('signature');
    }
    return g;
  }

  /** The EIP-712 message a subject signs to give this grant. */
  static message(g: Grant): ConsentGrantMessage {
    return {
      grantId: g.grantId,
      subject: g.subject,
      grantee: g.grantee,
      scope: [...g.scope],
      purpose: g.purpose,
      validFrom: g.validFrom,
      validUntil: g.validUntil,
      maxAccesses: g.maxAccesses,
    };
  }

  /** The grant's status at `atSeconds` (the transaction time), never the wall clock. */
  static statusAt(g: Grant, atSeconds: number): GrantStatus {
    if (g.revocation) return 'REVOKED';
    if (atSeconds < epochSecondsFromIso(g.validFrom)) return 'NOT_YET_VALID';
    if (atSeconds >= epochSecondsFromIso(g.validUntil)) return 'EXPIRED';
    return 'ACTIVE';
  }
}
