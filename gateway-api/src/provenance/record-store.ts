/**
 * Off-chain storage of batch records, their Merkle material and indexes.
 *
 * Layout (sublevels of the gateway database):
 * - `provenance-records` (sealed, AES-256-GCM): `<uploadId>!<index>` -> the record in clear JSON.
 * - `provenance-tree` (plain, digests only): `<uploadId>!L!<chunk>` -> 1024
 *   concatenated 32-byte leaf hashes; `<uploadId>!R` -> the chunk roots;
 *   `<uploadId>!S!<chunk>` -> 1024 concatenated 32-byte subject pseudonyms,
 *   kept only until the batch is `COMPLETE` (the subject index is built from them).
 * - `provenance-batches` (plain): `<batchId>` -> {@link BatchMeta}, written
 *   only once the ledger has committed the anchor.
 * - `provenance-by-subject` (plain): `<pseudonym>!<datasetType>!<anchoredAt>!<batchId>!<index>`.
 * - `provenance-by-leaf` (plain): `<leafHash>!<batchId>!<index>`.
 * - `provenance-intents` (plain): `<uploadId>` -> {@link AnchorIntent}, from the
 *   start of an upload until its batch is `COMPLETE` or its staging is discarded.
 *
 * Records and chunks are written during the upload under a fresh upload
 * ID (never the batch ID, which another upload or gateway may already own),
 * so a failed upload is removed by clearing one key range in two sublevels
 * and deleting its intent. Everything finalising needs is on disk before the
 * anchor is submitted, so a process that dies at any point leaves an intent
 * that recovery can finish (anchored) or discard (not anchored).
 *
 * Proofs are not stored per record (about 20 hashes each, over a gigabyte
 * for a million records): each aligned chunk of 1024 leaves is a complete
 * subtree of the RFC 6962 tree, and the tree over the chunk roots has the
 * same shape above them, so a record's audit path is its path inside its
 * chunk followed by its chunk's path in the tree of chunk roots. That costs
 * 32 bytes per record and two small tree builds per proof.
 */
import type { AbstractBatchOperation, AbstractPutOptions, AbstractSublevel } from 'abstract-level';
import { MerkleTree, CATALOGUE_CODE_PATTERN, HASH_BYTES, PSEUDONYM_PATTERN } from '@ruralcredit/protocol';
import type { InclusionProof } from '@ruralcredit/protocol';
import { z } from 'zod';
import type { GatewayDeps } from '../feature';
import { notFoundToUndefined, type GatewayDb } from '../store/db';
import type { SealedStore } from '../store/sealed';

/** Leaves per stored chunk: a power of two, so chunks are complete subtrees. */
export const LEAF_CHUNK = 1024;

/** Sublevel names, exported for tests that check nothing is left behind. */
export const PROVENANCE_SUBLEVELS = {
  records: 'provenance-records',
  tree: 'provenance-tree',
  batches: 'provenance-batches',
  bySubject: 'provenance-by-subject',
  byLeaf: 'provenance-by-leaf',
  intents: 'provenance-intents',
} as const;

/** Most records of one subject returned from one batch. */
export const MAX_RECORDS_PER_SUBJECT = 1000;

/** Writes per LevelDB batch while staging. */
const WRITE_BATCH = 1000;

const SEP = '!';
/** The character after {@link SEP}: upper bound of a `prefix!` range. */
const SEP_END = '"';

/**
 * What an unfinished upload left on disk, so that recovery can tell its
 * outcome after a crash. `STAGING` from the start of the upload (nothing was
 * submitted: recovery discards it); `ANCHORING` once every staged record,
 * leaf chunk and subject chunk is written and just before the anchor is
 * submitted (recovery asks the ledger).
 */
