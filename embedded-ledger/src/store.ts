/**
 * The ledger's LevelDB layout: one Level instance with sublevels for world
 * state, history index, blocks, transaction index and channel metadata.
 * Everything a block changes is written in one atomic batch.
 */
import { Level } from 'level';
import { blockHeaderHash, computeDataHash } from './block-hash';
import {
  blockKey,
  decodeBlockKey,
  decodeHistoryHeight,
  decodeVersionedValue,
  encodeVersionedValue,
  historyKey,
  historyPrefix,
  keyBytes,
  prefixUpperBound,
  type VersionedValue,
} from './codec';
import type { Block, TransactionLocation, Version } from './types';

function openSublevels(db: Level<string, string>) {
  return {
    state: db.sublevel<Buffer, Buffer>('state', { keyEncoding: 'buffer', valueEncoding: 'buffer' }),
    history: db.sublevel<Buffer, Buffer>('history', { keyEncoding: 'buffer', valueEncoding: 'buffer' }),
    blocks: db.sublevel<Buffer, Block>('blocks', { keyEncoding: 'buffer', valueEncoding: 'json' }),
    transactions: db.sublevel<Buffer, TransactionLocation>('txids', {
      keyEncoding: 'buffer',
      valueEncoding: 'json',
    }),
    meta: db.sublevel<Buffer, ChannelRecord>('meta', { keyEncoding: 'buffer', valueEncoding: 'json' }),
  };
}

type Sublevels = ReturnType<typeof openSublevels>;

/** Identity of the channel and chaincode a ledger directory belongs to. */
interface ChannelRecord {
  readonly formatVersion: 1;
  readonly channelName: string;
  readonly chaincodeName: string;
}

const CHANNEL_RECORD_KEY = Buffer.from('channel');

/** A committed state entry met by a range scan. */
export interface StateEntry extends VersionedValue {
  /** The state key. */
  readonly key: string;
}

/** A forward scan over committed state; `next()` resolves `undefined` at the end. */
export interface StateScan {
  next(): Promise<StateEntry | undefined>;
  close(): Promise<void>;
}

/** A newest-first scan over the heights that wrote a key. */
export interface HistoryScan {
  next(): Promise<Version | undefined>;
  close(): Promise<void>;
}

/** One state change of a block: a put of value at version, or a delete. */
export interface StateUpdate {
  readonly key: string;
  readonly isDelete: boolean;
  readonly value: Uint8Array;
  readonly version: Version;
}

/** Everything one block changes. */
export interface BlockWriteSet {
  readonly block: Block;
  readonly stateUpdates: readonly StateUpdate[];
  /** Transactions to index (first occurrence of each ID only). */
  readonly transactionIndex: readonly TransactionLocation[];
}

/** Options of {@link LedgerStore.open}. */
export interface LedgerStoreOptions {
  readonly location: string;
  readonly channelName: string;
  readonly chaincodeName: string;
  /**
   * Whether each block is flushed to disk before its commit returns
   * (LevelDB `sync`); true unless set to false. Without it a power loss can
   * lose a block whose commit was already acknowledged.
   */
  readonly sync?: boolean;
}

/** The persistent part of the ledger. Not safe for concurrent writers: the ledger serialises commits. */
export class LedgerStore {
  readonly #db: Level<string, string>;
  readonly #state: Sublevels['state'];
  readonly #history: Sublevels['history'];
  readonly #blocks: Sublevels['blocks'];
  readonly #transactions: Sublevels['transactions'];
  readonly #meta: Sublevels['meta'];
  #height = 0;
  #lastHeaderHash = '';
  readonly #sync: boolean;

  private constructor(db: Level<string, string>, sync: boolean) {
    this.#db = db;
    this.#sync = sync;
    const sublevels = openSublevels(db);
    this.#state = sublevels.state;
    this.#history = sublevels.history;
    this.#blocks = sublevels.blocks;
    this.#transactions = sublevels.transactions;
    this.#meta = sublevels.meta;
  }

  /**
   * Opens (creating if needed) the ledger directory. A new ledger gets its
   * genesis block 0; an existing one resumes at its height.
   *
   * @throws Error when the directory holds another channel's or chaincode's ledger.
   */
  static async open(options: Readonly<LedgerStoreOptions>): Promise<LedgerStore> {
    const db = new Level<string, string>(options.location);
    await db.open();
    const store = new LedgerStore(db, options.sync ?? true);
    try {
      await store.#initialise(options);
    } catch (error) {
      await db.close();
      throw error;
    }
    return store;
  }

