/**
 * The browser's `node:crypto` for the protocol package: the SHA-256 and
 * HMAC-SHA-256 it uses (createHash, hash, createHmac), over @noble/hashes,
 * the audited implementation ethers itself ships. Only what the protocol
 * calls is provided; anything else throws.
 */
import { hmac } from '@noble/hashes/hmac';
import { sha256 } from '@noble/hashes/sha256';
import { Buffer } from 'buffer';

type Input = string | Uint8Array;
type Encoding = 'hex' | 'base64' | 'buffer' | undefined;

const bytes = (data: Input, encoding?: string): Uint8Array =>
  typeof data === 'string' ? Buffer.from(data, (encoding ?? 'utf8') as BufferEncoding) : data;

function encode(digest: Uint8Array, encoding: Encoding): string | Buffer {
  const buffer = Buffer.from(digest);
  return encoding === undefined || encoding === 'buffer' ? buffer : buffer.toString(encoding);
}

function requireSha256(algorithm: string): void {
  if (algorithm.toLowerCase() !== 'sha256') throw new Error(`${algorithm} is not available in the browser`);
}

interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(): Uint8Array;
}

class HashShim {
  readonly #hasher: Hasher;

  constructor(hasher: Hasher) {
    this.#hasher = hasher;
  }

  update(data: Input, encoding?: string): this {
    this.#hasher.update(bytes(data, encoding));
    return this;
  }

  digest(encoding?: Encoding): string | Buffer {
    return encode(this.#hasher.digest(), encoding);
  }
}

export function createHash(algorithm: string): HashShim {
  requireSha256(algorithm);
  return new HashShim(sha256.create());
}

export function hash(algorithm: string, data: Input, encoding: Encoding = 'hex'): string | Buffer {
  requireSha256(algorithm);
  return encode(sha256(bytes(data)), encoding);
}

export function createHmac(algorithm: string, key: Input): HashShim {
  requireSha256(algorithm);
  return new HashShim(hmac.create(sha256, bytes(key)));
}