export const AnchorIntentSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('STAGING'),
    uploadId: z.string(),
    /** Gateway clock when the upload began (ISO-8601). */
    createdAt: z.string(),
  }),
  z.object({
    state: z.literal('ANCHORING'),
    uploadId: z.string(),
    /** Gateway clock when the anchor was about to be submitted (ISO-8601). */
    createdAt: z.string(),
    batchId: z.string(),
    datasetType: z.string(),
    /** MSP ID of the dataset's provider, which submitted the anchor. */
    provider: z.string(),
    merkleRoot: z.string(),
    recordCount: z.number().int().nonnegative(),
    /** Ledger height read before submitting: the anchor's block is at or above it. */
    ledgerHeight: z.number().int().nonnegative(),
  }),
]);

/** An unfinished upload's durable record (see {@link AnchorIntentSchema}). */
export type AnchorIntent = z.infer<typeof AnchorIntentSchema>;

/** The anchoring facts of an {@link AnchorIntent} in state `ANCHORING`. */
export type AnchoringIntent = Extract<AnchorIntent, { state: 'ANCHORING' }>;

/** Off-chain facts about a batch anchored through this gateway. */
export interface BatchMeta {
  readonly batchId: string;
  /** Key prefix of its records and tree chunks. */
  readonly uploadId: string;
  readonly datasetType: string;
  readonly merkleRoot: string;
  readonly recordCount: number;
  readonly anchoredAt: string;
  readonly txId: string;
  readonly blockNumber: number;
  /** `INDEXING` until every index entry is written, then `COMPLETE`. */
  readonly state: 'INDEXING' | 'COMPLETE';
}

/** A record as stored, with what proves it. */
export interface StoredRecord {
  readonly batchId: string;
  readonly datasetType: string;
  /** Position in the batch (the proof's leaf index). */
  readonly index: number;
  /** The record in clear (decrypted). */
  readonly record: Record<string, unknown>;
  /** Leaf hash, lowercase hex. */
  readonly leafHash: string;
  /** RFC 6962 audit path to {@link StoredRecord.merkleRoot}. */
  readonly proof: InclusionProof;
  /** The anchored root, lowercase hex. */
  readonly merkleRoot: string;
  /** Ledger time of the anchoring transaction. */
  readonly anchoredAt: string;
}

/** Read access to stored batch records, for other modules (verification reports). */
export interface RecordStore {
  /**
   * The records of a subject in the latest batch of `datasetType` that
   * contains the subject (latest by anchoring time, then batch ID), in batch
   * order, at most {@link MAX_RECORDS_PER_SUBJECT}; empty when there are none.
   *
   * @throws RangeError when the pseudonym or dataset code is malformed.
   * @throws SealedDataError when a stored record does not decrypt.
   */
  latestForSubject(pseudonym: string, datasetType: string): Promise<StoredRecord[]>;
  /**
   * The records of a subject in every complete batch of `datasetType` anchored in
   * [`window.from`, `window.to`) (either bound may be omitted), oldest first (by
   * anchoring time, then batch ID, then batch order), at most `limit`.
   *
   * @throws RangeError when the pseudonym or dataset code is malformed.
   * @throws SealedDataError when a stored record does not decrypt.
   */
  historyForSubject(
    pseudonym: string,
    datasetType: string,
    window: Readonly<{ from?: string | undefined; to?: string | undefined }>,
    limit: number,
  ): Promise<StoredRecord[]>;
  /**
   * Every record of a complete batch stored here, in batch order, without proofs
   * (for rule evaluation); nothing when the batch is not stored here or not complete.
   *
   * @throws SealedDataError when a stored record does not decrypt.
   */
  recordsOf(batchId: string): AsyncGenerator<{ index: number; record: Record<string, unknown> }>;
  /** The record at `index` of a batch stored here, or undefined. */
  recordAt(batchId: string, index: number): Promise<StoredRecord | undefined>;
  /** Off-chain facts about a batch, or undefined when it was not stored here. */
  batch(batchId: string): Promise<BatchMeta | undefined>;
  /** Up to `limit` stored batches whose records include a leaf with this hash (lowercase hex). */
  batchesWithLeaf(leafHashHex: string, limit: number): Promise<{ batchId: string; index: number }[]>;
}

