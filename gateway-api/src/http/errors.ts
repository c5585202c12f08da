/**
 * The gateway's one error type and its one Express error handler.
 *
 * Every error response has exactly the body
 * `{"error": {"code", "message", "details"?, "txId"?}}`. Anything that is not
 * an {@link AppError} (or a well-known Express/HTTP error) is a bug: it is
 * logged once with the request ID and answered with 500 INTERNAL.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { z } from 'zod';
import { requestIdOf } from './context';
import type { Logger } from './logger';

/** Optional parts of an {@link AppError}. */
export interface AppErrorOptions {
  /** Stable machine-readable code; each constructor has a default. */
  readonly code?: string;
  /** JSON-serialisable evidence of what was wrong (validation issues, peer details...). */
  readonly details?: unknown;
  /** Ledger transaction ID the error relates to, when there is one. */
  readonly txId?: string;
  /** Extra response headers (Retry-After, Allow, WWW-Authenticate...). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The underlying error, kept for logs; never sent to the client. */
  readonly cause?: unknown;
}

/** An error the client is meant to see, with its HTTP status and stable code. */
export class AppError extends Error {
  /** HTTP status code. */
  readonly status: number;
  /** Stable machine-readable error code, e.g. `FORBIDDEN_ROLE`. */
  readonly code: string;
  /** JSON-serialisable details, if any. */
  readonly details?: unknown;
  /** Related ledger transaction ID, if any. */
  readonly txId?: string;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * @param status HTTP status (4xx or 5xx).
   * @param code stable machine-readable code.
   * @param message human-readable explanation; must not contain personal data.
   * @param options details, transaction ID, headers, cause.
   */
  constructor(status: number, code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
    if (options.txId !== undefined) this.txId = options.txId;
    this.headers = options.headers ?? {};
  }

  /** 400 with code `BAD_REQUEST` unless given. */
  static badRequest(message: string, options?: AppErrorOptions): AppError {
    return AppError.#make(400, 'BAD_REQUEST', message, options);
  }

  /** 400 with code `INVALID_REQUEST` unless given: the payload failed validation. */
  static invalid(message: string, options?: AppErrorOptions): AppError {
    return AppError.#make(400, 'INVALID_REQUEST', message, options);
  }

  /** 401 with code `UNAUTHENTICATED` unless given, and a `WWW-Authenticate: Bearer` challenge. */
  static unauthorized(message = 'authentication required', options?: AppErrorOptions): AppError {
    return AppError.#make(401, 'UNAUTHENTICATED', message, {
      ...options,
      headers: { 'WWW-Authenticate': 'Bearer realm="api"', ...options?.headers },
    });
  }

  /** 403 with code `FORBIDDEN` unless given. */
  static forbidden(message: string, options?: AppErrorOptions): AppError {
    return AppError.#make(403, 'FORBIDDEN', message, options);
  }

  /** 404 with code `NOT_FOUND` unless given. */
  static notFound(message: string, options?: AppErrorOptions): AppError {
    return AppError.#make(404, 'NOT_FOUND', message, options);
  }

  /** 405 with code `METHOD_NOT_ALLOWED` and the `Allow` header. */
  static methodNotAllowed(allowed: readonly string[], options?: AppErrorOptions): AppError {
    return AppError.#make(405, 'METHOD_NOT_ALLOWED', `method not allowed; allowed: ${allowed.join(', ')}`, {
      details: { allowed },
      ...options,
      headers: { Allow: allowed.join(', '), ...options?.headers },
    });
  }

  /** 409 with code `CONFLICT` unless given. */
  static conflict(message: string, options?: AppErrorOptions): AppError {
    return AppError.#make(409, 'CONFLICT', message, options);
  }

  /**
   * 413 with code `PAYLOAD_TOO_LARGE`. The connection is closed after the
   * response so the rest of an oversized body is never read.
   */
  static payloadTooLarge(limitBytes: number, options?: AppErrorOptions): AppError {
    return AppError.#make(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${limitBytes} bytes`, {
      details: { limitBytes },
      ...options,
      headers: { Connection: 'close', ...options?.headers },
    });
  }

  /** 415 with code `UNSUPPORTED_MEDIA_TYPE` unless given. */
  static unsupportedMediaType(message: string, options?: AppErrorOptions): AppError {
    return AppError.#make(415, 'UNSUPPORTED_MEDIA_TYPE', message, options);
  }

  /** 429 with code `RATE_LIMITED` and `Retry-After` in whole seconds. */
  static tooManyRequests(retryAfterSeconds: number, options?: AppErrorOptions): AppError {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    return AppError.#make(429, 'RATE_LIMITED', `rate limit exceeded; retry after ${seconds} s`, {
      details: { retryAfterSeconds: seconds },
      ...options,
      headers: { 'Retry-After': String(seconds), ...options?.headers },
    });
  }

  /** 500 with code `INTERNAL`: for invariants the gateway itself broke. */
  static internal(message = 'internal error', options?: AppErrorOptions): AppError {
    return AppError.#make(500, 'INTERNAL', message, options);
  }

  /** 502 with code `BAD_GATEWAY` unless given: the ledger answered wrongly (endorsement failed...). */
  static badGateway(message: string, options?: AppErrorOptions): AppError {
    return AppError.#make(502, 'BAD_GATEWAY', message, options);
  }

  /** 503 with code `UNAVAILABLE` unless given: a dependency is down or not ready. */
  static unavailable(message: string, options?: AppErrorOptions): AppError {
    return AppError.#make(503, 'UNAVAILABLE', message, options);
  }

  /** 504 with code `GATEWAY_TIMEOUT` unless given: a ledger call ran past its deadline. */
  static gatewayTimeout(message: string, options?: AppErrorOptions): AppError {
    return AppError.#make(504, 'GATEWAY_TIMEOUT', message, options);
  }

  static #make(status: number, defaultCode: string, message: string, options?: AppErrorOptions): AppError {
    return new AppError(status, options?.code ?? defaultCode, message, options);
  }

  /** The response body for this error. */
  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.details, this.txId);
  }
}

