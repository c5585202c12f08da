// Item 3, audit trace at scale, over the gateway's real off-chain index
// (LevelDB, gateway-api/src/indexer).
//
// --mode build: writes N AccessRecorded transactions into a fresh index with
//   the indexer's own BlockProcessor (projection, keys, checkpoint: the code
//   path of a live gateway). The ledger is bypassed: blocks are synthesised
//   in memory, and the store buffers many transactions' atomic writes into
//   one LevelDB batch (see BufferedIndexStore) so a million records load in
//   minutes, not hours.
// --mode query: a fresh process opens the index (as a restarted gateway
//   would) and times AccessIndex.page() by subject and by institution over a
//   one-day window, against a full scan of every record for the same answer.
//
//   The query process states the page cache it ran on: --cache cold evicts
//   every table file first (dd iflag=nocache, which asks the kernel to drop a
//   file's cached pages), --cache warm reads them all first, and the default
//   takes the cache as it finds it. It prints the readahead of the index's
//   block device, which decides what a cold read costs (LevelDB maps its
//   tables, so a page fault reads the whole readahead window);
//   --readahead-kb N sets it for the run and puts it back (root only).
//   --scans 0 skips the full-scan baseline (a second run on the same index).
//
//   node bench/audit-trace.mjs --mode build --dir D --records N --subjects S
//   node bench/audit-trace.mjs --mode query --dir D [--cache cold|warm] [--readahead-kb N] [--scans S]
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { createReadStream, writeFileSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  emit,
  gateway,
  intArg,
  log,
  now,
  parseArgs,
  peakRssBytes,
  percentile,
  residentMemory,
  require,
  seededRandom,
} from './lib.mjs';

const { canonicalJson, sha256Hex } = require('@ruralcredit/protocol');
const { DATABASE_DIR, cacheTuning, openDatabase, openFileLimit } = gateway('store/db');
const { LevelIndexStore, StoreCheckpointer } = gateway('indexer/store');
const { BlockProcessor } = gateway('indexer/block-processor');
const { EventBusImpl } = gateway('indexer/event-bus');
const { AccessIndexImpl } = gateway('indexer/access-index');
const { accessRecordKey, HIGH } = gateway('indexer/keys');
const { silentLogger } = gateway('http/logger');
const { loadConsortium } = gateway('consortium/definition');
const { settingDefaults } = gateway('config');
const { volumeReadahead } = gateway('store/volume');

/** Transactions per synthetic block. */
const TXS_PER_BLOCK = 100;
/** Index writes buffered before one LevelDB batch (about 4,000 transactions). */
const FLUSH_OPS = 50_000;
/**
 * The loader's LevelDB tuning (a bulk load: bigger memtable and table files,
 * fewer level-0 compactions). The query process opens as the gateway does (queryTuning).
 */
const LOAD_TUNING = { writeBufferSize: 64 * 1024 * 1024, maxFileSize: 8 * 1024 * 1024 };
/** The data set covers this many days, from DAY0. */
const DAYS = 30;
const DAY_MS = 86_400_000;
const DAY0 = Date.parse('2026-01-01T00:00:00.000Z');
const SEED = 20261123;
/**
 * Subject mix: most subjects are drawn uniformly (about 10 accesses each at
 * 10 records per subject); HEAVY_SHARE of the accesses go to the first
 * HEAVY_SUBJECTS of subjects, active borrowers with 20-50 accesses each,
 * whose traces are the ones timed.
 */
const HEAVY_SHARE = 0.05;
const HEAVY_SUBJECTS = 0.02;
/** Accesses of a subject whose trace is timed: the realistic range. */
const TRACE_MIN = 20;
const TRACE_MAX = 50;
/** Timed queries per kind, and untimed warm-up queries before them. */
const QUERIES = 200;
const WARMUP = 20;
/** Full scans per kind (each reads every record); `--scans` lowers it for the largest sizes. */
const SCANS = 3;
/** First page of an institution's day. */
const PAGE = 100;

/**
 * An IndexStore that applies each write (one transaction's atomic batch)
 * to an in-memory overlay and hands the overlay to LevelDB as one batch
 * every FLUSH_OPS writes. The batch is written while the next overlay fills
 * (at most one batch in flight: LevelDB writes on its own thread, so the
 * projection is not idle waiting for it). Reads see the filling overlay,
 * then the one being written, then the database, so the projection's
 * read-modify-write of counters stays exact. A transaction's writes are
 * never split across two batches, so each stays atomic.
 */
class BufferedIndexStore {
  #inner;
  #pending = new Map();
  /** The overlay being written to LevelDB, and the write's promise. */
  #writing = new Map();
  #inFlight = Promise.resolve();

