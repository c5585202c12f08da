/**
 * The rules of a data subject's signing key at the gateway. The chaincode
 * decides (an ACTIVE grant from the subject to the registering bank, the KYC
 * attestation, the regulator's replacement, the subject's own rotation); this
 * module pseudonymises, names the attesting operator and relays the
 * subject's own signed requests under the regulator's identity.
 */
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import type { Principal } from '../auth/principal';
import type { DomainContext } from '../domain';
import type { CommittedSubjectSigner, SubjectSignerRecord } from './schemas';

/** Options of {@link SubjectKeyService}. */
export interface SubjectKeyServiceOptions {
  readonly context: DomainContext;
  /** Seconds since the epoch now (tests move it). */
  readonly now?: () => number;
}

/** The identity check the caller states. */
export interface KycRequest {
  readonly evidenceDigest: string;
  readonly attestedAt?: string | undefined;
}

/** Registers, replaces and rotates subjects' keys; relays subjects' own revocations. */
export class SubjectKeyService {
  readonly #ctx: DomainContext;
  readonly #now: () => number;
  readonly #regulator: string;

  /** @throws Error when the consortium names no regulator (it relays subjects' own requests). */
  constructor(options: Readonly<SubjectKeyServiceOptions>) {
    this.#ctx = options.context;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    const regulator = options.context.consortium.organisations.find((o) => o.role === 'REGULATOR');
    if (!regulator) throw new Error('the consortium definition names no regulator');
    this.#regulator = regulator.mspId;
  }

  /**
   * A bank binds a subject's key under its ACTIVE consent from the subject.
   *
   * @throws AppError 403 FORBIDDEN when the consent is not the bank's ACTIVE
   * consent from this subject; 400 INVALID on a bad signature or attestation;
   * 409 CONFLICT when the subject already has a key.
   */
  async register(
    principal: Principal,
    request: { subjectId: string; consentId: string; address: string; signature: string; kyc: KycRequest },
  ): Promise<CommittedSubjectSigner> {
    const kyc = { grantId: request.consentId, ...this.#attestation(principal, request.kyc) };
    return this.#committed(
      await this.#ctx.ledger.submit<SubjectSignerRecord>(
        principal.orgMspId,
        'Membership:RegisterSubjectSigner',
        [
          await this.#ctx.subjects.pseudonym(request.subjectId),
          request.address,
          request.signature,
          JSON.stringify(kyc),
        ],
      ),
    );
  }

  /**
   * The regulator replaces a subject's key after its own identity check.
   *
   * @throws AppError 404 NOT_FOUND when the subject has no key; 400 INVALID on a bad signature.
   */
  async replace(
    principal: Principal,
    request: { subjectId: string; address: string; signature: string; reason: string; kyc: KycRequest },
  ): Promise<CommittedSubjectSigner> {
    const replacement = { reason: request.reason, ...this.#attestation(principal, request.kyc) };
    return this.#committed(
      await this.#ctx.ledger.submit<SubjectSignerRecord>(
        principal.orgMspId,
        'Membership:ReplaceSubjectSigner',
        [
          await this.#ctx.subjects.pseudonym(request.subjectId),
          request.address,
          request.signature,
          JSON.stringify(replacement),
        ],
      ),
    );
  }

  /**
   * The subject moves its binding to a new key, signed by its current key
   * (relayed as the regulator).
   *
   * @throws AppError 404 NOT_FOUND when the subject has no key; 400 INVALID when a signature does not verify.
   */
  async rotate(request: {
    subject: string;
    address: string;
    signature: string;
    rotationSignature: string;
  }): Promise<CommittedSubjectSigner> {
    return this.#committed(
      await this.#ctx.ledger.submit<SubjectSignerRecord>(this.#regulator, 'Membership:RotateSubjectSigner', [
        request.subject,
        request.address,
        request.signature,
        request.rotationSignature,
      ]),
    );
  }

  /**
   * The subject withdraws a consent with its own signature (relayed as the regulator).
   *
   * @throws AppError 404 NOT_FOUND for an unknown consent; 400 INVALID when the
   * signature is not the subject's; 409 CONFLICT when already revoked.
   */
  async revoke(request: {
    consentId: string;
    signature: string;
  }): Promise<{ consentId: string; status: string; txId: string; blockNumber: number }> {
    const committed = await this.#ctx.ledger.submit<{ grantId: string; status: string }>(
      this.#regulator,
      'Consent:RevokeGrantBySubject',
      [request.consentId, request.signature],
    );
    return {
      consentId: committed.result.grantId,
      status: committed.result.status,
      txId: committed.txId,
      blockNumber: committed.blockNumber,
    };
  }

  #attestation(principal: Principal, kyc: KycRequest) {
    return {
      operator: principal.operator,
      attestedAt: kyc.attestedAt ?? isoFromEpochSeconds(this.#now()),
      evidenceDigest: kyc.evidenceDigest,
    };
  }

  #committed(committed: {
    result: SubjectSignerRecord;
    txId: string;
    blockNumber: number;
  }): CommittedSubjectSigner {
    return { signer: committed.result, txId: committed.txId, blockNumber: committed.blockNumber };
  }
}
