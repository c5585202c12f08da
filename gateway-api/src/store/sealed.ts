/**
 * Encryption at rest for off-chain values (PIPL Art. 51): each value is
 * sealed with AES-256-GCM under the configured data key before it reaches
 * LevelDB.
 *
 * Stored layout: version byte (0x01) | 12-byte random IV | 16-byte tag | ciphertext.
 * The additional authenticated data binds the value to its store name and
 * key, so a ciphertext copied to another key or store fails to open.
 * Plaintext is the RFC 8785 canonical JSON of the value.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { AbstractSublevel } from 'abstract-level';
import { canonicalJsonFast } from '@ruralcredit/protocol';
import type { z } from 'zod';
import { notFoundToUndefined, type GatewayDb } from './db';

/** Format version written as the first byte. */
export const SEALED_VERSION = 0x01;

const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER_LENGTH = 1 + IV_LENGTH + TAG_LENGTH;
const MAX_KEY_LENGTH = 1024;

/** A sealed value could not be opened: wrong key, tampered, truncated or moved. */
export class SealedDataError extends Error {
  /** @param message what failed (never includes the plaintext). */
  constructor(message: string) {
    super(message);
    this.name = 'SealedDataError';
  }
}

type Sub = AbstractSublevel<GatewayDb, string | Buffer | Uint8Array, string, Buffer>;

/** A sealed put for `db.batch([...])` on the gateway database. */
export interface SealedPutOp {
  readonly type: 'put';
  readonly sublevel: Sub;
  readonly key: string;
  readonly value: Buffer;
}

/** A delete for `db.batch([...])` on the gateway database. */
export interface SealedDelOp {
  readonly type: 'del';
  readonly sublevel: Sub;
  readonly key: string;
}

/** Options for {@link SealedStore}. */
export interface SealedStoreOptions<T> {
  /** Open database the store lives in. */
  readonly db: GatewayDb;
  /** Sublevel name; also part of the AAD. `[A-Za-z0-9._-]{1,64}`. */
  readonly name: string;
  /** 32-byte AES-256 key (configuration `dataKey`). */
  readonly key: Buffer;
  /** Checks each value read back (recommended); values are trusted as `T` without it. */
  readonly schema?: z.ZodType<T>;
}

/** Options for {@link SealedStore.iterate}. */
export interface IterateOptions {
  /** Only keys starting with this; all keys when omitted. */
  readonly prefix?: string;
  /** Start strictly after this key (resume point). */
  readonly after?: string;
  /** Stop after this many entries. */
  readonly limit?: number;
  /** Descending key order. */
  readonly reverse?: boolean;
}

/** A typed, encrypted key-value store over one LevelDB sublevel. */
export class SealedStore<T> {
  readonly #sub: Sub;
  readonly #name: string;
  readonly #key: Buffer;
  readonly #schema: z.ZodType<T> | undefined;

  /** @throws RangeError for a key that is not 32 bytes or an invalid store name. */
  constructor(options: Readonly<SealedStoreOptions<T>>) {
    if (options.key.length !== 32) throw new RangeError('sealed store key must be 32 bytes');
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(options.name))
      throw new RangeError(`invalid sealed store name ${options.name}`);
    this.#name = options.name;
    this.#key = Buffer.from(options.key);
    this.#schema = options.schema;
    this.#sub = options.db.sublevel<string, Buffer>(options.name, {
      keyEncoding: 'utf8',
      valueEncoding: 'buffer',
    });
  }

  /** Store name (the sublevel name). */
  get name(): string {
    return this.#name;
  }

  /**
   * The value at `key`, or `undefined`.
   * @throws SealedDataError when the stored bytes do not open under this key and store.
   */
  async get(key: string): Promise<T | undefined> {
    checkKey(key);
    const sealed = await this.#sub.get(key).catch(notFoundToUndefined);
    return sealed === undefined ? undefined : this.open(key, sealed);
  }

  /** Stores `value` at `key`, replacing any previous value. */
  async put(key: string, value: T): Promise<void> {
    await this.#sub.put(key, this.seal(key, value));
  }

  /** Deletes `key` (no error when absent). */
  async del(key: string): Promise<void> {
    checkKey(key);
    await this.#sub.del(key);
  }

  /** A put for `db.batch([...])`, to write this store atomically with other sublevels. */
  putOp(key: string, value: T): SealedPutOp {
    return { type: 'put', sublevel: this.#sub, key, value: this.seal(key, value) };
  }

  /** A delete for `db.batch([...])`. */
  delOp(key: string): SealedDelOp {
    checkKey(key);
    return { type: 'del', sublevel: this.#sub, key };
  }

  /**
   * Entries in key order (or reverse), optionally under a prefix and after a key.
   * @throws SealedDataError on the first entry that does not open.
   */
  async *iterate(options: IterateOptions = {}): AsyncGenerator<[string, T]> {
    const prefix = options.prefix ?? '';
    const upper = `${prefix}\u{10FFFF}`;
    const range: { gt?: string; gte?: string; lt?: string; lte?: string } = {};
    if (options.reverse === true) {
      range.gte = prefix;
      if (options.after !== undefined) range.lt = options.after;
      else range.lt = upper;
    } else {
      if (options.after !== undefined) range.gt = options.after;
      else range.gte = prefix;
      range.lt = upper;
    }
    const iterator = this.#sub.iterator({
      ...range,
      reverse: options.reverse === true,
      limit: options.limit ?? -1,
    });
    try {
      for await (const [key, sealed] of iterator) {
        if (!key.startsWith(prefix)) continue;
        yield [key, this.open(key, sealed)];
      }
    } finally {
      await iterator.close();
    }
  }

  /** Encrypts `value` for `key` (exposed for batch writers and tests). */
  seal(key: string, value: T): Buffer {
    checkKey(key);
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_LENGTH });
    cipher.setAAD(this.#aad(key));
    const ciphertext = Buffer.concat([cipher.update(canonicalJsonFast(value), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([SEALED_VERSION]), iv, cipher.getAuthTag(), ciphertext]);
  }

  /**
   * Decrypts a value stored at `key`.
   * @throws SealedDataError when the bytes are not a value sealed for this key and store.
   */
  open(key: string, sealed: Uint8Array): T {
    const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (bytes.length < HEADER_LENGTH || bytes[0] !== SEALED_VERSION) {
      throw new SealedDataError(`${this.#name}: unsupported sealed value format`);
    }
    let plaintext: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(1, 1 + IV_LENGTH), {
        authTagLength: TAG_LENGTH,
      });
      decipher.setAAD(this.#aad(key));
      decipher.setAuthTag(bytes.subarray(1 + IV_LENGTH, HEADER_LENGTH));
      plaintext = Buffer.concat([decipher.update(bytes.subarray(HEADER_LENGTH)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SealedDataError(`${this.#name}: value does not authenticate (wrong key, tampered or moved)`);
    }
    const value = JSON.parse(plaintext) as unknown;
    if (this.#schema === undefined) return value as T;
    const checked = this.#schema.safeParse(value);
    if (!checked.success) throw new SealedDataError(`${this.#name}: value does not match the store schema`);
    return checked.data;
  }

  #aad(key: string): Buffer {
    return Buffer.from(`rcl:sealed:v1\u0000${this.#name}\u0000${key}`, 'utf8');
  }
}

function checkKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH)
    throw new RangeError('sealed store key must be 1-1024 characters');
}