  constructor(inner) {
    this.#inner = inner;
  }

  async get(key) {
    const op = this.#pending.get(key) ?? this.#writing.get(key);
    if (op !== undefined) return op.type === 'put' ? op.value : undefined;
    return this.#inner.get(key);
  }

  getMany(keys) {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  entries() {
    throw new Error('not used while loading');
  }

  async write(ops) {
    for (const op of ops) this.#pending.set(op.key, op);
    if (this.#pending.size >= FLUSH_OPS) await this.#startFlush();
  }

  /** Waits for the batch in flight, then starts writing the filled overlay. */
  async #startFlush() {
    await this.#inFlight;
    if (this.#pending.size === 0) return;
    const writing = this.#pending;
    this.#writing = writing;
    this.#pending = new Map();
    this.#inFlight = this.#inner.write([...writing.values()]).then(() => {
      if (this.#writing === writing) this.#writing = new Map();
    });
  }

  async flush() {
    await this.#startFlush();
    await this.#inFlight;
  }
}

function subjectPseudonym(k) {
  return sha256Hex(`bench-subject-${k}`);
}

/** The synthetic ledger: N AccessRecorded transactions over DAYS days (subject mix above). */
async function* syntheticBlocks(n, subjects, banks, counts) {
  const random = seededRandom(SEED);
  const operator = sha256Hex('bench-operator');
  const pseudonyms = Array.from({ length: subjects }, (_, k) => subjectPseudonym(k));
  const heavy = Math.max(1, Math.floor(subjects * HEAVY_SUBJECTS));
  for (let first = 0, block = 1; first < n; first += TXS_PER_BLOCK, block++) {
    const transactions = [];
    for (let i = first; i < Math.min(n, first + TXS_PER_BLOCK); i++) {
      const subject = Math.floor(random() * (random() < HEAVY_SHARE ? heavy : subjects));
      counts[subject] += 1;
      const accessor = banks[Math.floor(random() * banks.length)];
      const denied = random() < 0.05;
      const payload = {
        accessId: `acc-${i}`,
        grantId: `grt-${subject}-${accessor}`,
        subject: pseudonyms[subject],
        accessor,
        operator,
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        outcome: denied ? 'DENIED' : 'GRANTED',
        ...(denied ? { reason: 'EXPIRED' } : {}),
        releaseDigest: sha256Hex(`release-${i}`),
      };
      transactions.push({
        txId: sha256Hex(`tx-${i}`),
        txIndex: i - first,
        creatorMspId: accessor,
        timestamp: new Date(DAY0 + Math.floor((i * DAYS * DAY_MS) / n)).toISOString(),
        validationCode: 'VALID',
        event: { name: 'AccessRecorded', payload: Buffer.from(canonicalJson(payload), 'utf8') },
      });
    }
    yield { number: block, transactions };
  }
}

/** Bytes of every file under `dir` (the LevelDB files as written, before any later compaction). */
async function directoryBytes(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return total;
}

async function build(args) {
  const dir = args.dir;
  const n = intArg(args, 'records', 1_000_000);
  const subjects = intArg(args, 'subjects', 100_000);
  const banks = loadConsortium()
    .organisations.filter((o) => o.role === 'BANK')
    .map((o) => o.mspId);
  const db = await openDatabase(dir, LOAD_TUNING);
  const logger = silentLogger();
  const store = new BufferedIndexStore(new LevelIndexStore({ db }));
  const processor = new BlockProcessor({
    store,
    checkpointer: new StoreCheckpointer(store),
    bus: new EventBusImpl({ logger }),
    logger,
    onBlockProcessed: (b) => {
      if (b % 1000 === 0) log(`loaded ${b * TXS_PER_BLOCK} of ${n} records`);
    },
  });
  const counts = new Uint32Array(subjects);
  const t0 = now();
  await processor.process(syntheticBlocks(n, subjects, banks, counts), () => false);
  await store.flush();
  const loadMs = now() - t0;
  await db.close();
  const diskBytes = await directoryBytes(dir);
  // The loader writes far faster than LevelDB compacts, and leaves a backlog that the next
  // open would compact while the queries run (the stop-21 run measured that: p95 24 ms).
  // A gateway that gathered 15 million accesses over months has compacted as it went, so
  // the index is compacted here, as the gateway opens it, before the query process runs.
  const t1 = now();
  const compacting = await openDatabase(dir, queryTuning());
  await compacting.compactRange('\u0000', HIGH);
  const layoutAfterCompaction = levelLayout(compacting);
  log(`after compaction: ${describeLayout(layoutAfterCompaction)}`);
  await compacting.close();
  const compactMs = now() - t1;
  log(`compacted in ${(compactMs / 1000).toFixed(1)} s`);
  await writeFile(path.join(dir, 'meta.json'), JSON.stringify({ n, subjects, banks, counts: [...counts] }));
  log(`loaded ${n} records in ${(loadMs / 1000).toFixed(1)} s`);
  emit({
    mode: 'build',
    compactMs,
    layoutAfterCompaction,
    records: n,
    subjects,
    loadMs,
    recordsPerSecond: n / (loadMs / 1000),
    diskBytes,
    peakRssBytes: peakRssBytes(),
  });
}

/**
 * Table files and megabytes per LevelDB level, from the `leveldb.stats`
 * property (levels without files left out).
 */
function levelLayout(db) {
  const layout = [];
  for (const line of db.getProperty('leveldb.stats').split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m && Number(m[2]) > 0) layout.push({ level: Number(m[1]), files: Number(m[2]), mb: Number(m[3]) });
  }
  return layout;
}

