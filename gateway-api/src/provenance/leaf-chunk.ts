/**
 * Hashing of one chunk of an upload's records, shared by the upload's own
 * thread and its worker threads (leaf-worker.ts), so both hash identically.
 *
 * A chunk travels as one byte buffer: each record's RFC 8785 canonical JSON
 * in UTF-8, preceded by the byte 0x00. Canonical JSON never holds a raw
 * U+0000 (control characters are escaped) and UTF-8 never encodes anything
 * else with a 0x00 byte, so the separators are unambiguous: each record's
 * bytes from its separator on are exactly 0x00 || canonicalBytes(record),
 * the RFC 6962 leaf input.
 */
import { hash } from 'node:crypto';
import { HASH_BYTES, MerkleTree } from '@ruralcredit/protocol';

/** The record separator of a chunk's bytes (and the RFC 6962 leaf prefix). */
export const LEAF_SEPARATOR = 0;

/** A chunk's leaf hashes and the root of the subtree over them. */
export interface ChunkHashes {
  /** `count` leaf hashes of 32 bytes each, in record order (its own ArrayBuffer, transferable). */
  readonly leaves: Uint8Array;
  /** Root of the Merkle tree over the chunk's leaves. */
  readonly root: Uint8Array;
}

/**
 * Leaf hashes and subtree root of a chunk's bytes holding `count` records.
 *
 * @throws RangeError when the bytes do not hold `count` records.
 */
export function hashChunk(bytes: Buffer, count: number): ChunkHashes {
  if (count < 1 || bytes[0] !== LEAF_SEPARATOR) throw new RangeError('chunk bytes must start with 0x00');
  const leaves = Buffer.from(new ArrayBuffer(count * HASH_BYTES));
  // Per record: a plain Uint8Array view (a Buffer's subarray costs more), and the
  // digest as a 'binary' (latin1) string written into place (a 'buffer' digest allocates a Buffer).
  const { buffer, byteOffset } = bytes;
  let start = 0;
  for (let i = 0; i < count; i++) {
    const next = bytes.indexOf(LEAF_SEPARATOR, start + 1);
    const end = next === -1 ? bytes.length : next;
    if ((next === -1) !== (i === count - 1)) throw new RangeError(`chunk bytes do not hold ${count} records`);
    const leaf = hash('sha256', new Uint8Array(buffer, byteOffset + start, end - start), 'binary');
    leaves.write(leaf, i * HASH_BYTES, HASH_BYTES, 'binary');
    start = end;
  }
  return { leaves, root: MerkleTree.fromLeafHashes(leaves).root() };
}
