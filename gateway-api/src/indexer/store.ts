/**
 * Data access of the off-chain index: one LevelDB sublevel written only in
 * atomic batches, and the checkpointer whose write joins each batch.
 */
import type { AbstractSublevel } from 'abstract-level';
import { z } from 'zod';
import { notFoundToUndefined, type GatewayDb } from '../store/db';
import { CHECKPOINT_KEY } from './keys';

/** Keys a {@link LevelIndexStore.getMany} reads in one LevelDB call; more are split into parallel calls. */
export const GET_MANY_GROUP = 8;

/**
 * Parallel LevelDB calls of one {@link LevelIndexStore.getMany} at most: libuv's
 * default thread pool (4 threads), which the gateway's other file work shares.
 */
const GET_MANY_PARALLEL = 4;

/** One write of a batch. */
export type IndexOp =
  | { readonly type: 'put'; readonly key: string; readonly value: unknown }
  | { readonly type: 'del'; readonly key: string };

/** A key range: lower bound inclusive or exclusive, upper bound exclusive. */
export interface KeyRange {
  readonly gt?: string;
  readonly gte?: string;
  readonly lt: string;
  /** Most entries to return; all when omitted. */
  readonly limit?: number;
  /** Newest key first. */
  readonly reverse?: boolean;
}

/** The index's key-value store. */
export interface IndexStore {
  /** The value at `key`, or `undefined`. */
  get<T>(key: string): Promise<T | undefined>;
  /**
   * Values at `keys`, in order (`undefined` where absent). Not one snapshot: many keys may be
   * read by separate calls, which the index allows because it writes each record once, in the
   * batch of the entries that name it.
   */
  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]>;
  /**
   * Applies all `ops` atomically: all of them are written, or none.
   * @throws Error when the write fails (nothing was written).
   */
  write(ops: readonly IndexOp[]): Promise<void>;
  /** Entries in key order within `range`. */
  entries<T>(range: KeyRange): AsyncIterable<[string, T]>;
}

type IndexSublevel = AbstractSublevel<GatewayDb, string | Buffer | Uint8Array, string, unknown>;

/** Options of {@link LevelIndexStore}. */
export interface LevelIndexStoreOptions {
  /** The gateway database. */
  readonly db: GatewayDb;
  /** Sublevel name; `indexer` by default. */
  readonly name?: string;
}

/** {@link IndexStore} over a sublevel of the gateway database (JSON values). */
export class LevelIndexStore implements IndexStore {
  readonly #sub: IndexSublevel;

  /** @param options the database and sublevel name. */
  constructor(options: Readonly<LevelIndexStoreOptions>) {
    this.#sub = options.db.sublevel<string, unknown>(options.name ?? 'indexer', {
      keyEncoding: 'utf8',
      valueEncoding: 'json',
    });
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.#sub.get(key).catch(notFoundToUndefined)) as T | undefined;
  }

  async getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    if (keys.length === 0) return [];
    if (keys.length <= GET_MANY_GROUP) return (await this.#sub.getMany([...keys])) as (T | undefined)[];
    // LevelDB reads one call's keys one after another on one of libuv's threads; from a cold
    // page cache each is a disk read. Split, the reads wait for the disk side by side.
    const groups = Math.min(GET_MANY_PARALLEL, Math.ceil(keys.length / GET_MANY_GROUP));
    const size = Math.ceil(keys.length / groups);
    const parts: Promise<unknown[]>[] = [];
    for (let i = 0; i < keys.length; i += size) parts.push(this.#sub.getMany(keys.slice(i, i + size)));
    return (await Promise.all(parts)).flat() as (T | undefined)[];
  }

  async write(ops: readonly IndexOp[]): Promise<void> {
    await this.#sub.batch(
      ops.map((op) =>
        op.type === 'put'
          ? { type: 'put' as const, key: op.key, value: op.value }
          : { type: 'del' as const, key: op.key },
      ),
    );
  }

  async *entries<T>(range: KeyRange): AsyncIterable<[string, T]> {
    const iterator = this.#sub.iterator({
      ...(range.gt === undefined ? {} : { gt: range.gt }),
      ...(range.gte === undefined ? {} : { gte: range.gte }),
      lt: range.lt,
      limit: range.limit ?? -1,
      reverse: range.reverse ?? false,
    });
    try {
      for await (const [key, value] of iterator) yield [key, value as T];
    } finally {
      await iterator.close();
    }
  }
}

/** Position of the last processed transaction. */
export interface Checkpoint {
  readonly blockNumber: number;
  /** Position of the transaction inside its block. */
  readonly txIndex: number;
}

const CheckpointSchema = z
  .object({ blockNumber: z.number().int().nonnegative(), txIndex: z.number().int().nonnegative() })
  .strict();

/** Where the block processor resumes from. */
export interface Checkpointer {
  /**
   * The last processed transaction, or `undefined` before the first.
   * @throws Error when the stored checkpoint is corrupt.
   */
  get(): Promise<Checkpoint | undefined>;
  /** The write that moves the checkpoint to `checkpoint`, to put in the same batch as the index entries. */
  op(checkpoint: Checkpoint): IndexOp;
}

/** {@link Checkpointer} kept in the index store itself, so it commits with the entries. */
export class StoreCheckpointer implements Checkpointer {
  readonly #store: IndexStore;

  /** @param store the index store the checkpoint lives in. */
  constructor(store: IndexStore) {
    this.#store = store;
  }

  async get(): Promise<Checkpoint | undefined> {
    const raw = await this.#store.get<unknown>(CHECKPOINT_KEY);
    if (raw === undefined) return undefined;
    const parsed = CheckpointSchema.safeParse(raw);
    if (!parsed.success) throw new Error('indexer checkpoint is corrupt');
    return parsed.data;
  }

  op(checkpoint: Checkpoint): IndexOp {
    return {
      type: 'put',
      key: CHECKPOINT_KEY,
      value: { blockNumber: checkpoint.blockNumber, txIndex: checkpoint.txIndex },
    };
  }
}
