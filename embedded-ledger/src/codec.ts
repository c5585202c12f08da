/**
 * Byte layouts of what the ledger keeps in LevelDB.
 *
 * State keys are stored as their UTF-8 bytes, so LevelDB orders them exactly
 * as a Fabric peer's goleveldb state database does (byte order, which is not
 * JavaScript's UTF-16 string order). Every in-memory key comparison goes
 * through {@link compareKeys} for the same reason.
 */
import type { Version } from './types';

/** UTF-8 bytes of a state key. */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'utf8');
}

/** Orders two state keys as LevelDB does (by UTF-8 bytes). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(keyBytes(a), keyBytes(b));
}

/** True when two versions are the same height, or both absent. */
export function sameVersion(a: Version | null, b: Version | null): boolean {
  if (a === null || b === null) return a === b;
  return a.blockNum === b.blockNum && a.txNum === b.txNum;
}

const HEIGHT_BYTES = 16;

/** Encodes a height as 16 big-endian bytes (block number, transaction number). */
export function encodeHeight(version: Version): Buffer {
  const bytes = Buffer.alloc(HEIGHT_BYTES);
  bytes.writeBigUInt64BE(BigInt(version.blockNum), 0);
  bytes.writeBigUInt64BE(BigInt(version.txNum), 8);
  return bytes;
}

function decodeHeight(bytes: Buffer, offset: number): Version {
  return {
    blockNum: Number(bytes.readBigUInt64BE(offset)),
    txNum: Number(bytes.readBigUInt64BE(offset + 8)),
  };
}

/** A committed state entry: the value and the version that wrote it. */
export interface VersionedValue {
  /** Committed value (never empty: an empty write is a delete). */
  readonly value: Buffer;
  /** Height of the transaction that wrote it. */
  readonly version: Version;
}

/** Encodes a state entry as height followed by the value bytes. */
export function encodeVersionedValue(value: Uint8Array, version: Version): Buffer {
  return Buffer.concat([encodeHeight(version), value]);
}

/** Decodes {@link encodeVersionedValue}. */
export function decodeVersionedValue(bytes: Buffer): VersionedValue {
  return { version: decodeHeight(bytes, 0), value: bytes.subarray(HEIGHT_BYTES) };
}

/** Key of a block: its number as 8 big-endian bytes, so blocks iterate in order. */
export function blockKey(blockNumber: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(blockNumber));
  return bytes;
}

/** Decodes {@link blockKey}. */
export function decodeBlockKey(bytes: Buffer): number {
  return Number(bytes.readBigUInt64BE(0));
}

/**
 * Prefix of every history entry of a key: the key's byte length (4 bytes)
 * then its bytes, so that no key's entries fall inside another key's range.
 */
export function historyPrefix(key: string): Buffer {
  const bytes = keyBytes(key);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** History entry key: {@link historyPrefix} then the writing height. */
export function historyKey(key: string, version: Version): Buffer {
  return Buffer.concat([historyPrefix(key), encodeHeight(version)]);
}

/** The height at the end of a history entry key. */
export function decodeHistoryHeight(entryKey: Buffer): Version {
  return decodeHeight(entryKey, entryKey.length - HEIGHT_BYTES);
}

/** The smallest byte string greater than every string starting with `prefix` (for `lt` bounds). */
export function prefixUpperBound(prefix: Buffer): Buffer {
  const bound = Buffer.from(prefix);
  for (let i = bound.length - 1; i >= 0; i--) {
    if (bound[i]! < 0xff) {
      bound[i] = bound[i]! + 1;
      return bound.subarray(0, i + 1);
    }
  }
  // A prefix of only 0xff bytes has no finite upper bound; scan to the end.
  return Buffer.alloc(0);
}

/**
 * A string as the peer receives it in a protobuf string field sent by the
 * Node shim: protobuf's JavaScript encoder drops a high surrogate that is not
 * followed by a low one, and encodes any other lone surrogate as bytes that
 * are not UTF-8, which the peer's Go decoder refuses.
 *
 * @throws Error "string field contains invalid UTF-8" where the peer's decoder fails.
 */
export function wireString(value: string): string {
  if (value.isWellFormed()) return value;
  let result = '';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const isHigh = unit >= 0xd800 && unit <= 0xdbff;
    const isLow = unit >= 0xdc00 && unit <= 0xdfff;
    if (isHigh && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        result += value.slice(i, i + 2);
        i++;
      }
      continue;
    }
    if (isHigh || isLow) throw new Error('string field contains invalid UTF-8');
    result += value[i];
  }
  return result;
}

/** A string after a round trip through UTF-8 bytes (lone surrogates become U+FFFD). */
export function utf8RoundTrip(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}
