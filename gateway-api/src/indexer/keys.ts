/**
 * Key layout of the off-chain index (one LevelDB sublevel, string keys).
 *
 * Every ordered component is fixed-width so that key order equals the
 * intended order: block numbers and transaction positions are zero-padded,
 * times are ISO-8601 UTC with milliseconds (24 characters). Variable-width
 * components (MSP IDs) are always followed by the `!` separator, which sorts
 * below every character they may contain, so `a!BankA!` never matches
 * `a!BankAB!`. Range reads therefore need no scans or filters.
 */

/** Separator between key components; below every character of IDs, pseudonyms and times. */
export const SEP = '!';

/** Upper bound suffix for "every key under this prefix". */
export const HIGH = '\u{10FFFF}';

/** Width of a zero-padded block number (Fabric block numbers are uint64; 16 digits is plenty). */
const BLOCK_WIDTH = 16;
/** Width of a zero-padded transaction position inside a block. */
const TX_WIDTH = 6;

/** The checkpoint key. */
export const CHECKPOINT_KEY = 'c';

/** Key of the index format version (absent: format 1, written before bulk accesses were indexed). */
export const INDEX_VERSION_KEY = 'v';

/** Key of the last transaction the upgrade to the current format wrote, while it runs. */
export const UPGRADE_PROGRESS_KEY = 'u';

/** Ledger position of a transaction, zero-padded: `<block>!<txIndex>`. */
export function positionKey(blockNumber: number, txIndex: number): string {
  return `${String(blockNumber).padStart(BLOCK_WIDTH, '0')}${SEP}${String(txIndex).padStart(TX_WIDTH, '0')}`;
}

/** Width of the zero-padded place of an access in an `AccessesRecorded` event (at most 500 there). */
const ITEM_WIDTH = 6;

/**
 * Ledger position of one access: its transaction's position, followed for the
 * `item`-th access of an `AccessesRecorded` event (bulk download) by `!<item>`.
 * An `AccessRecorded` transaction records one access and has no item part, so
 * every index written before batch events were indexed keeps its keys.
 */
export function accessPositionKey(blockNumber: number, txIndex: number, item?: number): string {
  const position = positionKey(blockNumber, txIndex);
  return item === undefined ? position : `${position}${SEP}${String(item).padStart(ITEM_WIDTH, '0')}`;
}

/** Key of the access record committed at a ledger position (`item`: see {@link accessPositionKey}). */
export function accessRecordKey(blockNumber: number, txIndex: number, item?: number): string {
  return `r${SEP}${accessPositionKey(blockNumber, txIndex, item)}`;
}

/** Key of the alert log record (the indexed event) committed at a ledger position. */
export function alertRecordKey(blockNumber: number, txIndex: number): string {
  return `e${SEP}${positionKey(blockNumber, txIndex)}`;
}

/**
 * MSP IDs that may be key components: the gateway's MSP ID format, which
 * excludes the separator, so one organisation's alert index never reads
 * into another's.
 */
export const MSP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/;

/**
 * The prefix of one organisation's alert index: `n!<mspId>!`, followed in
 * each entry by `<block>!<txIndex>`.
 *
 * @throws RangeError when `mspId` does not match {@link MSP_ID_PATTERN}.
 */
export function alertIndexPrefix(mspId: string): string {
  if (!MSP_ID_PATTERN.test(mspId)) throw new RangeError(`not an MSP ID: ${JSON.stringify(mspId)}`);
  return `n${SEP}${mspId}${SEP}`;
}

/**
 * Key of one organisation's alert index entry at a ledger position.
 *
 * @throws RangeError when `mspId` does not match {@link MSP_ID_PATTERN}.
 */
export function alertIndexKey(mspId: string, blockNumber: number, txIndex: number): string {
  return `${alertIndexPrefix(mspId)}${positionKey(blockNumber, txIndex)}`;
}

/** Key of a transaction's location. */
export function txKey(txId: string): string {
  return `x${SEP}${txId}`;
}

/** Key of an institution's counters. */
export function counterKey(mspId: string): string {
  return `s${SEP}${mspId}`;
}

/** Prefix of all institutions' counters. */
export const COUNTER_PREFIX = `s${SEP}`;

/** Outcome component of an access index key: one outcome, or `*` for any. */
export type OutcomeKey = 'GRANTED' | 'DENIED' | '*';

/** Which access index a query reads. */
export interface AccessIndexSelector {
  /** Subject pseudonym, when the query is by subject. */
  readonly subject?: string | undefined;
  /** Accessor MSP ID, when the query is by institution. */
  readonly accessor?: string | undefined;
  /** Outcome, or `*` for both. */
  readonly outcome: OutcomeKey;
}

/**
 * The prefix of one access index: `i!<dimension>!<values...>!<outcome>!`,
 * followed in each entry by `<time>!<block>!<txIndex>` (and `!<item>` for an
 * access of a bulk `AccessesRecorded` event). Dimensions: `t`
 * (time only), `s` (subject), `a` (accessor), `as` (accessor and subject).
 */
export function accessIndexPrefix(selector: AccessIndexSelector): string {
  const { subject, accessor, outcome } = selector;
  if (subject !== undefined && accessor !== undefined) {
    return `i${SEP}as${SEP}${accessor}${SEP}${subject}${SEP}${outcome}${SEP}`;
  }
  if (subject !== undefined) return `i${SEP}s${SEP}${subject}${SEP}${outcome}${SEP}`;
  if (accessor !== undefined) return `i${SEP}a${SEP}${accessor}${SEP}${outcome}${SEP}`;
  return `i${SEP}t${SEP}${outcome}${SEP}`;
}

/**
 * Every index key of one access record: each dimension, once with its
 * outcome and once under `*`. `item` is the access's place in an
 * `AccessesRecorded` event (see {@link accessPositionKey}).
 */
export function accessIndexKeys(
  entry: {
    readonly subject: string;
    readonly accessor: string;
    readonly outcome: 'GRANTED' | 'DENIED';
    readonly accessedAt: string;
    readonly blockNumber: number;
    readonly txIndex: number;
  },
  item?: number,
): string[] {
  const suffix = `${entry.accessedAt}${SEP}${accessPositionKey(entry.blockNumber, entry.txIndex, item)}`;
  const keys: string[] = [];
  for (const outcome of [entry.outcome, '*'] as const) {
    for (const selector of [
      { outcome },
      { outcome, subject: entry.subject },
      { outcome, accessor: entry.accessor },
      { outcome, subject: entry.subject, accessor: entry.accessor },
    ]) {
      keys.push(`${accessIndexPrefix(selector)}${suffix}`);
    }
  }
  return keys;
}

/**
 * Normalises a timestamp to the fixed-width index form
 * (`YYYY-MM-DDTHH:MM:SS.mmmZ`).
 *
 * @throws RangeError when the value is not a parseable time between years 1970 and 9999.
 */
export function indexTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || ms < 0 || ms > 253_402_300_799_999) {
    throw new RangeError(`not a timestamp: ${value}`);
  }
  return new Date(ms).toISOString();
}
