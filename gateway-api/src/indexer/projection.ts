/**
 * What one committed transaction writes to the index: its location, and for
 * a VALID transaction its access records (one for `AccessRecorded`, one per
 * listed access for a bulk `AccessesRecorded`), index entries, counter
 * updates and alert log entries. Pure apart from reading the counters it increments.
 */
import { alertRecipients } from '../alerts/rules';
import type { Logger } from '../http/logger';
import type { LedgerTransaction } from '../ledger/types';
import { toAccessEntry } from './access-entry';
import { countyCounterOps } from './county-counters';
import {
  accessIndexKeys,
  accessRecordKey,
  alertIndexKey,
  alertRecordKey,
  counterKey,
  indexTime,
  MSP_ID_PATTERN,
  txKey,
} from './keys';
import type { IndexOp, IndexStore } from './store';
import type { IndexedEvent, TxLocation } from './types';

/** Per-institution counters kept for supervision statistics. */
export const COUNTER_NAMES = [
  'accessesGranted',
  'accessesDenied',
  'consentsRecorded',
  'consentsRevoked',
  'liensRegistered',
  'liensReleased',
] as const;

/** One counter's name. */
export type CounterName = (typeof COUNTER_NAMES)[number];

/** An institution's counters. */
export type InstitutionCounters = Record<CounterName, number>;

/** All counters at zero. */
export function zeroCounters(): InstitutionCounters {
  return {
    accessesGranted: 0,
    accessesDenied: 0,
    consentsRecorded: 0,
    consentsRevoked: 0,
    liensRegistered: 0,
    liensReleased: 0,
  };
}

/** What a transaction writes, and the event to publish once written. */
export interface Projection {
  readonly ops: IndexOp[];
  readonly event?: IndexedEvent;
}

/** Adds one to `counter` in `increments`. */
function increment(
  increments: Map<string, Partial<InstitutionCounters>>,
  counter: [string, CounterName],
): void {
  const [institution, name] = counter;
  const added = increments.get(institution) ?? {};
  added[name] = (added[name] ?? 0) + 1;
  increments.set(institution, added);
}

/**
 * The accesses an event records, or `undefined` for an event that records none:
 * an `AccessRecorded` payload is one access (no item); an `AccessesRecorded`
 * payload (`Access:RecordAccessBatch`, bulk download) lists several, each
 * indexed and counted like an `AccessRecorded` of its own under its place in
 * the list (`item`).
 */
function recordedAccesses(
  name: string,
  payload: Readonly<Record<string, unknown>>,
): { access: unknown; item?: number }[] | undefined {
  if (name === 'AccessRecorded') return [{ access: payload }];
  if (name !== 'AccessesRecorded') return undefined;
  return Array.isArray(payload.accesses)
    ? payload.accesses.map((access: unknown, item) => ({ access, item }))
    : [];
}

