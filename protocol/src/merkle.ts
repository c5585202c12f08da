/**
 * Batch provenance Merkle trees (RFC 6962 / RFC 9162 shape).
 *
 * Leaves and interior nodes are hashed with different one-byte prefixes
 * (0x00 and 0x01) so a leaf can never be passed off as an interior node
 * (second-preimage resistance). Trees whose size is not a power of two are
 * split at the largest power of two smaller than the size, exactly as
 * RFC 6962 section 2.1 defines the Merkle Tree Hash, so proofs produced here
 * verify with any RFC 6962 / RFC 9162 verifier.
 *
 * Everything hashes raw 32-byte digests; hex appears only at the API edge
 * (proof paths, roots handed to callers), never inside the tree.
 */
import { createHash, hash } from 'node:crypto';
import { canonicalJson } from './canonical';

/** Size in bytes of a SHA-256 digest, the unit of every leaf and node hash. */
export const HASH_BYTES = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** Root of the empty tree: SHA-256 of the empty string (RFC 6962 section 2.1). */
export const EMPTY_TREE_ROOT_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * An RFC 6962 audit path proving that one leaf is in a tree of a given size.
 *
 * `path` lists the sibling hashes from the leaf's level up to the root
 * (the order of RFC 6962 section 2.1.1 and RFC 9162 section 2.1.3.1), as
 * 64-character lowercase hex strings.
 */
export interface InclusionProof {
  /** Zero-based position of the leaf in the batch. */
  leafIndex: number;
  /** Number of leaves in the tree the proof was produced for. */
  treeSize: number;
  /** Sibling hashes, leaf level first, lowercase hex without `0x`. */
  path: string[];
}

// Reused for every hash: JavaScript runs one call at a time, and none of the
// functions below yields while the scratch buffers hold data. Leaves larger
// than the scratch are hashed incrementally instead, so one huge record does
// not pin a huge buffer for the life of the process.
const LEAF_SCRATCH_BYTES = 16 * 1024;
const leafScratch = Buffer.allocUnsafe(LEAF_SCRATCH_BYTES);
leafScratch[0] = LEAF_PREFIX;
const LEAF_PREFIX_BYTES = Buffer.from([LEAF_PREFIX]);
const nodeScratch = Buffer.allocUnsafe(1 + 2 * HASH_BYTES);
nodeScratch[0] = NODE_PREFIX;

/**
 * Hashes raw leaf data: SHA-256(0x00 || data).
 *
 * Use this for leaves that are already bytes; use {@link leafHash} for records.
 */
export function hashLeafData(data: Uint8Array): Buffer {
  const needed = 1 + data.length;
  if (needed > LEAF_SCRATCH_BYTES)
    return createHash('sha256').update(LEAF_PREFIX_BYTES).update(data).digest();
  leafScratch.set(data, 1);
  return hash('sha256', leafScratch.subarray(0, needed), 'buffer');
}

/**
 * Leaf hash of one batch record: SHA-256(0x00 || canonicalBytes(record)).
 *
 * Two records that are equal as JSON values give the same leaf hash whatever
 * their key order, because the record is serialised as RFC 8785 canonical JSON.
 *
 * @throws TypeError when the record cannot be represented as JSON.
 */
export function leafHash(record: unknown): Buffer {
  // U+0000 encodes to the single byte 0x00 in UTF-8, so this hashes exactly
  // 0x00 || canonicalBytes(record), without an intermediate Buffer.
  return hash('sha256', `\u0000${canonicalJson(record)}`, 'buffer');
}

/**
 * Interior node hash: SHA-256(0x01 || left || right).
 *
 * @throws RangeError when either child is not 32 bytes.
 */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) {
    throw new RangeError(`child hashes must be ${HASH_BYTES} bytes`);
  }
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_BYTES);
  return hash('sha256', nodeScratch, 'buffer');
}

/**
 * Hashes the two adjacent 32-byte children at `offset` of `level` into `out` at `outOffset`.
 *
 * The digest comes back as a 'binary' (latin1) string, one character per byte, lossless,
 * rather than a Buffer: Node allocates a new Buffer for every `'buffer'`
 * digest, which costs twice the hashing of 65 bytes itself.
 */
function hashPairInto(level: Buffer, offset: number, out: Buffer, outOffset: number): void {
  // A byte loop: Buffer.copy's argument checks cost more than copying 64 bytes.
  for (let k = 0; k < 2 * HASH_BYTES; k++) nodeScratch[1 + k] = level[offset + k]!;
  writeDigest(hash('sha256', nodeScratch, 'binary'), out, outOffset);
}

type Latin1Write = (this: Buffer, text: string, offset: number, length: number) => number;

/**
 * Buffer's native Latin-1 writer: what `Buffer.write` ends in for 'latin1' once
 * it has checked its arguments and looked up the encoding, which for 32 bytes
 * costs as much as the write. Undefined on a runtime without it.
 */
const nativeLatin1Write = (Buffer.prototype as unknown as { latin1Write?: Latin1Write }).latin1Write;

