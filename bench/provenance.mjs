// Item 4, provenance anchoring: canonicalise + leaf-hash + Merkle root over
// N records of about 200 bytes with the gateway's own upload hasher
// (gateway-api provenance/leaf-hasher.ts, as the upload service calls it:
// push per record, drain when backlogged, finish), or the baseline, one
// plain SHA-256 per record over the same canonical bytes on one thread.
//
// Run as a child process (one mode per process) so its peak RSS is its own.
//   node bench/provenance.mjs --mode pipeline|sha256 --records N [--workers W]
import { hash } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { emit, gateway, intArg, log, now, parseArgs, peakRssBytes, require } from './lib.mjs';

const { HASH_BYTES, canonicalJson, canonicalJsonFast } = require('@ruralcredit/protocol');
const { LeafHasher } = gateway('provenance/leaf-hasher');
const { LEAF_CHUNK } = gateway('provenance/record-store');

// The records are generated untimed, all before the clock starts (a real upload is one
// continuous stream: timing it in steps, the workers drained at each step's end so they
// could not hash while the next step's records were generated, made the pipeline stop and
// restart 16 times in a million records, 8-20 % of its time, which the baseline's single
// loop never pays). Collecting the garbage of their generation before the clock starts
// keeps it out of the timings, so each mode pays only for the garbage its own hashing makes.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');

const VILLAGES = ['Chengyang', 'Xiaoyang', 'Baishi', 'Xiadang', 'Shuangxi', 'Qixia', 'Zhouning', 'Tangkou'];

/** Record `i` of the batch: a HOMESTEAD-shaped record, about 200 bytes of canonical JSON. */
export function benchRecord(i) {
  const day = String(1 + (i % 28)).padStart(2, '0');
  const month = String(1 + (Math.floor(i / 28) % 12)).padStart(2, '0');
  return {
    subjectId: `3509021980${month}${day}${String(i % 1000).padStart(3, '0')}X`,
    certificateNo: `NDJ(2019)${String(i).padStart(8, '0')}`,
    parcelCode: `350902-${String(i % 997).padStart(3, '0')}-${String(i).padStart(8, '0')}`,
    areaSquareMetres: 80 + (i % 4000) / 10,
    registeredOn: `2019-${month}-${day}`,
    village: `${VILLAGES[i % VILLAGES.length]} Village, Fu'an`,
  };
}

/**
 * Records `from` to `from + count - 1` as an upload's parser hands them over:
 * parsed from JSON text. (Built directly, their strings would be template
 * concatenations that the first serialisation has to flatten, a cost no
 * parsed upload has: 0.7 µs a record here.)
 */
function records(from, count) {
  const out = new Array(count);
  for (let k = 0; k < count; k++) out[k] = JSON.parse(JSON.stringify(benchRecord(from + k)));
  return out;
}

/**
 * The gateway's upload hashing (provenance/leaf-hasher.ts, what the upload
 * service runs per record): canonical JSON on this thread, leaf hashes and
 * chunk subtree roots on worker threads once past the worker threshold
 * (and here for the chunks that find every worker's queue full), then the
 * root over the chunk roots. `--workers 0` keeps everything on this thread
 * (threshold out of reach), to show what the workers add.
 */
async function runPipeline(n, workers) {
  const all = records(0, n);
  const hasher = new LeafHasher(workers === 0 ? { workerThreshold: Infinity } : { workers });
  try {
    collectGarbage();
    const rssAtClockStart = process.memoryUsage.rss();
    const t0 = now();
    for (let i = 0; i < n; i++) {
      hasher.push(all[i]);
      if (hasher.backlogged) await hasher.drain();
    }
    const workerThreads = hasher.workerThreads;
    const hashMs = now() - t0;
    const t1 = now();
    const { merkleRoot } = await hasher.finish();
    const finishMs = now() - t1;
    // Where the time goes: the fast canonical JSON alone over the same records (not part of the total).
    const t2 = now();
    for (const record of all) canonicalJsonFast(record);
    const canonicalMs = now() - t2;
    return {
      workerThreads,
      chunks: Math.ceil(n / LEAF_CHUNK),
      chunksHashedHere: hasher.chunksHashedHere,
      hashMs,
      canonicalMs,
      finishMs,
      totalMs: hashMs + finishMs,
      root: merkleRoot,
      rssAtClockStartBytes: rssAtClockStart,
    };
  } finally {
    await hasher.close();
  }
}

function runSha256(n) {
  const all = records(0, n).map((r) => Buffer.from(canonicalJson(r), 'utf8'));
  const digests = Buffer.allocUnsafe(n * HASH_BYTES);
  let bytes = 0;
  for (const b of all) bytes += b.length;
  collectGarbage();
  const rssAtClockStart = process.memoryUsage.rss();
  const t0 = now();
  // Each digest as a 'binary' (latin1) string written into place: Node allocates a Buffer for every
  // 'buffer' digest, which costs about as much as hashing the record (the pipeline does the same).
  for (let k = 0; k < n; k++)
    digests.write(hash('sha256', all[k], 'binary'), k * HASH_BYTES, HASH_BYTES, 'binary');
  const hashMs = now() - t0;
  return {
    hashMs,
    totalMs: hashMs,
    bytes,
    meanRecordBytes: bytes / n,
    rssAtClockStartBytes: rssAtClockStart,
  };
}

const args = parseArgs();
const n = intArg(args, 'records', 1_000_000);
const mode = args.mode;
if (mode !== 'pipeline' && mode !== 'sha256') throw new Error('--mode pipeline|sha256');
const workers = args.workers === undefined ? undefined : Number(args.workers);
const result = mode === 'pipeline' ? await runPipeline(n, workers) : runSha256(n);
const recordsPerSecond = n / (result.totalMs / 1000);
log(`${mode}: ${n} records in ${(result.totalMs / 1000).toFixed(2)} s (${Math.round(recordsPerSecond)}/s)`);
emit({
  mode,
  records: n,
  ...result,
  recordsPerSecond,
  peakRssBytes: peakRssBytes(),
});
