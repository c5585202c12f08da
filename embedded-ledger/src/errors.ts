/**
 * Errors the embedded ledger throws to its callers, shaped like the errors a
 * Fabric client sees so that callers map them the same way on both backends.
 */
import { VALIDATION_CODE_NUMBERS, type ValidationCode } from './types';

/**
 * The chaincode answered with an error response (status >= 400), as the
 * endorser reports it: `message` is exactly the chaincode response message
 * (for a contract that throws, the thrown error's message).
 */
export class ChaincodeError extends Error {
  /** Chaincode response status (500 for errors raised through the contract API). */
  readonly status: number;
  /** Transaction ID of the failed proposal. */
  readonly transactionId: string;

  /** @param options - status, message and transaction ID of the failed proposal. */
  constructor(options: Readonly<{ status: number; message: string; transactionId: string }>) {
    super(options.message);
    this.name = 'ChaincodeError';
    this.status = options.status;
    this.transactionId = options.transactionId;
  }
}

/**
 * The endorser refused the proposal because its transaction ID is already
 * on the ledger (Fabric: "duplicate transaction found [...]").
 */
export class DuplicateTransactionError extends Error {
  /** The duplicated transaction ID. */
  readonly transactionId: string;

  /** @param options - the duplicated ID and the creator bytes (hex) for the message. */
  constructor(options: Readonly<{ transactionId: string; creatorHex: string }>) {
    super(`duplicate transaction found [${options.transactionId}]. Creator [${options.creatorHex}]`);
    this.name = 'DuplicateTransactionError';
    this.transactionId = options.transactionId;
  }
}

/**
 * A submitted transaction was recorded in a block but marked invalid, like
 * fabric-gateway's CommitError.
 */
export class CommitError extends Error {
  /** Transaction ID. */
  readonly transactionId: string;
  /** Block the invalid transaction was recorded in. */
  readonly blockNumber: number;
  /** Why the transaction is invalid. */
  readonly code: ValidationCode;

  /** @param options - the failed transaction's ID, block and validation code. */
  constructor(options: Readonly<{ transactionId: string; blockNumber: number; code: ValidationCode }>) {
    super(
      `Transaction ${options.transactionId} failed to commit with status code ` +
        `${VALIDATION_CODE_NUMBERS[options.code]} (${options.code})`,
    );
    this.name = 'CommitError';
    this.transactionId = options.transactionId;
    this.blockNumber = options.blockNumber;
    this.code = options.code;
  }
}

/** The ledger was used after {@link EmbeddedLedger.close}. */
export class LedgerClosedError extends Error {
  constructor() {
    super('embedded ledger is closed');
    this.name = 'LedgerClosedError';
  }
}

/** Message of the error thrown by stub methods a LevelDB peer offers but this ledger does not. */
export function notSupportedMessage(method: string): string {
  return `${method} is not supported in embedded ledger`;
}
