/**
 * Migration from HMAC subject pseudonyms to the regulator's OPRF: for the
 * subject IDs an organisation already knows (one per line on stdin), prints
 * one JSON line per ID with its legacy HMAC pseudonym and its new pseudonym,
 * never the ID itself.
 *
 *   GATEWAY_LEGACY_PSEUDONYM_SECRET=<hex> node gateway-api/dist/src/cli/pseudonym-mapping.js < ids.txt
 *
 * Uses the gateway's configuration (environment): the regulator's key file on
 * the regulator's side, or, on a member's (`GATEWAY_ORG`), the regulator's
 * gateway asked with the member's signed requests (counted and rate-limited
 * like any evaluation). Each organisation keeps the mapping beside its records
 * (README, *Migration from HMAC pseudonyms*).
 */
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import {
  parseSubjectId,
  pseudonymise,
  SubjectIdError,
  MIN_PSEUDONYM_SECRET_BYTES,
} from '@ruralcredit/protocol';
import { ConfigError, loadConfig } from '../config';
import { AppError } from '../http/errors';
import { loadOwnOrganisation, pseudonymSource } from '../app';
import { runMain } from './run-main';

/** Streams and environment the command uses (injectable for tests). */
export interface MappingIo {
  /** Subject IDs, one per line. */
  readonly stdin: Readable;
  /** One JSON line per input line. */
  readonly stdout: Writable;
  /** Diagnostics. */
  readonly stderr: Writable;
  /** Environment for {@link loadConfig} and `GATEWAY_LEGACY_PSEUDONYM_SECRET`. */
  readonly env: NodeJS.ProcessEnv;
}

/** IDs evaluated at once (a remote evaluator gets them as one batch). */
const CHUNK = 256;

/**
 * Runs the command.
 *
 * @returns the process exit code: 0 every line mapped, 1 a line invalid or a failure.
 */
export async function pseudonymMapping(io: MappingIo): Promise<number> {
  const legacyHex = io.env.GATEWAY_LEGACY_PSEUDONYM_SECRET ?? '';
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(legacyHex) || legacyHex.length < MIN_PSEUDONYM_SECRET_BYTES * 2) {
    io.stderr.write(
      `GATEWAY_LEGACY_PSEUDONYM_SECRET: the old HMAC secret is required (hex, ${MIN_PSEUDONYM_SECRET_BYTES}+ bytes)\n`,
    );
    return 1;
  }
  const legacy = Buffer.from(legacyHex, 'hex');
  let config;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  let source;
  try {
    const own = config.organisation === undefined ? undefined : loadOwnOrganisation(config.organisation);
    ({ source } = pseudonymSource(config, own));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  let failed = false;
  let lineNo = 0;
  let chunk: { line: number; id: string }[] = [];
  const flush = async (): Promise<void> => {
    const pseudonyms = await source.pseudonyms(chunk.map((c) => c.id));
    chunk.forEach((c, k) =>
      io.stdout.write(
        `${JSON.stringify({ line: c.line, legacy: pseudonymise(legacy, c.id), pseudonym: pseudonyms[k] })}\n`,
      ),
    );
    chunk = [];
  };
  try {
    for await (const raw of createInterface({ input: io.stdin, crlfDelay: Infinity })) {
      lineNo += 1;
      if (raw.trim() === '') continue;
      try {
        chunk.push({ line: lineNo, id: parseSubjectId(raw.trim()).id });
      } catch (err) {
        if (!(err instanceof SubjectIdError)) throw err;
        failed = true;
        io.stdout.write(`${JSON.stringify({ line: lineNo, error: 'INVALID_SUBJECT_ID' })}\n`);
        continue;
      }
      if (chunk.length >= CHUNK) await flush();
    }
    if (chunk.length > 0) await flush();
  } catch (err) {
    io.stderr.write(`${err instanceof AppError ? `${err.code}: ${err.message}` : (err as Error).message}\n`);
    return 1;
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  runMain(() =>
    pseudonymMapping({
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
    }),
  );
}