/** Which counter of which institution an event increments, if any. */
function counterOf(
  name: string,
  payload: Readonly<Record<string, unknown>>,
): [string, CounterName] | undefined {
  const party = (field: string): string | undefined => {
    const value = payload[field];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  let institution: string | undefined;
  let counter: CounterName;
  switch (name) {
    case 'AccessRecorded':
      institution = party('accessor');
      counter = payload.outcome === 'GRANTED' ? 'accessesGranted' : 'accessesDenied';
      break;
    case 'ConsentRecorded':
      institution = party('grantee');
      counter = 'consentsRecorded';
      break;
    case 'ConsentRevoked':
      institution = party('grantee');
      counter = 'consentsRevoked';
      break;
    case 'LienRegistered':
      institution = party('mortgagee');
      counter = 'liensRegistered';
      break;
    case 'LienReleased':
      institution = party('mortgagee');
      counter = 'liensReleased';
      break;
    default:
      return undefined;
  }
  return institution === undefined ? undefined : [institution, counter];
}

function parsePayload(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The index writes of one transaction of block `blockNumber`.
 *
 * @throws Error when the store cannot be read.
 */
export async function projectTransaction(
  tx: LedgerTransaction,
  blockNumber: number,
  store: IndexStore,
  logger: Logger,
): Promise<Projection> {
  const ops: IndexOp[] = [];
  const location: TxLocation = {
    txId: tx.txId,
    blockNumber,
    txIndex: tx.txIndex,
    validationCode: tx.validationCode,
  };
  if (tx.validationCode === 'VALID') {
    ops.push({ type: 'put', key: txKey(tx.txId), value: location });
  } else {
    // A rejected duplicate of a committed transaction ID must not hide the VALID one.
    const existing = await store.get<TxLocation>(txKey(tx.txId));
    if (existing?.validationCode !== 'VALID') ops.push({ type: 'put', key: txKey(tx.txId), value: location });
    return { ops };
  }
  if (tx.event === undefined) return { ops };

  const payload = parsePayload(tx.event.payload);
  if (payload === undefined) {
    logger.error('indexer: chaincode event payload is not a JSON object', {
      txId: tx.txId,
      event: tx.event.name,
    });
    return { ops };
  }
  const timestamp = indexTime(tx.timestamp);
  const increments = new Map<string, Partial<InstitutionCounters>>();
  const accesses = recordedAccesses(tx.event.name, payload);
  if (accesses === undefined) {
    const counter = counterOf(tx.event.name, payload);
    if (counter !== undefined) increment(increments, counter);
  } else if (accesses.length === 0) {
    logger.error('indexer: AccessesRecorded payload lists no accesses', { txId: tx.txId });
  }
  for (const { access, item } of accesses ?? []) {
    const position = { txId: tx.txId, blockNumber, txIndex: tx.txIndex };
    const entry = toAccessEntry(access, position, timestamp);
    if (entry === undefined) {
      logger.error(`indexer: ${tx.event.name} payload does not match the access schema`, {
        txId: tx.txId,
        ...(item === undefined ? {} : { item }),
      });
    } else {
      const recordKey = accessRecordKey(blockNumber, tx.txIndex, item);
      ops.push({ type: 'put', key: recordKey, value: entry });
      for (const key of accessIndexKeys(entry, item)) ops.push({ type: 'put', key, value: recordKey });
    }
    const counter =
      typeof access === 'object' && access !== null
        ? counterOf('AccessRecorded', access as Readonly<Record<string, unknown>>)
        : undefined;
    if (counter !== undefined) increment(increments, counter);
  }
  // One read and one write per institution: the transaction's batch holds its final counters.
  for (const [institution, added] of increments) {
    const current = { ...zeroCounters(), ...(await store.get<InstitutionCounters>(counterKey(institution))) };
    for (const name of COUNTER_NAMES) current[name] += added[name] ?? 0;
    ops.push({ type: 'put', key: counterKey(institution), value: current });
  }
  ops.push(...(await countyCounterOps(tx.event.name, payload, store)));
  const event: IndexedEvent = {
    name: tx.event.name,
    payload,
    txId: tx.txId,
    blockNumber,
    txIndex: tx.txIndex,
    timestamp,
  };
  ops.push(...alertLogOps(event, logger));
  return { ops, event };
}

/**
 * The alert log writes of `event`: its record and one index entry per
 * organisation it is an alert for (none when it is an alert for no one).
 */
function alertLogOps(event: IndexedEvent, logger: Logger): IndexOp[] {
  const recipients = alertRecipients(event).filter((mspId) => {
    if (MSP_ID_PATTERN.test(mspId)) return true;
    // Not a key component we can range-read safely; the live stream still filters by payload.
    logger.error('indexer: alert recipient is not an MSP ID; not logged', {
      txId: event.txId,
      event: event.name,
    });
    return false;
  });
  if (recipients.length === 0) return [];
  const recordKey = alertRecordKey(event.blockNumber, event.txIndex);
  return [
    { type: 'put', key: recordKey, value: event },
    ...recipients.map((mspId): IndexOp => ({
      type: 'put',
      key: alertIndexKey(mspId, event.blockNumber, event.txIndex),
      value: recordKey,
    })),
  ];
}
