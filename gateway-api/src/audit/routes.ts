/**
 * Audit routes: the access trail from the off-chain index, its
 * tamper-evident NDJSON export, the export summary and the verifier.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MAX_PAGE_SIZE_CAP } from '../config';
import type { DomainModuleFactory } from '../domain';
import { AppError } from '../http/errors';
import { createIndexer } from '../indexer/indexer';
import {
  AccessPageSchema,
  accessListQuerySchema,
  ExportQuerySchema,
  ExportSummarySchema,
  SubjectAccessLogRequestSchema,
  SubjectAccessPageSchema,
  VerifyQuerySchema,
  VerifyResultSchema,
} from './schemas';
import { AuditService } from './service';
import { SubjectAccessLog } from './subject-log';

/** Media type of the export. */
export const NDJSON = 'application/x-ndjson';

/**
 * Longest export line the verifier reads, in bytes. An access line holds IDs
 * of at most 128 characters, a pseudonym, the datasets of one request, two
 * digests and a timestamp: under 2 KiB in practice; 16 KiB leaves room and
 * still bounds the work per line.
 */
export const VERIFY_LINE_LIMIT_BYTES = 16 * 1024;

/**
 * Largest export the verifier accepts, in bytes: the largest page a list
 * may hold (`MAX_PAGE_SIZE_CAP`, 1,000 accesses) at the longest line: 16,384,000 bytes.
 * Longer trails are verified offline (`ruralcredit audit verify`), which reads
 * any length in bounded memory.
 */
export const VERIFY_LIMIT_BYTES = MAX_PAGE_SIZE_CAP * VERIFY_LINE_LIMIT_BYTES;

const READERS = ['AUDITOR', 'REGULATOR_ADMIN', 'LOAN_OFFICER', 'ORG_ADMIN'] as const;

/** Who may have the gateway verify an export: the roles whose job it is to check the trail. */
const VERIFIERS = ['AUDITOR', 'REGULATOR_ADMIN'] as const;

const LF = 0x0a;

/** 400 `LINE_TOO_LONG`: an export line is longer than any the exporter writes. */
function lineTooLong(line: number, maxBytes: number): AppError {
  return AppError.badRequest(`export line ${line} exceeds ${maxBytes} bytes`, {
    code: 'LINE_TOO_LONG',
    details: { line, maxBytes },
    // The rest of the body is not read: close the connection rather than drain it.
    headers: { Connection: 'close' },
  });
}

/**
 * Splits a byte stream into text lines (without `\n`). Each chunk is scanned
 * once, from where the last line ended (linear in the body), and a line is
 * held only up to `maxLineBytes`.
 *
 * @throws AppError 400 `LINE_TOO_LONG` as soon as a line passes the limit.
 */
export async function* textLines(stream: Readable, maxLineBytes: number): AsyncIterable<string> {
  let parts: Buffer[] = [];
  let pending = 0;
  let lineNo = 1;
  const take = (): string => {
    const text = Buffer.concat(parts, pending).toString('utf8');
    parts = [];
    pending = 0;
    lineNo += 1;
    return text;
  };
  const add = (bytes: Buffer): void => {
    if (bytes.length === 0) return;
    pending += bytes.length;
    if (pending > maxLineBytes) throw lineTooLong(lineNo, maxLineBytes);
    parts.push(bytes);
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (let lf = chunk.indexOf(LF, start); lf !== -1; lf = chunk.indexOf(LF, start)) {
      add(chunk.subarray(start, lf));
      yield take();
      start = lf + 1;
    }
    add(chunk.subarray(start));
  }
  if (pending > 0) yield take();
}

