// The `npm run bench` rows of issue 17's seed-scale asset registry (bench/asset-registry.mjs
// on a Fabric network), or one row saying why it was skipped.

/** Registry size: Ningde's 150,000 certificates of 10,000 owners; `--quick` a smaller registry of the same shape. */
export const REGISTRY_SIZES = {
  full: { assets: 150_000, owners: 10_000 },
  quick: { assets: 5_000, owners: 500 },
};

/** A loan officer's read of one right, at the 95th percentile, in milliseconds (a page should answer within it). */
const READ_P95_TARGET_MS = 100;
/** Batched loading must beat one right per transaction by at least this factor. */
const LOAD_RATIO_TARGET = 5;

const n = (v) => v.toLocaleString('en-US');
const ms = (v) => `${v.toFixed(1)} ms`;

/** The table rows for an asset-registry result (`{ skipped }` when it did not run). */
export function registryRows(result) {
  if (result.skipped !== undefined) {
    return [
      {
        item: 'Issue 17: asset registry at seed scale on Fabric',
        measured: `skipped: ${result.skipped}`,
        baseline: '-',
        ratio: '-',
        target: 'reported',
        met: 'not run',
      },
    ];
  }
  const { load, singles, read, race } = result;
  const loadRatio = load.assetsPerSecond / singles.assetsPerSecond;
  const others = Object.entries(race.other).map(([k, v]) => `${v} x ${k}`);
  return [
    {
      item: `Issue 17: load ${n(result.assets)} rights of ${n(result.owners)} owners on Fabric via POST /assets/batch (${result.batchSize} per tx, ${result.concurrency} in flight)`,
      measured: `${(load.ms / 1000).toFixed(0)} s, ${load.assetsPerSecond.toFixed(0)} rights/s; ${load.retries} batches retried whole, ${n(load.replayed)} rights replayed; peak RSS ${(result.peakRssBytes / 1024 / 1024).toFixed(0)} MiB`,
      baseline: `${singles.assetsPerSecond.toFixed(1)} rights/s one per tx (POST /assets)`,
      ratio: loadRatio.toFixed(1),
      target: `>= ${LOAD_RATIO_TARGET}x one per tx; every right on the ledger`,
      met: loadRatio >= LOAD_RATIO_TARGET ? 'met' : 'missed',
      values: { load, singles },
    },
    {
      item: `Issue 17: GET /assets/{id} as a loan officer at ${n(result.assets)} rights (${read.count} random, ${read.concurrency} in flight)`,
      measured: `p50 ${ms(read.p50Ms)}, p95 ${ms(read.p95Ms)}, max ${ms(read.maxMs)}`,
      baseline: `Collateral:GetAsset direct p95 ${ms(read.direct.p95Ms)}`,
      ratio: (read.p95Ms / read.direct.p95Ms).toFixed(2),
      target: `p95 < ${READ_P95_TARGET_MS} ms`,
      met: read.p95Ms < READ_P95_TARGET_MS ? 'met' : 'missed',
      values: read,
    },
    {
      item: `Issue 17: lien race, ${race.banks} banks on the same ${race.assets} exclusive rights at ${n(result.assets)} rights`,
      measured: `${race.won} won, ${race.conflicts} x 409 CONFLICT${others.length ? `, ${others.join(', ')}` : ''}; ${race.wrongWinners} rights not held by exactly their winner`,
      baseline: '-',
      ratio: '-',
      target: `exactly 1 winner per right, ${race.assets * (race.banks - 1)} x CONFLICT`,
      met: race.exactlyOneWinner && race.conflicts === race.assets * (race.banks - 1) ? 'met' : 'missed',
      values: race,
    },
  ];
}
