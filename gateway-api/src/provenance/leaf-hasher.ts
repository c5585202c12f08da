/**
 * The leaf hashes and Merkle root of an upload, computed as the records
 * stream in.
 *
 * Each record is serialised (RFC 8785) on the caller's thread as it arrives,
 * its UTF-8 bytes written straight into the chunk's buffer
 * ({@link writeCanonicalJson}: no string per record, and no string per chunk,
 * whose joining and encoding cost three times the serialisation itself),
 * which a worker receives by transfer, not by copy; records are grouped into chunks of
 * {@link LEAF_CHUNK}, a power of two, so the root of the whole tree is the
 * root of the tree over the chunks' subtree roots (RFC 6962 splits at the
 * largest power of two below the size). A chunk's leaf hashes and subtree
 * root are computed on the caller's thread while the upload is small, and
 * on worker threads once it reaches `workerThreshold` records, so a large
 * upload uses every core while small ones never pay a worker's start-up.
 * The caller's thread is the busiest (the serialisation is most of the
 * work), so it never waits for a worker: a chunk that finds every worker's
 * queue full is hashed where it was filled.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EMPTY_TREE_ROOT_HEX, HASH_BYTES, MerkleTree, writeCanonicalJson } from '@ruralcredit/protocol';
import { LEAF_SEPARATOR, hashChunk, type ChunkHashes } from './leaf-chunk';
import type { ChunkRequest, ChunkResponse } from './leaf-worker';
import { LEAF_CHUNK } from './record-store';

/** Records from which an upload's chunks go to worker threads (by default). */
export const WORKER_THRESHOLD = 16 * LEAF_CHUNK;

/** First size of a chunk's buffer: 1,024 records of about 250 bytes; it doubles when needed. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Chunks queued per worker; a chunk filled while every worker has this many
 * is hashed on the caller's thread instead, which would otherwise wait.
 */
const MAX_IN_FLIGHT_PER_WORKER = 4;

/** What an upload's hashing produced. */
export interface BatchHashes {
  /** Number of records (leaves). */
  readonly count: number;
  /**
   * The leaf hashes, 32 bytes each, in record order, one array per chunk of
   * {@link LEAF_CHUNK} (the last may be shorter), as the chunks were hashed:
   * gathering them into one buffer as they arrived cost the upload's thread
   * 15 % of its time (a million leaves are 32 MB).
   */
  readonly leafChunks: readonly Uint8Array[];
  /** The root of each chunk of {@link LEAF_CHUNK} leaves, 32 bytes each. */
  readonly chunkRoots: Buffer;
  /** Merkle root of the whole batch, lowercase hex. */
  readonly merkleRoot: string;
}

/** Options of {@link LeafHasher}. */
export interface LeafHasherOptions {
  /** Records from which chunks are hashed on worker threads; default {@link WORKER_THRESHOLD}. */
  readonly workerThreshold?: number;
  /**
   * Worker threads once past the threshold; default one fewer than the
   * available cores (at least 1, at most 4): the caller's thread serialises
   * every record and hashes the chunks the workers have no room for.
   */
  readonly workers?: number;
}

function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** Hashes one upload's records; use once, then {@link LeafHasher.close}. */
export class LeafHasher {
  readonly #workerThreshold: number;
  readonly #workerCount: number;
  #workers: Worker[] = [];
  /** Chunks sent to each worker and not yet answered. */
  #queued: number[] = [];
  /** The chunk being filled: its own ArrayBuffer (transferable), `#length` bytes used. */
  #bytes: Buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  #length = 0;
  /** Where each of the chunk's records ends in `#bytes` (its own ArrayBuffer, transferable). */
  #ends = new Uint32Array(LEAF_CHUNK);
  #count = 0;
  #chunks = 0;
  #leafChunks: Uint8Array[] = [];
  #chunkRoots: Buffer = Buffer.allocUnsafe(16 * HASH_BYTES);
  /** Chunk buffers the workers handed back, to be filled again. */
  #spares: { bytes: Buffer; ends: Uint32Array<ArrayBuffer> }[] = [];
  #inFlight = 0;
  #hashedHere = 0;
  #reused = 0;
  /** Set when a chunk was dispatched while workers run; cleared by {@link drain}. */
  #turnDue = false;
  #failure: Error | undefined;
  #waiters: { resolve: () => void; reject: (err: Error) => void; below: number }[] = [];

