/**
 * Pseudonym sources for the gateway's {@link SubjectPseudonymiser}: the
 * regulator's key in this process ({@link LocalPseudonymSource}, the
 * regulator's gateway and the all-in-one demo), or the regulator's gateway
 * over REST ({@link RemotePseudonymSourceImpl}, every other member's gateway):
 * blind, POST the blinded elements in a request signed with the member's
 * Fabric identity, verify the proof against the pinned public key, unblind,
 * cache. The member's gateway never holds the key and the regulator never
 * sees an ID.
 */
import type { PseudonymSource } from '../consortium/subjects';
import { AppError } from '../http/errors';
import type { OrgIdentity } from '../organisation/identity';
import { signOrgRequest } from '../organisation/signed-request';
import { MAX_BATCH, OprfBlinder, OprfInputError, type BlindEvaluation, type OprfKeyHolder } from './oprf';

/** Path of the evaluation endpoint under the regulator's gateway base URL. */
export const EVALUATE_PATH = '/api/v1/pseudonyms/evaluate';

/** Pseudonyms kept in memory by default: an evaluation costs milliseconds, a repeat nothing. */
const DEFAULT_CACHE_SIZE = 100_000;

/** A bounded map that forgets the least recently used entry first. */
class LruCache {
  readonly #map = new Map<string, string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): string | undefined {
    const hit = this.#map.get(key);
    if (hit !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: string): void {
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }
}

/** The regulator's own key: pseudonyms evaluated directly, no blinding round trip; cached. */
export class LocalPseudonymSource implements PseudonymSource {
  readonly #key: OprfKeyHolder;
  readonly #cache: LruCache;

  /** @param key the regulator's OPRF key. */
  constructor(key: OprfKeyHolder, cacheSize = DEFAULT_CACHE_SIZE) {
    this.#key = key;
    this.#cache = new LruCache(cacheSize);
  }

  pseudonyms(normalisedIds: readonly string[]): Promise<string[]> {
    return Promise.resolve(
      normalisedIds.map((id) => {
        const hit = this.#cache.get(id);
        if (hit !== undefined) return hit;
        const pseudonym = this.#key.pseudonym(id);
        this.#cache.set(id, pseudonym);
        return pseudonym;
      }),
    );
  }
}

/** Options of {@link RemotePseudonymSourceImpl}. */
export interface RemotePseudonymSourceOptions {
  /** Base URL of the regulator's gateway (`https://regulator.example:8080`). */
  readonly evaluatorUrl: string;
  /** The regulator's public key, pinned from configuration: every evaluation's proof is checked against it. */
  readonly publicKey: Uint8Array;
  /** This member's Fabric identity: every evaluation request is signed with it. */
  readonly identity: OrgIdentity;
  /** Most pseudonyms kept in memory (least recently used dropped first); 100,000 by default. */
  readonly cacheSize?: number;
  /** Deadline of one evaluation call in milliseconds; 10,000 by default. */
  readonly timeoutMs?: number;
  /** The HTTP client (tests observe requests through it); global `fetch` by default. */
  readonly fetch?: typeof fetch;
}

interface Waiter {
  readonly id: string;
  resolve(pseudonym: string): void;
  reject(err: unknown): void;
}

/**
 * The member's side of the OPRF. Concurrent lookups made in the same turn of
 * the event loop travel in one request (up to {@link MAX_BATCH} elements), so
 * a burst costs one round trip and one proof.
 */
export class RemotePseudonymSourceImpl implements PseudonymSource {
  readonly #options: Readonly<RemotePseudonymSourceOptions>;
  readonly #blinder: OprfBlinder;
  readonly #cache: LruCache;
  #queue: Waiter[] = [];
  #flushScheduled = false;

  /** @param options evaluator URL, pinned key, identity, cache size. */
  constructor(options: Readonly<RemotePseudonymSourceOptions>) {
    this.#options = options;
    this.#blinder = new OprfBlinder(options.publicKey);
    this.#cache = new LruCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
  }

