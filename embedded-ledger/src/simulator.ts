/**
 * The peer side of one transaction's simulation: what Fabric's chaincode
 * handler and transaction simulator do with each message the shim sends.
 *
 * Reads go to committed state only (Fabric does not let a transaction read
 * its own writes), every read is recorded with its version, writes are
 * buffered in the write set, and the peer's refusals are reproduced with
 * their messages, including the typo "unsuppored" that Fabric's messages
 * carry. An error is reported to the shim as Fabric's handler wraps it:
 * `<MESSAGE_TYPE> failed: transaction ID: <txid>: <cause>`.
 */
import {
  HistoryResultsIterator,
  QueryContext,
  RangeResultsIterator,
  type KVResult,
  type KeyModificationResult,
  type QueryResponse,
  type ResultsIterator,
} from './peer-queries';
import { wireString } from './codec';
import { RangeQueryCapture, ReadWriteSetBuilder } from './rwset';
import type { LedgerStore } from './store';
import type { ReadWriteSet } from './types';

/** Pagination request the shim attaches to a query (`pb.QueryMetadata`). */
export interface QueryMetadata {
  readonly pageSize: number;
  readonly bookmark: string;
}

/** Options of {@link TransactionSimulator}. */
export interface TransactionSimulatorOptions {
  /** Committed state to read. The caller holds the commit lock's shared side while simulating. */
  readonly store: LedgerStore;
  /** Transaction ID, quoted in the peer's messages. */
  readonly transactionId: string;
  /** Fabric's `ledger.state.totalQueryLimit`. */
  readonly totalQueryLimit: number;
}

/** Simulates one transaction against committed state. */
export class TransactionSimulator {
  readonly #store: LedgerStore;
  readonly #transactionId: string;
  readonly #totalQueryLimit: number;
  readonly #builder = new ReadWriteSetBuilder();
  readonly #contexts = new Map<string, QueryContext<unknown>>();
  #nextIteratorNumber = 0;
  #done = false;
  #writePerformed = false;
  #paginatedQueryPerformed = false;

  /** @param options - store, transaction ID and query limit. */
  constructor(options: Readonly<TransactionSimulatorOptions>) {
    this.#store = options.store;
    this.#transactionId = options.transactionId;
    this.#totalQueryLimit = options.totalQueryLimit;
  }

