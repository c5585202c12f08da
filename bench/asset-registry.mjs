// Issue 17, seed-scale data: the asset registry at Ningde's size (150,000 rights
// certificates of 10,000 owners), loaded through the gateway's REST API.
//
// 1. Load: the two issuing departments (agriculture: land contract, tea garden,
//    aquaculture rights; natural resources: homestead, homestay rights) upload
//    their certificates with POST /assets/batch, `--batch` rights per
//    transaction, `--concurrency` batches in flight. A batch answered 5xx is
//    retried whole (a retry is idempotent: rights it already registered come
//    back as replayed). Baseline in the same run: the same rights registered one
//    per transaction with POST /assets at the same concurrency.
// 2. Read: GET /api/v1/assets/{id} of random registered rights as a bank's loan
//    officer (visibility MEMBER: no consent from those owners), p50/p95/max;
//    baseline: the same Collateral:GetAsset evaluated directly on the ledger.
// 3. Lien race: `--race-banks` banks each register a lien on the same
//    `--race-assets` homestead rights (EXCLUSIVE lien policy) at once, each under
//    its own collateral consent from the owner: exactly one lien per right may
//    win; the others must answer 409 CONFLICT. Checked after on the ledger as the
//    regulator (one active lien per right, held by the winner).
//
//   node bench/asset-registry.mjs [--assets 150000] [--owners 10000] [--batch 100]
//     [--concurrency 6] [--singles 400] [--reads 2000] [--read-concurrency 4]
//     [--race-assets 200] [--race-banks 3] [--ledger embedded|fabric]
import { randomBytes } from 'node:crypto';
import { benchResidentIds, ledgerKindOf, startBenchGateway } from './bench-gateway.mjs';
import {
  emit,
  intArg,
  log,
  now,
  parseArgs,
  peakRssBytes,
  percentile,
  require,
  seededRandom,
} from './lib.mjs';

const { isoFromEpochSeconds, sha256Hex } = require('@ruralcredit/protocol');

const args = parseArgs();
const assetCount = intArg(args, 'assets', 150_000);
const ownerCount = intArg(args, 'owners', 10_000);
const batchSize = intArg(args, 'batch', 100);
const concurrency = intArg(args, 'concurrency', 6);
const singles = intArg(args, 'singles', 400);
const reads = intArg(args, 'reads', 2000);
const readConcurrency = intArg(args, 'read-concurrency', 4);
const raceAssets = intArg(args, 'race-assets', 200);
const raceBanks = intArg(args, 'race-banks', 3);
const ledgerKind = ledgerKindOf(args);

/** Asset types by issuing department, in the order rights are dealt to them. */
const TYPES = ['LAND_CONTRACT_RIGHT', 'TEA_GARDEN', 'AQUACULTURE_RIGHT', 'HOMESTEAD_RIGHT', 'HOMESTAY_RIGHT'];
const AREA_UNIT = {
  LAND_CONTRACT_RIGHT: 'MU',
  TEA_GARDEN: 'MU',
  AQUACULTURE_RIGHT: 'HECTARE',
  HOMESTEAD_RIGHT: 'SQUARE_METRE',
  HOMESTAY_RIGHT: 'SQUARE_METRE',
};
const DAY = 86_400;

const { context, consortium, url, login, stop } = await startBenchGateway('assets', ledgerKind);
/** IDs of this run: a network may hold an earlier run's rights. */
const run = randomBytes(3).toString('hex').toUpperCase();
const nowSeconds = Math.floor(Date.now() / 1000);
const issuerOf = Object.fromEntries(consortium.assetTypes.map((t) => [t.code, t.issuer]));
const banks = consortium.organisations.filter((o) => o.role === 'BANK').map((o) => o.mspId);
const regulator = consortium.organisations.find((o) => o.role === 'REGULATOR').mspId;
if (banks.length < raceBanks)
  throw new Error(`--race-banks ${raceBanks}: the consortium has ${banks.length} banks`);

/** Right number `n`: owner n mod owners, type n mod 5, certificate `<run>-<n>`. */
function right(n, owners, prefix = run) {
  const assetType = TYPES[n % TYPES.length];
  return {
    assetType,
    certificateNo: `${prefix}-${n}`,
    ownerSubjectId: owners[n % owners.length],
    location: `350902-${String(100 + (n % 900))}-${String(n % 10_000).padStart(4, '0')}`,
    areaValue: 1 + (n % 50),
    areaUnit: AREA_UNIT[assetType],
    appraisedValueFen: 10_000_000 + (n % 1000) * 10_000,
    appraisalDate: isoFromEpochSeconds(nowSeconds - 30 * DAY),
    rightExpiry: isoFromEpochSeconds(nowSeconds + 20 * 365 * DAY),
  };
}
const assetIdOf = (r) => `${r.assetType}:${r.certificateNo}`;

