/**
 * Hashing of one chunk of an upload's records, shared by the upload's own
 * thread and its worker threads (leaf-worker.ts), so both hash identically.
 *
 * A chunk travels as one string: each record's RFC 8785 canonical JSON
 * preceded by U+0000. Canonical JSON never holds a raw U+0000 (control
 * characters are escaped), so the separators are unambiguous, and U+0000 is
 * the single byte 0x00 in UTF-8: each record's bytes from its separator on
 * are exactly 0x00 || canonicalBytes(record), the RFC 6962 leaf input.
 */
import { hash } from 'node:crypto';
import { HASH_BYTES, MerkleTree } from '@ruralcredit/protocol';

/** The record separator of a chunk's text (and the RFC 6962 leaf prefix). */
export const LEAF_SEPARATOR = '\u0000';

/** A chunk's leaf hashes and the root of the subtree over them. */
export interface ChunkHashes {
  /** `count` leaf hashes of 32 bytes each, in record order (its own ArrayBuffer, transferable). */
  readonly leaves: Uint8Array;
  /** Root of the Merkle tree over the chunk's leaves. */
  readonly root: Uint8Array;
}

/**
 * Leaf hashes and subtree root of a chunk's text holding `count` records.
 *
 * @throws RangeError when the text does not hold `count` records.
 */
export function hashChunk(text: string, count: number): ChunkHashes {
  const bytes = Buffer.from(text, 'utf8');
  if (count < 1 || bytes[0] !== 0) throw new RangeError('chunk text must start with U+0000');
  const leaves = Buffer.from(new ArrayBuffer(count * HASH_BYTES));
  let start = 0;
  for (let i = 0; i < count; i++) {
    const next = bytes.indexOf(0, start + 1);
    const end = next === -1 ? bytes.length : next;
    if ((next === -1) !== (i === count - 1))
      throw new RangeError(`chunk text does not hold ${count} records`);
    leaves.set(hash('sha256', bytes.subarray(start, end), 'buffer'), i * HASH_BYTES);
    start = end;
  }
  return { leaves, root: MerkleTree.fromLeafHashes(leaves).root() };
}
