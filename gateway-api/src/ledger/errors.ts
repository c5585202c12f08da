/**
 * The one place where ledger failures become HTTP errors, for both backends.
 * Chaincode errors carry a stable code prefix (NOT_FOUND:, FORBIDDEN:,
 * CONFLICT:, INVALID:, MEMBER_SUSPENDED:); commit failures carry a validation code.
 */
import { AppError } from '../http/errors';

const CHAINCODE_STATUS: Readonly<Record<string, number>> = {
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  CONFLICT: 409,
  INVALID: 400,
  MEMBER_SUSPENDED: 403,
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

/** Why the ledger is unavailable, as `details.reason` of a 503 `LEDGER_UNAVAILABLE`. */
export type UnavailableReason =
  | 'PEER_UNAVAILABLE'
  | 'DISCOVERY_NOT_READY'
  | 'CHAINCODE_UNAVAILABLE'
  | 'ENDORSERS_UNAVAILABLE'
  | 'ORDERER_UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

/** Seconds a client should wait before retrying a 503 from the ledger. */
export const LEDGER_RETRY_AFTER_SECONDS = 2;

/** The ledger could not be reached in time, or cannot serve the call yet: retryable. */
export function unavailable(
  detail: string,
  txId?: string,
  reason: UnavailableReason = 'PEER_UNAVAILABLE',
): AppError {
  return new AppError(503, 'LEDGER_UNAVAILABLE', `the ledger is unavailable: ${detail}`, {
    ...(txId ? { txId } : {}),
    details: { reason },
    headers: { 'Retry-After': String(LEDGER_RETRY_AFTER_SECONDS) },
  });
}

/** Attempts for a transaction that keeps losing MVCC races before the caller gets 409. */
export const MAX_SUBMIT_ATTEMPTS = 5;

/**
 * Waits before retrying a transaction that lost an MVCC race: a short random
 * delay that grows with the attempt, so two writers of the same key (a
 * revocation and a stream of accesses under one grant) stop colliding in lockstep.
 */
export function retryPause(attempt: number): Promise<void> {
  const ms = Math.floor(Math.random() * 20 * attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
