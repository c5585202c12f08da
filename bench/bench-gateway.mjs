// A real gateway for a benchmark, started in-process: buildGateway with every
// module over a fresh data directory, on the embedded ledger or, with
// `ledgerKind` 'fabric', on the network GATEWAY_CONNECTION_PROFILE describes
// (bench/run.mjs brings one up when the Fabric binaries are found).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gateway, require, tempDir } from './lib.mjs';

const { makeResidentId } = require('@ruralcredit/protocol');

const { buildGateway, DOMAIN_MODULES, loadConsortium, openLedger } = gateway('app');
const { loadConfig } = gateway('config');
const { createLogger } = gateway('http/logger');
const { openDatabase } = gateway('store/db');

/** Writes a fresh OPRF key seed into `dir` (mode 0600) and returns its path. */
export function oprfSeedFile(dir) {
  const file = path.join(dir, 'oprf-key.hex');
  writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return file;
}

/** The `--ledger` argument checked: 'embedded' (default) or 'fabric' with a connection profile. */
export function ledgerKindOf(args) {
  const ledgerKind = args.ledger ?? 'embedded';
  if (!['embedded', 'fabric'].includes(ledgerKind)) throw new Error('--ledger must be embedded or fabric');
  if (ledgerKind === 'fabric' && !process.env.GATEWAY_CONNECTION_PROFILE) {
    throw new Error('--ledger fabric needs GATEWAY_CONNECTION_PROFILE (a network brought up by network.mjs)');
  }
  return ledgerKind;
}

/**
 * Starts a gateway on port 0 with rate limits lifted.
 *
 * @returns `{ server, context, consortium, url, login(orgMspId, role), stop() }`; `login` creates a
 * user of that organisation and role and returns its bearer token.
 */
export async function startBenchGateway(prefix, ledgerKind, extraEnv = {}) {
  const { dir, cleanup } = await tempDir(prefix);
  const env = {
    ...process.env,
    GATEWAY_DATA_DIR: dir,
    GATEWAY_LEDGER: ledgerKind,
    GATEWAY_PORT: '0',
    GATEWAY_OPERATIONS_PORT: '0',
    GATEWAY_PSEUDONYM_SECRET: randomBytes(32).toString('hex'),
    GATEWAY_DATA_KEY: randomBytes(32).toString('hex'),
    // The regulator's OPRF key seed, as its operator would provide it (this process evaluates pseudonyms itself).
    GATEWAY_OPRF_KEY_FILE: oprfSeedFile(dir),
    GATEWAY_RATE_LIMIT_PER_MINUTE: '1000000',
    GATEWAY_LOG_LEVEL: 'error',
    ...extraEnv,
  };
  const config = loadConfig(env);
  const logger = createLogger({ level: 'error' });
  const consortium = loadConsortium();
  const db = await openDatabase(path.join(dir, 'gateway'));
  const ledger = await openLedger(config, consortium, logger, env);
  const { gateway: server, context } = await buildGateway({
    config,
    db,
    logger,
    ledger,
    consortium,
    domainModules: DOMAIN_MODULES,
  });
  const { url } = await server.start();

  async function login(orgMspId, role) {
    const username = `bench.${role.toLowerCase()}.${randomBytes(3).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    await server.deps.users.create({ orgMspId, username, password, roles: [role] });
    const res = await globalThis.fetch(`${url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return (await res.json()).accessToken;
  }

  async function stop() {
    await server.stop();
    await db.close();
    await cleanup();
  }

  return { server, context, consortium, url, login, stop };
}

/** `count` distinct valid resident IDs (checksummed), the same in every run; up to 3,024,000. */
export function benchResidentIds(count) {
  return Array.from({ length: count }, (_, n) => {
    const body = `350902198${String(1 + (n % 9))}${String(1 + (Math.floor(n / 9) % 12)).padStart(2, '0')}${String(1 + (Math.floor(n / 108) % 28)).padStart(2, '0')}${String(Math.floor(n / 3024) % 1000).padStart(3, '0')}`;
    return makeResidentId(body);
  });
}
