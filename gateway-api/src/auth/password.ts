/**
 * Password hashing with scrypt at OWASP's current minimum (N=2^17, r=8, p=1,
 * 32-byte output, 16-byte per-user salt). Parameters are stored with each
 * hash, so a hash made with older parameters still verifies, and is replaced
 * at the next successful login ({@link PasswordHasher.needsRehash}).
 *
 * One computation takes 128 MiB and about a second of a libuv thread, the
 * threads LevelDB also uses: a hasher runs at most `concurrency` at once and
 * refuses more than `maxQueue` waiting (503 BUSY), so logins cannot starve
 * the database.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../http/errors';

/** Default scrypt parameters for new hashes: OWASP's minimum. */
export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

/** Default number of scrypt computations running at once (libuv has 4 threads by default). */
export const DEFAULT_HASH_CONCURRENCY = 2;

/** Default number of computations waiting for a slot before new ones are refused. */
export const DEFAULT_HASH_QUEUE = 64;

/** A stored password hash. */
export interface PasswordHash {
  /** Always `scrypt`. */
  readonly algorithm: 'scrypt';
  /** CPU/memory cost. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
  /** Per-user random salt, base64. */
  readonly salt: string;
  /** Derived key, base64. */
  readonly hash: string;
}

/** Zod schema of a stored {@link PasswordHash}. */
export const PasswordHashSchema = z
  .object({
    algorithm: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(2 ** 14)
      .max(2 ** 20),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: z.base64(),
    hash: z.base64(),
  })
  .strict();

/** Password rules: 12 to 256 characters. Longer inputs are refused rather than hashed. */
export const PasswordSchema = z.string().min(12, 'must be at least 12 characters').max(256);

function derive(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  length: number,
): Promise<Buffer> {
  // Node's default maxmem (32 MiB) is below 128*N*r for N>=2^15, r=8; allow twice what it needs.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Options of {@link PasswordHasher}. */
export interface PasswordHasherOptions {
  /** log2 of scrypt's N for new hashes; 17 (OWASP's minimum) by default. Tests may lower it. */
  readonly log2N?: number;
  /** Computations running at once. */
  readonly concurrency?: number;
  /** Computations waiting before more are refused. */
  readonly maxQueue?: number;
}

/** scrypt with stored parameters, run at most `concurrency` at once. */
export class PasswordHasher {
  readonly #N: number;
  readonly #concurrency: number;
  readonly #maxQueue: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  /** @param options cost and concurrency; OWASP's minimum and {@link DEFAULT_HASH_CONCURRENCY} by default. */
  constructor(options: Readonly<PasswordHasherOptions> = {}) {
    this.#N = 2 ** (options.log2N ?? Math.log2(SCRYPT_PARAMS.N));
    this.#concurrency = options.concurrency ?? DEFAULT_HASH_CONCURRENCY;
    this.#maxQueue = options.maxQueue ?? DEFAULT_HASH_QUEUE;
  }

  /** The N new hashes get. */
  get N(): number {
    return this.#N;
  }

  /** Computations running now (for tests and metrics). */
  get running(): number {
    return this.#running;
  }

  async #slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxQueue) {
        throw AppError.unavailable('too many password checks in progress; retry', {
          code: 'BUSY',
          headers: { 'Retry-After': '1' },
        });
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running += 1;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter; otherwise it is freed.
      if (next !== undefined) next();
      else this.#running -= 1;
    }
  }

  /** Hashes a password with a fresh random salt. @throws AppError 503 BUSY when the queue is full. */
  hash(password: string): Promise<PasswordHash> {
    return this.#slot(async () => {
      const salt = randomBytes(SCRYPT_PARAMS.saltLength);
      const { r, p, keyLength } = SCRYPT_PARAMS;
      const hash = await derive(password, salt, this.#N, r, p, keyLength);
      return {
        algorithm: 'scrypt',
        N: this.#N,
        r,
        p,
        salt: salt.toString('base64'),
        hash: hash.toString('base64'),
      };
    });
  }

  /**
   * Checks a password against a stored hash (with the hash's own parameters) in constant time.
   * @throws AppError 503 BUSY when the queue is full.
   */
  verify(password: string, stored: PasswordHash): Promise<boolean> {
    return this.#slot(async () => {
      const expected = Buffer.from(stored.hash, 'base64');
      const actual = await derive(
        password,
        Buffer.from(stored.salt, 'base64'),
        stored.N,
        stored.r,
        stored.p,
        expected.length,
      );
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    });
  }

  /** Whether a stored hash is weaker than what {@link hash} makes now (rehash it at login). */
  needsRehash(stored: PasswordHash): boolean {
    return stored.N < this.#N || stored.r < SCRYPT_PARAMS.r;
  }
}

const defaultHasher = new PasswordHasher();

/** Hashes a password with the default parameters (see {@link PasswordHasher.hash}). */
export function hashPassword(password: string): Promise<PasswordHash> {
  return defaultHasher.hash(password);
}

/** Checks a password against a stored hash (see {@link PasswordHasher.verify}). */
export function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  return defaultHasher.verify(password, stored);
}

/** A random password for generated accounts: 24 base64url characters (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
