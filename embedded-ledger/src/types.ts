/**
 * Public data shapes of the embedded ledger: identities, proposals,
 * read/write sets, blocks, commit statuses and events.
 *
 * Every shape is plain data so that it can be logged, stored as JSON and
 * compared in tests. Byte values are `Uint8Array` in memory; blocks carry
 * them as base64 because blocks are stored and streamed as JSON.
 */

/**
 * A client identity as a Fabric client presents it: the MSP it belongs to
 * and its X.509 enrolment certificate (PEM). The private key is optional
 * because the embedded ledger does not check proposal signatures.
 */
export interface Identity {
  /** MSP ID of the organisation, e.g. `Org1MSP`. */
  readonly mspId: string;
  /** PEM-encoded X.509 certificate, sent to the chaincode as the creator's `idBytes`. */
  readonly certificate: string;
  /** PEM-encoded PKCS#8 private key, if the caller holds it. */
  readonly privateKey?: string;
}

/**
 * Committed version of a key: the height (block number, transaction number
 * in the block) of the transaction that last wrote it, as in Fabric's
 * `version.Height`.
 */
export interface Version {
  /** Number of the block that holds the writing transaction. */
  readonly blockNum: number;
  /** Index of the writing transaction inside that block. */
  readonly txNum: number;
}

/** One key read during simulation and the version it had (`null`: the key did not exist). */
export interface KVRead {
  /** The state key. */
  readonly key: string;
  /** The committed version read, or `null` when the key was absent. */
  readonly version: Version | null;
}

/** One key written during simulation. An empty value is a delete, as in Fabric. */
export interface KVWrite {
  /** The state key. */
  readonly key: string;
  /** True when the write deletes the key. */
  readonly isDelete: boolean;
  /** The value written (empty for a delete). */
  readonly value: Uint8Array;
}

/**
 * What a range query saw during simulation, re-executed at commit to detect
 * phantom reads (Fabric's `kvrwset.RangeQueryInfo`, always with raw reads).
 */
export interface RangeQueryInfo {
  /** Start key of the scan (inclusive). */
  readonly startKey: string;
  /**
   * End of the range that was actually consumed: the original end key when
   * the iterator was exhausted (exclusive), otherwise the last key returned
   * (inclusive).
   */
  readonly endKey: string;
  /** True when the scan ran to the end of its range. */
  readonly itrExhausted: boolean;
  /** Every key and version the scan returned, in key order. */
  readonly reads: readonly KVRead[];
}

/** The read/write set of one simulated transaction (keys sorted by their UTF-8 bytes). */
export interface ReadWriteSet {
  /** Point reads (`getState`). */
  readonly reads: readonly KVRead[];
  /** Range reads, in the order they were started. */
  readonly rangeQueries: readonly RangeQueryInfo[];
  /** Writes and deletes; the last write of a key wins. */
  readonly writes: readonly KVWrite[];
}

/** A chaincode event set with `stub.setEvent` (only the last one of a transaction is kept). */
export interface ChaincodeEventData {
  /** Event name. */
  readonly eventName: string;
  /** Event payload. */
  readonly payload: Uint8Array;
}

/**
 * An endorsed transaction, ready for {@link EmbeddedLedger.commit}: the
 * embedded equivalent of a transaction envelope built from a proposal
 * response.
 */
export interface Proposal {
  /** Transaction ID (hex SHA-256 of nonce and creator, as Fabric computes it, unless supplied). */
  readonly transactionId: string;
  /** Channel the transaction targets. */
  readonly channelName: string;
  /** Chaincode the transaction targets. */
  readonly chaincodeName: string;
  /** The function argument as sent (`Contract:Function` or `Function`). */
  readonly functionName: string;
  /** The remaining arguments. */
  readonly args: readonly string[];
  /** MSP ID of the submitter. */
  readonly creatorMspId: string;
  /** Client timestamp of the proposal (ISO-8601, millisecond precision). */
  readonly timestamp: string;
  /** The chaincode response payload. */
  readonly payload: Uint8Array;
  /** The simulation results. */
  readonly readWriteSet: ReadWriteSet;
  /** The chaincode event, if the transaction set one. */
  readonly event?: ChaincodeEventData;
}