function describeLayout(layout) {
  return layout.map((l) => `L${l.level} ${l.files} files ${l.mb} MB`).join(', ');
}

/**
 * Bytes this process has read from the block device so far (`read_bytes` of
 * /proc/self/io); null where the kernel does not say.
 */
async function diskReadBytes() {
  try {
    const bytes = /^read_bytes: (\d+)$/m.exec(await readFile('/proc/self/io', 'utf8'))?.[1];
    return bytes === undefined ? null : Number(bytes);
  } catch {
    return null;
  }
}

/** Every record, in key (ledger) order, filtered: what answering without the index costs. */
async function fullScan(store, keep) {
  const matches = [];
  let scanned = 0;
  for await (const [, entry] of store.entries({ gte: accessRecordKey(0, 0), lt: `r!${HIGH}` })) {
    scanned += 1;
    if (keep(entry)) matches.push(entry);
  }
  // The index orders by (time, position); client timestamps need not follow ledger order.
  matches.sort(
    (a, b) =>
      (a.accessedAt < b.accessedAt ? -1 : a.accessedAt > b.accessedAt ? 1 : 0) ||
      a.blockNumber - b.blockNumber ||
      a.txIndex - b.txIndex,
  );
  return { matches, scanned };
}

function sameAnswer(a, b) {
  return a.length === b.length && a.every((entry, i) => entry.txId === b[i]?.txId);
}

async function timed(fn) {
  const t0 = now();
  const value = await fn();
  return { ms: now() - t0, value };
}

/**
 * The gateway's LevelDB cache settings: GATEWAY_DB_CACHE_SIZE and
 * GATEWAY_DB_MAX_OPEN_FILES from the environment, else the gateway's defaults
 * (main.ts opens the same way).
 */
function queryTuning() {
  const defaults = settingDefaults();
  const setting = (name) => Number(process.env[name] || defaults[name]);
  const settings = {
    dbCacheBytes: setting('GATEWAY_DB_CACHE_SIZE'),
    dbMaxOpenFiles: setting('GATEWAY_DB_MAX_OPEN_FILES'),
  };
  return cacheTuning(settings, openFileLimit()).tuning;
}

/**
 * Bytes of `files` in the page cache (util-linux fincore); null where fincore
 * is missing or fails.
 */
function cachedBytes(files) {
  let total = 0;
  for (let i = 0; i < files.length; i += 500) {
    const run = spawnSync(
      'fincore',
      ['--bytes', '--noheadings', '--raw', '--output', 'RES', ...files.slice(i, i + 500)],
      {
        encoding: 'utf8',
      },
    );
    if (run.status !== 0) return null;
    for (const line of run.stdout.split('\n')) if (line.trim() !== '') total += Number(line.trim());
  }
  return total;
}

const mib = (bytes) => `${(bytes / 1048576).toFixed(0)} MiB`;

/** Drops `files` from the page cache: dd with iflag=nocache and nothing to copy advises the kernel to. */
function evict(files) {
  for (const file of files) {
    const run = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`dd could not evict ${file}: ${run.stderr || run.error}`);
  }
}

/** Reads every byte of `files` so they are in the page cache. */
async function readAll(files) {
  for (const file of files) {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) void chunk;
  }
}

/**
 * Sets the readahead of the index's block device to `kib` until `restore()`
 * (also on SIGINT and SIGTERM); throws a readable error where the device is
 * unknown or the setting not writable.
 */