  /** Pseudonyms currently cached. */
  get cached(): number {
    return this.#cache.size;
  }

  pseudonyms(normalisedIds: readonly string[]): Promise<string[]> {
    return Promise.all(normalisedIds.map((id) => this.#one(id)));
  }

  #one(id: string): Promise<string> {
    const hit = this.#cache.get(id);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise<string>((resolve, reject) => {
      this.#queue.push({ id, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const waiting = this.#queue;
    this.#queue = [];
    const byId = new Map<string, Waiter[]>();
    for (const w of waiting) byId.set(w.id, [...(byId.get(w.id) ?? []), w]);
    const ids = [...byId.keys()];
    for (let i = 0; i < ids.length; i += MAX_BATCH) {
      const chunk = ids.slice(i, i + MAX_BATCH);
      this.#evaluate(chunk).then(
        (pseudonyms) =>
          chunk.forEach((id, k) => {
            const pseudonym = pseudonyms[k]!;
            this.#cache.set(id, pseudonym);
            for (const w of byId.get(id) ?? []) w.resolve(pseudonym);
          }),
        (err: unknown) => chunk.forEach((id) => byId.get(id)?.forEach((w) => w.reject(err))),
      );
    }
  }

  /**
   * One blind-evaluate-finalize round trip.
   *
   * @throws AppError 429 PSEUDONYM_RATE_LIMITED (with Retry-After) when the regulator
   *   refuses for rate, 502 PSEUDONYM_EVALUATOR_INVALID when the answer or its proof is
   *   wrong, 503 PSEUDONYM_EVALUATOR_UNAVAILABLE when the regulator cannot be reached
   *   or refuses this organisation's signature.
   */
  async #evaluate(ids: readonly string[]): Promise<string[]> {
    const batch = this.#blinder.blind(ids);
    const res = await this.#post({ blinded: batch.blinded });
    const text = await res.text();
    if (res.status === 429) {
      const retryAfter = Number(res.headers.get('retry-after') ?? '1');
      throw AppError.tooManyRequests(Number.isFinite(retryAfter) ? retryAfter : 1, {
        code: 'PSEUDONYM_RATE_LIMITED',
      });
    }
    if (res.status !== 200) {
      throw AppError.unavailable(`pseudonym evaluator answered ${res.status}`, {
        code: 'PSEUDONYM_EVALUATOR_UNAVAILABLE',
        details: { status: res.status, code: errorCode(text) },
      });
    }
    try {
      return this.#blinder.finalize(batch, parseAnswer(text));
    } catch (err) {
      if (err instanceof OprfInputError) {
        throw AppError.badGateway(`pseudonym evaluator answer refused: ${err.message}`, {
          code: 'PSEUDONYM_EVALUATOR_INVALID',
        });
      }
      throw err;
    }
  }

  async #post(body: { blinded: readonly string[] }): Promise<Response> {
    const doFetch = this.#options.fetch ?? fetch;
    try {
      return await doFetch(new URL(EVALUATE_PATH, this.#options.evaluatorUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signOrgRequest(this.#options.identity, 'POST', EVALUATE_PATH, body),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw AppError.unavailable('pseudonym evaluator unreachable', {
        code: 'PSEUDONYM_EVALUATOR_UNAVAILABLE',
        cause: err,
      });
    }
  }
}

function errorCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function parseAnswer(text: string): BlindEvaluation {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OprfInputError('evaluation answer is not JSON');
  }
  const { evaluated, proof } = (body ?? {}) as { evaluated?: unknown; proof?: unknown };
  if (
    !Array.isArray(evaluated) ||
    !evaluated.every((e) => typeof e === 'string') ||
    typeof proof !== 'string'
  ) {
    throw new OprfInputError('evaluation answer lacks evaluated elements or proof');
  }
  return { evaluated, proof };
}