/**
 * Transaction validation codes the embedded ledger assigns (names and
 * numbers of Fabric's `peer.TxValidationCode`).
 */
export type ValidationCode = 'VALID' | 'DUPLICATE_TXID' | 'MVCC_READ_CONFLICT' | 'PHANTOM_READ_CONFLICT';

/** Fabric's numeric value of each {@link ValidationCode}. */
export const VALIDATION_CODE_NUMBERS: Readonly<Record<ValidationCode, number>> = Object.freeze({
  VALID: 0,
  DUPLICATE_TXID: 9,
  MVCC_READ_CONFLICT: 11,
  PHANTOM_READ_CONFLICT: 12,
});

/** The outcome of committing one transaction. */
export interface CommitStatus {
  /** Transaction ID. */
  readonly transactionId: string;
  /** Number of the block the transaction was recorded in (valid or not). */
  readonly blockNumber: number;
  /** Validation result. */
  readonly validationCode: ValidationCode;
  /** True when `validationCode` is `VALID`. */
  readonly successful: boolean;
}

/** The result of {@link EmbeddedLedger.submit}: the payload and where the transaction committed. */
export interface SubmitResult {
  /** Transaction ID. */
  readonly transactionId: string;
  /** Chaincode response payload. */
  readonly payload: Uint8Array;
  /** Commit status; always successful (failures throw). */
  readonly status: CommitStatus;
}

/** A write as recorded in a block (value in base64). */
export interface BlockWrite {
  /** The state key. */
  readonly key: string;
  /** True when the write deletes the key. */
  readonly isDelete: boolean;
  /** The value written, base64 (empty for a delete). */
  readonly value: string;
}

/** A chaincode event as recorded in a block (payload in base64). */
export interface BlockEvent {
  /** Event name. */
  readonly eventName: string;
  /** Event payload, base64. */
  readonly payload: string;
}

/**
 * A transaction as recorded in a block. Invalid transactions are recorded
 * too, with their validation code; their writes were not applied.
 */
export interface BlockTransaction {
  /** Transaction ID. */
  readonly transactionId: string;
  /** MSP ID of the submitter. */
  readonly creatorMspId: string;
  /** Client timestamp of the proposal (ISO-8601). */
  readonly timestamp: string;
  /** The function argument as sent (`Contract:Function` or `Function`). */
  readonly functionName: string;
  /** Validation result. */
  readonly validationCode: ValidationCode;
  /** The chaincode event, if any (present on invalid transactions too, as in Fabric blocks). */
  readonly event?: BlockEvent;
  /** The write set (applied only when `validationCode` is `VALID`). */
  readonly writes: readonly BlockWrite[];
}

/**
 * A block. Block 0 is the genesis block (a stand-in for the channel's
 * configuration block, with no transactions); every commit call appends one
 * block.
 */
export interface Block {
  /** Block number, from 0. */
  readonly number: number;
  /** Hex SHA-256 header hash of the previous block (`''` for block 0). */
  readonly previousHash: string;
  /** Hex SHA-256 of the canonical JSON of `transactions`. */
  readonly dataHash: string;
  /** The transactions, in commit order. */
  readonly transactions: readonly BlockTransaction[];
}

/** Where a transaction was recorded. */
export interface TransactionLocation {
  /** Transaction ID. */
  readonly transactionId: string;
  /** Block number. */
  readonly blockNumber: number;
  /** Index in the block. */
  readonly transactionNumber: number;
  /** Validation result. */
  readonly validationCode: ValidationCode;
}

/** A chaincode event of a valid transaction, as a Fabric client receives it. */
export interface ChaincodeEvent {
  /** Number of the block holding the transaction. */
  readonly blockNumber: number;
  /** Transaction ID. */
  readonly transactionId: string;
  /** Chaincode that emitted the event. */
  readonly chaincodeName: string;
  /** Event name. */
  readonly eventName: string;
  /** Event payload. */
  readonly payload: Uint8Array;
}

/** An async iterable that can be ended early by its consumer (like fabric-gateway's). */
export interface CloseableAsyncIterable<T> extends AsyncIterable<T> {
  /** Ends the iteration; a pending `next()` resolves as done. */
  close(): void;
}
