// Item 2's gateway: the real gateway (every business module, the indexer
// following the chain) on the `fabric` backend, i.e. FabricLedgerClientImpl
// over @hyperledger/fabric-gateway and TLS gRPC, connected through the
// connection profile of the peer double (fabric-peer-double.mjs). Composed as
// src/main.ts composes it (loadConfig, openLedger, buildGateway with
// DOMAIN_MODULES, the demo seed), minus the signal handlers and the printed
// demo logins: this process reports to its parent over IPC instead.
//
// Seeds, through the gateway's own services and ledger client:
//   - the consortium bootstrap (buildGateway does it),
//   - the demo data (src/demo/seed.ts) for `--farmers` farmers: provenance
//     batches of 3 data sets, min(200, farmers) LAND_CONTRACT_RIGHT assets,
//     50 budgeted consents, 10 liens,
//   - one consent per farmer for the bank under test WITHOUT an access budget
//     (grantId `bench-report-<n>`), so reports never run out of budget,
//   - a LOAN_OFFICER user of that bank.
// Then listens on port 0 and sends `{ ready, url, pid, ... }`; stops on `stop`
// or when the parent disconnects. `{ profile: 'start' }` starts V8's CPU
// profiler in this process, `{ profile: 'stop', file }` writes the profile to
// `file`; each is answered with `{ profile }` once done.
//
// The connection profile may be the double's or a real network's (network.mjs):
// gateway-cost.mjs --ledger fabric passes the latter.
//
// Runs with GATEWAY_RATE_LIMIT_PER_MINUTE at its ceiling (1,000,000): the
// default 600 per user per minute would turn a load test into a test of the
// rate limiter. Logging stays at the production default (info, one JSON line
// per request), written to a file.
//
//   node bench/gateway-over-double.mjs --dir DIR --profile PROFILE [--farmers N]
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { gateway, intArg, parseArgs, require } from './lib.mjs';

const { isoFromEpochSeconds, sha256Hex } = require('@ruralcredit/protocol');
const { buildGateway, DOMAIN_MODULES, loadConsortium, openLedger } = gateway('app');
const { loadConfig } = gateway('config');
const { createLogger } = gateway('http/logger');
const { openDatabase } = gateway('store/db');
const { seedDemo, demoFarmerId } = gateway('demo/seed');

const DAY = 86_400;
/** Seeding writes in flight at once (distinct keys, so they never conflict). */
const SEED_CONCURRENCY = 16;

const args = parseArgs();
if (typeof args.dir !== 'string' || typeof args.profile !== 'string') {
  throw new Error('--dir and --profile are required');
}
if (!process.send) throw new Error('run me with an IPC channel (from gateway-cost.mjs)');
const farmers = intArg(args, 'farmers', 200);

const env = {
  ...process.env,
  GATEWAY_DATA_DIR: args.dir,
  GATEWAY_LEDGER: 'fabric',
  GATEWAY_CONNECTION_PROFILE: args.profile,
  GATEWAY_PORT: '0',
  GATEWAY_OPERATIONS_PORT: '0',
  GATEWAY_DEMO: '1',
  GATEWAY_RATE_LIMIT_PER_MINUTE: '1000000',
  GATEWAY_LOG_LEVEL: process.env.GATEWAY_LOG_LEVEL ?? 'info',
};
const config = loadConfig(env);
const logger = createLogger({ level: config.logLevel });
const consortium = loadConsortium();
const db = await openDatabase(config.dataDir);
const ledger = await openLedger(config, consortium, logger, env);
const { gateway: server, context } = await buildGateway({
  config,
  db,
  logger,
  ledger,
  consortium,
  domainModules: DOMAIN_MODULES,
});
const t0 = Date.now();
const notes = await seedDemo(context, server.deps, farmers);
const demoSeedMs = Date.now() - t0;

const bank = consortium.organisations.find((o) => o.role === 'BANK')?.mspId;
if (bank === undefined) throw new Error('the consortium has no bank');
const now = Math.floor(Date.now() / 1000);
const subjects = [];
for (let n = 1; n <= farmers; n++) {
  const subjectId = demoFarmerId(n);
  subjects.push({
    subjectId,
    pseudonym: await context.subjects.pseudonym(subjectId),
    grantId: `bench-report-${n}`,
  });
}
const t1 = Date.now();
for (let first = 0; first < subjects.length; first += SEED_CONCURRENCY) {
  await Promise.all(
    subjects.slice(first, first + SEED_CONCURRENCY).map(async (s) => {
      try {
        await context.ledger.submit(bank, 'Consent:RecordGrant', [
          JSON.stringify({
            grantId: s.grantId,
            subject: s.pseudonym,
            scope: consortium.datasetTypes.map((d) => d.code),
            purpose: 'LOAN_APPLICATION',
            validFrom: isoFromEpochSeconds(now - DAY),
            validUntil: isoFromEpochSeconds(now + 30 * DAY),
            evidence: { type: 'FORM_HASH', formHash: sha256Hex(`bench consent form ${s.grantId}`) },
          }),
        ]);
      } catch (err) {
        // Granted by an earlier run on the same network with the same data directory (gateway-cost --gateway-dir).
        if (err?.code !== 'CONFLICT') throw err;
      }
    }),
  );
}
const grantSeedMs = Date.now() - t1;

const username = `bench.loan_officer.${randomBytes(3).toString('hex')}`;
const password = randomBytes(18).toString('base64url');
await server.deps.users.create({ orgMspId: bank, username, password, roles: ['LOAN_OFFICER'] });
const { url } = await server.start();

let stopping;
const stop = () => {
  stopping ??= server
    .stop()
    .then(() => db.close())
    .finally(() => process.exit(0));
  return stopping;
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
let session;
/** Starts or stops (and writes) a CPU profile of this process, then answers the parent. */
async function profile(message) {
  if (message.profile === 'start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  } else if (session !== undefined) {
    const { profile: result } = await session.post('Profiler.stop');
    session.disconnect();
    session = undefined;
    await mkdir(path.dirname(message.file), { recursive: true });
    await writeFile(message.file, JSON.stringify(result));
  }
  process.send({ profile: message.profile });
}
process.on('message', (message) => {
  if (message === 'stop') void stop();
  else if (typeof message?.profile === 'string') void profile(message);
});
process.send({
  ready: true,
  url,
  pid: process.pid,
  bank,
  username,
  password,
  datasets: consortium.datasetTypes.map((d) => d.code),
  subjects,
  assetIds: Array.from(
    { length: Math.min(200, farmers) },
    (_, i) => `LAND_CONTRACT_RIGHT:LC-${String(i + 1).padStart(6, '0')}`,
  ),
  seed: { notes, demoSeedMs, grantSeedMs, grants: subjects.length },
});