/** A client that goes away mid-export is not an error of ours. */
function isPrematureClose(err: unknown): boolean {
  return (err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/**
 * `GET /audit/accesses`, `GET /audit/export`, `GET /audit/export/summary`,
 * `POST /audit/export/verify`.
 */
export const auditModule: DomainModuleFactory = (ctx, deps) => {
  const indexer = createIndexer(ctx, deps);
  const audit = new AuditService({ indexer, subjects: ctx.subjects, consortium: ctx.consortium });
  const subjectLog = new SubjectAccessLog({ context: ctx, indexer, db: deps.db });
  return {
    name: 'audit',
    register(router) {
      router.route({
        method: 'get',
        path: '/audit/accesses',
        summary: 'Trace data accesses (who accessed whose data, when, under which grant and purpose)',
        description:
          'Served from the off-chain index, oldest first. Auditors and the regulator see every ' +
          'institution; a bank sees its own accesses only. `subjectId` is pseudonymised at once.',
        tags: ['audit'],
        auth: READERS,
        query: accessListQuerySchema(deps.pageQuery),
        responses: {
          200: { description: 'A page of accesses', schema: AccessPageSchema },
          400: { description: 'INVALID_REQUEST, INVALID_SUBJECT_ID, INVALID_TIME_RANGE, INVALID_CURSOR' },
          403: {
            description: 'FORBIDDEN_ROLE; FORBIDDEN_ORG for a data provider or another bank’s accesses',
          },
          503: { description: 'INDEX_LAGGING: the index has not caught up with the ledger' },
        },
        async handler({ query, principal }) {
          const { limit, cursor, ...filter } = query;
          return { body: await audit.list(principal, filter, { limit, cursor }) };
        },
      });

      router.route({
        method: 'post',
        path: '/subjects/access-log',
        summary: 'A data subject reads who accessed its data (signed by the subject, no account)',
        description:
          'For the subject itself (PIPL Art. 45): one page of the accesses to its data, granted and ' +
          'denied, oldest first: institution, consent, datasets, purpose, outcome, time, transaction. ' +
          'Staff pseudonyms are left out. The request is an EIP-712 `SubjectAccessLogRequest` signed ' +
          'with the key the subject bound to its pseudonym (`POST /subjects/signers`), at most 5 ' +
          'minutes old, and each nonce is answered once; sign a new request for each page.',
        tags: ['subjects'],
        auth: 'public',
        body: SubjectAccessLogRequestSchema,
        responses: {
          200: { description: 'A page of accesses', schema: SubjectAccessPageSchema },
          400: { description: 'INVALID_REQUEST, STALE_REQUEST, INVALID_CURSOR' },
          401: {
            description: "SIGNATURE_REJECTED: no key bound to the subject, or not the subject's signature",
          },
          409: { description: 'REPLAYED_REQUEST: this signed request was already answered' },
          503: { description: 'INDEX_LAGGING: the index has not caught up with the ledger' },
        },
        async handler({ body, logger }) {
          const page = await subjectLog.page(body);
          logger.info('subject read its access log', { entries: page.items.length });
          return { body: page };
        },
      });

      router.route({
        method: 'get',
        path: '/audit/export',
        summary: 'Export accesses as tamper-evident NDJSON',
        description:
          'One access per line, oldest first, each with its `txId`, `blockNumber`, `seq` and the ' +
          'running `digest` (SHA-256 chain from 64 zeros), in canonical JSON. Any edit, drop or ' +
          'reorder fails `POST /audit/export/verify`; compare with `GET /audit/export/summary` to ' +
          'detect lines cut off the end.',
        tags: ['audit'],
        auth: READERS,
        query: ExportQuerySchema,
        responses: {
          200: { description: 'NDJSON lines', contentType: NDJSON },
          400: { description: 'INVALID_REQUEST, INVALID_TIME_RANGE' },
          403: { description: 'FORBIDDEN_ROLE, FORBIDDEN_ORG' },
        },
        async handler({ query, principal, res, logger }) {
          const prepared = await audit.prepareExport(principal, query);
          res.status(200);
          res.setHeader('Content-Type', `${NDJSON}; charset=utf-8`);
          const lines = audit.exportLines(prepared);
          const body = Readable.from(
            (async function* () {
              for await (const line of lines) yield `${line}\n`;
            })(),
          );
          try {
            await pipeline(body, res);
          } catch (err) {
            if (!isPrematureClose(err)) throw err;
            logger.info('audit export aborted by the client');
          }
          return undefined;
        },
      });

      router.route({
        method: 'get',
        path: '/audit/export/summary',
        summary: 'Line count and last digest of an export, to detect truncation',
        tags: ['audit'],
        auth: READERS,
        query: ExportQuerySchema,
        responses: {
          200: { description: 'Count and last digest', schema: ExportSummarySchema },
          400: { description: 'INVALID_REQUEST, INVALID_TIME_RANGE' },
          403: { description: 'FORBIDDEN_ROLE, FORBIDDEN_ORG' },
        },
        async handler({ query, principal }) {
          return { body: await audit.summary(principal, query) };
        },
      });

      router.route({
        method: 'post',
        path: '/audit/export/verify',
        summary: 'Verify an NDJSON audit export',
        description:
          'Checks every line’s canonical form, `seq` and running digest. Pass `expectedCount` and ' +
          '`expectedLastDigest` from the summary to detect lines cut off the end. For auditors and ' +
          `the regulator; at most ${VERIFY_LIMIT_BYTES} bytes (a page of 1,000 accesses at ` +
          `the longest line) and ${VERIFY_LINE_LIMIT_BYTES / 1024} KiB per line; verify longer trails ` +
          'offline with `ruralcredit audit verify`.',
        tags: ['audit'],
        auth: VERIFIERS,
        query: VerifyQuerySchema,
        rawBody: { contentTypes: [NDJSON], limitBytes: VERIFY_LIMIT_BYTES, description: 'The export' },
        responses: {
          200: { description: 'Verification outcome', schema: VerifyResultSchema },
          400: { description: 'INVALID_REQUEST; LINE_TOO_LONG (a line over the per-line limit)' },
          403: { description: 'FORBIDDEN_ROLE: only auditors and the regulator' },
          413: { description: 'PAYLOAD_TOO_LARGE' },
          415: { description: 'UNSUPPORTED_MEDIA_TYPE' },
        },
        async handler(route) {
          const stream = route.bodyStream();
          const result = await audit.verify(textLines(stream, VERIFY_LINE_LIMIT_BYTES), route.query);
          if (!route.req.complete) {
            // Verification stopped at the first failure: discard the rest of the upload and
            // close the connection rather than leave unread bytes on a kept-alive socket.
            route.req.unpipe();
            route.req.resume();
            return { body: result, headers: { Connection: 'close' } };
          }
          return { body: result };
        },
      });
    },
  };
};
