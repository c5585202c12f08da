import { expect } from 'chai';
import { EMPTY_TREE_ROOT_HEX, HASH_BYTES, MerkleTree, canonicalJson, leafHash } from '@ruralcredit/protocol';
import { LEAF_SEPARATOR, hashChunk } from '../../src/provenance/leaf-chunk';
import { LeafHasher, WORKER_THRESHOLD } from '../../src/provenance/leaf-hasher';
import { LEAF_CHUNK } from '../../src/provenance/record-store';

/** Record `i`: keys out of order, unicode, numbers and nesting, so canonicalisation matters. */
function record(i: number): Record<string, unknown> {
  return {
    village: i % 3 === 0 ? `福安 Village ${i}` : `Xiadang ${i}`,
    areaSquareMetres: 80 + (i % 4000) / 10,
    certificateNo: `NDJ(2019)${String(i).padStart(8, '0')}`,
    parcel: { shared: i % 2 === 0, code: `350902-${i}`, owners: [i, `o"${i}\n`] },
    emoji: i % 7 === 0 ? '😀' : 'a',
  };
}

async function hashAll(
  n: number,
  options: ConstructorParameters<typeof LeafHasher>[0],
): Promise<{ result: Awaited<ReturnType<LeafHasher['finish']>>; threads: number; chunksHere: number }> {
  const hasher = new LeafHasher(options);
  let threads = 0;
  try {
    for (let i = 0; i < n; i++) {
      hasher.push(record(i));
      if (hasher.backlogged) await hasher.drain();
      threads = Math.max(threads, hasher.workerThreads);
    }
    const result = await hasher.finish();
    return { result, threads, chunksHere: hasher.chunksHashedHere };
  } finally {
    await hasher.close();
  }
}

/** The reference: leafHash per record, the whole tree, and each chunk's tree. */
function reference(n: number): { leaves: Buffer; root: string; chunkRoots: Buffer } {
  const records = Array.from({ length: n }, (_, i) => record(i));
  const leaves = Buffer.concat(records.map((r) => leafHash(r)));
  const chunkRoots: Buffer[] = [];
  for (let c = 0; c * LEAF_CHUNK < n; c++) {
    const chunk = leaves.subarray(c * LEAF_CHUNK * HASH_BYTES, (c + 1) * LEAF_CHUNK * HASH_BYTES);
    chunkRoots.push(MerkleTree.fromLeafHashes(Buffer.from(chunk)).root());
  }
  return { leaves, root: MerkleTree.fromRecords(records).rootHex(), chunkRoots: Buffer.concat(chunkRoots) };
}

/** Asserts that `result` holds the reference leaves, chunk roots and root of records 0 to `n` - 1. */
function expectReference(result: Awaited<ReturnType<LeafHasher['finish']>>, n: number): void {
  const ref = reference(n);
  expect(result.count).to.equal(n);
  expect(Buffer.concat(result.leafChunks).equals(ref.leaves)).to.equal(true);
  expect(result.chunkRoots.equals(ref.chunkRoots)).to.equal(true);
  expect(result.merkleRoot).to.equal(ref.root);
}

