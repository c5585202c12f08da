/**
 * `ruralcredit bulk submit|download|status`: bulk download under
 * authorisation, with a progress bar, automatic resumption after a dropped
 * connection, and a check of the running digest.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { BULK_INITIAL_DIGEST, nextBulkDigest, type BulkJobRequest, type BulkLine } from '../bulk';
import { GatewayError } from '../errors';
import { UsageError, VerificationFailed, integer, list, required, str, type Command } from './commands';
import { CountProgressBar, table } from './output';

/** Reads `subjectId,consentId` lines (CSV, an optional header) or a JSON array of pairs. */
async function readPairs(file: string): Promise<BulkJobRequest['items']> {
  const text = await readFile(file, 'utf8');
  if (text.trimStart().startsWith('[')) return JSON.parse(text) as BulkJobRequest['items'];
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^subjectId\s*,/i.test(l))
    .map((l, i) => {
      const [subjectId, consentId] = l.split(',').map((s) => s.trim());
      if (!subjectId || !consentId)
        throw new UsageError(`${file} line ${i + 1}: expected subjectId,consentId`);
      return { subjectId, consentId };
    });
}

/** Where a download file stops: the last cursor line's cursor and digest (0 and the initial digest when none). */
async function resumePoint(file: string): Promise<{ cursor: number; digest: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { cursor: 0, digest: BULK_INITIAL_DIGEST };
  }
  const lines = text.split('\n').filter((l) => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = JSON.parse(lines[i]!) as { type?: string; cursor?: number; digest?: string };
    if (line.type === 'cursor' && line.cursor !== undefined && line.digest !== undefined) {
      return { cursor: line.cursor, digest: line.digest };
    }
  }
  return { cursor: 0, digest: BULK_INITIAL_DIGEST };
}

/** The bulk commands. */
export const BULK_COMMANDS: readonly Command[] = [
  {
    name: 'bulk submit',
    summary: 'Submit a bulk download of up to 10,000 (subject, consent) pairs',
    args: '<pairs.csv|pairs.json>',
    options: {
      datasets: {
        type: 'string',
        description: 'Dataset types, comma-separated',
        required: true,
        placeholder: 'A,B',
      },
      purpose: {
        type: 'string',
        description: 'LOAN_APPLICATION, POST_LOAN_MANAGEMENT or COLLATERAL_REGISTRATION',
        required: true,
        placeholder: 'PURPOSE',
      },
      since: {
        type: 'string',
        description: 'Every record anchored since this time (ISO-8601 UTC)',
        placeholder: 'TIME',
      },
    },
    details: 'The file holds `subjectId,consentId` lines or a JSON array of {subjectId, consentId}.',
    async run(inv) {
      const file = inv.args[0];
      if (file === undefined) throw new UsageError('give the file of (subject, consent) pairs');
      const since = str(inv.values, 'since');
      const job = await (
        await inv.client()
      ).bulk.submit({
        items: await readPairs(file),
        datasets: list(required(inv.values, 'datasets')),
        purpose: required(inv.values, 'purpose') as BulkJobRequest['purpose'],
        ...(since === undefined ? {} : { since }),
      });
      inv.print(
        job,
        `job ${job.jobId}: ${job.total} subjects\ndownload with: ruralcredit bulk download ${job.jobId} -o FILE`,
      );
    },
  },
  {
    name: 'bulk download',
    summary: 'Download a bulk job as NDJSON; each subject is recorded on the ledger before its lines arrive',
    args: '<jobId>',
    options: {
      out: { type: 'string', short: 'o', description: 'File to write', required: true, placeholder: 'FILE' },
      resume: { type: 'boolean', description: 'Continue the file after its last cursor line' },
      retries: {
        type: 'string',
        description: 'Reconnections after a dropped stream (default 5)',
        placeholder: 'N',
      },
    },
    details:
      'A dropped connection is resumed at the last complete subject; nothing is recorded twice. The running ' +
      'digest of every line is checked as it arrives (exit 3 on a mismatch).',
    async run(inv) {
      const jobId = inv.args[0];
      if (jobId === undefined) throw new UsageError('give the job ID');
      const out = required(inv.values, 'out');
      const retries = integer(inv.values, 'retries') ?? 5;
      let { cursor, digest } =
        inv.values.resume === true ? await resumePoint(out) : { cursor: 0, digest: BULK_INITIAL_DIGEST };
      const client = await inv.client();
      const sink = createWriteStream(out, { flags: inv.values.resume === true ? 'a' : 'w' });
      const bar = new CountProgressBar(inv.ctx.stderr, inv.ctx.stderrIsTty);
      let total = 0;
      let records = 0;
      let end: BulkLine | undefined;
      for (let attempt = 0; end === undefined; attempt++) {
        // A subject's lines are written only with its cursor line, so a resumed stream never duplicates one.
        let pending: string[] = [];
        let running = digest;
        try {
          for await (const line of client.bulk.lines(jobId, { cursor }, { signal: inv.ctx.signal })) {
            if (line.type === 'job') total = Number(line.total);
            else if (line.type === 'subject' || line.type === 'record') {
              pending.push(line.raw);
              running = nextBulkDigest(running, line.raw);
              if (line.type === 'record') records += 1;
            } else if (line.type === 'cursor') {
              if (line.digest !== running) {
                throw new VerificationFailed(`running digest mismatch at cursor ${String(line.cursor)}`);
              }
              pending.push(line.raw);
              if (!sink.write(`${pending.join('\n')}\n`)) await once(sink, 'drain');
              pending = [];
              cursor = Number(line.cursor);
              digest = running;
              bar.update(cursor, total, records);
            } else if (line.type === 'end') end = line;
            else if (line.type === 'error') throw new Error(`${String(line.code)}: ${String(line.message)}`);
          }
          if (end === undefined) throw new Error('stream ended before the job did');
        } catch (err) {
          if (err instanceof VerificationFailed || inv.ctx.signal.aborted) throw err;
          if (err instanceof GatewayError && err.status < 500 && err.code !== 'JOB_BUSY') throw err;
          if (attempt >= retries) throw err;
          inv.ctx.stderr(`\nstream dropped (${(err as Error).message}); resuming at subject ${cursor}\n`);
          await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)));
        }
      }
      sink.end();
      await once(sink, 'finish');
      bar.done(cursor, total, records);
      const status = await client.bulk.status(jobId);
      inv.print(
        status,
        `${status.granted} granted, ${status.denied} denied, ${status.recordsReleased} records; digest ${status.digest}\n` +
          (status.deniedSubjects.length === 0
            ? ''
            : table(
                ['SEQ', 'CONSENT', 'ACCESS', 'REASON'],
                status.deniedSubjects.map((d) => [String(d.seq), d.consentId, d.accessId, d.reason]),
              )),
      );
    },
  },
  {
    name: 'bulk status',
    summary: "A bulk job's progress and denied subjects with reasons",
    args: '<jobId>',
    options: {},
    async run(inv) {
      const jobId = inv.args[0];
      if (jobId === undefined) throw new UsageError('give the job ID');
      const s = await (await inv.client()).bulk.status(jobId);
      inv.print(
        s,
        `${s.jobId}: ${s.state}, ${s.recorded}/${s.total} recorded, ${s.granted} granted, ${s.denied} denied\n` +
          s.deniedSubjects.map((d) => `  #${d.seq} ${d.consentId}: ${d.reason}`).join('\n'),
      );
    },
  },
];
