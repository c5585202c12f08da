/**
 * The one place where ledger failures become HTTP errors, for both backends.
 * Chaincode errors carry a stable code prefix (NOT_FOUND:, FORBIDDEN:,
 * CONFLICT:, INVALID:); commit failures carry a validation code.
 */
import { AppError } from '../http/errors';

const CHAINCODE_STATUS: Readonly<Record<string, number>> = {
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  CONFLICT: 409,
  INVALID: 400,
};

/** Validation codes that mean "someone else changed what this transaction read". */
export const RETRYABLE_VALIDATION_CODES: readonly string[] = ['MVCC_READ_CONFLICT', 'PHANTOM_READ_CONFLICT'];

/**
 * Maps a chaincode error message (`CODE: detail`) to an AppError. Messages
 * without a known code are endorsement failures: 502.
 */
export function fromChaincodeMessage(message: string, txId?: string): AppError {
  const match = /^(?:.*?chaincode response \d+, )?([A-Z_]+): ([\s\S]*)$/.exec(message);
  const code = match?.[1];
  const status = code === undefined ? undefined : CHAINCODE_STATUS[code];
  if (code !== undefined && status !== undefined) {
    return new AppError(status, code, match?.[2] ?? message, txId ? { txId } : {});
  }
  return new AppError(
    502,
    'ENDORSEMENT_FAILED',
    'the ledger could not endorse the transaction',
    txId ? { txId } : {},
  );
}

/** Maps a final commit failure to an AppError. */
export function fromValidationCode(validationCode: string, txId: string): AppError {
  if (RETRYABLE_VALIDATION_CODES.includes(validationCode)) {
    return new AppError(
      409,
      'CONFLICT',
      `a concurrent transaction changed the same records (${validationCode}); retry`,
      {
        txId,
      },
    );
  }
  return new AppError(502, 'COMMIT_FAILED', `the transaction was not committed (${validationCode})`, {
    txId,
  });
}

/** The ledger could not be reached in time. */
export function unavailable(detail: string, txId?: string): AppError {
  return new AppError(
    503,
    'LEDGER_UNAVAILABLE',
    `the ledger is unavailable: ${detail}`,
    txId ? { txId } : {},
  );
}
