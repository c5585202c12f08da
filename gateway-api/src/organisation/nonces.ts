/**
 * The nonces of signed organisation requests, kept only while a request carrying them could
 * still pass the clock check: keys are ordered by the request's time, and everything older than
 * the clock window is dropped, so the store does not grow with the gateway's age.
 */
import { notFoundToUndefined, type GatewayDb } from '../store/db';
import { MAX_CLOCK_SKEW_MS } from './signed-request';

/** Where the store records how far it has pruned (sorts after every time-ordered key). */
const PRUNED_BELOW = '~prunedBelow';
/** Prune at most once per this many milliseconds of request time. */
const PRUNE_EVERY_MS = 60_000;

export class OrgNonceStore {
  readonly #nonces;
  readonly #claiming = new Set<string>();
  #prunedBelow: string | undefined;

  constructor(db: GatewayDb) {
    this.#nonces = db.sublevel<string, string>('org-nonces', { valueEncoding: 'utf8' });
  }

  /**
   * Claims `nonce` of `org` for a request signed at `timestamp` (already checked to be within
   * {@link MAX_CLOCK_SKEW_MS} of `now`). False when it was claimed before (a replay), or when the
   * request is older than what the store still remembers (it could not be told from one).
   */
  async claim(org: string, nonce: string, timestamp: string, now = new Date()): Promise<boolean> {
    const at = Date.parse(timestamp);
    if (!Number.isFinite(at)) return false;
    const key = `${new Date(at).toISOString()}!${org}!${nonce}`;
    if (this.#claiming.has(key)) return false;
    this.#claiming.add(key);
    try {
      this.#prunedBelow ??= (await this.#nonces.get(PRUNED_BELOW).catch(notFoundToUndefined)) ?? '';
      if (key < this.#prunedBelow) return false;
      if ((await this.#nonces.get(key).catch(notFoundToUndefined)) !== undefined) return false;
      await this.#nonces.put(key, new Date(now).toISOString());
      await this.#prune(now);
      return true;
    } finally {
      this.#claiming.delete(key);
    }
  }

  /** How many nonces are kept (for tests and `/stats`). */
  async size(): Promise<number> {
    return (await this.#nonces.keys({ lt: PRUNED_BELOW }).all()).length;
  }

  /** Drops every nonce whose request time is outside the clock window of `now`. */
  async #prune(now: Date): Promise<void> {
    const bound = new Date(now.getTime() - MAX_CLOCK_SKEW_MS - 1000).toISOString();
    const pruned = this.#prunedBelow ?? '';
    const last = pruned === '' ? 0 : Date.parse(pruned);
    if (Date.parse(bound) - last < PRUNE_EVERY_MS) return;
    // Time-ordered keys start with a digit; keys of the earlier `<org>!<nonce>` layout with a letter.
    if (pruned === '') await this.#nonces.clear({ gt: '9', lt: PRUNED_BELOW });
    await this.#nonces.clear({ lt: bound });
    await this.#nonces.put(PRUNED_BELOW, bound);
    this.#prunedBelow = bound;
  }
}
