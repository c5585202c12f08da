/**
 * Creates an organisation's first administrator.
 *
 *   node gateway-api/dist/src/cli/create-admin.js --org <MSPID> --username <name> [--force]
 *
 * The password is read from stdin (first line) when stdin is not a terminal;
 * otherwise, or when that line is empty, a random one is generated and
 * printed once. Uses the same configuration (environment) as the gateway,
 * and must run while the gateway is stopped (LevelDB has one writer).
 * Refuses when the organisation already has an enabled ORG_ADMIN, unless
 * `--force` (recovery).
 */
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { generatePassword, PasswordSchema } from '../auth/password';
import { MspIdSchema, type Role } from '../auth/roles';
import { UsernameSchema, UserStoreImpl } from '../auth/users';
import { ConfigError, loadConfig } from '../config';
import { AppError } from '../http/errors';
import { cacheTuning, openDatabase, openFileLimit } from '../store/db';
import { runMain } from './run-main';

/** Streams and environment the command uses (injectable for tests). */
export interface CliIo {
  /** Password source when not a TTY. */
  readonly stdin: Readable & { isTTY?: boolean };
  /** Result output (JSON). */
  readonly stdout: Writable;
  /** Diagnostics. */
  readonly stderr: Writable;
  /** Environment for {@link loadConfig}. */
  readonly env: NodeJS.ProcessEnv;
}

const USAGE =
  'usage: create-admin --org <MSPID> --username <name> [--force]  (password on stdin, or generated)';

async function readFirstLine(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buffer);
    size += buffer.length;
    if (size > 4096 || buffer.includes(0x0a)) break;
  }
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trim();
}

/**
 * Runs the command.
 *
 * @param argv arguments after the script name.
 * @returns the process exit code: 0 created, 1 failed, 2 usage error.
 */
export async function createAdmin(argv: readonly string[], io: CliIo): Promise<number> {
  let values: { org?: string; username?: string; force?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { org: { type: 'string' }, username: { type: 'string' }, force: { type: 'boolean' } },
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const org = MspIdSchema.safeParse(values.org);
  const username = UsernameSchema.safeParse(values.username);
  if (!org.success || !username.success) {
    io.stderr.write(`${!org.success ? '--org must be an MSP ID' : '--username is invalid'}\n${USAGE}\n`);
    return 2;
  }

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

  let password = io.stdin.isTTY === true ? '' : await readFirstLine(io.stdin);
  const generated = password === '';
  if (generated) password = generatePassword();
  const checked = PasswordSchema.safeParse(password);
  if (!checked.success) {
    io.stderr.write(`password ${checked.error.issues[0]?.message ?? 'is invalid'}\n`);
    return 1;
  }

  let db;
  try {
    db = await openDatabase(config.dataDir, cacheTuning(config, openFileLimit()).tuning);
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  try {
    const users = new UserStoreImpl(db);
    if (values.force !== true && (await users.hasEnabledUserWithRole(org.data, 'ORG_ADMIN'))) {
      io.stderr.write(
        `${org.data} already has an administrator; use POST /api/v1/users, or --force to add another\n`,
      );
      return 1;
    }
    const roles: Role[] =
      org.data === config.regulatorMspId ? ['ORG_ADMIN', 'REGULATOR_ADMIN'] : ['ORG_ADMIN'];
    const user = await users.create({ orgMspId: org.data, username: username.data, password, roles });
    io.stdout.write(`${JSON.stringify({ ...user, ...(generated ? { password } : {}) })}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`${err instanceof AppError ? `${err.code}: ${err.message}` : (err as Error).message}\n`);
    return 1;
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  runMain(() =>
    createAdmin(process.argv.slice(2), {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
    }),
  );
}
