/** Request IDs: taken from a well-formed `X-Request-Id` header or generated, and echoed back. */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { setRequestId } from './context';

/** Header carrying the request ID in both directions. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Assigns each request an ID: the caller's `X-Request-Id` when it is 1-128
 * characters of `[A-Za-z0-9._:-]` (so it is safe to log), a random UUID
 * otherwise; the ID is returned in the `X-Request-Id` response header.
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const id = incoming !== undefined && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
    setRequestId(req, id);
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