const StoredValueSchema = z.record(z.string(), z.unknown());

type Plain<V> = AbstractSublevel<GatewayDb, string | Buffer | Uint8Array, string, V>;

/** The sublevels of the provenance store. */
export interface ProvenanceSublevels {
  readonly records: SealedStore<Record<string, unknown>>;
  readonly recordsRaw: Plain<Buffer>;
  readonly tree: Plain<Buffer>;
  readonly batches: Plain<BatchMeta>;
  readonly bySubject: Plain<string>;
  readonly byLeaf: Plain<string>;
  /** Values are unchecked JSON: read them through {@link AnchorIntentSchema}. */
  readonly intents: Plain<unknown>;
}

/** Opens the provenance sublevels (cheap; sublevels share the database). */
export function provenanceSublevels(deps: Pick<GatewayDeps, 'db' | 'sealedStore'>): ProvenanceSublevels {
  const db = deps.db;
  return {
    records: deps.sealedStore(PROVENANCE_SUBLEVELS.records, StoredValueSchema),
    recordsRaw: db.sublevel<string, Buffer>(PROVENANCE_SUBLEVELS.records, {
      keyEncoding: 'utf8',
      valueEncoding: 'buffer',
    }),
    tree: db.sublevel<string, Buffer>(PROVENANCE_SUBLEVELS.tree, {
      keyEncoding: 'utf8',
      valueEncoding: 'buffer',
    }),
    batches: db.sublevel<string, BatchMeta>(PROVENANCE_SUBLEVELS.batches, {
      keyEncoding: 'utf8',
      valueEncoding: 'json',
    }),
    bySubject: db.sublevel<string, string>(PROVENANCE_SUBLEVELS.bySubject, {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
    }),
    byLeaf: db.sublevel<string, string>(PROVENANCE_SUBLEVELS.byLeaf, {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
    }),
    intents: db.sublevel<string, unknown>(PROVENANCE_SUBLEVELS.intents, {
      keyEncoding: 'utf8',
      valueEncoding: 'json',
    }),
  };
}

/** Fixed-width decimal so keys sort in numeric order. */
function pad(n: number, width = 8): string {
  return String(n).padStart(width, '0');
}

function recordKey(uploadId: string, index: number): string {
  return `${uploadId}${SEP}${pad(index)}`;
}

function chunkKey(uploadId: string, chunk: number): string {
  return `${uploadId}${SEP}L${SEP}${pad(chunk)}`;
}

function rootsKey(uploadId: string): string {
  return `${uploadId}${SEP}R`;
}

function subjectChunkKey(uploadId: string, chunk: number): string {
  return `${uploadId}${SEP}S${SEP}${pad(chunk)}`;
}

/** Key range of everything under `prefix!`. */
function under(prefix: string): { gte: string; lt: string } {
  return { gte: `${prefix}${SEP}`, lt: `${prefix}${SEP_END}` };
}

/**
 * A synchronous write: LevelDB fsyncs its log, and with it every write made
 * before, since the log is appended in order. `sync` is a classic-level
 * option that abstract-level's option types do not declare.
 */
const DURABLE: AbstractPutOptions<string, unknown> & { readonly sync: true } = { sync: true };

/**
 * Stages one upload: records (sealed), subject and leaf-hash chunks and the
 * upload's {@link AnchorIntent}, under the upload's own prefix, in bounded
 * write batches. Nothing here is visible to readers until
 * {@link BatchFinaliser} records the anchored batch.
 */
export class UploadStaging {
  readonly #levels: ProvenanceSublevels;
  readonly #db: GatewayDb;
  readonly #uploadId: string;
  #ops: AbstractBatchOperation<GatewayDb, string, unknown>[] = [];
  /** Subject pseudonyms of the chunk being filled (number `#subjectChunk`). */
  readonly #subjects = Buffer.allocUnsafe(LEAF_CHUNK * HASH_BYTES);
  #subjectCount = 0;
  #subjectChunk = 0;