  /** GET_STATE: the committed value, or an empty buffer when the key is absent. */
  getState(key: string): Promise<Buffer> {
    return this.#handle('GET_STATE', async () => {
      key = decodeField(key);
      const entry = await this.#store.getState(key);
      this.#builder.addRead(key, entry?.version ?? null);
      return entry === undefined ? Buffer.alloc(0) : Buffer.from(entry.value);
    });
  }

  /** PUT_STATE: buffers a write; an empty value is a delete, as in Fabric. */
  putState(key: string, value: Uint8Array): Promise<void> {
    return this.#handle('PUT_STATE', () => {
      key = decodeField(key);
      this.#checkWritePrecondition();
      this.#builder.addWrite(key, value);
      return Promise.resolve();
    });
  }

  /** DEL_STATE: buffers a delete. */
  deleteState(key: string): Promise<void> {
    return this.#handle('DEL_STATE', () => {
      key = decodeField(key);
      this.#checkWritePrecondition();
      this.#builder.addWrite(key, Buffer.alloc(0));
      return Promise.resolve();
    });
  }

  /**
   * GET_STATE_BY_RANGE, plain or paginated. Pagination applies when the
   * metadata has a page size or a bookmark; a non-empty bookmark replaces
   * the start key.
   */
  getStateByRange(
    startKey: string,
    endKey: string,
    metadata?: QueryMetadata,
  ): Promise<QueryResponse<KVResult>> {
    return this.#handle('GET_STATE_BY_RANGE', () => {
      startKey = decodeField(startKey);
      endKey = decodeField(endKey);
      const bookmark = metadata === undefined ? '' : decodeField(metadata.bookmark);
      const isPaginated = isPaginationRequested(metadata);
      let scanStart = startKey;
      if (isPaginated) {
        this.#checkBeforePaginatedQuery();
        if (bookmark !== '') scanStart = bookmark;
      }
      const capture = new RangeQueryCapture({ startKey: scanStart, endKey });
      this.#builder.addRangeQuery(capture);
      const iterator = new RangeResultsIterator({
        scan: this.#store.scanState(scanStart, endKey),
        capture,
        pageSize: isPaginated ? metadata.pageSize : 0,
      });
      return this.#startQuery(iterator, isPaginated, this.#totalReturnLimit(metadata));
    });
  }

  /** GET_QUERY_RESULT: a LevelDB state database has no rich queries. */
  getQueryResult(_query: string, metadata?: QueryMetadata): Promise<QueryResponse<KVResult>> {
    return this.#handle('GET_QUERY_RESULT', () => {
      decodeField(_query);
      if (isPaginationRequested(metadata)) {
        this.#checkBeforePaginatedQuery();
        throw new Error('ExecuteQueryWithMetadata not supported for leveldb');
      }
      throw new Error('ExecuteQuery not supported for leveldb');
    });
  }

  /** GET_HISTORY_FOR_KEY: every committed write of the key, newest first. */
  getHistoryForKey(key: string): Promise<QueryResponse<KeyModificationResult>> {
    return this.#handle('GET_HISTORY_FOR_KEY', () => {
      key = decodeField(key);
      const iterator = new HistoryResultsIterator({
        scan: this.#store.scanHistory(key),
        store: this.#store,
        key,
      });
      return this.#startQuery(iterator, false, this.#totalQueryLimit);
    });
  }

  /** QUERY_STATE_NEXT: the next batch of an open query. */
  queryStateNext(id: string): Promise<QueryResponse<unknown>> {
    return this.#handle('QUERY_STATE_NEXT', async () => {
      const context = this.#contexts.get(id);
      if (context === undefined) throw new Error('query iterator not found');
      return this.#respond(context, false, this.#totalQueryLimit);
    });
  }

  /** QUERY_STATE_CLOSE: closes an open query (unknown IDs are fine). */
  queryStateClose(id: string): Promise<QueryResponse<unknown>> {
    return this.#handle('QUERY_STATE_CLOSE', async () => {
      const context = this.#contexts.get(id);
      if (context !== undefined) {
        this.#contexts.delete(id);
        await context.cleanup();
      }
      return { id, results: [], hasMore: false };
    });
  }

  /** Ends the simulation: closes every open query; later messages fail with "no ledger context". */
  async done(): Promise<void> {
    this.#done = true;
    const contexts = [...this.#contexts.values()];
    this.#contexts.clear();
    await Promise.all(contexts.map((context) => context.cleanup()));
  }

  /** The simulation results. */
  results(): ReadWriteSet {
    return this.#builder.build();
  }

  async #startQuery<T>(
    iterator: ResultsIterator<T>,
    isPaginated: boolean,
    totalReturnLimit: number,
  ): Promise<QueryResponse<T>> {
    const id = `${this.#transactionId}:${this.#nextIteratorNumber++}`;
    const context = new QueryContext<T>({ id, iterator });
    this.#contexts.set(id, context);
    return this.#respond(context, isPaginated, totalReturnLimit);
  }

  async #respond<T>(
    context: QueryContext<T>,
    isPaginated: boolean,
    limit: number,
  ): Promise<QueryResponse<T>> {
    try {
      return await context.buildResponse(isPaginated, limit);
    } catch (error) {
      await context.cleanup();
      throw error;
    } finally {
      if (context.closed) this.#contexts.delete(context.id);
    }
  }

  #totalReturnLimit(metadata: QueryMetadata | undefined): number {
    const pageSize = metadata?.pageSize ?? 0;
    return pageSize > 0 && pageSize < this.#totalQueryLimit ? pageSize : this.#totalQueryLimit;
  }

  #checkWritePrecondition(): void {
    if (this.#paginatedQueryPerformed) {
      throw new Error(
        `txid [${this.#transactionId}]: unsuppored transaction. Transaction has already performed a ` +
          'paginated query. Writes are not allowed',
      );
    }
    this.#writePerformed = true;
  }

  #checkBeforePaginatedQuery(): void {
    if (this.#writePerformed) {
      throw new Error(
        `txid [${this.#transactionId}]: unsuppored transaction. Paginated queries are supported only in a ` +
          'read-only transaction',
      );
    }
    this.#paginatedQueryPerformed = true;
  }

  /**
   * Runs one shim message. The checks inside `operation` run synchronously
   * at call time, so concurrent calls are judged in call order, as the
   * shim's per-transaction message queue orders them on a peer.
   */
  async #handle<T>(messageType: string, operation: () => Promise<T>): Promise<T> {
    try {
      if (this.#done) throw new Error('no ledger context');
      return await operation();
    } catch (error) {
      throw new Error(`${messageType} failed: transaction ID: ${this.#transactionId}: ${messageOf(error)}`);
    }
  }
}

function isPaginationRequested(metadata: QueryMetadata | undefined): metadata is QueryMetadata {
  return metadata !== undefined && (metadata.pageSize !== 0 || metadata.bookmark !== '');
}

/** A string field of a shim message as the peer decodes it. */
function decodeField(value: string): string {
  try {
    return wireString(value);
  } catch (error) {
    throw new Error(`unmarshal failed: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
