// Item 4, provenance anchoring: canonicalise + leaf-hash + Merkle tree over
// N records of about 200 bytes (the exact protocol functions the gateway's
// provenance upload calls: leafHash per record into a doubling buffer of
// leaf hashes, then MerkleTree.fromLeafHashes), or the baseline, one plain
// SHA-256 per record over the same canonical bytes.
//
// Run as a child process (one mode per process) so its peak RSS is its own.
//   node bench/provenance.mjs --mode pipeline|sha256 --records N
import { hash } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { emit, intArg, log, now, parseArgs, peakRssBytes, require } from './lib.mjs';

const { HASH_BYTES, MerkleTree, canonicalJson, leafHash } = require('@ruralcredit/protocol');

/** Records generated (untimed) and processed per step; the upload also streams them. */
const CHUNK = 8192;

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

function records(from, count) {
  const out = new Array(count);
  for (let k = 0; k < count; k++) out[k] = benchRecord(from + k);
  return out;
}

/** The gateway's HashList growth policy (provenance/service.ts): start at 1024 hashes, double. */
class LeafBuffer {
  buffer = Buffer.allocUnsafe(1024 * HASH_BYTES);
  count = 0;

  push(digest) {
    if ((this.count + 1) * HASH_BYTES > this.buffer.length) {
      const grown = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(grown, 0, 0, this.count * HASH_BYTES);
      this.buffer = grown;
    }
    this.buffer.set(digest, this.count * HASH_BYTES);
    this.count += 1;
  }

  bytes() {
    return this.buffer.subarray(0, this.count * HASH_BYTES);
  }
}

function runPipeline(n) {
  const leaves = new LeafBuffer();
  let hashMs = 0;
  let canonicalMs = 0;
  for (let from = 0; from < n; from += CHUNK) {
    const chunk = records(from, Math.min(CHUNK, n - from));
    const t0 = now();
    for (const record of chunk) leaves.push(leafHash(record));
    hashMs += now() - t0;
    // Where the time goes: canonicalJson alone over the same records (not part of the total).
    const t1 = now();
    for (const record of chunk) canonicalJson(record);
    canonicalMs += now() - t1;
  }
  const t2 = now();
  const root = MerkleTree.fromLeafHashes(leaves.bytes()).rootHex();
  const treeMs = now() - t2;
  return { hashMs, canonicalMs, treeMs, totalMs: hashMs + treeMs, root };
}

function runSha256(n) {
  const digests = Buffer.allocUnsafe(n * HASH_BYTES);
  let hashMs = 0;
  let bytes = 0;
  for (let from = 0; from < n; from += CHUNK) {
    const chunk = records(from, Math.min(CHUNK, n - from)).map((r) => Buffer.from(canonicalJson(r), 'utf8'));
    for (const b of chunk) bytes += b.length;
    const t0 = now();
    for (let k = 0; k < chunk.length; k++)
      hash('sha256', chunk[k], 'buffer').copy(digests, (from + k) * HASH_BYTES);
    hashMs += now() - t0;
  }
  return { hashMs, totalMs: hashMs, bytes, meanRecordBytes: bytes / n };
}

const args = parseArgs();
const n = intArg(args, 'records', 1_000_000);
const mode = args.mode;
if (mode !== 'pipeline' && mode !== 'sha256') throw new Error('--mode pipeline|sha256');
const rssBefore = process.memoryUsage().rss;
const result = mode === 'pipeline' ? runPipeline(n) : runSha256(n);
const recordsPerSecond = n / (result.totalMs / 1000);
log(`${mode}: ${n} records in ${(result.totalMs / 1000).toFixed(2)} s (${Math.round(recordsPerSecond)}/s)`);
emit({
  mode,
  records: n,
  ...result,
  recordsPerSecond,
  rssAtStartBytes: rssBefore,
  peakRssBytes: peakRssBytes(),
});
