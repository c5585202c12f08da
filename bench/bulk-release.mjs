// Issue 15: records released per second by a bulk download of N subjects on
// the embedded ledger. A real gateway (buildGateway, every module, embedded
// ledger, LevelDB) is started in-process; a HOMESTEAD batch of N records is
// anchored through REST, N consents are committed straight on the ledger
// (100 per block), then a bank's job of N (subject, consent) pairs is
// submitted and read to its end through REST: every subject recorded by
// Access:RecordAccessBatch before its lines are released. The clock starts
// once the block indexer has caught up with the seeding.
//
// With `--ledger fabric` the same runs against a real Fabric network: the
// gateway's fabric backend with GATEWAY_CONNECTION_PROFILE (bench/run.mjs
// brings a network up for it when the Fabric binaries are found).
//
//   node bench/bulk-release.mjs --subjects N [--ledger embedded|fabric]
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { TextDecoder } from 'node:util';
import { emit, gateway, intArg, log, now, parseArgs, peakRssBytes, require, tempDir } from './lib.mjs';

const { isoFromEpochSeconds, sha256Hex, makeResidentId } = require('@ruralcredit/protocol');
const { buildGateway, DOMAIN_MODULES, loadConsortium, openLedger } = gateway('app');
const { loadConfig } = gateway('config');
const { createLogger } = gateway('http/logger');
const { openDatabase } = gateway('store/db');
const { createIndexer } = gateway('indexer/indexer');

const args = parseArgs();
const subjects = intArg(args, 'subjects', 10_000);
const ledgerKind = args.ledger ?? 'embedded';
if (!['embedded', 'fabric'].includes(ledgerKind)) throw new Error('--ledger must be embedded or fabric');
if (ledgerKind === 'fabric' && !process.env.GATEWAY_CONNECTION_PROFILE) {
  throw new Error('--ledger fabric needs GATEWAY_CONNECTION_PROFILE (a network brought up by network.mjs)');
}
const { dir, cleanup } = await tempDir('bulk');
/** The regulator's OPRF key seed, as its operator would provide it (this process evaluates pseudonyms itself). */
function oprfSeedFile(into) {
  const file = path.join(into, 'oprf-key.hex');
  writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return file;
}
const env = {
  ...process.env,
  GATEWAY_DATA_DIR: dir,
  GATEWAY_LEDGER: ledgerKind,
  GATEWAY_PORT: '0',
  GATEWAY_OPERATIONS_PORT: '0',
  GATEWAY_PSEUDONYM_SECRET: randomBytes(32).toString('hex'),
  GATEWAY_DATA_KEY: randomBytes(32).toString('hex'),
  GATEWAY_OPRF_KEY_FILE: oprfSeedFile(dir),
  GATEWAY_RATE_LIMIT_PER_MINUTE: '1000000',
  GATEWAY_LOG_LEVEL: 'error',
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
const bank = consortium.organisations.find((o) => o.role === 'BANK').mspId;
const provider = consortium.datasetTypes.find((d) => d.code === 'HOMESTEAD')?.provider;
const { url } = await server.start();
/** IDs of this run: a network may hold an earlier run's batch and consents. */
const run = randomBytes(4).toString('hex');

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

try {
  const residentIds = Array.from({ length: subjects }, (_, n) => {
    const body = `350902198${String(1 + (n % 9))}${String(1 + (Math.floor(n / 9) % 12)).padStart(2, '0')}${String(1 + (Math.floor(n / 108) % 28)).padStart(2, '0')}${String(Math.floor(n / 3024) % 1000).padStart(3, '0')}`;
    return makeResidentId(body);
  });
  const officer = await login(provider, 'DATA_OFFICER');
  const ndjson = residentIds
    .map((id, n) =>
      JSON.stringify({
        subjectId: id,
        certificateNo: `HS-${n}`,
        parcelCode: `350902-${n}`,
        areaSquareMetres: 100 + (n % 300),
        registeredOn: '2019-05-01',
      }),
    )
    .join('\n');
  const upload = await globalThis.fetch(
    `${url}/api/v1/datasets/HOMESTEAD/batches?batchId=bulk-bench-${run}&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${officer}`, 'content-type': 'application/x-ndjson' },
      body: ndjson,
    },
  );
  if (upload.status !== 201) throw new Error(`upload: ${upload.status} ${await upload.text()}`);
  log(`anchored ${subjects} records`);
  const nowSeconds = Math.floor(Date.now() / 1000);
  const SEED = 16;
  for (let first = 0; first < subjects; first += SEED) {
    await Promise.all(
      residentIds.slice(first, first + SEED).map(async (id, i) =>
        context.ledger.submit(bank, 'Consent:RecordGrant', [
          JSON.stringify({
            grantId: `bulk-g-${run}-${first + i}`,
            subject: await context.subjects.pseudonym(id),
            scope: ['HOMESTEAD'],
            purpose: 'LOAN_APPLICATION',
            validFrom: isoFromEpochSeconds(nowSeconds - 3600),
            validUntil: isoFromEpochSeconds(nowSeconds + 30 * 86_400),
            evidence: { type: 'FORM_HASH', formHash: sha256Hex(`form-${first + i}`) },
          }),
        ]),
      ),
    );
  }
  log(`committed ${subjects} consents`);
  // The job is timed on an idle gateway: the block indexer first catches up with the seeding.
  await createIndexer(context, server.deps).catchUp(1_800_000);
  log('indexer caught up');
  const loanOfficer = await login(bank, 'LOAN_OFFICER');
  const t0 = now();
  const job = await globalThis.fetch(`${url}/api/v1/bulk/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${loanOfficer}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      items: residentIds.map((subjectId, n) => ({ subjectId, consentId: `bulk-g-${run}-${n}` })),
      datasets: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    }),
  });
  if (job.status !== 201) throw new Error(`job: ${job.status} ${await job.text()}`);
  const { jobId } = await job.json();
  const res = await globalThis.fetch(`${url}/api/v1/bulk/jobs/${jobId}/lines`, {
    headers: { authorization: `Bearer ${loanOfficer}` },
  });
  let released = 0;
  let granted = 0;
  let end;
  let rest = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    rest += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = JSON.parse(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      if (line.type === 'record') released += 1;
      else if (line.type === 'subject' && line.outcome === 'GRANTED') granted += 1;
      else if (line.type === 'end') end = line;
    }
  }
  const totalMs = now() - t0;
  if (end === undefined || granted !== subjects) throw new Error(`job did not complete: ${granted} granted`);
  log(`${subjects} subjects, ${released} records released in ${(totalMs / 1000).toFixed(1)} s`);
  emit({
    ledger: ledgerKind,
    subjects,
    granted,
    released,
    totalMs,
    recordsPerSecond: released / (totalMs / 1000),
    subjectsPerSecond: granted / (totalMs / 1000),
    peakRssBytes: peakRssBytes(),
  });
} catch (err) {
  // Said here: stopping the gateway below ends the process before a rejection is reported.
  console.error(err);
  process.exitCode = 1;
} finally {
  await server.stop();
  await db.close();
  await cleanup();
}
