/**
 * The consent flow: pseudonymise the subject, keep the signed form off-chain
 * (encrypted) with its hash anchored, and let the chaincode decide the rest.
 */
import { randomUUID } from 'node:crypto';
import { fileDigest } from '@ruralcredit/protocol';
import { z } from 'zod';
import type { Principal } from '../auth/principal';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import type { Page, PageRequest } from '../http/pagination';
import { ledgerPage } from '../ledger/pages';
import type { SealedStore } from '../store/sealed';
import type { ConsentRequest } from './schemas';

/** An uploaded consent form. */
export interface EvidenceFile {
  readonly fileName: string;
  readonly contentType: string;
  readonly bytes: Buffer;
}

/** How an uploaded form is kept (sealed). */
export const StoredEvidenceSchema = z.object({
  consentId: z.string(),
  fileName: z.string(),
  contentType: z.string(),
  sha256: z.string(),
  size: z.number().int(),
  content: z.string().describe('base64'),
});
/** A stored form. */
export type StoredEvidence = z.infer<typeof StoredEvidenceSchema>;

/** A grant as the ledger returns it. */
interface LedgerGrant {
  grantId: string;
  [field: string]: unknown;
}

/** A consent as the API returns it. */
export type ConsentView = Omit<LedgerGrant, 'grantId'> & { consentId: string };

function view(grant: LedgerGrant): ConsentView {
  const { grantId, ...rest } = grant;
  return { consentId: grantId, ...rest };
}

/** Consent use cases. */
export class ConsentService {
  readonly #ctx: DomainContext;
  readonly #evidence: SealedStore<StoredEvidence>;

  constructor(ctx: DomainContext, evidence: SealedStore<StoredEvidence>) {
    this.#ctx = ctx;
    this.#evidence = evidence;
  }

  /**
   * Records a consent given to the caller's bank.
   *
   * @throws AppError 400 when neither a signed form nor the subject's signature is given, or both.
   */
  async record(
    principal: Principal,
    request: ConsentRequest,
    form: EvidenceFile | undefined,
  ): Promise<{ consent: ConsentView; txId: string; blockNumber: number }> {
    if ((form === undefined) === (request.subjectSignature === undefined)) {
      throw AppError.invalid(
        'give either a signed consent form (multipart file "evidence") or subjectSignature',
        {
          code: 'INVALID_EVIDENCE',
        },
      );
    }
    const subject = this.#ctx.subjects.pseudonym(request.subjectId);
    const consentId = request.consentId ?? `cns-${randomUUID()}`;
    const formHash = form === undefined ? undefined : fileDigest(form.bytes);
    const grant = {
      grantId: consentId,
      subject,
      scope: request.scope,
      purpose: request.purpose,
      validFrom: request.validFrom,
      validUntil: request.validUntil,
      maxAccesses: request.maxAccesses ?? 0,
      evidence:
        formHash === undefined
          ? { type: 'SUBJECT_SIGNATURE', signature: request.subjectSignature }
          : { type: 'FORM_HASH', formHash },
    };
    if (form !== undefined && formHash !== undefined) {
      if (await this.#evidence.get(consentId)) throw AppError.conflict(`consent ${consentId} already exists`);
      await this.#evidence.put(consentId, {
        consentId,
        fileName: form.fileName,
        contentType: form.contentType,
        sha256: formHash,
        size: form.bytes.length,
        content: form.bytes.toString('base64'),
      });
    }
    try {
      const committed = await this.#ctx.ledger.submit<LedgerGrant>(
        principal.orgMspId,
        'Consent:RecordGrant',
        [JSON.stringify(grant)],
      );
      return { consent: view(committed.result), txId: committed.txId, blockNumber: committed.blockNumber };
    } catch (err) {
      // The ledger refused: the form must not stay behind as if it had been anchored.
      if (form !== undefined) await this.#evidence.del(consentId);
      throw err;
    }
  }

  /** Reads a consent (the ledger enforces who may). */
  async get(
    principal: Principal,
    consentId: string,
  ): Promise<ConsentView & { form?: Omit<StoredEvidence, 'content'> }> {
    const grant = await this.#ctx.ledger.evaluate<LedgerGrant>(principal.orgMspId, 'Consent:GetGrant', [
      consentId,
    ]);
    const stored = await this.#evidence.get(consentId);
    if (!stored) return view(grant);
    const { content: _content, ...form } = stored;
    return { ...view(grant), form };
  }

  /** The uploaded form's bytes, to those who may read the consent. */
  async form(principal: Principal, consentId: string): Promise<StoredEvidence> {
    await this.#ctx.ledger.evaluate(principal.orgMspId, 'Consent:GetGrant', [consentId]);
    const stored = await this.#evidence.get(consentId);
    if (!stored) throw AppError.notFound(`consent ${consentId} has no uploaded form`);
    return stored;
  }

  /**
   * Revokes a consent with a reason, or on the subject's signature: either way by the grantee
   * bank or the regulator only (another bank holding the subject's key must not act as the subject).
   */
  async revoke(
    principal: Principal,
    consentId: string,
    request: { reason?: string | undefined; subjectSignature?: string | undefined },
  ): Promise<{ consent: ConsentView; txId: string; blockNumber: number }> {
    const committed =
      request.subjectSignature !== undefined
        ? await this.#ctx.ledger.submit<LedgerGrant>(principal.orgMspId, 'Consent:RevokeGrantBySubject', [
            consentId,
            request.subjectSignature,
          ])
        : await this.#ctx.ledger.submit<LedgerGrant>(principal.orgMspId, 'Consent:RevokeGrant', [
            consentId,
            request.reason ?? 'OTHER',
          ]);
    return { consent: view(committed.result), txId: committed.txId, blockNumber: committed.blockNumber };
  }

  /** Lists consents: all the caller may see, or one subject's. */
  async list(
    principal: Principal,
    subjectId: string | undefined,
    page: PageRequest,
  ): Promise<Page<ConsentView>> {
    const result =
      subjectId === undefined
        ? await ledgerPage<LedgerGrant>(this.#ctx.ledger, principal.orgMspId, 'Consent:ListGrants', [], page)
        : await ledgerPage<LedgerGrant>(
            this.#ctx.ledger,
            principal.orgMspId,
            'Consent:ListGrantsBySubject',
            [this.#ctx.subjects.pseudonym(subjectId)],
            page,
          );
    return { items: result.items.map(view), nextCursor: result.nextCursor };
  }
}
