/** The one error type of the client: what the gateway said, with its evidence. */

/** The gateway's error body. */
export interface GatewayErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
  readonly txId?: string;
}

/**
 * A request the gateway refused or could not serve.
 *
 * @example
 * try { await client.reports.issue(request); }
 * catch (e) { if (e instanceof GatewayError && e.code === 'ACCESS_DENIED') console.log(e.details); }
 */
export class GatewayError extends Error {
  /** HTTP status (0 when the gateway could not be reached). */
  readonly status: number;
  /** The gateway's stable error code, e.g. `FORBIDDEN`, `INVALID_SUBJECT_ID`, `ACCESS_DENIED`. */
  readonly code: string;
  /** Structured evidence (validation issues, access ID of a denial...). */
  readonly details?: unknown;
  /** The ledger transaction the error relates to, if any. */
  readonly txId?: string;

  constructor(status: number, body: GatewayErrorBody) {
    super(body.message);
    this.name = 'GatewayError';
    this.status = status;
    this.code = body.code;
    if (body.details !== undefined) this.details = body.details;
    if (body.txId !== undefined) this.txId = body.txId;
  }

  /** Builds the error from a response body, whatever its shape. */
  static fromResponse(status: number, text: string): GatewayError {
    try {
      const parsed = JSON.parse(text) as { error?: Partial<GatewayErrorBody> };
      if (parsed.error && typeof parsed.error.code === 'string') {
        return new GatewayError(status, {
          code: parsed.error.code,
          message: parsed.error.message ?? parsed.error.code,
          ...(parsed.error.details === undefined ? {} : { details: parsed.error.details }),
          ...(parsed.error.txId === undefined ? {} : { txId: parsed.error.txId }),
        });
      }
    } catch {
      // not JSON: fall through
    }
    return new GatewayError(status, {
      code: `HTTP_${status}`,
      message: text.slice(0, 200) || `HTTP ${status}`,
    });
  }
}
