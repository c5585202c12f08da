/**
 * The peer side of chaincode queries: results iterators over the state and
 * history databases and the batching that Fabric's chaincode handler applies
 * when it answers the shim (`QueryResponseGenerator.BuildQueryResponse`).
 *
 * Reproduced details that chaincode can observe:
 * - results travel in batches of 100; the handler reads one result ahead
 *   when it cuts a batch, so range query info (and phantom detection) covers
 *   what the peer fetched, not only what the chaincode consumed;
 * - at most `totalQueryLimit` results per query (core.yaml, default 100000);
 * - a paginated query returns one page and a bookmark: the key following the
 *   page, or `''` when nothing follows.
 */
import type { RangeQueryCapture } from './rwset';
import type { HistoryScan, LedgerStore, StateScan } from './store';

/** Results per batch sent from peer to shim (Fabric's `MaxResultLimit`). */
export const MAX_RESULTS_PER_BATCH = 100;

/** A key/value result as the shim builds it from `queryresult.KV`. */
export interface KVResult {
  readonly key: string;
  readonly value: Buffer;
}

/** A history result as the shim builds it from `queryresult.KeyModification`. */
export interface KeyModificationResult {
  readonly txId: string;
  readonly value: Buffer;
  readonly isDelete: boolean;
  readonly timestamp: { seconds: number; nanos: number };
}

/** A peer-side results iterator; `next()` resolves `undefined` when exhausted. */
export interface ResultsIterator<T> {
  next(): Promise<T | undefined>;
  close(): Promise<void>;
  /** Paginated iterators: the key after the page, then closes. */
  bookmarkAndClose?(): Promise<string>;
}

/**
 * Range scan over committed state that records what it returns for phantom
 * read validation (Fabric's `resultsItr` over a `kvScanner`).
 */
export class RangeResultsIterator implements ResultsIterator<KVResult> {
  readonly #scan: StateScan;
  readonly #capture: RangeQueryCapture;
  readonly #pageSize: number;
  #returned = 0;

  /**
   * @param options - the state scan, its range query capture and the page
   *   size (`<= 0`: unlimited).
   */
  constructor(options: Readonly<{ scan: StateScan; capture: RangeQueryCapture; pageSize: number }>) {
    this.#scan = options.scan;
    this.#capture = options.capture;
    this.#pageSize = options.pageSize;
  }

  async next(): Promise<KVResult | undefined> {
    const limited = this.#pageSize > 0 && this.#returned >= this.#pageSize;
    const entry = limited ? undefined : await this.#scan.next();
    if (entry === undefined) {
      this.#capture.recordExhausted();
      return undefined;
    }
    this.#returned++;
    this.#capture.recordResult(entry.key, entry.version);
    return { key: entry.key, value: Buffer.from(entry.value) };
  }

  async bookmarkAndClose(): Promise<string> {
    const following = await this.#scan.next();
    await this.close();
    return following === undefined ? '' : following.key;
  }

  close(): Promise<void> {
    return this.#scan.close();
  }
}

/** History of one key, newest first, with values taken from the blocks (Fabric's `historyScanner`). */
export class HistoryResultsIterator implements ResultsIterator<KeyModificationResult> {
  readonly #scan: HistoryScan;
  readonly #store: LedgerStore;
  readonly #key: string;

  /** @param options - the history scan, the store to read blocks from and the key. */
  constructor(options: Readonly<{ scan: HistoryScan; store: LedgerStore; key: string }>) {
    this.#scan = options.scan;
    this.#store = options.store;
    this.#key = options.key;
  }

  async next(): Promise<KeyModificationResult | undefined> {
    const height = await this.#scan.next();
    if (height === undefined) return undefined;
    const block = await this.#store.getBlock(height.blockNum);
    const transaction = block?.transactions[height.txNum];
    const write = transaction?.writes.find((candidate) => candidate.key === this.#key);
    if (!transaction || !write) {
      throw new Error(
        `no namespace or key is found for key ${this.#key} with decoded blockNum ` +
          `${height.blockNum} and tranNum ${height.txNum}`,
      );
    }
    return {
      txId: transaction.transactionId,
      value: Buffer.from(write.value, 'base64'),
      isDelete: write.isDelete,
      timestamp: timestampOf(transaction.timestamp),
    };
  }

  close(): Promise<void> {
    return this.#scan.close();
  }
}

/** The protobuf `Timestamp` (as `toObject()` gives it) of an ISO-8601 instant. */
export function timestampOf(iso: string): { seconds: number; nanos: number } {
  const millis = Date.parse(iso);
  const seconds = Math.floor(millis / 1000);
  return { seconds, nanos: (millis - seconds * 1000) * 1_000_000 };
}

/** Pagination metadata as the peer returns it. */
export interface QueryResponseMetadata {
  readonly fetchedRecordsCount: number;
  readonly bookmark: string;
}

/** One peer answer to a query message (Fabric's `pb.QueryResponse`). */
export interface QueryResponse<T> {
  readonly id: string;
  readonly results: readonly T[];
  readonly hasMore: boolean;
  readonly metadata?: QueryResponseMetadata;
}

/** A query the peer keeps open between batches (Fabric's per-iterator query context). */
export class QueryContext<T> {
  readonly id: string;
  readonly iterator: ResultsIterator<T>;
  readonly #pending: T[] = [];
  #totalReturned = 0;
  #closed = false;

  /** @param options - the iterator ID and the iterator. */
  constructor(options: Readonly<{ id: string; iterator: ResultsIterator<T> }>) {
    this.id = options.id;
    this.iterator = options.iterator;
  }

  /** True once the context has been cleaned up. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Builds the next response, as `BuildQueryResponse` does. The context is
   * cleaned up (iterator closed) when the response is the last one.
   */
  async buildResponse(isPaginated: boolean, totalReturnLimit: number): Promise<QueryResponse<T>> {
    for (;;) {
      if (this.#totalReturned >= totalReturnLimit) return this.#finalResponse(isPaginated);
      const result = await this.iterator.next();
      if (result === undefined) return this.#finalResponse(isPaginated);
      if (!isPaginated && this.#pending.length === MAX_RESULTS_PER_BATCH) {
        const batch = this.#pending.splice(0);
        this.#pending.push(result);
        this.#totalReturned++;
        return { id: this.id, results: batch, hasMore: true };
      }
      this.#pending.push(result);
      this.#totalReturned++;
    }
  }

  async #finalResponse(isPaginated: boolean): Promise<QueryResponse<T>> {
    const batch = this.#pending.splice(0);
    if (isPaginated) {
      const bookmark = this.iterator.bookmarkAndClose ? await this.iterator.bookmarkAndClose() : '';
      this.#closed = true;
      return {
        id: this.id,
        results: batch,
        hasMore: false,
        metadata: { fetchedRecordsCount: this.#totalReturned, bookmark },
      };
    }
    await this.cleanup();
    return { id: this.id, results: batch, hasMore: false };
  }

  /** Closes the iterator (idempotent). */
  async cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.iterator.close();
  }
}
