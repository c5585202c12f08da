/**
 * Reads of the access index: a page or a full ordered scan of one index
 * range. Every query maps to exactly one key range (dimension, outcome and
 * time are all in the key), so a page costs one bounded range read and one
 * `getMany`, whatever the number of records.
 */
import { z } from 'zod';
import { AppError } from '../http/errors';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '../http/pagination';
import type { AccessEntry } from './access-entry';
import { accessIndexPrefix, HIGH } from './keys';
import type { IndexStore } from './store';

/** A query over the access index. Times are index times (see `indexTime`). */
export interface AccessQuery {
  /** Subject pseudonym. */
  readonly subject?: string | undefined;
  /** Accessing institution's MSP ID. */
  readonly accessor?: string | undefined;
  /** Only this outcome. */
  readonly outcome?: 'GRANTED' | 'DENIED' | undefined;
  /** Inclusive lower time bound. */
  readonly from?: string | undefined;
  /** Exclusive upper time bound. */
  readonly to?: string | undefined;
}

/** Read access to indexed accesses, oldest first (by transaction time, then ledger position). */
export interface AccessIndex {
  /**
   * One page of matching accesses.
   * @throws AppError 400 INVALID_CURSOR when the cursor is not one of this query's.
   */
  page(query: Readonly<AccessQuery>, page: Readonly<PageRequest>): Promise<Page<AccessEntry>>;
  /** Every matching access, in order, in bounded memory. */
  scan(query: Readonly<AccessQuery>): AsyncIterable<AccessEntry>;
}

const KeyCursor = z.object({ k: z.string().min(1).max(1024) }).strict();

/** Records fetched per `getMany` while scanning. */
const SCAN_CHUNK = 256;

/** {@link AccessIndex} over the index store. */
export class AccessIndexImpl implements AccessIndex {
  readonly #store: IndexStore;

  /** @param store the index store. */
  constructor(store: IndexStore) {
    this.#store = store;
  }

  async page(query: Readonly<AccessQuery>, page: Readonly<PageRequest>): Promise<Page<AccessEntry>> {
    const { lower, upper } = range(query);
    let after: string | undefined;
    if (page.cursor !== undefined) {
      after = decodeCursor(page.cursor, KeyCursor).k;
      if (after < lower || after >= upper) {
        throw AppError.invalid('cursor is not valid for this list', { code: 'INVALID_CURSOR' });
      }
    }
    const keys: string[] = [];
    const recordKeys: string[] = [];
    for await (const [key, recordKey] of this.#store.entries<string>({
      ...(after === undefined ? { gte: lower } : { gt: after }),
      lt: upper,
      limit: page.limit + 1,
    })) {
      keys.push(key);
      recordKeys.push(recordKey);
    }
    const more = keys.length > page.limit;
    const items = await this.#records(recordKeys.slice(0, page.limit));
    const last = keys[page.limit - 1];
    return { items, nextCursor: more && last !== undefined ? encodeCursor({ k: last }) : null };
  }

  async *scan(query: Readonly<AccessQuery>): AsyncIterable<AccessEntry> {
    const { lower, upper } = range(query);
    let chunk: string[] = [];
    for await (const [, recordKey] of this.#store.entries<string>({ gte: lower, lt: upper })) {
      chunk.push(recordKey);
      if (chunk.length === SCAN_CHUNK) {
        yield* await this.#records(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) yield* await this.#records(chunk);
  }

  async #records(recordKeys: readonly string[]): Promise<AccessEntry[]> {
    const records = await this.#store.getMany<AccessEntry>(recordKeys);
    return records.map((record, i) => {
      // Entries and records are written in one batch; a dangling entry is a broken invariant.
      if (record === undefined) throw AppError.internal(`access index entry without record ${recordKeys[i]}`);
      return record;
    });
  }
}

/** The key range of a query: [prefix + from, prefix + to). */
function range(query: Readonly<AccessQuery>): { lower: string; upper: string } {
  const prefix = accessIndexPrefix({
    subject: query.subject,
    accessor: query.accessor,
    outcome: query.outcome ?? '*',
  });
  return { lower: `${prefix}${query.from ?? ''}`, upper: `${prefix}${query.to ?? HIGH}` };
}
