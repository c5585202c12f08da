/**
 * Request bodies with size limits enforced before parsing: a declared
 * `Content-Length` over the limit is refused at once, and a body without one
 * (chunked) is counted while it streams and refused as soon as it passes the
 * limit. Nothing is buffered beyond the limit.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Request } from 'express';
import { JsonTooDeepError, MAX_JSON_DEPTH, parseJsonBounded } from '@ruralcredit/protocol';
import { AppError } from './errors';

/** Whether the request carries a body at all (RFC 9112 section 6.3). */
export function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * Refuses a request whose declared `Content-Length` exceeds `limitBytes`,
 * and any `Content-Encoding` other than identity (a compressed body would
 * bypass the limit).
 *
 * @throws AppError 413 PAYLOAD_TOO_LARGE, 415 UNSUPPORTED_CONTENT_ENCODING, 400 BAD_REQUEST.
 */
export function checkDeclaredLength(req: Request, limitBytes: number): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    if (!/^\d+$/.test(declared)) throw AppError.badRequest('invalid Content-Length');
    if (Number(declared) > limitBytes) throw AppError.payloadTooLarge(limitBytes);
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    throw AppError.unsupportedMediaType(`Content-Encoding ${encoding} is not accepted`, {
      code: 'UNSUPPORTED_CONTENT_ENCODING',
    });
  }
}

/** The media type of the request without parameters, lower-cased, or `''`. */
export function mediaTypeOf(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Whether `mediaType` is JSON (`application/json` or `application/*+json`). */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
}

/**
 * Requires the request's media type to be one of `accepted` (exact match, or
 * any JSON type when `accepted` contains `application/json`).
 *
 * @throws AppError 415 UNSUPPORTED_MEDIA_TYPE.
 */
export function checkMediaType(req: Request, accepted: readonly string[]): string {
  const mediaType = mediaTypeOf(req);
  const ok =
    accepted.includes(mediaType) || (accepted.includes('application/json') && isJsonMediaType(mediaType));
  if (!ok) {
    throw AppError.unsupportedMediaType(`Content-Type must be one of: ${accepted.join(', ')}`, {
      details: { accepted },
    });
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw AppError.unsupportedMediaType('only UTF-8 request bodies are accepted', {
      code: 'UNSUPPORTED_CHARSET',
    });
  }
  return mediaType;
}

/** A pass-through stream that fails with 413 once more than `limitBytes` have gone through. */
class ByteLimit extends Transform {
  #seen = 0;
  readonly #limit: number;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#limit) callback(AppError.payloadTooLarge(this.#limit));
    else callback(null, chunk);
  }
}

/**
 * The request body as a stream that errors with 413 `PAYLOAD_TOO_LARGE` as
 * soon as more than `limitBytes` arrive, and with 400 `REQUEST_ABORTED` if
 * the client goes away. Checks the declared length first.
 *
 * @throws AppError 413 / 415 from {@link checkDeclaredLength}.
 */
export function limitedBodyStream(req: Request, limitBytes: number): Readable {
  checkDeclaredLength(req, limitBytes);
  const limited = new ByteLimit(limitBytes);
  req.once('aborted', () =>
    limited.destroy(AppError.badRequest('request aborted', { code: 'REQUEST_ABORTED' })),
  );
  req.once('error', (err) => limited.destroy(err));
  limited.once('error', () => req.unpipe(limited));
  req.pipe(limited);
  return limited;
}

/**
 * Reads the whole body up to `limitBytes` into one buffer.
 *
 * @throws AppError 413 when the body is (or declares itself) larger than the limit.
 */
export async function readBodyBytes(req: Request, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of limitedBodyStream(req, limitBytes)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads and parses a JSON body of at most `limitBytes`. Returns `undefined`
 * when the request has no body.
 *
 * @throws AppError 413 PAYLOAD_TOO_LARGE (checked before parsing),
 *   415 UNSUPPORTED_MEDIA_TYPE, 400 MALFORMED_JSON.
 */
export async function readJsonBody(req: Request, limitBytes: number): Promise<unknown> {
  if (!hasBody(req)) return undefined;
  checkDeclaredLength(req, limitBytes);
  checkMediaType(req, ['application/json']);
  const bytes = await readBodyBytes(req, limitBytes);
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw AppError.badRequest('request body is not valid UTF-8', { code: 'MALFORMED_JSON' });
  }
  return parseJsonText(text, () =>
    AppError.badRequest('request body is not valid JSON', { code: 'MALFORMED_JSON' }),
  );
}

/** 400 `JSON_TOO_DEEP`: the text nests arrays and objects deeper than {@link MAX_JSON_DEPTH}. */
export function jsonTooDeep(what = 'request body'): AppError {
  return AppError.badRequest(`${what} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, {
    code: 'JSON_TOO_DEEP',
    details: { maxDepth: MAX_JSON_DEPTH },
  });
}

/**
 * Parses JSON text from a client, at most {@link MAX_JSON_DEPTH} levels deep
 * (deeper values would overflow the stack of the recursive steps after
 * parsing: validation, canonicalisation).
 *
 * @param malformed the error for text that is not JSON; the parser's own
 *   message quotes the input, which may hold personal data, so it is never echoed.
 * @throws AppError 400 `JSON_TOO_DEEP`, or `malformed()`.
 */
export function parseJsonText(text: string, malformed: () => AppError, what?: string): unknown {
  try {
    return parseJsonBounded(text);
  } catch (err) {
    if (err instanceof JsonTooDeepError) throw jsonTooDeep(what);
    throw malformed();
  }
}