describe('provenance leaf hasher', () => {
  for (const n of [1, 2, 3, LEAF_CHUNK - 1, LEAF_CHUNK, LEAF_CHUNK + 1, 3 * LEAF_CHUNK + 17]) {
    it(`when ${n} records are hashed on the upload's thread, then leaves, chunk roots and root equal the reference`, async () => {
      const { result, threads } = await hashAll(n, {});
      expect(threads).to.equal(0);
      expectReference(result, n);
    });
  }

  it('when an upload passes the threshold, then two workers hash its chunks and every hash equals the reference', async () => {
    const n = 6 * LEAF_CHUNK + 5;
    const { result, threads, chunksHere } = await hashAll(n, { workerThreshold: 2 * LEAF_CHUNK, workers: 2 });
    expect(threads).to.equal(2);
    expect(chunksHere, 'chunk 0 (below the threshold)').to.be.at.least(1);
    expect(chunksHere, 'the workers hashed some').to.be.below(7);
    expectReference(result, n);
  });

  it('when the workers hand chunk buffers back, then later chunks are filled in them and every hash equals the reference', async () => {
    const n = 24 * LEAF_CHUNK + 100;
    const hasher = new LeafHasher({ workerThreshold: LEAF_CHUNK, workers: 1 });
    try {
      for (let i = 0; i < n; i++) {
        hasher.push(record(i));
        // Settled after each chunk: the worker has handed that chunk's buffers back before the next fills.
        if (hasher.count % LEAF_CHUNK === 0) await hasher.settled();
      }
      const result = await hasher.finish();
      // Chunk 0 got new buffers; chunks 1-23 and the last, partial one each got those handed back.
      expect(hasher.chunksHashedHere).to.equal(0);
      expect(hasher.chunksOnReusedBuffers).to.equal(24);
      expectReference(result, n);
    } finally {
      await hasher.close();
    }
  });

  it('when an upload stays below the default threshold, then no worker starts', async () => {
    const { threads } = await hashAll(WORKER_THRESHOLD - 1, {});
    expect(threads).to.equal(0);
  });

  it('when every worker has a full queue and the caller never yields, then the caller hashes the rest and every hash equals the reference', async () => {
    const n = 12 * LEAF_CHUNK + 3;
    const hasher = new LeafHasher({ workerThreshold: LEAF_CHUNK, workers: 1 });
    try {
      // No drain: the worker's answers are never read, so its queue stays full after 4 chunks.
      for (let i = 0; i < n; i++) hasher.push(record(i));
      expect(hasher.workerThreads).to.equal(1);
      expect(hasher.backlogged).to.equal(true);
      const result = await hasher.finish();
      // Chunks 0-3 filled the worker's queue; 4-11 and the last, partial one were hashed here.
      expect(hasher.chunksHashedHere).to.equal(9);
      expectReference(result, n);
    } finally {
      await hasher.close();
    }
  });

  it('when flat records, nested ones and records larger than a chunk buffer are mixed, then every leaf is the reference leaf hash', async () => {
    // Flat records take the byte writer; nested ones the string serialiser; a 60,000-character
    // record (3 UTF-8 bytes each) overflows the 256 KiB chunk buffer and makes it grow mid-chunk.
    const mixed = (i: number): Record<string, unknown> =>
      i % 5 === 0
        ? record(i)
        : i % 97 === 0
          ? { note: '城'.repeat(60_000), i }
          : { village: `福安 ${i}`, n: i / 3, ok: i % 2 === 0, none: null, quote: `"${i}"` };
    const n = 2 * LEAF_CHUNK + 9;
    const hasher = new LeafHasher({ workerThreshold: LEAF_CHUNK, workers: 1 });
    try {
      for (let i = 0; i < n; i++) {
        hasher.push(mixed(i));
        if (hasher.backlogged) await hasher.drain();
      }
      const result = await hasher.finish();
      const records = Array.from({ length: n }, (_, i) => mixed(i));
      expect(
        Buffer.concat(result.leafChunks).equals(Buffer.concat(records.map((r) => leafHash(r)))),
      ).to.equal(true);
      expect(result.merkleRoot).to.equal(MerkleTree.fromRecords(records).rootHex());
    } finally {
      await hasher.close();
    }
  });

  it('when nothing is pushed, then the root is the empty tree root', async () => {
    const { result } = await hashAll(0, {});
    expect(result.count).to.equal(0);
    expect(result.merkleRoot).to.equal(EMPTY_TREE_ROOT_HEX);
  });

  it('when a record has a lone surrogate, then push throws TypeError and the count is unchanged', async () => {
    const hasher = new LeafHasher();
    hasher.push(record(0));
    expect(() => hasher.push({ name: 'a\uD800' })).to.throw(TypeError, 'lone surrogate');
    expect(hasher.count).to.equal(1);
    const result = await hasher.finish();
    expect(result.merkleRoot).to.equal(MerkleTree.fromRecords([record(0)]).rootHex());
  });
});

describe('provenance chunk hashing', () => {
  /** A chunk as the hasher writes it: 0x00 and each record's canonical bytes, and where each record ends. */
  function chunkOf(records: readonly unknown[]): { bytes: Buffer; ends: Uint32Array } {
    const parts = records.map((r) =>
      Buffer.concat([Buffer.of(LEAF_SEPARATOR), Buffer.from(canonicalJson(r), 'utf8')]),
    );
    const ends = new Uint32Array(parts.length);
    let end = 0;
    parts.forEach((p, i) => (ends[i] = end += p.length));
    return { bytes: Buffer.concat(parts), ends };
  }

  it("when given the ends its writer recorded, then the leaves are each record's leaf hash and the root their tree's", () => {
    const records = [record(0), record(1), record(2)];
    const { bytes, ends } = chunkOf(records);
    const { leaves, root } = hashChunk(bytes, ends);
    expect(Buffer.from(leaves).equals(Buffer.concat(records.map((r) => leafHash(r))))).to.equal(true);
    expect(Buffer.from(root).toString('hex')).to.equal(MerkleTree.fromRecords(records).rootHex());
  });

  it('when the ends do not cut the bytes into records, then RangeError', () => {
    const { bytes, ends } = chunkOf([record(0), record(1)]);
    expect(() => hashChunk(bytes, new Uint32Array(0))).to.throw(RangeError, 'last must be the bytes');
    expect(() => hashChunk(bytes, Uint32Array.of(ends[0]!, ends[1]! - 1))).to.throw(
      RangeError,
      'last must be the bytes',
    );
    expect(() => hashChunk(bytes, Uint32Array.of(ends[0]! + 1, ends[1]!))).to.throw(
      RangeError,
      'record 1 does not start with 0x00',
    );
    expect(() => hashChunk(bytes, Uint32Array.of(ends[0]!, ends[0]!, ends[1]!))).to.throw(
      RangeError,
      'record 1 does not start with 0x00 or is empty',
    );
  });
});