  /**
   * @param db the gateway database.
   * @param levels the provenance sublevels.
   * @param uploadId a fresh, unique prefix for this upload.
   */
  constructor(db: GatewayDb, levels: ProvenanceSublevels, uploadId: string) {
    this.#db = db;
    this.#levels = levels;
    this.#uploadId = uploadId;
  }

  /** Upload ID (the key prefix). */
  get uploadId(): string {
    return this.#uploadId;
  }

  /** Records the upload as `STAGING`, so that a crash before the anchor leaves something to discard. */
  async begin(): Promise<void> {
    const intent: AnchorIntent = {
      state: 'STAGING',
      uploadId: this.#uploadId,
      createdAt: new Date().toISOString(),
    };
    await this.#levels.intents.put(this.#uploadId, intent);
  }

  /**
   * Queues record `index` (sealed) and its subject pseudonym (32 bytes);
   * writes when the queue is full. Records must come in index order from 0.
   */
  async addRecord(index: number, record: Record<string, unknown>, subject: Uint8Array): Promise<void> {
    if (subject.length !== HASH_BYTES) throw new RangeError(`a subject pseudonym is ${HASH_BYTES} bytes`);
    this.#ops.push(this.#levels.records.putOp(recordKey(this.#uploadId, index), record));
    this.#subjects.set(subject, this.#subjectCount * HASH_BYTES);
    this.#subjectCount += 1;
    if (this.#subjectCount === LEAF_CHUNK) this.#queueSubjects();
    if (this.#ops.length >= WRITE_BATCH) await this.#flush();
  }

  /** Writes everything queued, including the last, partial chunk of subjects. Call after the last record. */
  async finishRecords(): Promise<void> {
    if (this.#subjectCount > 0) this.#queueSubjects();
    await this.#flush();
  }

  #queueSubjects(): void {
    this.#ops.push({
      type: 'put',
      sublevel: this.#levels.tree,
      key: subjectChunkKey(this.#uploadId, this.#subjectChunk),
      value: Buffer.from(this.#subjects.subarray(0, this.#subjectCount * HASH_BYTES)),
    });
    this.#subjectChunk += 1;
    this.#subjectCount = 0;
  }

  async #flush(): Promise<void> {
    if (this.#ops.length === 0) return;
    const ops = this.#ops;
    this.#ops = [];
    await this.#db.batch(ops);
  }

  /**
   * Writes the leaf hashes in chunks of {@link LEAF_CHUNK} and the chunk
   * roots; returns the root of the tree over the chunk roots, which equals
   * the root of the whole tree.
   *
   * @param leaves - the leaf hashes in one buffer, or already cut into
   *   chunks (the upload's leaf hasher, leaf-hasher.ts)
   * @param chunkRoots - the chunks' roots when already computed (the upload's
   *   leaf hasher); computed from the leaves when omitted
   * @throws RangeError when `chunkRoots` does not hold one root per chunk, or
   *   a chunk but the last is not {@link LEAF_CHUNK} leaves.
   */
  async writeTree(leaves: Buffer | readonly Uint8Array[], chunkRoots?: Buffer): Promise<string> {
    const chunkBytes = LEAF_CHUNK * HASH_BYTES;
    const leafChunks: readonly Uint8Array[] = Buffer.isBuffer(leaves) ? chunksOf(leaves, chunkBytes) : leaves;
    const chunks = leafChunks.length;
    if (chunkRoots !== undefined && chunkRoots.length !== chunks * HASH_BYTES)
      throw new RangeError(`expected ${chunks} chunk roots, got ${chunkRoots.length / HASH_BYTES}`);
    const roots = Buffer.allocUnsafe(chunks * HASH_BYTES);
    let ops: AbstractBatchOperation<Plain<Buffer>, string, Buffer>[] = [];
    for (let c = 0; c < chunks; c++) {
      const part = leafChunks[c]!;
      const full = part.length === chunkBytes;
      if (!(full || (c === chunks - 1 && part.length > 0 && part.length % HASH_BYTES === 0)))
        throw new RangeError(`leaf chunk ${c} holds ${part.length} bytes`);
      const chunk = Buffer.from(part.buffer, part.byteOffset, part.length);
      if (chunkRoots === undefined)
        MerkleTree.fromLeafHashes(chunk)
          .root()
          .copy(roots, c * HASH_BYTES);
      else chunkRoots.copy(roots, c * HASH_BYTES, c * HASH_BYTES, (c + 1) * HASH_BYTES);
      ops.push({ type: 'put', key: chunkKey(this.#uploadId, c), value: chunk });
      if (ops.length >= 64) {
        await this.#levels.tree.batch(ops);
        ops = [];
      }
    }
    ops.push({ type: 'put', key: rootsKey(this.#uploadId), value: roots });
    await this.#levels.tree.batch(ops);
    return MerkleTree.fromLeafHashes(roots).rootHex();
  }

  /**
   * Records, durably, that the anchor described by `anchor` is about to be
   * submitted. Call after {@link finishRecords} and {@link writeTree}: the
   * synchronous write makes everything staged before it durable too.
   */
  async prepareAnchor(anchor: Omit<AnchoringIntent, 'state' | 'uploadId' | 'createdAt'>): Promise<void> {
    const intent: AnchorIntent = {
      state: 'ANCHORING',
      uploadId: this.#uploadId,
      createdAt: new Date().toISOString(),
      ...anchor,
    };
    await this.#levels.intents.put(this.#uploadId, intent, DURABLE);
  }

  /** Removes everything staged under this upload (records, chunks), then its intent. */
  async discard(): Promise<void> {
    this.#ops = [];
    this.#subjectCount = 0;
    const range = under(this.#uploadId);
    await this.#levels.recordsRaw.clear(range);
    await this.#levels.tree.clear(range);
    // Last, so that a crash in the middle leaves the intent for recovery to discard again.
    await this.#levels.intents.del(this.#uploadId);
  }
}

/** `leafHashes` cut into chunks of `chunkBytes` (views, not copies). */
function chunksOf(leafHashes: Buffer, chunkBytes: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < leafHashes.length; at += chunkBytes)
    chunks.push(leafHashes.subarray(at, at + chunkBytes));
  return chunks;
}

/** Options of {@link BatchFinaliser}. */
export interface BatchFinaliserOptions {
  /**
   * Called after each chunk of index entries is written, with the records
   * indexed so far and the total; a rejection stops the finalise there
   * (tests use it to stop one midway, as a crash would).
   */
  readonly onProgress?: (indexed: number, total: number) => Promise<void> | void;
}

/**
 * Records an anchored batch and writes its indexes from the staged leaf and
 * subject chunks, then drops what only recovery needed (the subject chunks
 * and the upload's intent).
 *
 * Safe to run again after a partial run: every index key is derived from the
 * batch meta and the record's position, so a second run rewrites the same
 * keys rather than adding new ones, and the meta written by the first run
 * (its `anchoredAt` is part of the subject key) is the one reused.
 */
export class BatchFinaliser {
  readonly #levels: ProvenanceSublevels;
  readonly #onProgress: BatchFinaliserOptions['onProgress'];

  /**
   * @param levels the provenance sublevels.
   * @param options progress callback.
   */
  constructor(levels: ProvenanceSublevels, options: Readonly<BatchFinaliserOptions> = {}) {
    this.#levels = levels;
    this.#onProgress = options.onProgress;
  }

  /**
   * Marks the batch anchored (state `INDEXING`), writes the subject and leaf
   * indexes chunk by chunk, marks it `COMPLETE`, then removes the subject
   * chunks and the upload's intent.
   *
   * @throws Error when the batch is already stored from another upload, or a
   *   staged chunk of this one is missing or short (nothing is marked `COMPLETE`).
   */
  async finalise(anchored: Omit<BatchMeta, 'state'>): Promise<void> {
    const existing = await this.#levels.batches.get(anchored.batchId).catch(notFoundToUndefined);
    if (existing !== undefined && existing.uploadId !== anchored.uploadId) {
      throw new Error(
        `batch ${anchored.batchId} is already stored from upload ${existing.uploadId}, not ${anchored.uploadId}`,
      );
    }
    if (existing?.state !== 'COMPLETE') {
      const meta: BatchMeta = { ...(existing ?? anchored), state: 'INDEXING' };
      if (existing === undefined) await this.#levels.batches.put(meta.batchId, meta);
      await this.#index(meta);
      // Durable before the upload answers 201: recovery never meets the intent of an acknowledged batch
      // without this mark, so it never discards one.
      await this.#levels.batches.put(meta.batchId, { ...meta, state: 'COMPLETE' }, DURABLE);
    }
    await this.#levels.tree.clear(under(`${anchored.uploadId}${SEP}S`));
    await this.#levels.intents.del(anchored.uploadId);
  }

  async #index(meta: BatchMeta): Promise<void> {
    const chunks = Math.ceil(meta.recordCount / LEAF_CHUNK);
    const tail = `${SEP}${meta.batchId}${SEP}`;
    for (let c = 0; c < chunks; c++) {
      const size = Math.min(LEAF_CHUNK, meta.recordCount - c * LEAF_CHUNK);
      const [leaves, subjects] = await Promise.all([
        this.#levels.tree.get(chunkKey(meta.uploadId, c)).catch(notFoundToUndefined),
        this.#levels.tree.get(subjectChunkKey(meta.uploadId, c)).catch(notFoundToUndefined),
      ]);
      if (leaves?.length !== size * HASH_BYTES || subjects?.length !== size * HASH_BYTES) {
        throw new Error(`upload ${meta.uploadId} lacks staged chunk ${c} of batch ${meta.batchId}`);
      }
      const subjectOps: AbstractBatchOperation<Plain<string>, string, string>[] = [];
      const leafOps: AbstractBatchOperation<Plain<string>, string, string>[] = [];
      for (let i = 0; i < size; i++) {
        const subject = subjects.toString('hex', i * HASH_BYTES, (i + 1) * HASH_BYTES);
        const leaf = leaves.toString('hex', i * HASH_BYTES, (i + 1) * HASH_BYTES);
        const index = pad(c * LEAF_CHUNK + i);
        subjectOps.push({
          type: 'put',
          key: `${subject}${SEP}${meta.datasetType}${SEP}${meta.anchoredAt}${tail}${index}`,
          value: '',
        });
        leafOps.push({ type: 'put', key: `${leaf}${tail}${index}`, value: '' });
      }
      await this.#levels.bySubject.batch(subjectOps);
      await this.#levels.byLeaf.batch(leafOps);
      await this.#onProgress?.(c * LEAF_CHUNK + size, meta.recordCount);
    }
  }
}

/** A bounded map that forgets the entry used least recently. */
class RecentlyUsed<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      // Most recently used last: the Map's first key is the one evicted.
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.#entries.set(key, value);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as K);
  }
}

/**
 * Merkle trees a record store keeps built (the most recently used): a chunk's tree of up to
 * {@link LEAF_CHUNK} leaves is about 64 KiB, so at most about 16 MiB.
 */
const CACHED_TREES = 256;

/** Metadata of complete batches a record store keeps read (a few hundred bytes each). */
const CACHED_BATCHES = 4096;

/**
 * Builds audit paths from stored chunks, keeping the {@link CACHED_TREES} trees it used last.
 * A chunk's leaf hashes never change once written under its upload's ID (an upload is either
 * anchored and complete, or discarded, and reads only reach complete batches), so reports on
 * the same batches read and rebuild them once, not once per record.
 */
class ProofReader {
  readonly #tree: Plain<Buffer>;
  readonly #chunks = new RecentlyUsed<string, MerkleTree>(CACHED_TREES);

  constructor(tree: Plain<Buffer>) {
    this.#tree = tree;
  }

  async #load(key: string): Promise<MerkleTree | undefined> {
    const cached = this.#chunks.get(key);
    if (cached !== undefined) return cached;
    const bytes = await this.#tree.get(key).catch(notFoundToUndefined);
    if (bytes === undefined) return undefined;
    const tree = MerkleTree.fromLeafHashes(Buffer.from(bytes));
    this.#chunks.set(key, tree);
    return tree;
  }

  /** Leaf hash and audit path of record `index`, or undefined when the chunks are missing. */
  async proof(
    meta: BatchMeta,
    index: number,
  ): Promise<{ leafHash: string; proof: InclusionProof } | undefined> {
    const chunkIndex = Math.floor(index / LEAF_CHUNK);
    const chunk = await this.#load(chunkKey(meta.uploadId, chunkIndex));
    const roots = await this.#load(rootsKey(meta.uploadId));
    const within = index % LEAF_CHUNK;
    if (chunk === undefined || roots === undefined || within >= chunk.size) return undefined;
    return {
      leafHash: chunk.leafHash(within).toString('hex'),
      proof: {
        leafIndex: index,
        treeSize: meta.recordCount,
        path: [...chunk.proof(within).path, ...roots.proof(chunkIndex).path],
      },
    };
  }
}

/** {@link RecordStore} over the provenance sublevels. */
export class RecordStoreImpl implements RecordStore {
  readonly #levels: ProvenanceSublevels;
  readonly #proofs: ProofReader;
  readonly #completeBatches = new RecentlyUsed<string, BatchMeta>(CACHED_BATCHES);

  /** @param levels the provenance sublevels. */
  constructor(levels: ProvenanceSublevels) {
    this.#levels = levels;
    this.#proofs = new ProofReader(levels.tree);
  }

  async batch(batchId: string): Promise<BatchMeta | undefined> {
    return this.#levels.batches.get(batchId).catch(notFoundToUndefined);
  }

  async #complete(batchId: string): Promise<BatchMeta | undefined> {
    const cached = this.#completeBatches.get(batchId);
    if (cached !== undefined) return cached;
    const meta = await this.batch(batchId);
    if (meta?.state !== 'COMPLETE') return undefined;
    // A batch marked COMPLETE is never written again (BatchFinaliser.finalise skips it).
    this.#completeBatches.set(batchId, meta);
    return meta;
  }

  async latestForSubject(pseudonym: string, datasetType: string): Promise<StoredRecord[]> {
    if (!PSEUDONYM_PATTERN.test(pseudonym)) throw new RangeError('not a subject pseudonym');
    if (!CATALOGUE_CODE_PATTERN.test(datasetType)) throw new RangeError('not a dataset type code');
    const prefix = `${pseudonym}${SEP}${datasetType}`;
    const skipped = new Set<string>();
    let chosen: BatchMeta | undefined;
    const indexes: number[] = [];
    for await (const key of this.#levels.bySubject.keys({ ...under(prefix), reverse: true })) {
      // <anchoredAt>!<batchId>!<index>: none of the parts contains the separator.
      const [, batchId, index] = key.slice(prefix.length + 1).split(SEP);
      if (batchId === undefined || index === undefined) continue;
      if (chosen === undefined) {
        if (skipped.has(batchId)) continue;
        chosen = await this.#complete(batchId);
        if (chosen === undefined) {
          skipped.add(batchId);
          continue;
        }
      }
      if (batchId !== chosen.batchId) break;
      indexes.push(Number(index));
      if (indexes.length >= MAX_RECORDS_PER_SUBJECT) break;
    }
    if (chosen === undefined) return [];
    const proofs = this.#proofs;
    const out: StoredRecord[] = [];
    for (const index of indexes.reverse()) {
      const stored = await this.#read(chosen, index, proofs);
      if (stored !== undefined) out.push(stored);
    }
    return out;
  }

  async historyForSubject(
    pseudonym: string,
    datasetType: string,
    window: Readonly<{ from?: string | undefined; to?: string | undefined }>,
    limit: number,
  ): Promise<StoredRecord[]> {
    if (!PSEUDONYM_PATTERN.test(pseudonym)) throw new RangeError('not a subject pseudonym');
    if (!CATALOGUE_CODE_PATTERN.test(datasetType)) throw new RangeError('not a dataset type code');
    const prefix = `${pseudonym}${SEP}${datasetType}`;
    const range = {
      ...under(prefix),
      ...(window.from === undefined ? {} : { gte: `${prefix}${SEP}${window.from}` }),
      ...(window.to === undefined ? {} : { lt: `${prefix}${SEP}${window.to}` }),
    };
    const metas = new Map<string, BatchMeta | undefined>();
    const proofs = this.#proofs;
    const out: StoredRecord[] = [];
    for await (const key of this.#levels.bySubject.keys(range)) {
      const [, batchId, index] = key.slice(prefix.length + 1).split(SEP);
      if (batchId === undefined || index === undefined) continue;
      if (!metas.has(batchId)) metas.set(batchId, await this.#complete(batchId));
      const meta = metas.get(batchId);
      if (meta === undefined) continue;
      const stored = await this.#read(meta, Number(index), proofs);
      if (stored !== undefined) out.push(stored);
      if (out.length >= limit) break;
    }
    return out;
  }

  async *recordsOf(batchId: string): AsyncGenerator<{ index: number; record: Record<string, unknown> }> {
    const meta = await this.#complete(batchId);
    if (meta === undefined) return;
    const prefix = `${meta.uploadId}${SEP}`;
    for await (const [key, record] of this.#levels.records.iterate({ prefix })) {
      yield { index: Number(key.slice(prefix.length)), record };
    }
  }

  async recordAt(batchId: string, index: number): Promise<StoredRecord | undefined> {
    const meta = await this.#complete(batchId);
    if (meta === undefined || !Number.isSafeInteger(index) || index < 0 || index >= meta.recordCount) {
      return undefined;
    }
    return this.#read(meta, index, this.#proofs);
  }

  async batchesWithLeaf(leafHashHex: string, limit: number): Promise<{ batchId: string; index: number }[]> {
    if (!/^[0-9a-f]{64}$/.test(leafHashHex)) return [];
    const out: { batchId: string; index: number }[] = [];
    for await (const key of this.#levels.byLeaf.keys({ ...under(leafHashHex), limit })) {
      const [, batchId, index] = key.split(SEP);
      if (batchId !== undefined && index !== undefined) out.push({ batchId, index: Number(index) });
    }
    return out;
  }

  async #read(meta: BatchMeta, index: number, proofs: ProofReader): Promise<StoredRecord | undefined> {
    const record = await this.#levels.records.get(recordKey(meta.uploadId, index));
    const proven = await proofs.proof(meta, index);
    if (record === undefined || proven === undefined) return undefined;
    return {
      batchId: meta.batchId,
      datasetType: meta.datasetType,
      index,
      record,
      leafHash: proven.leafHash,
      proof: proven.proof,
      merkleRoot: meta.merkleRoot,
      anchoredAt: meta.anchoredAt,
    };
  }
}

/**
 * The record store over the gateway database, for modules that read batch
 * records (e.g. verification reports). Uses the same sublevels as the
 * provenance module.
 */
export function createRecordStore(deps: Pick<GatewayDeps, 'db' | 'sealedStore'>): RecordStore {
  return new RecordStoreImpl(provenanceSublevels(deps));
}
