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
import type { Committed } from '../ledger/types';
import type { GatewayDb } from '../store/db';
import type { SealedStore } from '../store/sealed';
import { formMediaType } from './form-type';
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

/**
 * A form on its way to the ledger: written before the grant is submitted,
 * keyed by organisation and consent ID, and turned into the stored form only
 * once the ledger holds this bank's grant with this form's hash.
 */
export const ConsentIntentSchema = StoredEvidenceSchema.extend({
  org: z.string(),
  /** Which request wrote it: a request removes only its own intent. */
  writer: z.string(),
  createdAt: z.string(),
});
/** A pending form. */
export type ConsentIntent = z.infer<typeof ConsentIntentSchema>;

/** The intent key of `consentId` recorded by `org` (IDs hold no `/`). */
function intentKey(org: string, consentId: string): string {
  return `${org}/${consentId}`;
}

/** The evidence a grant is recorded with, as sent to the chaincode. */
type GrantEvidence =
  | { readonly type: 'FORM_HASH'; readonly formHash: string }
  | { readonly type: 'SUBJECT_SIGNATURE'; readonly signature: string | undefined };

/** Whether a grant on the ledger carries `evidence` (same form hash, or same subject signature). */
function sameEvidence(grant: LedgerGrant, evidence: GrantEvidence): boolean {
  const onLedger = grant.evidence as { type?: unknown; formHash?: unknown; signature?: unknown } | undefined;
  if (onLedger?.type !== evidence.type) return false;
  return evidence.type === 'FORM_HASH'
    ? onLedger.formHash === evidence.formHash
    : typeof onLedger.signature === 'string' &&
        onLedger.signature.toLowerCase() === evidence.signature?.toLowerCase();
}

/** What {@link ConsentService.recoverIntents} did. */
export interface ConsentRecoveryOutcome {
  /** Forms whose grant is on the ledger: now stored. */
  readonly finished: number;
  /** Forms without a matching grant: removed. */
  readonly discarded: number;
  /** Intents left for later (ledger unreachable). */
  readonly pending: number;
}

/** Options of {@link ConsentService}. */
export interface ConsentServiceOptions {
  /** Stored forms of recorded consents, by consent ID. */
  readonly evidence: SealedStore<StoredEvidence>;
  /** Forms written ahead of their grant, by organisation and consent ID. */
  readonly intents: SealedStore<ConsentIntent>;
  /** The database both stores live in (a form is stored and its intent removed in one batch). */
  readonly db: GatewayDb;
  /** The block of a committed transaction (from the index), for a replayed answer. */
  readonly locate: (txId: string) => Promise<number | undefined>;
}

/** A recorded consent; `replayed` when an earlier identical request had recorded it. */
export interface CommittedConsent {
  readonly consent: ConsentView;
  readonly txId: string;
  readonly blockNumber: number;
  readonly replayed: boolean;
}