/**
 * Writes a digest returned as a 'binary' (latin1) string (one character per byte,
 * lossless) into `out` at `offset`: a hot loop's way to collect digests, as
 * Node allocates a new Buffer for every 'buffer' digest, which costs more
 * than hashing 200 bytes.
 */
export function writeDigest(digest: string, out: Buffer, offset: number): void {
  if (nativeLatin1Write === undefined) out.write(digest, offset, HASH_BYTES, 'latin1');
  else nativeLatin1Write.call(out, digest, offset, HASH_BYTES);
}

/**
 * Streaming Merkle root computation in O(log n) memory.
 *
 * Leaf hashes are added one at a time; the builder keeps only the roots of
 * the complete (power-of-two) subtrees seen so far, one per set bit of the
 * leaf count, so a million leaves need twenty 32-byte hashes. Use it when the
 * root is all that is needed; use {@link MerkleTree} when proofs are needed too.
 */
export class MerkleTreeBuilder {
  /** Roots of complete subtrees, largest (leftmost) first. */
  readonly #stack: Buffer[] = [];
  #size = 0;

  /** Number of leaves added so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds the next leaf hash (as produced by {@link leafHash}).
   *
   * @throws RangeError when the hash is not 32 bytes.
   */
  addLeafHash(leaf: Uint8Array): this {
    if (leaf.length !== HASH_BYTES) throw new RangeError(`leaf hash must be ${HASH_BYTES} bytes`);
    let node: Buffer = Buffer.from(leaf);
    // Each trailing one bit of the old count is a complete subtree of the same
    // size as the one being carried, so the two merge (binary addition).
    for (let count = this.#size; count % 2 === 1; count = Math.floor(count / 2)) {
      node = hashChildren(this.#stack.pop()!, node);
    }
    this.#stack.push(node);
    this.#size += 1;
    return this;
  }

  /**
   * Hashes a record with {@link leafHash} and adds it.
   *
   * @throws TypeError when the record cannot be represented as JSON.
   */
  addRecord(record: unknown): this {
    return this.addLeafHash(leafHash(record));
  }

  /**
   * Root of the leaves added so far (the builder stays usable).
   *
   * The complete subtrees are folded right to left, which is the RFC 6962
   * split at the largest power of two smaller than the size.
   */
  root(): Buffer {
    const stack = this.#stack;
    let node: Buffer | undefined = stack[stack.length - 1];
    if (node === undefined) return Buffer.from(EMPTY_TREE_ROOT_HEX, 'hex');
    for (let i = stack.length - 2; i >= 0; i--) node = hashChildren(stack[i]!, node);
    return Buffer.from(node);
  }

  /** {@link MerkleTreeBuilder.root} as lowercase hex. */
  rootHex(): string {
    return this.root().toString('hex');
  }
}

/**
 * A Merkle tree held in memory for producing inclusion proofs for every leaf.
 *
 * Level 0 is the caller's leaf-hash buffer (n x 32 bytes, one contiguous
 * Buffer); each level above holds ceil(previous / 2) hashes in one Buffer.
 * A level with an odd count carries its last node up unchanged, which gives
 * the same tree as the RFC 6962 split rule. Total memory is about twice the
 * leaf buffer: 64 MB for a million leaves. A proof is read from the cached
 * levels in O(log n) without rehashing.
 */
export class MerkleTree {
  readonly #levels: readonly Buffer[];
  readonly #size: number;

  private constructor(levels: Buffer[], size: number) {
    this.#levels = levels;
    this.#size = size;
  }

  /**
   * Builds the tree over concatenated 32-byte leaf hashes.
   *
   * The tree keeps a reference to `leafHashes` rather than copying 32 MB per
   * million leaves; the caller must not modify the buffer afterwards.
   *
   * @throws RangeError when the buffer length is not a multiple of 32.
   */
  static fromLeafHashes(leafHashes: Buffer): MerkleTree {
    if (leafHashes.length % HASH_BYTES !== 0) {
      throw new RangeError(`leaf hash buffer length ${leafHashes.length} is not a multiple of ${HASH_BYTES}`);
    }
    const size = leafHashes.length / HASH_BYTES;
    const levels = [leafHashes];
    let level = leafHashes;
    let count = size;
    while (count > 1) {
      const parentCount = Math.ceil(count / 2);
      const parent = Buffer.allocUnsafe(parentCount * HASH_BYTES);
      const pairs = Math.floor(count / 2);
      for (let i = 0; i < pairs; i++) hashPairInto(level, 2 * i * HASH_BYTES, parent, i * HASH_BYTES);
      if (count % 2 === 1)
        level.copy(parent, pairs * HASH_BYTES, (count - 1) * HASH_BYTES, count * HASH_BYTES);
      levels.push(parent);
      level = parent;
      count = parentCount;
    }
    return new MerkleTree(levels, size);
  }

