/**
 * Contracts between the block indexer and the modules that read what it
 * indexes (audit, supervision statistics, alerts, transaction proofs).
 */

/** A chaincode event of a VALID transaction, after the indexer stored it. */
export interface IndexedEvent {
  /** Chaincode event name, e.g. `AccessRecorded`, `LienRegistered`. */
  readonly name: string;
  /** The event payload (IDs and pseudonyms only). */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly txId: string;
  readonly blockNumber: number;
  /** Position of the transaction in its block. */
  readonly txIndex: number;
  /** Client timestamp of the transaction (ISO-8601). */
  readonly timestamp: string;
}

/** Publishes indexed events to in-process subscribers (alerts, SSE). */
export interface EventBus {
  /** Subscribes; returns the unsubscribe function. Events arrive after they are stored. */
  subscribe(listener: (event: IndexedEvent) => void): () => void;
}

/** Where a transaction is on the ledger. */
export interface TxLocation {
  readonly txId: string;
  readonly blockNumber: number;
  readonly txIndex: number;
  readonly validationCode: string;
}

/** Looks up indexed transactions by ID. */
export interface TxLocator {
  /** The location of a transaction, or undefined if not (yet) indexed. */
  locate(txId: string): Promise<TxLocation | undefined>;
}

/** A transaction's position on the ledger; positions order as (blockNumber, txIndex). */
export interface LedgerPosition {
  readonly blockNumber: number;
  /** Position of the transaction in its block. */
  readonly txIndex: number;
}

/**
 * The durable alert log: every indexed event that is an alert for some
 * organisation, written in the same batch as the checkpoint that passes it,
 * so it holds exactly the alerts the index has reached.
 */
export interface AlertLog {
  /**
   * Up to `limit` of `mspId`'s alerts strictly after `after`, oldest first.
   * @throws RangeError when `mspId` is not an MSP ID; Error when the store cannot be read.
   */
  readAfter(mspId: string, after: LedgerPosition, limit: number): Promise<IndexedEvent[]>;
  /**
   * The position of `mspId`'s newest logged alert, or `undefined` when there is none.
   * @throws RangeError when `mspId` is not an MSP ID; Error when the store cannot be read.
   */
  latest(mspId: string): Promise<LedgerPosition | undefined>;
}