async function setReadahead(dir, kib) {
  const volume = volumeReadahead(dir);
  if (volume === undefined) throw new Error(`--readahead-kb: no block device readahead known for ${dir}`);
  try {
    await writeFile(volume.setting, `${kib}\n`);
  } catch (err) {
    throw new Error(`--readahead-kb: cannot write ${volume.setting} (root only): ${err.message}`);
  }
  log(
    `readahead set to ${kib} KiB; if this process dies, restore it: echo ${volume.readaheadKiB} > ${volume.setting}`,
  );
  const restoreNow = () => writeFileSync(volume.setting, `${volume.readaheadKiB}\n`);
  const onSignal = (signal) => {
    restoreNow();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    restore: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      restoreNow();
    },
  };
}

async function query(args) {
  const cache = args.cache ?? 'as-is';
  if (!['cold', 'warm', 'as-is'].includes(cache)) throw new Error('--cache cold|warm|as-is');
  const readahead = args['readahead-kb'];
  if (readahead !== undefined && (typeof readahead !== 'string' || !/^\d{1,7}$/.test(readahead)))
    throw new Error('--readahead-kb takes a number of KiB');
  const set = readahead === undefined ? undefined : await setReadahead(args.dir, Number(readahead));
  let result;
  try {
    result = await queryOn(args, cache);
  } catch (err) {
    try {
      set?.restore();
    } catch (restoreErr) {
      log(`could not restore the readahead: ${restoreErr.message}`);
    }
    throw err;
  }
  set?.restore();
  return result;
}