  /** @param options - when chunks go to worker threads, and to how many */
  constructor(options: Readonly<LeafHasherOptions> = {}) {
    this.#workerThreshold = options.workerThreshold ?? WORKER_THRESHOLD;
    this.#workerCount = options.workers ?? defaultWorkers();
  }

  /** Records pushed so far. */
  get count(): number {
    return this.#count;
  }

  /** Chunks hashed on the caller's thread so far: those below the worker threshold and those that found every worker's queue full. */
  get chunksHashedHere(): number {
    return this.#hashedHere;
  }

  /** Chunks filled in buffers a worker had handed back (rather than new ones). */
  get chunksOnReusedBuffers(): number {
    return this.#reused;
  }

  /** Worker threads running now (0 until the upload reaches the threshold, and after finish). */
  get workerThreads(): number {
    return this.#workers.length;
  }

  /**
   * Whether the caller should `await` {@link drain} before the next push: a
   * chunk was dispatched while workers run since the last drain, and the
   * workers' answers are read only when the event loop turns (so at most
   * once per chunk).
   */
  get backlogged(): boolean {
    return this.#turnDue;
  }

  /**
   * Adds the next record.
   *
   * @throws TypeError when the record has no RFC 8785 form (nothing is added then).
   */
  push(record: unknown): void {
    // The record's bytes go after its 0x00 separator; when they do not fit, the buffer grows
    // (at least doubling) and they are written again. Nothing counts until they are in.
    const start = this.#length + 1;
    let end = writeCanonicalJson(record, this.#bytes, start);
    if (end > this.#bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(end, 2 * this.#bytes.length));
      this.#bytes.copy(grown, 0, 0, this.#length);
      this.#bytes = grown;
      end = writeCanonicalJson(record, this.#bytes, start);
    }
    this.#bytes[this.#length] = LEAF_SEPARATOR;
    this.#length = end;
    this.#ends[this.#count % LEAF_CHUNK] = this.#length;
    this.#count += 1;
    if (this.#count % LEAF_CHUNK === 0) this.#dispatch();
  }

  /**
   * Lets the event loop turn once, so the workers' finished chunks are read
   * and their queues make room; never waits for a worker (a chunk that finds
   * every queue full is hashed on the caller's thread).
   *
   * @throws Error when a worker failed.
   */
  drain(): Promise<void> {
    this.#turnDue = false;
    return new Promise((resolve, reject) => {
      setImmediate(() => (this.#failure === undefined ? resolve() : reject(this.#failure)));
    });
  }

  /**
   * Resolves once every chunk handed to a worker so far is hashed.
   *
   * @throws Error when a worker failed.
   */
  settled(): Promise<void> {
    return this.#waitBelow(1);
  }

  /**
   * Hashes what is left, waits for every chunk and builds the root; stops the workers.
   *
   * @throws Error when a worker failed.
   */
  async finish(): Promise<BatchHashes> {
    if (this.#length > 0) this.#dispatch();
    await this.#waitBelow(1);
    await this.close();
    const chunkRoots = this.#chunkRoots.subarray(0, this.#chunks * HASH_BYTES);
    return {
      count: this.#count,
      leafChunks: this.#leafChunks.slice(0, this.#chunks),
      chunkRoots,
      merkleRoot: this.#count === 0 ? EMPTY_TREE_ROOT_HEX : MerkleTree.fromLeafHashes(chunkRoots).rootHex(),
    };
  }

  /** Stops the worker threads (after {@link finish}, or when the upload is abandoned). */
  async close(): Promise<void> {
    const workers = this.#workers;
    this.#workers = [];
    this.#queued = [];
    this.#spares = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  #dispatch(): void {
    const chunk = this.#chunks;
    this.#chunks += 1;
    const bytes = this.#bytes;
    const length = this.#length;
    const ends = this.#ends.subarray(0, this.#count - chunk * LEAF_CHUNK);
    this.#length = 0;
    if (this.#workers.length === 0 && this.#count >= this.#workerThreshold) this.#startWorkers();
    const worker = this.#leastQueued();
    if (worker === -1) {
      // Below the threshold, or every worker's queue is full: hashed here rather than waited for
      // (and the next drain reads the answers that make room). The buffers are filled again.
      this.#store(chunk, hashChunk(bytes.subarray(0, length), ends));
      this.#hashedHere += 1;
      this.#turnDue = this.#workers.length > 0;
      return;
    }
    // The buffers go to the worker; the next chunk gets buffers a worker has handed back, or new
    // ones, sized for a chunk like this one (not like the largest ever: one huge record does not
    // make every later chunk huge).
    this.#takeSpare(Math.max(CHUNK_BYTES, length + (length >> 2)));
    const request: ChunkRequest = { chunk, bytes: bytes.buffer as ArrayBuffer, length, ends };
    this.#inFlight += 1;
    this.#queued[worker]! += 1;
    this.#turnDue = true;
    this.#workers[worker]!.postMessage(request, [request.bytes, ends.buffer]);
  }

  /**
   * Makes a spare pair of buffers, or new ones, the chunk's buffers: spare
   * when at least `bytes` long and not over four times that. Reusing them
   * spares the fresh pages' faults and zeroing on this thread, and the cold
   * cache lines on the worker (1.22 against 1.34 ms a chunk measured on it).
   */
  #takeSpare(bytes: number): void {
    for (;;) {
      const spare = this.#spares.pop();
      if (spare === undefined) break;
      if (spare.bytes.length >= bytes && spare.bytes.length <= 4 * bytes) {
        this.#bytes = spare.bytes;
        this.#ends = spare.ends;
        this.#reused += 1;
        return;
      }
    }
    this.#bytes = Buffer.allocUnsafeSlow(bytes);
    this.#ends = new Uint32Array(LEAF_CHUNK);
  }

  /** The worker with the fewest chunks queued, or -1 when none has room (or none runs). */
  #leastQueued(): number {
    let best = -1;
    for (let i = 0; i < this.#queued.length; i++) {
      const queued = this.#queued[i]!;
      if (queued < MAX_IN_FLIGHT_PER_WORKER && (best === -1 || queued < this.#queued[best]!)) best = i;
    }
    return best;
  }

  #startWorkers(): void {
    for (let i = 0; i < this.#workerCount; i++) {
      const worker = new Worker(path.join(__dirname, 'leaf-worker.js'));
      this.#queued.push(0);
      worker.on('message', (response: ChunkResponse) => {
        if (this.#workers[i] !== worker) return; // answered after close(): the upload is abandoned
        this.#inFlight -= 1;
        this.#queued[i]! -= 1;
        this.#store(response.chunk, response);
        if (response.ends.length === LEAF_CHUNK)
          this.#spares.push({ bytes: Buffer.from(response.bytes), ends: response.ends });
        this.#settle();
      });
      worker.on('error', (err) => this.#fail(err));
      worker.on('exit', (code) => {
        if (this.#workers.includes(worker)) this.#fail(new Error(`leaf hashing worker exited with ${code}`));
      });
      this.#workers.push(worker);
    }
  }

  #store(chunk: number, hashes: ChunkHashes): void {
    this.#leafChunks[chunk] = hashes.leaves;
    this.#chunkRoots = ensureCapacity(this.#chunkRoots, (chunk + 1) * HASH_BYTES);
    this.#chunkRoots.set(hashes.root, chunk * HASH_BYTES);
  }

  #waitBelow(below: number): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#inFlight < below) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject, below }));
  }

  #settle(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#inFlight >= w.below) return true;
      w.resolve();
      return false;
    });
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const w of this.#waiters) w.reject(this.#failure);
    this.#waiters = [];
  }
}

/** `buffer`, or a copy twice as large (or more) when it holds fewer than `bytes`. */
function ensureCapacity(buffer: Buffer, bytes: number): Buffer {
  if (bytes <= buffer.length) return buffer;
  const grown = Buffer.allocUnsafe(Math.max(bytes, buffer.length * 2));
  buffer.copy(grown);
  return grown;
}
