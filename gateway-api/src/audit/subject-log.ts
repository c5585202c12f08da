/**
 * A data subject's own access log: who accessed its data, when, under which
 * consent and for what purpose. The subject has no gateway account; each
 * request is an EIP-712 `SubjectAccessLogRequest` signed with the key the
 * subject bound to its pseudonym at a bank's counter, fresh (a few minutes)
 * and answered once (the nonce is kept until the request could no longer be
 * fresh).
 */
import {
  isoFromEpochSeconds,
  isSignedBy,
  parseLedgerTime,
  type SubjectAccessLogRequestMessage,
} from '@ruralcredit/protocol';
import { deploymentOf } from '../consortium/definition';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import type { Page } from '../http/pagination';
import type { AccessEntry } from '../indexer/access-entry';
import type { Indexer } from '../indexer/indexer';
import { notFoundToUndefined, type GatewayDb } from '../store/db';

/** How far `requestedAt` may be from the gateway's clock, in seconds, either way. */
export const REQUEST_WINDOW_SECONDS = 300;

/** Accesses per page of a subject's log. */
export const SUBJECT_LOG_PAGE_SIZE = 50;

/** One access as the subject sees it: the institution, not its staff. */
export type SubjectAccessView = Omit<AccessEntry, 'operator' | 'subject'>;

/** A signed request, as the route validated it. */
export interface SignedAccessLogRequest extends SubjectAccessLogRequestMessage {
  /** The subject's EIP-712 signature over the other fields. */
  readonly signature: string;
}

/** Options of {@link SubjectAccessLog}. */
export interface SubjectAccessLogOptions {
  readonly context: DomainContext;
  readonly indexer: Indexer;
  readonly db: GatewayDb;
  /** Seconds since the epoch now (tests move it). */
  readonly now?: () => number;
  /** How long a read waits for the index to reach the ledger height (default 10,000 ms). */
  readonly catchUpTimeoutMs?: number;
}

/**
 * Where the nonces were pruned up to (a ledger time). `~` sorts after every
 * digit, so no `clear({ lt: <time> })` removes it.
 */
const PRUNED_BELOW = '~pruned-below';

/** Nonces are kept under `<requestedAt>!<subject>!<nonce>`, so expired ones are one range. */
function nonceKey(request: SubjectAccessLogRequestMessage): string {
  return `${request.requestedAt}!${request.subject}!${request.nonce}`;
}

/** Answers a subject's signed requests for its own access log. */
export class SubjectAccessLog {
  readonly #ctx: DomainContext;
  readonly #indexer: Indexer;
  readonly #nonces;
  readonly #claiming = new Set<string>();
  #prunedBelow: string | undefined;
  readonly #now: () => number;
  readonly #catchUpTimeoutMs: number;
  readonly #reader: string;

  /** @throws Error when the consortium has no regulator (whose identity reads signing keys). */
  constructor(options: Readonly<SubjectAccessLogOptions>) {
    this.#ctx = options.context;
    this.#indexer = options.indexer;
    this.#nonces = options.db.sublevel<string, number | string>('subject-log-nonces', {
      keyEncoding: 'utf8',
      valueEncoding: 'json',
    });
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.#catchUpTimeoutMs = options.catchUpTimeoutMs ?? 10_000;
    const regulator = options.context.consortium.organisations.find((o) => o.role === 'REGULATOR');
    if (!regulator) throw new Error('the consortium definition names no regulator');
    this.#reader = regulator.mspId;
  }

  /**
   * One page of the accesses to the signing subject's data, oldest first.
   *
   * @throws AppError 400 STALE_REQUEST when `requestedAt` is more than
   *   {@link REQUEST_WINDOW_SECONDS} from the gateway's clock; 401
   *   SIGNATURE_REJECTED when the subject has no bound key or the signature is
   *   not by it; 409 REPLAYED_REQUEST when the nonce was used; 400
   *   INVALID_CURSOR; 503 INDEX_LAGGING.
   */
  async page(request: Readonly<SignedAccessLogRequest>): Promise<Page<SubjectAccessView>> {
    const { signature, ...message } = request;
    const requestedAt = parseLedgerTime(message.requestedAt);
    const now = this.#now();
    if (requestedAt === undefined || Math.abs(now - requestedAt) > REQUEST_WINDOW_SECONDS) {
      throw AppError.invalid(
        `requestedAt must be within ${REQUEST_WINDOW_SECONDS} s of the gateway's clock (${isoFromEpochSeconds(now)})`,
        { code: 'STALE_REQUEST' },
      );
    }
    if (!(await this.#signedBySubject(message, signature))) {
      throw new AppError(401, 'SIGNATURE_REJECTED', "the signature is not by the subject's bound key", {
        headers: { 'WWW-Authenticate': 'EIP712 realm="subject-access-log"' },
      });
    }
    await this.#claimNonce(message, now);
    await this.#indexer.catchUp(this.#catchUpTimeoutMs);
    const page = await this.#indexer.accessIndex.page(
      { subject: message.subject },
      { limit: SUBJECT_LOG_PAGE_SIZE, ...(message.cursor === '' ? {} : { cursor: message.cursor }) },
    );
    return {
      items: page.items.map(({ operator: _operator, subject: _subject, ...rest }) => rest),
      nextCursor: page.nextCursor,
    };
  }

  /** Whether the subject's bound key made `signature`; false when it has none. */
  async #signedBySubject(message: SubjectAccessLogRequestMessage, signature: string): Promise<boolean> {
    let signer: string;
    try {
      ({ signer } = await this.#ctx.ledger.evaluate<{ signer: string }>(
        this.#reader,
        'Membership:GetSubjectSigner',
        [message.subject],
      ));
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return false;
      throw err;
    }
    return isSignedBy(
      'SubjectAccessLogRequest',
      message,
      signature,
      signer,
      deploymentOf(this.#ctx.consortium),
    );
  }

  /** Records the nonce, refusing one already used; drops nonces that can no longer be fresh. */
  async #claimNonce(message: SubjectAccessLogRequestMessage, now: number): Promise<void> {
    const key = nonceKey(message);
    const replayed = () =>
      AppError.conflict('this signed request was already answered; sign a new one', {
        code: 'REPLAYED_REQUEST',
      });
    if (this.#claiming.has(key)) throw replayed();
    this.#claiming.add(key);
    try {
      // Nonces below the pruned bound are gone: such a request could not be told from a replay,
      // even if the clock has been set back since.
      this.#prunedBelow ??= String((await this.#nonces.get(PRUNED_BELOW).catch(notFoundToUndefined)) ?? '');
      if (message.requestedAt < this.#prunedBelow) {
        throw AppError.invalid('requestedAt is older than the requests this gateway can still check', {
          code: 'STALE_REQUEST',
        });
      }
      if ((await this.#nonces.get(key).catch(notFoundToUndefined)) !== undefined) throw replayed();
      await this.#nonces.put(key, now);
      // Every key below this bound has a requestedAt outside the window: it cannot be replayed.
      const bound = isoFromEpochSeconds(now - REQUEST_WINDOW_SECONDS - 1);
      if (bound > this.#prunedBelow) {
        await this.#nonces.clear({ lt: bound });
        await this.#nonces.put(PRUNED_BELOW, bound);
        this.#prunedBelow = bound;
      }
    } finally {
      this.#claiming.delete(key);
    }
  }
}