/** The wire shape of every error response. */
export interface ErrorBody {
  /** The error. */
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: unknown;
    readonly txId?: string;
  };
}

/** Zod schema of {@link ErrorBody}, used by the OpenAPI document. */
export const ErrorBodySchema = z
  .object({
    error: z
      .object({
        code: z.string().describe('Stable machine-readable error code'),
        message: z.string().describe('Human-readable explanation'),
        details: z.unknown().optional().describe('What was wrong, e.g. validation issues'),
        txId: z.string().optional().describe('Ledger transaction ID, when the error relates to one'),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'Error' });

/** Builds an error body, omitting absent optional members. */
export function errorBody(code: string, message: string, details?: unknown, txId?: string): ErrorBody {
  return {
    error: {
      code,
      message,
      ...(details === undefined ? {} : { details }),
      ...(txId === undefined ? {} : { txId }),
    },
  };
}

/** Writes an {@link AppError} as the response (status, headers, body). */
export function sendAppError(res: Response, err: AppError): void {
  res.status(err.status);
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.json(err.toBody());
}

const HTTP_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
};

/**
 * Converts errors raised by Express itself or by http-errors-style
 * middleware (static files, body parsers, bad URI encoding) into AppErrors;
 * returns `undefined` for anything else, which is then a bug.
 */
export function fromKnownError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as {
    type?: unknown;
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    limit?: unknown;
  };
  if (e.type === 'entity.too.large') {
    return AppError.payloadTooLarge(typeof e.limit === 'number' ? e.limit : 0);
  }
  if (err instanceof URIError) {
    // Express could not percent-decode a path parameter (e.g. `%FF`).
    return AppError.badRequest('malformed percent-encoding in the request path', { code: 'INVALID_REQUEST' });
  }
  if (e.type === 'entity.parse.failed') {
    return AppError.badRequest('request body is not valid JSON', { code: 'MALFORMED_JSON' });
  }
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && e.expose === true) {
    const code = HTTP_CODES[status] ?? 'BAD_REQUEST';
    return new AppError(status, code, status === 404 ? 'not found' : (err as Error).message);
  }
  return undefined;
}

function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, stack: err.stack, cause: describeCause(err.cause) };
  }
  return { value: String(err) };
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  if (typeof cause === 'string') return cause;
  try {
    return JSON.stringify(cause);
  } catch {
    return typeof cause;
  }
}

/**
 * The gateway's single error handler. Mount it last.
 *
 * @param logger where unknown errors are logged (once, with the request ID).
 */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next) => {
    const reqId = requestIdOf(req);
    const known = fromKnownError(err);
    if (res.headersSent) {
      // A streamed response failed midway: the status is gone, so cut the
      // connection and let the client see a truncated response.
      logger.error('error after response started', { reqId, code: known?.code, err: describeError(err) });
      res.destroy();
      return;
    }
    if (known === undefined) {
      logger.error('unhandled error', { reqId, err: describeError(err) });
      sendAppError(res, AppError.internal(`internal error (request ${reqId})`));
      return;
    }
    if (known.status >= 500) {
      logger.warn('server-side failure', {
        reqId,
        code: known.code,
        message: known.message,
        txId: known.txId,
        cause: describeCause(known.cause),
      });
    }
    sendAppError(res, known);
  };
}
