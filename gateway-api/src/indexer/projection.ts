/**
 * What one committed transaction writes to the index: its location, and for
 * a VALID transaction its access record, index entries, counter updates and
 * alert log entries. Pure apart from reading the counters it increments.
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
  if (tx.event.name === 'AccessRecorded') {
    const entry = toAccessEntry(payload, { txId: tx.txId, blockNumber, txIndex: tx.txIndex }, timestamp);
    if (entry === undefined) {
      logger.error('indexer: AccessRecorded payload does not match the access schema', { txId: tx.txId });
    } else {
      const recordKey = accessRecordKey(blockNumber, tx.txIndex);
      ops.push({ type: 'put', key: recordKey, value: entry });
      for (const key of accessIndexKeys(entry)) ops.push({ type: 'put', key, value: recordKey });
    }
  }
  const counter = counterOf(tx.event.name, payload);
  if (counter !== undefined) {
    const [institution, name] = counter;
    const current = { ...zeroCounters(), ...(await store.get<InstitutionCounters>(counterKey(institution))) };
    current[name] += 1;
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