async function api(token, method, path, body) {
  const res = await globalThis.fetch(`${url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Runs `work(item)` over `items` with `limit` in flight. */
async function pool(items, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const latencySummary = (ms) => ({
  count: ms.length,
  p50Ms: percentile(ms, 50),
  p95Ms: percentile(ms, 95),
  maxMs: Math.max(...ms),
});

try {
  const owners = benchResidentIds(ownerCount);
  const officers = {};
  for (const issuer of new Set(TYPES.map((t) => issuerOf[t])))
    officers[issuer] = await login(issuer, 'DATA_OFFICER');

  // Baseline: one right per transaction (POST /assets), the same concurrency, rights of their own.
  const singleRights = Array.from({ length: singles }, (_, n) => right(n, owners, `${run}S`));
  const s0 = now();
  await pool(singleRights, concurrency, async (r) => {
    const res = await api(officers[issuerOf[r.assetType]], 'POST', '/assets', r);
    if (res.status !== 201) throw new Error(`POST /assets: ${res.status} ${JSON.stringify(res.body)}`);
  });
  const singleMs = now() - s0;
  log(`baseline: ${singles} rights one per transaction in ${(singleMs / 1000).toFixed(1)} s`);

  // The load: batches of one issuer's rights, the two issuers interleaved.
  const byIssuer = new Map();
  for (let n = 0; n < assetCount; n++) {
    const r = right(n, owners);
    const issuer = issuerOf[r.assetType];
    if (!byIssuer.has(issuer)) byIssuer.set(issuer, []);
    byIssuer.get(issuer).push(r);
  }
  const queues = [...byIssuer].map(([issuer, rights]) =>
    Array.from({ length: Math.ceil(rights.length / batchSize) }, (_, b) => ({
      issuer,
      assets: rights.slice(b * batchSize, (b + 1) * batchSize),
    })),
  );
  const batches = [];
  for (let b = 0; b < Math.max(...queues.map((q) => q.length)); b++) {
    for (const q of queues) if (b < q.length) batches.push(q[b]);
  }
  const load = { registered: 0, replayed: 0, retries: 0, batchMs: [] };
  let progress = 0;
  const l0 = now();
  await pool(batches, concurrency, async (batch) => {
    for (let attempt = 1; ; attempt++) {
      const b0 = now();
      // A connection reset (a keep-alive socket the server closed as it was reused) is retried like a 5xx.
      const res = await api(officers[batch.issuer], 'POST', '/assets/batch', { assets: batch.assets }).catch(
        (err) => ({ status: 599, body: { error: { code: err.cause?.code ?? err.message } } }),
      );
      if (res.status === 201) {
        load.batchMs.push(now() - b0);
        load.registered += res.body.registered.length;
        load.replayed += res.body.replayed.length;
        break;
      }
      if (res.status < 500 || attempt === 5) {
        throw new Error(`POST /assets/batch: ${res.status} ${JSON.stringify(res.body)}`);
      }
      load.retries += 1;
      log(`batch answered ${res.status} ${res.body?.error?.code}; retrying it whole`);
    }
    progress += batch.assets.length;
    if (progress % 10_000 < batch.assets.length) {
      log(`${progress} rights registered, ${(progress / ((now() - l0) / 1000)).toFixed(0)} rights/s`);
    }
  });
  const loadMs = now() - l0;
  if (load.registered + load.replayed !== assetCount) {
    throw new Error(`registered ${load.registered} + replayed ${load.replayed} != ${assetCount}`);
  }
  // One owner's rights, as the ledger lists them: exactly its share of this run's.
  const sample = await context.ledger.evaluate(regulator, 'Collateral:ListAssetsByOwner', [
    await context.subjects.pseudonym(owners[1]),
    '200',
    '',
  ]);
  const ownerRights = sample.records.filter((a) => a.certificateNo.startsWith(`${run}-`)).length;
  const expectedOwnerRights = Math.floor((assetCount - 2) / ownerCount) + 1;
  if (ownerRights !== expectedOwnerRights) {
    throw new Error(
      `owner 1 holds ${ownerRights} of this run's rights on the ledger, expected ${expectedOwnerRights}`,
    );
  }
  log(`${assetCount} rights in ${(loadMs / 1000).toFixed(1)} s; owner 1 holds ${ownerRights}`);

  // Reads: random rights as a bank's loan officer, then the same reads straight on the ledger.
  const loanOfficer = await login(banks[0], 'LOAN_OFFICER');
  const random = seededRandom(17);
  const readIds = Array.from({ length: reads }, () =>
    assetIdOf(right(Math.floor(random() * assetCount), owners)),
  );
  const restMs = [];
  await pool(readIds, readConcurrency, async (id) => {
    const r0 = now();
    const res = await api(loanOfficer, 'GET', `/assets/${encodeURIComponent(id)}`);
    restMs.push(now() - r0);
    if (
      res.status !== 200 ||
      res.body.assetId !== id ||
      res.body.visibility !== 'MEMBER' ||
      'owner' in res.body
    ) {
      throw new Error(`GET /assets/${id}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  });
  const directMs = [];
  await pool(readIds, readConcurrency, async (id) => {
    const r0 = now();
    await context.ledger.evaluate(banks[0], 'Collateral:GetAsset', [id]);
    directMs.push(now() - r0);
  });
  const read = { ...latencySummary(restMs), direct: latencySummary(directMs), concurrency: readConcurrency };
  log(`GET /assets/{id} p95 ${read.p95Ms.toFixed(1)} ms (direct ${read.direct.p95Ms.toFixed(1)} ms)`);

  // The lien race on homestead rights (EXCLUSIVE): consents first, straight on the ledger.
  const racers = banks.slice(0, raceBanks);
  const contested = Array.from({ length: raceAssets }, (_, i) => right(3 + 5 * i, owners));
  if (contested.some((r) => r.assetType !== 'HOMESTEAD_RIGHT'))
    throw new Error('race rights must be homestead rights');
  const consentOf = (bank, i) => `col-${run}-${bank}-${i}`;
  const grants = contested.flatMap((r, i) => racers.map((bank) => ({ bank, r, i })));
  await pool(grants, 16, async ({ bank, r, i }) =>
    context.ledger.submit(bank, 'Consent:RecordGrant', [
      JSON.stringify({
        grantId: consentOf(bank, i),
        subject: await context.subjects.pseudonym(r.ownerSubjectId),
        scope: ['COLLATERAL'],
        purpose: 'COLLATERAL_REGISTRATION',
        validFrom: isoFromEpochSeconds(nowSeconds - 3600),
        validUntil: isoFromEpochSeconds(nowSeconds + 365 * DAY),
        evidence: { type: 'FORM_HASH', formHash: sha256Hex(`race-form-${run}-${bank}-${i}`) },
      }),
    ]),
  );
  log(`${grants.length} collateral consents committed`);
  const tokens = Object.fromEntries(
    await Promise.all(racers.map(async (b) => [b, await login(b, 'LOAN_OFFICER')])),
  );
  const race = { assets: raceAssets, banks: raceBanks, won: 0, conflicts: 0, other: {}, wrongWinners: 0 };
  const winners = new Map();
  const r0 = now();
  await pool(
    contested.map((r, i) => ({ r, i })),
    Math.max(1, Math.floor(16 / raceBanks)),
    async ({ r, i }) => {
      const outcomes = await Promise.all(
        racers.map(async (bank) => ({
          bank,
          res: await api(tokens[bank], 'POST', '/liens', {
            lienId: `lien-${run}-${bank}-${i}`,
            assetId: assetIdOf(r),
            consentId: consentOf(bank, i),
            securedAmountFen: 3_000_000,
            loanEnd: isoFromEpochSeconds(nowSeconds + 180 * DAY),
          }),
        })),
      );
      for (const { bank, res } of outcomes) {
        if (res.status === 201) {
          race.won += 1;
          winners.set(assetIdOf(r), [...(winners.get(assetIdOf(r)) ?? []), bank]);
        } else if (res.status === 409 && res.body?.error?.code === 'CONFLICT') {
          race.conflicts += 1;
        } else {
          const key = `${res.status} ${res.body?.error?.code}`;
          race.other[key] = (race.other[key] ?? 0) + 1;
        }
      }
    },
  );
  race.ms = now() - r0;
  // Checked on the ledger: each contested right carries exactly one active lien, the winner's.
  for (const r of contested) {
    const asset = await context.ledger.evaluate(regulator, 'Collateral:GetAsset', [assetIdOf(r)]);
    const won = winners.get(assetIdOf(r)) ?? [];
    if (won.length !== 1 || asset.liens.length !== 1 || asset.liens[0].mortgagee !== won[0]) {
      race.wrongWinners += 1;
    }
  }
  race.exactlyOneWinner = race.won === raceAssets && race.wrongWinners === 0;
  log(
    `lien race: ${race.won} won, ${race.conflicts} CONFLICT, other ${JSON.stringify(race.other)}, ${race.wrongWinners} rights not held by exactly their one winner`,
  );

  emit({
    ledger: ledgerKind,
    assets: assetCount,
    owners: ownerCount,
    batchSize,
    concurrency,
    load: {
      ms: loadMs,
      assetsPerSecond: assetCount / (loadMs / 1000),
      batches: batches.length,
      registered: load.registered,
      replayed: load.replayed,
      retries: load.retries,
      batch: latencySummary(load.batchMs),
      ownerRightsChecked: ownerRights,
    },
    singles: { count: singles, ms: singleMs, assetsPerSecond: singles / (singleMs / 1000) },
    read,
    race,
    peakRssBytes: peakRssBytes(),
  });
} catch (err) {
  // Said here: stopping the gateway below ends the process before a rejection is reported.
  console.error(err);
  process.exitCode = 1;
} finally {
  await stop();
}
