/**
 * Password hashing with scrypt (N=2^15, r=8, p=1, 32-byte output, 16-byte
 * per-user salt). Parameters are stored with each hash so they can be raised
 * later without invalidating existing passwords.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';

/** Current scrypt parameters for new hashes. */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

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
  // Node's default maxmem (32 MiB) is exactly 128*N*r for N=2^15, r=8 and is rejected; allow twice that.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(SCRYPT_PARAMS.saltLength);
  const { N, r, p, keyLength } = SCRYPT_PARAMS;
  const hash = await derive(password, salt, N, r, p, keyLength);
  return { algorithm: 'scrypt', N, r, p, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
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
}

/** A random password for generated accounts: 24 base64url characters (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