async function queryOn(args, cache) {
  const dir = args.dir;
  const scans = args.scans === '0' ? 0 : intArg(args, 'scans', SCANS);
  const meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8'));
  const tuning = queryTuning();
  const tableFiles = (await readdir(path.join(dir, DATABASE_DIR)))
    .filter((f) => f.endsWith('.ldb'))
    .map((f) => path.join(dir, DATABASE_DIR, f));
  const tables = tableFiles.length;
  const tableBytes = (await Promise.all(tableFiles.map((f) => stat(f)))).reduce((a, s) => a + s.size, 0);
  if (cache === 'cold') evict(tableFiles);
  else if (cache === 'warm') await readAll(tableFiles);
  const cachedBefore = cachedBytes(tableFiles);
  const volume = volumeReadahead(dir) ?? null;
  log(
    `page cache: ${cache === 'cold' ? 'cold (table files evicted)' : cache === 'warm' ? 'warm (table files read)' : 'as found'}, ` +
      `${cachedBefore === null ? 'residency unknown (no fincore)' : `${mib(cachedBefore)} of ${mib(tableBytes)} cached`}; ` +
      `readahead ${volume === null ? 'unknown' : `${volume.readaheadKiB} KiB on device ${volume.device}`}`,
  );
  log(
    `opening ${tables} table files with a ${tuning.cacheSize} byte block cache and ${tuning.maxOpenFiles} open files`,
  );
  const db = await openDatabase(dir, tuning);
  const store = new LevelIndexStore({ db });
  const index = new AccessIndexImpl(store);
  const rssOpen = residentMemory();
  const layoutAtOpen = levelLayout(db);
  log(`at open: ${describeLayout(layoutAtOpen)}`);
  const diskReadAtOpen = await diskReadBytes();

  // Subjects with a realistic trace length, in a seeded random order.
  const candidates = [];
  meta.counts.forEach((c, k) => {
    if (c >= TRACE_MIN && c <= TRACE_MAX) candidates.push(k);
  });
  const random = seededRandom(SEED + 1);
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
  }
  if (candidates.length < WARMUP + 1)
    throw new Error(`only ${candidates.length} subjects with ${TRACE_MIN}-${TRACE_MAX} accesses`);
  const warm = candidates.slice(0, WARMUP);
  const timedSubjects = candidates.slice(WARMUP, WARMUP + QUERIES);

  const subjectTrace = (k) => index.page({ subject: subjectPseudonym(k) }, { limit: PAGE });
  const institutionDay = (q) => {
    const bank = meta.banks[q % meta.banks.length];
    const day = q % DAYS;
    return {
      accessor: bank,
      from: new Date(DAY0 + day * DAY_MS).toISOString(),
      to: new Date(DAY0 + (day + 1) * DAY_MS).toISOString(),
    };
  };

  for (const k of warm) await subjectTrace(k);
  for (let q = 0; q < WARMUP; q++) await index.page(institutionDay(q + 7), { limit: PAGE });

  const subjectMs = [];
  const traceLengths = [];
  for (const k of timedSubjects) {
    const { ms, value } = await timed(() => subjectTrace(k));
    if (value.items.length !== meta.counts[k] || value.nextCursor !== null) {
      throw new Error(`subject ${k}: ${value.items.length} entries, expected ${meta.counts[k]}`);
    }
    subjectMs.push(ms);
    traceLengths.push(value.items.length);
  }
  const institutionMs = [];
  for (let q = 0; q < QUERIES; q++) {
    const window = institutionDay(q);
    const { ms, value } = await timed(() => index.page(window, { limit: PAGE }));
    if (value.items.length !== PAGE) throw new Error(`institution day ${q}: ${value.items.length} entries`);
    institutionMs.push(ms);
  }
  const rssAfterIndexQueries = residentMemory();
  const diskReadAfter = await diskReadBytes();
  const diskReadByIndexQueries =
    diskReadAtOpen === null || diskReadAfter === null ? null : diskReadAfter - diskReadAtOpen;
  const layoutAfterIndexQueries = levelLayout(db);
  log(
    `after the index queries: ${describeLayout(layoutAfterIndexQueries)}; ${diskReadByIndexQueries === null ? 'disk reads unknown' : `${(diskReadByIndexQueries / 1048576).toFixed(1)} MiB read from disk`}`,
  );
  log(
    `index: subject p95 ${percentile(subjectMs, 95).toFixed(2)} ms, institution-day p95 ${percentile(institutionMs, 95).toFixed(2)} ms`,
  );

  const subjectScanMs = [];
  const institutionScanMs = [];
  let scanned = 0;
  for (let s = 0; s < scans; s++) {
    const k = timedSubjects[s];
    const pseudonym = subjectPseudonym(k);
    const indexed = await subjectTrace(k);
    const { ms, value } = await timed(() => fullScan(store, (e) => e.subject === pseudonym));
    if (!sameAnswer(indexed.items, value.matches))
      throw new Error(`full scan of subject ${k} differs from the index`);
    subjectScanMs.push(ms);
    scanned = value.scanned;
    log(`full scan ${s + 1}/${scans} (subject): ${ms.toFixed(0)} ms over ${value.scanned} records`);
  }
  for (let s = 0; s < scans; s++) {
    const window = institutionDay(s);
    const indexed = await index.page(window, { limit: PAGE });
    const { ms, value } = await timed(async () => {
      const { matches } = await fullScan(
        store,
        (e) => e.accessor === window.accessor && e.accessedAt >= window.from && e.accessedAt < window.to,
      );
      return matches.slice(0, PAGE);
    });
    if (!sameAnswer(indexed.items, value))
      throw new Error(`full scan of institution day ${s} differs from the index`);
    institutionScanMs.push(ms);
    log(`full scan ${s + 1}/${scans} (institution day): ${ms.toFixed(0)} ms`);
  }
  const rssEnd = residentMemory();
  await db.close();
  emit({
    mode: 'query',
    records: meta.n,
    subjects: meta.subjects,
    tableFiles: tables,
    tableBytes,
    tuning,
    pageCache: { state: cache, cachedBytesBefore: cachedBefore },
    readahead: volume === null ? null : { device: volume.device, kib: volume.readaheadKiB },
    layoutAtOpen,
    layoutAfterIndexQueries,
    diskReadByIndexQueries,
    recordsScanned: scanned,
    subjectsWithRealisticTrace: candidates.length,
    subjectTrace: {
      queries: subjectMs.length,
      meanAccesses: traceLengths.reduce((a, b) => a + b, 0) / traceLengths.length,
      minAccesses: Math.min(...traceLengths),
      maxAccesses: Math.max(...traceLengths),
      p50Ms: percentile(subjectMs, 50),
      p95Ms: percentile(subjectMs, 95),
      maxMs: Math.max(...subjectMs),
      fullScan:
        scans === 0 ? null : { scans, p50Ms: percentile(subjectScanMs, 50), samplesMs: subjectScanMs },
    },
    institutionDay: {
      queries: institutionMs.length,
      pageSize: PAGE,
      p50Ms: percentile(institutionMs, 50),
      p95Ms: percentile(institutionMs, 95),
      maxMs: Math.max(...institutionMs),
      fullScan:
        scans === 0
          ? null
          : { scans, p50Ms: percentile(institutionScanMs, 50), samplesMs: institutionScanMs },
    },
    rss: {
      afterOpen: rssOpen,
      afterIndexQueries: rssAfterIndexQueries,
      afterFullScans: rssEnd,
      peakBytes: peakRssBytes(),
    },
  });
}

const args = parseArgs();
if (typeof args.dir !== 'string') throw new Error('--dir is required');
if (args.mode === 'build') await build(args);
else if (args.mode === 'query') await query(args);
else throw new Error('--mode build|query');
