/** Bulk-download routes: parse, validate, call the {@link BulkService}; stream its lines. */
import { once } from 'node:events';
import type { Response } from 'express';
import type { Role } from '../auth/roles';
import type { ApiRouter } from '../http/router';
import { BulkJobRequestSchema, BulkJobStatusSchema, JobParamsSchema, LinesQuerySchema } from './schemas';
import type { BulkService } from './service';

const TAGS = ['bulk'];
const BANK: readonly [Role, ...Role[]] = ['LOAN_OFFICER'];

/** Writes `line` and a newline, waiting for the socket to drain; false when the client is gone. */
async function writeLine(res: Response, line: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(`${line}\n`)) return true;
  const settled = new AbortController();
  try {
    await Promise.race([
      once(res, 'drain', { signal: settled.signal }),
      once(res, 'close', { signal: settled.signal }),
    ]);
  } finally {
    // Removes the listener of the event that did not happen.
    settled.abort();
  }
  return !res.destroyed;
}

/** Declares the bulk routes on `router`. */
export function registerBulkRoutes(router: ApiRouter, service: BulkService): void {
  router.route({
    method: 'post',
    path: '/bulk/jobs',
    summary: 'Submit a bulk download of up to 10,000 (subject, consent) pairs',
    description:
      'Stores the job; nothing is recorded or released until `GET /bulk/jobs/{jobId}/lines` reads it.',
    tags: TAGS,
    auth: BANK,
    body: BulkJobRequestSchema,
    bodyLimitBytes: 4 * 1024 * 1024,
    responses: {
      201: { description: 'The job, nothing recorded yet', schema: BulkJobStatusSchema },
      400: {
        description:
          'INVALID_REQUEST, INVALID_SUBJECT_ID or DUPLICATE_ITEM (details.index), INVALID (unknown dataset type)',
      },
    },
    async handler({ principal, body }) {
      const job = await service.create(principal, body);
      return {
        status: 201,
        body: job,
        headers: { Location: `${router.basePath}/bulk/jobs/${job.jobId}` },
      };
    },
  });

  router.route({
    method: 'get',
    path: '/bulk/jobs/{jobId}',
    summary: "A bulk job's progress, running digest and denied subjects with reasons",
    tags: TAGS,
    auth: BANK,
    params: JobParamsSchema,
    responses: {
      200: { description: 'Progress', schema: BulkJobStatusSchema },
      404: { description: 'JOB_NOT_FOUND (also for another user’s job)' },
    },
    async handler({ principal, params }) {
      return { body: await service.status(principal, params.jobId) };
    },
  });

  router.route({
    method: 'get',
    path: '/bulk/jobs/{jobId}/lines',
    summary: 'Read a bulk job as NDJSON; each subject is recorded on the ledger before its lines are sent',
    description:
      'Lines: `{"type":"job"}` first; per subject a `subject` line (access ID, outcome GRANTED or DENIED with ' +
      'reason, transaction), its `record` lines when GRANTED, and a `cursor` line with the running digest; ' +
      'finally `end` (or `pause` when `limit` stopped it). Subjects are recorded in chunks, one ledger ' +
      'transaction each, as the reader consumes the stream. After a dropped connection, call again with ' +
      '`cursor` = the last cursor received: recorded subjects are replayed from the gateway, nothing is ' +
      'recorded twice. The running digest is SHA-256 over (previous digest hex + line + newline) for every ' +
      '`subject` and `record` line, starting from 64 zeros.',
    tags: TAGS,
    auth: BANK,
    params: JobParamsSchema,
    query: LinesQuerySchema,
    responses: {
      200: { description: 'NDJSON lines', contentType: 'application/x-ndjson' },
      400: { description: 'INVALID_CURSOR: beyond the subjects recorded so far' },
      404: { description: 'JOB_NOT_FOUND' },
      409: { description: 'JOB_BUSY: another stream reads this job' },
    },
    async handler({ principal, params, query, res }) {
      const { lines, release } = await service.open(principal, params.jobId, query.cursor, query.limit);
      try {
        res.status(200).type('application/x-ndjson');
        res.setHeader('Cache-Control', 'no-store');
        try {
          for await (const line of lines) {
            if (!(await writeLine(res, line))) break;
          }
        } catch (err) {
          // The status is sent: the error becomes the last line; the reader resumes from its last cursor.
          const e = err as { code?: string; message?: string };
          await writeLine(
            res,
            JSON.stringify({ type: 'error', code: e.code ?? 'INTERNAL', message: e.message ?? 'error' }),
          );
        }
        if (!res.writableEnded) res.end();
      } finally {
        release();
      }
      return undefined;
    },
  });
}
