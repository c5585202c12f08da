/**
 * The shim side of query iterators, behaving as fabric-shim 2.5's
 * `StateQueryIterator` / `HistoryQueryIterator`: results come in batches from
 * the peer, `next()` resolves `{ value, done: false }` or `{ done: true }`
 * (no `value`), and `close()` tells the peer to drop the query.
 */
import type { Iterators } from 'fabric-shim';
import type { KVResult, KeyModificationResult, QueryResponse } from './peer-queries';
import type { TransactionSimulator } from './simulator';

/** What the shim's `next()` resolves. */
export type ShimNextResult<T> = { value: T; done: false } | { done: true };

/** The shim's iterator over a query's results. */
export class ShimQueryIterator<T> {
  readonly #simulator: TransactionSimulator;
  readonly #toValue: (result: unknown) => T;
  #response: QueryResponse<unknown>;
  #position = 0;

  /** @param options - the simulator to fetch further batches from, the first response and the value mapper. */
  constructor(
    options: Readonly<{
      simulator: TransactionSimulator;
      response: QueryResponse<unknown>;
      toValue: (result: unknown) => T;
    }>,
  ) {
    this.#simulator = options.simulator;
    this.#response = options.response;
    this.#toValue = options.toValue;
  }

  /** The next result, fetching the next batch from the peer when the current one is used up. */
  async next(): Promise<ShimNextResult<T>> {
    if (this.#position < this.#response.results.length) return this.#emit();
    if (!this.#response.hasMore) return { done: true };
    this.#response = await this.#simulator.queryStateNext(this.#response.id);
    this.#position = 0;
    return this.#emit();
  }

  /** Tells the peer the query is finished. */
  async close(): Promise<void> {
    await this.#simulator.queryStateClose(this.#response.id);
  }

  #emit(): ShimNextResult<T> {
    const result = this.#response.results[this.#position++];
    return { value: this.#toValue(result), done: false };
  }
}

/** A state iterator yielding `{ key, value }` (the shim's KV has no `namespace` at runtime). */
export function stateIterator(
  simulator: TransactionSimulator,
  response: QueryResponse<KVResult>,
): ShimQueryIterator<Iterators.KV> {
  return new ShimQueryIterator<Iterators.KV>({
    simulator,
    response,
    toValue: (result) => {
      const kv = result as KVResult;
      return { key: kv.key, value: Buffer.from(kv.value) } as unknown as Iterators.KV;
    },
  });
}

/**
 * A history iterator yielding `{ txId, value, isDelete, timestamp }`, where
 * `timestamp` is the plain `{ seconds, nanos }` object of protobuf's
 * `toObject()` (numbers, not the `Long` the shim's typings announce).
 */
export function historyIterator(
  simulator: TransactionSimulator,
  response: QueryResponse<KeyModificationResult>,
): ShimQueryIterator<Iterators.KeyModification> {
  return new ShimQueryIterator<Iterators.KeyModification>({
    simulator,
    response,
    toValue: (result) => {
      const modification = result as KeyModificationResult;
      return {
        txId: modification.txId,
        value: Buffer.from(modification.value),
        isDelete: modification.isDelete,
        timestamp: { ...modification.timestamp },
      } as unknown as Iterators.KeyModification;
    },
  });
}

interface AsyncIteratorSource<T> {
  next(): Promise<ShimNextResult<T>>;
  close(): Promise<void>;
}

/**
 * Makes the promise of an iterator (or of `{ iterator }`) usable with
 * `for await`, closing the iterator when the loop ends or is left early,
 * as the shim's `convertToAsyncIterator` does.
 */
export function withAsyncIterator<P extends Promise<unknown>, T>(promise: P): P & AsyncIterable<T> {
  const iterable = promise as P & AsyncIterable<T>;
  iterable[Symbol.asyncIterator] = () => {
    let source: AsyncIteratorSource<T> | undefined;
    return {
      next: async (): Promise<IteratorResult<T>> => {
        if (source === undefined) {
          const resolved = (await promise) as AsyncIteratorSource<T> | { iterator: AsyncIteratorSource<T> };
          source = 'iterator' in resolved ? resolved.iterator : resolved;
        }
        const result = await source.next();
        if (result.done) {
          await source.close();
          return { done: true, value: undefined };
        }
        return result;
      },
      return: async (): Promise<IteratorResult<T>> => {
        await source?.close();
        return { done: true, value: undefined };
      },
    };
  };
  return iterable;
}
