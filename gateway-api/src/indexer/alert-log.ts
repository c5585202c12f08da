/**
 * Reads of the alert log: one organisation's alerts after a ledger position.
 * Each organisation has its own index range (`n!<mspId>!<position>`), so a
 * read costs one bounded range read and one `getMany`, however many alerts
 * other organisations have.
 */
import { AppError } from '../http/errors';
import { alertIndexKey, alertIndexPrefix, HIGH } from './keys';
import type { IndexStore } from './store';
import type { AlertLog, IndexedEvent, LedgerPosition } from './types';

/** {@link AlertLog} over the index store. */
export class AlertLogImpl implements AlertLog {
  readonly #store: IndexStore;

  /** @param store the index store the block processor writes the log to. */
  constructor(store: IndexStore) {
    this.#store = store;
  }

  async readAfter(mspId: string, after: LedgerPosition, limit: number): Promise<IndexedEvent[]> {
    const recordKeys: string[] = [];
    for await (const [, recordKey] of this.#store.entries<string>({
      gt: alertIndexKey(mspId, after.blockNumber, after.txIndex),
      lt: `${alertIndexPrefix(mspId)}${HIGH}`,
      limit,
    })) {
      recordKeys.push(recordKey);
    }
    const records = await this.#store.getMany<IndexedEvent>(recordKeys);
    return records.map((record, i) => {
      // Entries and records are written in one batch; a dangling entry is a broken invariant.
      if (record === undefined) throw AppError.internal(`alert index entry without record ${recordKeys[i]}`);
      return record;
    });
  }

  async latest(mspId: string): Promise<LedgerPosition | undefined> {
    const prefix = alertIndexPrefix(mspId);
    for await (const [, recordKey] of this.#store.entries<string>({
      gte: prefix,
      lt: `${prefix}${HIGH}`,
      limit: 1,
      reverse: true,
    })) {
      const record = await this.#store.get<IndexedEvent>(recordKey);
      if (record === undefined) throw AppError.internal(`alert index entry without record ${recordKey}`);
      return { blockNumber: record.blockNumber, txIndex: record.txIndex };
    }
    return undefined;
  }
}
