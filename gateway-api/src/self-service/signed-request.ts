/**
 * The check every self-service request passes: fresh (within five minutes of
 * the gateway's clock), signed by the key bound to the subject's pseudonym on
 * the ledger, for the endpoint's action, and answered once (its nonce is kept
 * until the request could no longer be fresh).
 */
import {
  isoFromEpochSeconds,
  isSignedBy,
  parseLedgerTime,
  type SelfServiceAction,
  type SubjectSelfServiceRequestMessage,
} from '@ruralcredit/protocol';
import { deploymentOf } from '../consortium/definition';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import { notFoundToUndefined, type GatewayDb } from '../store/db';

/** How far `requestedAt` may be from the gateway's clock, in seconds, either way. */
export const SELF_REQUEST_WINDOW_SECONDS = 300;

/** A signed request as the route validated it. */
export interface SignedSelfRequest extends SubjectSelfServiceRequestMessage {
  readonly signature: string;
}

/** Checks signed self-service requests and remembers their nonces. */
export class SelfRequestGuard {
  readonly #ctx: DomainContext;
  readonly #nonces;
  readonly #claiming = new Set<string>();
  readonly #now: () => number;
  readonly #reader: string;
  #lastPrune = 0;

  constructor(ctx: DomainContext, db: GatewayDb, now: () => number, reader: string) {
    this.#ctx = ctx;
    this.#nonces = db.sublevel<string, number>('self-service-nonces', {
      keyEncoding: 'utf8',
      valueEncoding: 'json',
    });
    this.#now = now;
    this.#reader = reader;
  }

  /**
   * Accepts `request` for `action` once, or throws.
   *
   * @throws AppError 400 WRONG_ACTION when the signed action is not the endpoint's; 400
   *   STALE_REQUEST when older or newer than five minutes; 401 SIGNATURE_REJECTED when the
   *   subject has no bound key or another key signed; 409 REPLAYED_REQUEST when already answered.
   */
  async accept(
    request: Readonly<SignedSelfRequest>,
    action: SelfServiceAction,
  ): Promise<SubjectSelfServiceRequestMessage> {
    const { signature, ...message } = request;
    if (message.action !== action) {
      throw AppError.invalid(`this endpoint answers ${action} requests, not ${message.action}`, {
        code: 'WRONG_ACTION',
      });
    }
    const now = this.#now();
    const requestedAt = parseLedgerTime(message.requestedAt);
    if (requestedAt === undefined || Math.abs(now - requestedAt) > SELF_REQUEST_WINDOW_SECONDS) {
      throw AppError.invalid(
        `requestedAt must be within ${SELF_REQUEST_WINDOW_SECONDS} s of the gateway's clock (${isoFromEpochSeconds(now)})`,
        { code: 'STALE_REQUEST' },
      );
    }
    if (!(await this.#signedBySubject(message, signature))) {
      throw new AppError(401, 'SIGNATURE_REJECTED', "the signature is not by the subject's bound key", {
        headers: { 'WWW-Authenticate': 'EIP712 realm="subject-self-service"' },
      });
    }
    await this.#claim(`${message.subject}!${message.nonce}`, now);
    return message;
  }

  async #signedBySubject(message: SubjectSelfServiceRequestMessage, signature: string): Promise<boolean> {
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
      'SubjectSelfServiceRequest',
      message,
      signature,
      signer,
      deploymentOf(this.#ctx.consortium),
    );
  }

  /** Keeps the nonce (with when it was first seen); one already kept is a replay. */
  async #claim(key: string, now: number): Promise<void> {
    const replayed = () =>
      AppError.conflict('this signed request was already answered; sign a new one', {
        code: 'REPLAYED_REQUEST',
      });
    if (this.#claiming.has(key)) throw replayed();
    this.#claiming.add(key);
    try {
      if ((await this.#nonces.get(key).catch(notFoundToUndefined)) !== undefined) throw replayed();
      await this.#nonces.put(key, now);
    } finally {
      this.#claiming.delete(key);
    }
    if (now - this.#lastPrune > 60) {
      this.#lastPrune = now;
      // A nonce seen more than twice the window ago belongs to a request that is stale anyway.
      const expired: string[] = [];
      for await (const [k, seen] of this.#nonces.iterator()) {
        if (now - seen > 2 * SELF_REQUEST_WINDOW_SECONDS) expired.push(k);
      }
      await this.#nonces.batch(expired.map((k) => ({ type: 'del' as const, key: k })));
    }
  }
}
