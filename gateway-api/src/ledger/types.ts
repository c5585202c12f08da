/**
 * The gateway's view of the ledger, the same for both backends: submit and
 * evaluate as an organisation, and a block stream for the indexer.
 */

/** A committed transaction's proof: where it is on the ledger. */
export interface Committed<T> {
  /** The chaincode's parsed JSON result. */
  readonly result: T;
  /** Transaction ID. */
  readonly txId: string;
  /** Block the transaction was committed in (VALID). */
  readonly blockNumber: number;
}

/** One transaction of a block, as the indexer needs it. */
export interface LedgerTransaction {
  readonly txId: string;
  /** Position inside its block. */
  readonly txIndex: number;
  readonly creatorMspId: string;
  /** Client timestamp of the proposal (ISO-8601). */
  readonly timestamp: string;
  /** `VALID` or the Fabric validation code name. */
  readonly validationCode: string;
  /** The chaincode event, if any. */
  readonly event?: { readonly name: string; readonly payload: Uint8Array };
}

/** A block as the indexer needs it. */
export interface LedgerBlock {
  readonly number: number;
  readonly transactions: readonly LedgerTransaction[];
}

/** An async stream that can be closed from outside. */
export interface BlockStream extends AsyncIterable<LedgerBlock> {
  close(): void;
}

/** A ledger backend. */
export interface LedgerClient {
  /** `embedded` or `fabric`. */
  readonly backend: string;
  /**
   * Evaluates a query as a member organisation.
   *
   * @throws AppError mapped from the chaincode's error code (see ledger/errors.ts).
   */
  evaluate<T>(mspId: string, fn: string, args: readonly string[]): Promise<T>;
  /**
   * Submits a transaction as a member organisation and waits until it is
   * committed VALID. MVCC read conflicts are retried with a new transaction.
   *
   * @throws AppError mapped from the chaincode's error or the commit status.
   */
  submit<T>(mspId: string, fn: string, args: readonly string[]): Promise<Committed<T>>;
  /** Blocks from `startBlock`, then live ones as they commit. */
  blocks(startBlock: number): BlockStream;
  /** Current block height. */
  height(): Promise<number>;
  /** The channel's latest configuration block, from the peer (Fabric only: the embedded ledger has none). */
  channelConfigBlock?(): Promise<Uint8Array>;
  /** Whether the backend can serve requests. */
  ready(): Promise<boolean>;
  /** Releases connections. */
  close(): Promise<void>;
}