  /**
   * Hashes each record with {@link leafHash} and builds the tree.
   *
   * @throws TypeError when a record cannot be represented as JSON.
   */
  static fromRecords(records: readonly unknown[]): MerkleTree {
    const leaves = Buffer.allocUnsafe(records.length * HASH_BYTES);
    records.forEach((record, i) => leafHash(record).copy(leaves, i * HASH_BYTES));
    return MerkleTree.fromLeafHashes(leaves);
  }

  /** Number of leaves. */
  get size(): number {
    return this.#size;
  }

  /** Root hash (a copy); SHA-256("") for the empty tree. */
  root(): Buffer {
    if (this.#size === 0) return Buffer.from(EMPTY_TREE_ROOT_HEX, 'hex');
    const top = this.#levels[this.#levels.length - 1]!;
    return Buffer.from(top.subarray(0, HASH_BYTES));
  }

  /** Root hash as lowercase hex. */
  rootHex(): string {
    return this.root().toString('hex');
  }

  /**
   * Leaf hash at `index` (a copy).
   *
   * @throws RangeError when `index` is not a leaf position.
   */
  leafHash(index: number): Buffer {
    this.#checkIndex(index);
    return Buffer.from(this.#levels[0]!.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES));
  }

  /**
   * Inclusion proof (RFC 6962 audit path) for the leaf at `index`.
   *
   * @throws RangeError when `index` is not a leaf position.
   */
  proof(index: number): InclusionProof {
    this.#checkIndex(index);
    const path: string[] = [];
    let position = index;
    for (let k = 0; k < this.#levels.length - 1; k++) {
      const level = this.#levels[k]!;
      const sibling = position % 2 === 1 ? position - 1 : position + 1;
      // A missing right sibling means this node was carried up unchanged:
      // no hashing happens at this level, so the path has no entry for it.
      if (sibling * HASH_BYTES < level.length) {
        path.push(level.toString('hex', sibling * HASH_BYTES, (sibling + 1) * HASH_BYTES));
      }
      position = Math.floor(position / 2);
    }
    return { leafIndex: index, treeSize: this.#size, path };
  }

  #checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#size) {
      throw new RangeError(`leaf index ${String(index)} is outside a tree of ${this.#size} leaves`);
    }
  }
}

/**
 * Computes the root of a whole list of leaf hashes in one call (streaming, O(log n) memory).
 *
 * @throws RangeError when the buffer length is not a multiple of 32.
 */
export function merkleRootOfLeafHashes(leafHashes: Buffer): Buffer {
  if (leafHashes.length % HASH_BYTES !== 0) {
    throw new RangeError(`leaf hash buffer length ${leafHashes.length} is not a multiple of ${HASH_BYTES}`);
  }
  const builder = new MerkleTreeBuilder();
  for (let offset = 0; offset < leafHashes.length; offset += HASH_BYTES) {
    builder.addLeafHash(leafHashes.subarray(offset, offset + HASH_BYTES));
  }
  return builder.root();
}

/**
 * Verifies an inclusion proof by the algorithm of RFC 9162 section 2.1.3.2.
 *
 * Never throws: any malformed input (hex that is not 64 lowercase characters,
 * a non-integer index or size, an index outside the tree, a path of the wrong
 * length) simply fails verification.
 *
 * As in RFC 9162, the root does not by itself commit to the tree size: a
 * proof with a different `treeSize` can verify when the path has the same
 * shape. Take both the root and the leaf count from the anchored batch
 * provenance and pass the count as `anchoredTreeSize`.
 *
 * @param leafHashHex - the leaf hash (as from {@link leafHash}) in lowercase hex
 * @param proof - the proof produced by {@link MerkleTree.proof}
 * @param rootHex - the root the leaf is claimed to be under, in lowercase hex
 * @param anchoredTreeSize - when given, `proof.treeSize` must equal it
 * @returns true only when the path leads from the leaf to exactly `rootHex`
 */
export function verifyInclusion(
  leafHashHex: string,
  proof: InclusionProof,
  rootHex: string,
  anchoredTreeSize?: number,
): boolean {
  if (typeof leafHashHex !== 'string' || !HEX_DIGEST.test(leafHashHex)) return false;
  if (typeof rootHex !== 'string' || !HEX_DIGEST.test(rootHex)) return false;
  if (typeof proof !== 'object' || proof === null) return false;
  const { leafIndex, treeSize, path } = proof;
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0) return false;
  if (!Array.isArray(path)) return false;
  if (anchoredTreeSize !== undefined && treeSize !== anchoredTreeSize) return false;
  // Step 1.
  if (leafIndex >= treeSize) return false;
  // Steps 2-3. Arithmetic rather than bit operators: these are 53-bit numbers.
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leafHashHex, 'hex');
  // Step 4.
  for (const p of path as unknown[]) {
    if (typeof p !== 'string' || !HEX_DIGEST.test(p)) return false;
    if (sn === 0) return false;
    const sibling = Buffer.from(p, 'hex');
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(sibling, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 5.
  return sn === 0 && r.toString('hex') === rootHex;
}
