// Issue 15: evaluate one batch of N records against W watches (the gateway's
// WatchEngine, what the watches module runs when a batch is anchored). Each
// record's subject is pseudonymised with HMAC-SHA256 as the gateway does; the
// W watched subjects are among the batch's subjects, each watch with a
// THRESHOLD and a CHANGE_PERCENT rule and a baseline record. Records are
// generated on the fly (the gateway reads them from LevelDB one by one), so
// the memory figure is the engine's and the watches', not the batch's.
//
//   node bench/watch-eval.mjs --records N --watches W
import { createHmac, randomBytes } from 'node:crypto';
import { emit, gateway, intArg, log, now, parseArgs, peakRssBytes } from './lib.mjs';

const { WatchEngine } = gateway('watches/engine');

const args = parseArgs();
const records = intArg(args, 'records', 1_000_000);
const watches = intArg(args, 'watches', 10_000);
const secret = randomBytes(32);
const pseudonym = (subjectId) => createHmac('sha256', secret).update(subjectId).digest('hex');
const subjectId = (n) => `S${String(n).padStart(17, '0')}`;
/** Every (records / watches)-th subject is watched. */
const stride = Math.max(1, Math.floor(records / watches));

globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const engine = new WatchEngine();
const tBuild = now();
for (let w = 0; w < watches; w++) {
  const n = w * stride;
  engine.add(
    {
      watchId: `wat-${w}`,
      subject: pseudonym(subjectId(n)),
      rules: [
        { kind: 'THRESHOLD', datasetType: 'AGRI_SUBSIDY', field: 'amountFen', above: 150_000 },
        { kind: 'CHANGE_PERCENT', datasetType: 'AGRI_SUBSIDY', field: 'amountFen', percent: 30 },
      ],
    },
    new Map([['AGRI_SUBSIDY', { batchId: 'prev', record: { amountFen: 100_000 } }]]),
  );
}
const buildMs = now() - tBuild;
globalThis.gc?.();
const watchesHeapBytes = process.memoryUsage().heapUsed - heapBefore;

function* batch() {
  for (let n = 0; n < records; n++) {
    // Watched subjects: a third cross the threshold, a third change by 40 %, a third stay.
    const amountFen = n % stride === 0 ? [160_000, 60_000, 105_000][(n / stride) % 3] : 90_000 + (n % 1000);
    const record = { subjectId: subjectId(n), amountFen, month: '2026-11' };
    yield { subject: pseudonym(record.subjectId), record };
  }
}
const t0 = now();
const alerts = await engine.evaluateBatch({ batchId: 'bench', datasetType: 'AGRI_SUBSIDY' }, batch());
const evaluateMs = now() - t0;
log(
  `${records} records against ${watches} watches: ${alerts.length} alerts in ${(evaluateMs / 1000).toFixed(2)} s`,
);
emit({
  records,
  watches,
  alerts: alerts.length,
  buildMs,
  evaluateMs,
  recordsPerSecond: records / (evaluateMs / 1000),
  watchesHeapBytes,
  peakRssBytes: peakRssBytes(),
});
