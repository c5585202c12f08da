/**
 * Errors thrown to clients. Every message starts with a stable code and a
 * colon, so the gateway maps them to HTTP without regexes over prose.
 */

/** Stable error codes of the chaincode. */
export type LedgerErrorCode = 'NOT_FOUND' | 'FORBIDDEN' | 'CONFLICT' | 'INVALID' | 'MEMBER_SUSPENDED';

/** An error whose message is `CODE: detail`. */
export class LedgerError extends Error {
  readonly code: LedgerErrorCode;

  constructor(code: LedgerErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.name = 'LedgerError';
    this.code = code;
  }
}

/** The object does not exist (or the caller may not know it exists). */
export const notFound = (detail: string): LedgerError => new LedgerError('NOT_FOUND', detail);
/** The caller may not do this. */
export const forbidden = (detail: string): LedgerError => new LedgerError('FORBIDDEN', detail);
/** The request contradicts the ledger's state (duplicate ID, wrong status, race lost). */
export const conflict = (detail: string): LedgerError => new LedgerError('CONFLICT', detail);
/** The caller's organisation is suspended from the consortium: it may do nothing until reinstated. */
export const suspended = (detail: string): LedgerError => new LedgerError('MEMBER_SUSPENDED', detail);
/** The request is malformed. */
export const invalid = (detail: string): LedgerError => new LedgerError('INVALID', detail);