  async #initialise(options: Readonly<LedgerStoreOptions>): Promise<void> {
    const record = await getOrUndefined(() => this.#meta.get(CHANNEL_RECORD_KEY));
    if (record === undefined) {
      const genesis: Block = { number: 0, previousHash: '', dataHash: computeDataHash([]), transactions: [] };
      const channel: ChannelRecord = {
        formatVersion: 1,
        channelName: options.channelName,
        chaincodeName: options.chaincodeName,
      };
      await this.#db
        .batch()
        .put<Buffer, ChannelRecord>(CHANNEL_RECORD_KEY, channel, { sublevel: this.#meta })
        .put<Buffer, Block>(blockKey(0), genesis, { sublevel: this.#blocks })
        .write({ sync: this.#sync });
      this.#height = 1;
      this.#lastHeaderHash = blockHeaderHash(genesis);
      return;
    }
    if (record.formatVersion !== 1) {
      throw new Error(
        `ledger at ${options.location} has unknown format version ${String(record.formatVersion)}`,
      );
    }
    if (record.channelName !== options.channelName || record.chaincodeName !== options.chaincodeName) {
      throw new Error(
        `ledger at ${options.location} belongs to channel ${record.channelName} and chaincode ` +
          `${record.chaincodeName}, not ${options.channelName}/${options.chaincodeName}`,
      );
    }
    const iterator = this.#blocks.iterator({ reverse: true, limit: 1 });
    try {
      const last = await iterator.next();
      if (last === undefined) throw new Error(`ledger at ${options.location} has no genesis block`);
      const [key, block] = last;
      this.#height = decodeBlockKey(key) + 1;
      this.#lastHeaderHash = blockHeaderHash(block);
    } finally {
      await iterator.close();
    }
  }

  /** Number of blocks (the next block's number). */
  get height(): number {
    return this.#height;
  }

  /** Header hash of the last block. */
  get lastHeaderHash(): string {
    return this.#lastHeaderHash;
  }

  /** The committed value and version of a key, or `undefined`. */
  async getState(key: string): Promise<VersionedValue | undefined> {
    const bytes = await getOrUndefined(() => this.#state.get(keyBytes(key)));
    return bytes === undefined ? undefined : decodeVersionedValue(bytes);
  }

  /**
   * Scans committed state from `startKey` (inclusive) to `endKey`: exclusive,
   * or inclusive when `includeEndKey`; an empty `endKey` means no upper bound
   * (as in Fabric's state database).
   */
  scanState(startKey: string, endKey: string, includeEndKey = false): StateScan {
    const range: { gte: Buffer; lt?: Buffer; lte?: Buffer } = { gte: keyBytes(startKey) };
    if (endKey !== '') {
      if (includeEndKey) range.lte = keyBytes(endKey);
      else range.lt = keyBytes(endKey);
    }
    const iterator = this.#state.iterator(range);
    return {
      next: async () => {
        const entry = await iterator.next();
        if (entry === undefined) return undefined;
        const [key, bytes] = entry;
        return { key: key.toString('utf8'), ...decodeVersionedValue(bytes) };
      },
      close: () => iterator.close(),
    };
  }

  /** Scans the heights of the transactions that wrote `key`, newest first. */
  scanHistory(key: string): HistoryScan {
    const prefix = historyPrefix(key);
    const upper = prefixUpperBound(prefix);
    const iterator = this.#history.keys(
      upper.length > 0 ? { gte: prefix, lt: upper, reverse: true } : { gte: prefix, reverse: true },
    );
    return {
      next: async () => {
        const entryKey = await iterator.next();
        return entryKey === undefined ? undefined : decodeHistoryHeight(entryKey);
      },
      close: () => iterator.close(),
    };
  }

  /** A block by number, or `undefined` beyond the height. */
  async getBlock(blockNumber: number): Promise<Block | undefined> {
    if (!Number.isSafeInteger(blockNumber) || blockNumber < 0) return undefined;
    return getOrUndefined(() => this.#blocks.get(blockKey(blockNumber)));
  }

  /** Where a transaction ID was first recorded, or `undefined`. */
  async getTransaction(transactionId: string): Promise<TransactionLocation | undefined> {
    return getOrUndefined(() => this.#transactions.get(keyBytes(transactionId)));
  }

  /** Appends a block with its state, history and index updates in one atomic batch. */
  async writeBlock(writeSet: Readonly<BlockWriteSet>): Promise<void> {
    const { block } = writeSet;
    if (block.number !== this.#height) {
      throw new Error(`block ${block.number} does not follow height ${this.#height}`);
    }
    const batch = this.#db.batch();
    batch.put<Buffer, Block>(blockKey(block.number), block, { sublevel: this.#blocks });
    for (const update of writeSet.stateUpdates) {
      if (update.isDelete) {
        batch.del<Buffer>(keyBytes(update.key), { sublevel: this.#state });
      } else {
        batch.put<Buffer, Buffer>(keyBytes(update.key), encodeVersionedValue(update.value, update.version), {
          sublevel: this.#state,
        });
      }
      batch.put<Buffer, Buffer>(historyKey(update.key, update.version), Buffer.alloc(0), {
        sublevel: this.#history,
      });
    }
    for (const location of writeSet.transactionIndex) {
      batch.put<Buffer, TransactionLocation>(keyBytes(location.transactionId), location, {
        sublevel: this.#transactions,
      });
    }
    // Synced: the commit is acknowledged (and a report released on it) only once the block is on disk.
    await batch.write({ sync: this.#sync });
    this.#height = block.number + 1;
    this.#lastHeaderHash = blockHeaderHash(block);
  }

  /** Closes LevelDB. */
  async close(): Promise<void> {
    await this.#db.close();
  }
}

/** Runs a LevelDB get, mapping "not found" to `undefined`. */
async function getOrUndefined<V>(get: () => Promise<V>): Promise<V | undefined> {
  try {
    return await get();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'LEVEL_NOT_FOUND') return undefined;
    throw error;
  }
}
