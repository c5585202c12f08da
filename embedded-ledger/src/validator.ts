/**
 * Commit-time validation of a transaction's read set, as Fabric's state
 * validator does it (`core/ledger/kvledger/txmgmt/validation`):
 *
 * 1. every point read must still be at the version read, and the key must
 *    not have been written by an earlier valid transaction of the same
 *    block → otherwise MVCC_READ_CONFLICT;
 * 2. every range query, re-executed over committed state plus the block's
 *    earlier valid writes, must return exactly the keys and versions it
 *    returned in simulation → otherwise PHANTOM_READ_CONFLICT.
 */
import { compareKeys, keyBytes, sameVersion } from './codec';
import type { LedgerStore } from './store';
import type { RangeQueryInfo, ReadWriteSet, ValidationCode, Version } from './types';

/** A write applied by an earlier valid transaction of the block being validated. */
interface BlockUpdate {
  readonly isDelete: boolean;
  readonly version: Version;
}

/** The state changes of the valid transactions validated so far in a block. */
export class BlockUpdates {
  readonly #updates = new Map<string, BlockUpdate>();

  /** Records the writes of a transaction found valid at `version`. */
  apply(writes: ReadWriteSet['writes'], version: Version): void {
    for (const write of writes) this.#updates.set(write.key, { isDelete: write.isDelete, version });
  }

  /** True when an earlier valid transaction of the block wrote `key`. */
  has(key: string): boolean {
    return this.#updates.has(key);
  }

  /** Updates with keys in the range, sorted by key bytes. */
  inRange(startKey: string, endKey: string, includeEndKey: boolean): { key: string; update: BlockUpdate }[] {
    const start = keyBytes(startKey);
    const end = endKey === '' ? undefined : keyBytes(endKey);
    return [...this.#updates]
      .filter(([key]) => {
        const bytes = keyBytes(key);
        if (Buffer.compare(bytes, start) < 0) return false;
        if (end === undefined) return true;
        const position = Buffer.compare(bytes, end);
        return includeEndKey ? position <= 0 : position < 0;
      })
      .map(([key, update]) => ({ key, update }))
      .sort((a, b) => compareKeys(a.key, b.key));
  }
}

/** Validates one transaction's read set against committed state and the block's earlier updates. */
export async function validateReadSet(
  store: LedgerStore,
  readWriteSet: ReadWriteSet,
  updates: BlockUpdates,
): Promise<ValidationCode> {
  for (const read of readWriteSet.reads) {
    if (updates.has(read.key)) return 'MVCC_READ_CONFLICT';
    const committed = await store.getState(read.key);
    if (!sameVersion(committed?.version ?? null, read.version)) return 'MVCC_READ_CONFLICT';
  }
  for (const rangeQuery of readWriteSet.rangeQueries) {
    if (!(await rangeQueryStillHolds(store, rangeQuery, updates))) return 'PHANTOM_READ_CONFLICT';
  }
  return 'VALID';
}

/** One result of the re-executed range query. */
interface RangeResult {
  readonly key: string;
  readonly version: Version;
}

async function rangeQueryStillHolds(
  store: LedgerStore,
  rangeQuery: RangeQueryInfo,
  updates: BlockUpdates,
): Promise<boolean> {
  // A scan that stopped early covered its range up to and including the last key it returned.
  const includeEndKey = !rangeQuery.itrExhausted;
  const scan = store.scanState(rangeQuery.startKey, rangeQuery.endKey, includeEndKey);
  const pending = updates.inRange(rangeQuery.startKey, rangeQuery.endKey, includeEndKey);
  let dbEntry = await scan.next();
  let updateIndex = 0;

  // Merges committed state with the block's updates: an update replaces or deletes the committed key.
  const nextResult = async (): Promise<RangeResult | undefined> => {
    for (;;) {
      const update = pending[updateIndex];
      if (dbEntry === undefined && update === undefined) return undefined;
      const order =
        dbEntry === undefined ? 1 : update === undefined ? -1 : compareKeys(dbEntry.key, update.key);
      if (order < 0 && dbEntry !== undefined) {
        const result = { key: dbEntry.key, version: dbEntry.version };
        dbEntry = await scan.next();
        return result;
      }
      if (order === 0) dbEntry = await scan.next();
      updateIndex++;
      if (update !== undefined && !update.update.isDelete) {
        return { key: update.key, version: update.update.version };
      }
    }
  };

  try {
    for (const read of rangeQuery.reads) {
      const result = await nextResult();
      if (result === undefined || result.key !== read.key || !sameVersion(result.version, read.version)) {
        return false;
      }
    }
    return (await nextResult()) === undefined;
  } finally {
    await scan.close();
  }
}
