/**
 * Hashing of one chunk of an upload's records, shared by the upload's own
 * thread and its worker threads (leaf-worker.ts), so both hash identically.
 *
 * A chunk travels as one byte buffer and the offsets where its records end:
 * each record's bytes are 0x00 || canonicalBytes(record), the RFC 6962 leaf
 * input, so a leaf hash is one SHA-256 over a view of the buffer.
 */
import { hash } from 'node:crypto';
// The Merkle module alone, not the package's index: the index loads ethers (for EIP-712),
// 160 ms of a worker thread's start during which the upload's thread hashes alone.
import { HASH_BYTES, MerkleTree, writeDigest } from '@ruralcredit/protocol/dist/src/merkle';

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
 * Leaf hashes and subtree root of a chunk's bytes, record `i` ending at
 * `ends[i]` (exclusive) and starting where record `i - 1` ends (the first at 0).
 *
 * The caller that wrote the bytes knows where each record ends; passing the
 * ends spares a scan for the separators (`Buffer.indexOf` costs 0.6 µs a
 * call here, more than hashing the record).
 *
 * @throws RangeError when the ends do not cut the bytes into records that each start with 0x00.
 */
export function hashChunk(bytes: Uint8Array, ends: Uint32Array): ChunkHashes {
  const count = ends.length;
  if (count < 1 || ends[count - 1] !== bytes.length)
    throw new RangeError("chunk record ends must be given and the last must be the bytes' length");
  const leaves = Buffer.from(new ArrayBuffer(count * HASH_BYTES));
  // Per record: a plain Uint8Array view (a Buffer's subarray costs more), and the
  // digest as a 'binary' (latin1) string written into place (a 'buffer' digest allocates a Buffer).
  const { buffer, byteOffset } = bytes;
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[i]!;
    if (end <= start || bytes[start] !== LEAF_SEPARATOR)
      throw new RangeError(`chunk record ${i} does not start with 0x00 or is empty`);
    writeDigest(
      hash('sha256', new Uint8Array(buffer, byteOffset + start, end - start), 'binary'),
      leaves,
      i * HASH_BYTES,
    );
    start = end;
  }
  return { leaves, root: MerkleTree.fromLeafHashes(leaves).root() };
}
