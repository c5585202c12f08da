/**
 * State access: records in and out through the marshal helpers, index
 * entries, bounded paginated reads, the transaction time and the event.
 */
import type { Context } from 'fabric-contract-api';
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import { invalid } from './errors';
import { type KeyTypeName, key, lastKeyPart } from './keys';
import { marshal, marshalBytes, unmarshal } from './marshal';
import { getStates, putStates } from './peer-batch';

/** Page size used when the caller asks for none. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page a caller may ask for. */
export const MAX_PAGE_SIZE = 200;

/** Marker value of index entries. */
const INDEX_VALUE = Buffer.from([0]);

/** The transaction time as ledger time (second precision, UTC). */
export function txTime(ctx: Context): string {
  return isoFromEpochSeconds(txEpochSeconds(ctx));
}

/** The transaction time in seconds since the Unix epoch. */
export function txEpochSeconds(ctx: Context): number {
  return secondsOf(ctx.stub.getTxTimestamp().seconds);
}

/** Seconds of a protobuf timestamp, whether a number or a Long. */
export function secondsOf(seconds: unknown): number {
  if (typeof seconds === 'number') return seconds;
  if (seconds !== null && typeof seconds === 'object' && 'toNumber' in seconds) {
    return (seconds as { toNumber(): number }).toNumber();
  }
  return Number(seconds);
}

/** Reads a record, or undefined when absent. */
export async function readRecord<T>(ctx: Context, k: string): Promise<T | undefined> {
  const bytes = await ctx.stub.getState(k);
  if (!bytes || bytes.length === 0) return undefined;
  return unmarshal(bytes) as T;
}

/**
 * Reads the records at `keys` (undefined where absent), in as few messages to the peer as it
 * allows (lib/peer-batch.ts).
 */
export async function readRecordsAt(ctx: Context, keys: readonly string[]): Promise<unknown[]> {
  const values = await getStates(ctx, keys);
  return values.map((bytes) => (bytes && bytes.length > 0 ? unmarshal(bytes) : undefined));
}

/** Whether a key holds a value. */
export async function exists(ctx: Context, k: string): Promise<boolean> {
  const bytes = await ctx.stub.getState(k);
  return bytes !== undefined && bytes.length > 0;
}

/** Writes a record as canonical JSON. */
export async function writeRecord(ctx: Context, k: string, value: object): Promise<void> {
  await ctx.stub.putState(k, marshalBytes(value));
}

/**
 * The writes of one transaction, collected and sent together by {@link Writes.flush}, in as few
 * messages to the peer as it allows (lib/peer-batch.ts). A later write of a key wins, as with
 * `putState`; the transaction reads none of them back (Fabric shows no transaction its own writes).
 */
export class Writes {
  readonly #writes: [string, Uint8Array][] = [];

  /** Adds a record as canonical JSON and returns that text. */
  record(k: string, value: object): string {
    const text = marshal(value);
    this.#writes.push([k, Buffer.from(text, 'utf8')]);
    return text;
  }

  /** Adds an index entry. */
  index(ctx: Context, type: KeyTypeName, parts: readonly string[]): void {
    this.#writes.push([key(ctx, type, parts), INDEX_VALUE]);
  }

  /** Sends every write added so far. */
  async flush(ctx: Context): Promise<void> {
    await putStates(ctx, this.#writes.splice(0));
  }
}

/** Writes an index entry. */
export async function putIndex(ctx: Context, type: KeyTypeName, parts: readonly string[]): Promise<void> {
  await ctx.stub.putState(key(ctx, type, parts), INDEX_VALUE);
}

/** Removes an index entry. */
export async function deleteIndex(ctx: Context, type: KeyTypeName, parts: readonly string[]): Promise<void> {
  await ctx.stub.deleteState(key(ctx, type, parts));
}

/** Emits the transaction's one chaincode event: IDs and pseudonyms only. */
export function emit(ctx: Context, name: string, payload: object): void {
  ctx.stub.setEvent(name, marshalBytes(payload));
}

/**
 * Validates a requested page size.
 *
 * @throws INVALID when it is not an integer from 1 to {@link MAX_PAGE_SIZE}.
 */
export function pageSizeOf(raw: string | number): number {
  if (raw === '' || raw === undefined) return DEFAULT_PAGE_SIZE;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw invalid(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  return n;
}

/** One page of a list. */
export interface Page<T> {
  records: T[];
  /** Pass back to get the next page; empty when there is none. */
  bookmark: string;
  /** Each entry's key attributes, when asked for with `whole`. */
  keys?: string[][];
}

/** Options of {@link readIndexPage}. */
export interface IndexPageOptions {
  /** Index type and the fixed leading attributes. */
  type: KeyTypeName;
  prefix: readonly string[];
  pageSize: number;
  /** A bookmark returned by an earlier page, or ''. */
  bookmark: string;
  /** Attributes after the prefix to start at (inclusive), e.g. a time. */
  startAfterPrefix?: readonly string[];
  /** Stop before the first key whose attribute at `stopAt.index` is >= `stopAt.value`. */
  stopAt?: { index: number; value: string };
  /** Also return each entry's attributes in `keys` (for records keyed by more than the last part). */
  whole?: boolean;
}

/**
 * Reads one page of an index as a bounded range read and returns the object
 * IDs (the last key attribute). A client bookmark must lie inside the index
 * range asked for, so it can never widen the read.
 *
 * @throws INVALID on a bookmark from another range.
 */
export async function readIndexPage(ctx: Context, options: IndexPageOptions): Promise<Page<string>> {
  const prefixKey = key(ctx, options.type, options.prefix);
  let start = options.bookmark;
  if (start !== '' && !start.startsWith(prefixKey)) throw invalid('bookmark does not belong to this list');
  if (options.startAfterPrefix && options.startAfterPrefix.length > 0) {
    const from = key(ctx, options.type, [...options.prefix, ...options.startAfterPrefix]);
    if (start === '' || start < from) start = from;
  }
  const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(
    options.type,
    options.prefix.map((p) => p),
    options.pageSize,
    start,
  );
  const ids: string[] = [];
  const keys: string[][] = [];
  let stopped = false;
  try {
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      const k = r.value.key;
      if (options.stopAt) {
        const { attributes } = ctx.stub.splitCompositeKey(k);
        const v = attributes[options.stopAt.index];
        if (v !== undefined && v >= options.stopAt.value) {
          stopped = true;
          break;
        }
      }
      ids.push(lastKeyPart(ctx, k));
      if (options.whole) keys.push(ctx.stub.splitCompositeKey(k).attributes);
    }
  } finally {
    await iterator.close();
  }
  const next = stopped ? '' : (metadata?.bookmark ?? '');
  return options.whole ? { records: ids, bookmark: next, keys } : { records: ids, bookmark: next };
}

/** Reads the records an index page names, in index order. */
export async function readRecords<T>(ctx: Context, type: KeyTypeName, ids: readonly string[]): Promise<T[]> {
  const out: T[] = [];
  for (const id of ids) {
    const record = await readRecord<T>(ctx, key(ctx, type, [id]));
    if (record !== undefined) out.push(record);
  }
  return out;
}

/** Reads one page of an index and the records it names: the shape every list transaction returns. */
export async function readRecordPage<T>(
  ctx: Context,
  recordType: KeyTypeName,
  options: IndexPageOptions,
): Promise<Page<T>> {
  const page = await readIndexPage(ctx, options);
  return { records: await readRecords<T>(ctx, recordType, page.records), bookmark: page.bookmark };
}