/** Consent use cases. */
export class ConsentService {
  readonly #ctx: DomainContext;
  readonly #evidence: SealedStore<StoredEvidence>;
  readonly #intents: SealedStore<ConsentIntent>;
  readonly #locate: (txId: string) => Promise<number | undefined>;
  readonly #db: GatewayDb;
  /** One request per organisation and consent ID at a time in this gateway; the others wait their turn. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(ctx: DomainContext, options: Readonly<ConsentServiceOptions>) {
    this.#ctx = ctx;
    this.#evidence = options.evidence;
    this.#intents = options.intents;
    this.#locate = options.locate;
    this.#db = options.db;
  }

  /**
   * Records a consent given to the caller's bank. A repeated request (same
   * bank, same consent ID, same evidence) answers the recorded consent with
   * `replayed` set; the form is written under an intent first and stored as
   * the consent's form only once the grant is on the ledger.
   *
   * @throws AppError 400 when neither a signed form nor the subject's signature is given, or both;
   *   409 CONFLICT when the ID holds another consent (another bank's, or other evidence).
   */
  async record(
    principal: Principal,
    request: ConsentRequest,
    form: EvidenceFile | undefined,
  ): Promise<CommittedConsent> {
    if ((form === undefined) === (request.subjectSignature === undefined)) {
      throw AppError.invalid(
        'give either a signed consent form (multipart file "evidence") or subjectSignature',
        {
          code: 'INVALID_EVIDENCE',
        },
      );
    }
    const formType = form === undefined ? undefined : formMediaType(form.bytes, form.contentType);
    const subject = await this.#ctx.subjects.pseudonym(request.subjectId);
    const consentId = request.consentId ?? `cns-${randomUUID()}`;
    const formHash = form === undefined ? undefined : fileDigest(form.bytes);
    const evidence: GrantEvidence =
      formHash === undefined
        ? { type: 'SUBJECT_SIGNATURE', signature: request.subjectSignature }
        : { type: 'FORM_HASH', formHash };
    const grant = {
      grantId: consentId,
      subject,
      scope: request.scope,
      purpose: request.purpose,
      validFrom: request.validFrom,
      validUntil: request.validUntil,
      maxAccesses: request.maxAccesses ?? 0,
      evidence,
    };
    const stored: StoredEvidence | undefined =
      form === undefined || formHash === undefined
        ? undefined
        : {
            consentId,
            fileName: form.fileName,
            contentType: formType ?? 'application/octet-stream',
            sha256: formHash,
            size: form.bytes.length,
            content: form.bytes.toString('base64'),
          };
    const key = intentKey(principal.orgMspId, consentId);
    return this.#serialised(key, async () => {
      const earlier = await this.#recorded(principal, consentId);
      if (earlier !== undefined) return this.#replay(principal, consentId, earlier, evidence, stored);
      const writer = randomUUID();
      if (stored !== undefined) {
        await this.#intents.put(key, {
          ...stored,
          org: principal.orgMspId,
          writer,
          createdAt: new Date().toISOString(),
        });
      }
      let committed: Committed<LedgerGrant>;
      try {
        committed = await this.#ctx.ledger.submit<LedgerGrant>(principal.orgMspId, 'Consent:RecordGrant', [
          JSON.stringify(grant),
        ]);
      } catch (err) {
        // Refused, or the answer lost: only the ledger says which. Read it before answering.
        let after: LedgerGrant | 'OTHER' | undefined;
        try {
          after = await this.#recorded(principal, consentId);
        } catch {
          // Unknown outcome: the intent stays for recovery, which asks the ledger again.
          throw err;
        }
        if (after !== undefined) return this.#replay(principal, consentId, after, evidence, stored);
        await this.#dropIntent(key, writer);
        throw err;
      }
      if (stored !== undefined) await this.#keepForm(key, stored);
      return {
        consent: view(committed.result),
        txId: committed.txId,
        blockNumber: committed.blockNumber,
        replayed: false,
      };
    });
  }

  /**
   * Settles the forms a stopped process left under intents: a form whose
   * grant (this bank's, with this hash) is on the ledger is stored; one
   * without is removed; when the ledger cannot be read, it stays for the next run.
   */
  async recoverIntents(): Promise<ConsentRecoveryOutcome> {
    const counts = { finished: 0, discarded: 0, pending: 0 };
    const keys: string[] = [];
    for await (const [key] of this.#intents.iterate()) keys.push(key);
    for (const key of keys) {
      await this.#serialised(key, async () => {
        const intent = await this.#intents.get(key);
        if (intent === undefined) return;
        let grant: LedgerGrant | 'OTHER' | undefined;
        try {
          grant = await this.#ledgerGrant(intent.org, intent.consentId);
        } catch {
          counts.pending += 1;
          return;
        }
        const { org: _org, writer: _writer, createdAt: _createdAt, ...stored } = intent;
        if (
          grant !== undefined &&
          grant !== 'OTHER' &&
          sameEvidence(grant, { type: 'FORM_HASH', formHash: intent.sha256 })
        ) {
          await this.#keepForm(key, stored);
          counts.finished += 1;
        } else {
          await this.#intents.del(key);
          counts.discarded += 1;
        }
      });
    }
    return counts;
  }

  /** The grant `consentId` as `principal` sees it; `'OTHER'` when it is another bank's; undefined when absent. */
  #recorded(principal: Principal, consentId: string): Promise<LedgerGrant | 'OTHER' | undefined> {
    return this.#ledgerGrant(principal.orgMspId, consentId);
  }

  async #ledgerGrant(org: string, consentId: string): Promise<LedgerGrant | 'OTHER' | undefined> {
    try {
      return await this.#ctx.ledger.evaluate<LedgerGrant>(org, 'Consent:GetGrant', [consentId]);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return undefined;
      if (err instanceof AppError && err.status === 403) return 'OTHER';
      throw err;
    }
  }

  /**
   * The answer to a request whose consent ID is already on the ledger: the
   * recorded consent when it is this bank's with the same evidence (its form
   * stored if it was not yet), else 409.
   */
  async #replay(
    principal: Principal,
    consentId: string,
    grant: LedgerGrant | 'OTHER',
    evidence: GrantEvidence,
    stored: StoredEvidence | undefined,
  ): Promise<CommittedConsent> {
    if (grant === 'OTHER' || grant.grantee !== principal.orgMspId || !sameEvidence(grant, evidence)) {
      throw AppError.conflict(`consent ${consentId} already exists with other evidence or for another bank`);
    }
    if (stored !== undefined) await this.#keepForm(intentKey(principal.orgMspId, consentId), stored);
    const txId = typeof grant.txId === 'string' ? grant.txId : '';
    const blockNumber = await this.#locate(txId);
    if (blockNumber === undefined) {
      throw AppError.unavailable('the index has not caught up with the ledger; retry', {
        code: 'INDEX_LAGGING',
      });
    }
    return { consent: view(grant), txId, blockNumber, replayed: true };
  }

  /** Stores the form of a recorded consent (unless already there) and removes its intent, in one write. */
  async #keepForm(key: string, stored: StoredEvidence): Promise<void> {
    const present = await this.#evidence.get(stored.consentId);
    const ops = [
      ...(present === undefined ? [this.#evidence.putOp(stored.consentId, stored)] : []),
      this.#intents.delOp(key),
    ];
    await this.#db.batch(ops);
  }

  /** Removes the intent at `key` if this request (`writer`) wrote it. */
  async #dropIntent(key: string, writer: string): Promise<void> {
    const intent = await this.#intents.get(key);
    if (intent?.writer === writer) await this.#intents.del(key);
  }

  async #serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.#queues.get(key) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    this.#queues.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
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
            [await this.#ctx.subjects.pseudonym(subjectId)],
            page,
          );
    return { items: result.items.map(view), nextCursor: result.nextCursor };
  }
}
