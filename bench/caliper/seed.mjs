// Seeds a Fabric network for the Caliper rounds (bench/caliper/run.mjs) and writes what the
// workload modules need into a JSON file. Runs the real gateway's bootstrap (members, catalogue,
// signing keys) through its fabric backend, then submits straight on the ledger, 64 in flight:
//   - `--grants` LOAN_APPLICATION grants of a bank over HOMESTEAD without an access budget, one
//     per subject, used in turn by Access:RecordAccess (one grant per access in flight, so no two
//     accesses in flight write the same grant);
//   - `--assets` LAND_CONTRACT_RIGHT assets registered by their issuer, ten per owner, and one
//     COLLATERAL_REGISTRATION grant from each owner to the bank: each Collateral:RegisterLien
//     transaction liens an asset no other transaction touches.
//
//   GATEWAY_CONNECTION_PROFILE=... node bench/caliper/seed.mjs --grants N --assets N --out seed.json
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { oprfSeedFile } from '../bench-gateway.mjs';
import { gateway, intArg, log, parseArgs, require, tempDir } from '../lib.mjs';

const { COLLATERAL_SCOPE, isoFromEpochSeconds, sha256Hex } = require('@ruralcredit/protocol');
const { buildGateway, DOMAIN_MODULES, loadConsortium, openLedger } = gateway('app');
const { loadConfig } = gateway('config');
const { createLogger } = gateway('http/logger');
const { openDatabase } = gateway('store/db');

const args = parseArgs();
const grants = intArg(args, 'grants', 1500);
const assets = intArg(args, 'assets', 3000);
const out = args.out;
if (typeof out !== 'string') throw new Error('--out <file> is required');
if (!process.env.GATEWAY_CONNECTION_PROFILE) throw new Error('GATEWAY_CONNECTION_PROFILE is required');

const ASSETS_PER_OWNER = 10;
const IN_FLIGHT = 64;
const DAY = 86_400;

/** Runs `tasks` with at most IN_FLIGHT at once; returns their results in order. */
async function pool(tasks) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, tasks.length) }, worker));
  return results;
}

const { dir, cleanup } = await tempDir('caliper-seed');
const env = {
  ...process.env,
  GATEWAY_DATA_DIR: dir,
  GATEWAY_LEDGER: 'fabric',
  GATEWAY_PSEUDONYM_SECRET: randomBytes(32).toString('hex'),
  GATEWAY_DATA_KEY: randomBytes(32).toString('hex'),
  GATEWAY_OPRF_KEY_FILE: oprfSeedFile(dir),
  GATEWAY_PORT: '0',
  GATEWAY_OPERATIONS_PORT: '0',
  GATEWAY_LOG_LEVEL: 'error',
};
const config = loadConfig(env);
const logger = createLogger({ level: 'error' });
const consortium = loadConsortium();
const db = await openDatabase(path.join(dir, 'gateway'));
const ledger = await openLedger(config, consortium, logger, env);
let built;
try {
  // Building the gateway brings the ledger to the consortium definition (its bootstrap).
  built = await buildGateway({ config, db, logger, ledger, consortium, domainModules: DOMAIN_MODULES });
  const bank = consortium.organisations.find((o) => o.role === 'BANK').mspId;
  const assetType = consortium.assetTypes.find((a) => a.code === 'LAND_CONTRACT_RIGHT');
  const run = randomBytes(4).toString('hex');
  const nowSeconds = Math.floor(Date.now() / 1000);
  const validity = {
    validFrom: isoFromEpochSeconds(nowSeconds - DAY),
    validUntil: isoFromEpochSeconds(nowSeconds + 365 * DAY),
  };
  const pseudonym = (what, n) => sha256Hex(`caliper ${run} ${what} ${n}`);
  const grant = (grantId, subject, purpose, scope) =>
    ledger.submit(bank, 'Consent:RecordGrant', [
      JSON.stringify({
        grantId,
        subject,
        scope,
        purpose,
        ...validity,
        evidence: { type: 'FORM_HASH', formHash: sha256Hex(`signed form ${grantId}`) },
      }),
    ]);

  const t0 = Date.now();
  const accessGrants = Array.from({ length: grants }, (_, n) => ({
    grantId: `cal-${run}-g${n}`,
    subject: pseudonym('subject', n),
  }));
  await pool(accessGrants.map((g) => () => grant(g.grantId, g.subject, 'LOAN_APPLICATION', ['HOMESTEAD'])));
  log(`caliper seed: ${grants} access grants committed (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  const owners = Math.ceil(assets / ASSETS_PER_OWNER);
  const ownerGrants = Array.from({ length: owners }, (_, n) => ({
    grantId: `cal-${run}-c${n}`,
    owner: pseudonym('owner', n),
  }));
  await pool(
    ownerGrants.map((g) => () => grant(g.grantId, g.owner, 'COLLATERAL_REGISTRATION', [COLLATERAL_SCOPE])),
  );
  const registered = await pool(
    Array.from({ length: assets }, (_, n) => async () => {
      const { grantId, owner } = ownerGrants[n % owners];
      const asset = await ledger.submit(assetType.issuer, 'Collateral:RegisterAsset', [
        JSON.stringify({
          assetType: assetType.code,
          certificateNo: `CAL-${run}-${n}`,
          owner,
          location: `350902-${100 + (n % 37)}-${String(n).padStart(5, '0')}`,
          areaValue: 2 + (n % 19) / 2,
          areaUnit: 'MU',
          appraisedValueFen: 10_000_000,
          appraisalDate: isoFromEpochSeconds(nowSeconds - 10 * DAY),
          rightExpiry: '2048-12-31T00:00:00Z',
        }),
      ]);
      return { assetId: asset.result.assetId, grantId };
    }),
  );
  log(
    `caliper seed: ${owners} collateral grants, ${assets} assets committed (${((Date.now() - t0) / 1000).toFixed(1)} s in all)`,
  );
  await writeFile(
    out,
    JSON.stringify({
      run,
      bank,
      loanEnd: isoFromEpochSeconds(nowSeconds + 180 * DAY),
      accessGrants,
      assets: registered,
      seedSeconds: (Date.now() - t0) / 1000,
    }),
  );
  console.log(JSON.stringify({ grants, owners, assets, seedSeconds: (Date.now() - t0) / 1000 }));
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await built?.gateway.stop().catch(() => undefined);
  await ledger.close().catch(() => undefined);
  await db.close();
  await cleanup();
  // The gateway's background work (its block indexer's stream) would keep the process alive.
  process.exit();
}
