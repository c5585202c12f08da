/**
 * Per-caller token-bucket rate limiting: each key (authenticated user ID, or
 * client IP for anonymous calls) gets a bucket of `perMinute` tokens that
 * refills continuously; a request takes one token or is refused with 429.
 */
import type { RequestHandler } from 'express';
import { principalOf } from './context';
import { AppError } from './errors';

/** Outcome of {@link TokenBucketLimiter.take}. */
export interface RateDecision {
  /** Whether the request may proceed. */
  readonly allowed: boolean;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Seconds until one token is available again (0 when allowed). */
  readonly retryAfterSeconds: number;
}

/** Options for {@link TokenBucketLimiter}. */
export interface TokenBucketOptions {
  /** Sustained requests per minute per key. */
  readonly perMinute: number;
  /** Bucket size (burst); `perMinute` by default. */
  readonly capacity?: number;
  /** Upper bound on tracked keys; full, idle buckets are dropped first. 100,000 by default. */
  readonly maxKeys?: number;
  /** Monotonic clock in milliseconds; `performance.now` by default. */
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

/** An in-memory token-bucket limiter keyed by string. */
export class TokenBucketLimiter {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  /** @throws RangeError when `perMinute` or `capacity` is not positive. */
  constructor(options: Readonly<TokenBucketOptions>) {
    if (!(options.perMinute > 0)) throw new RangeError('perMinute must be positive');
    this.#capacity = options.capacity ?? options.perMinute;
    if (!(this.#capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.#refillPerMs = options.perMinute / 60_000;
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Takes `cost` tokens (one by default) from `key`'s bucket if it has that many. */
  take(key: string, cost = 1): RateDecision {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#sweep(now);
      bucket = { tokens: this.#capacity, updated: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.#capacity, bucket.tokens + (now - bucket.updated) * this.#refillPerMs);
      bucket.updated = now;
    }
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
    }
    return {
      allowed: false,
      remaining: Math.floor(bucket.tokens),
      retryAfterSeconds: (cost - bucket.tokens) / this.#refillPerMs / 1000,
    };
  }

  /** Number of keys currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Drops buckets that have refilled completely; if none, the oldest half. */
  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.updated) * this.#refillPerMs >= this.#capacity)
        this.#buckets.delete(key);
    }
    if (this.#buckets.size < this.#maxKeys) return;
    let drop = Math.ceil(this.#buckets.size / 2);
    for (const key of this.#buckets.keys()) {
      if (drop-- <= 0) break;
      this.#buckets.delete(key);
    }
  }
}

/**
 * Express middleware charging each request to its caller: the authenticated
 * user ID when {@link principalOf} has one (so mount it after authentication),
 * else the client IP. Refusals are 429 `RATE_LIMITED` with `Retry-After`.
 */
export function rateLimit(limiter: TokenBucketLimiter): RequestHandler {
  return (req, res, next) => {
    const principal = principalOf(req);
    const key =
      principal !== undefined
        ? `user:${principal.userId}`
        : `ip:${req.ip ?? req.socket.remoteAddress ?? '?'}`;
    const decision = limiter.take(key);
    if (!decision.allowed) throw AppError.tooManyRequests(decision.retryAfterSeconds);
    res.setHeader('RateLimit-Remaining', String(decision.remaining));
    next();
  };
}
