// Shared helpers of the benchmark scripts: argument parsing, timing, the
// result hand-off from a child process to the runner, and the built gateway
// modules (the benchmarks measure the compiled code `npm start` runs).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export const require = createRequire(import.meta.url);

/** Loads a compiled gateway-api module, e.g. `indexer/store`. */
export function gateway(modulePath) {
  return require(`@ruralcredit/gateway-api/dist/src/${modulePath}`);
}

/** `--name value` and `--flag` arguments as an object of strings / `true`. */
export function parseArgs(argv = process.argv.slice(2)) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const name = arg.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) {
      args[name] = true;
    } else {
      args[name] = next;
      i += 1;
    }
  }
  return args;
}

/** A positive integer argument, or `fallback`. */
export function intArg(args, name, fallback) {
  const raw = args[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const now = () => performance.now();

/** The `p`-th percentile (0-100) of `values`, nearest-rank method. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Peak resident set size of this process so far, in bytes (getrusage ru_maxrss). */
export function peakRssBytes() {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Current resident memory split as Linux reports it: `anonBytes` is the
 * process's own heap (V8, LevelDB caches, buffers); `fileBytes` is file
 * pages mapped into it, chiefly LevelDB's memory-mapped table files, which
 * the kernel can drop under pressure. Only `rssBytes` off Linux.
 */
export function residentMemory() {
  const rssBytes = process.memoryUsage().rss;
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rssBytes, anonBytes: kib('RssAnon'), fileBytes: kib('RssFile') };
  } catch {
    return { rssBytes };
  }
}

/** Progress for the operator; stdout is reserved for the result. */
export function log(message) {
  process.stderr.write(`  [${path.basename(process.argv[1] ?? 'bench')}] ${message}\n`);
}

/** Prints the child's result as the last stdout line, where the runner reads it. */
export function emit(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** A fresh temporary directory and its removal. */
export async function tempDir(prefix) {
  const dir = await mkdtemp(path.join(tmpdir(), `rcl-bench-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A seeded pseudo-random generator (mulberry32): the same data set in every
 * run and in every process that rebuilds it.
 */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COLUMNS = [
  ['item', 'item'],
  ['measured', 'measured'],
  ['baseline', 'baseline'],
  ['ratio', 'ratio'],
  ['target', 'target'],
  ['met', 'met?'],
];

/** The benchmark table (item, measured, baseline, ratio, target, met?) as Markdown. */
export function formatTable(tableRows) {
  const widths = COLUMNS.map(([key, title]) =>
    Math.max(title.length, ...tableRows.map((r) => String(r[key]).length)),
  );
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [
    line(COLUMNS.map(([, title]) => title)),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...tableRows.map((r) => line(COLUMNS.map(([key]) => r[key]))),
  ].join('\n');
}

/** A results document, or undefined when there is none. */
export async function readResults(file) {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Writes a results document formatted as the repository's prettier config would, so `npm run lint` stays clean. */
export async function writeResults(file, document) {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  const text = await prettier.format(JSON.stringify(document), { ...options, parser: 'json' });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}
