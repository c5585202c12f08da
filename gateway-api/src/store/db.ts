/** The gateway's LevelDB database: one per data directory, owned by one process. */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AbstractLevel } from 'abstract-level';
import { Level } from 'level';

/** The database type every gateway component takes: string keys, JSON values by default. */
export type GatewayDb = AbstractLevel<string | Buffer | Uint8Array, string, unknown>;

/** Sub-directory of the data directory holding LevelDB files. */
export const DATABASE_DIR = 'leveldb';

/**
 * LevelDB tuning. The gateway sets its caches from its settings
 * (`GATEWAY_DB_CACHE_SIZE`, `GATEWAY_DB_MAX_OPEN_FILES`); a bulk load (the
 * benchmark's loader) also takes a larger memtable, so fewer level-0 files
 * and compactions while millions of keys go in.
 */
export interface DatabaseTuning {
  /** Bytes of LevelDB's block cache (classic-level's default 8 MiB). */
  readonly cacheSize?: number;
  /** Table files kept open, each with its index in memory (classic-level's default 1,000). */
  readonly maxOpenFiles?: number;
  /** Bytes buffered in the memtable before it is written to a table file (default 4 MiB). */
  readonly writeBufferSize?: number;
  /** Largest table file in bytes (default 2 MiB). */
  readonly maxFileSize?: number;
}

/**
 * Opens (creating if needed) the gateway database under `dataDir`.
 *
 * `tuning` overrides classic-level's defaults: the gateway passes its cache
 * settings, a bulk load its memtable and table sizes.
 *
 * @throws Error with a readable message when another process holds the
 *   database (LevelDB allows one writer), or it cannot be opened.
 */
export async function openDatabase(
  dataDir: string,
  tuning: Readonly<DatabaseTuning> = {},
): Promise<Level<string, unknown>> {
  const location = path.join(dataDir, DATABASE_DIR);
  await mkdir(location, { recursive: true, mode: 0o700 });
  const db = new Level<string, unknown>(location, { ...tuning, keyEncoding: 'utf8', valueEncoding: 'json' });
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new Error(`database ${location} is in use by another process (is the gateway running?)`, {
        cause: err,
      });
    }
    throw err;
  }
  return db;
}

/** File descriptors left for sockets, logs and everything else besides LevelDB's tables. */
export const RESERVED_FILES = 1024;

/**
 * This process's open-file limit (the soft limit, which Node raises to the
 * hard one at start), from `/proc/self/limits`; `undefined` where that file
 * does not exist or says "unlimited".
 */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  let text: string;
  try {
    text = readFileSync(limitsFile, 'utf8');
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\d+)\s/m.exec(text)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

/** The gateway's LevelDB cache settings (`GATEWAY_DB_CACHE_SIZE`, `GATEWAY_DB_MAX_OPEN_FILES`). */
export interface CacheSettings {
  readonly dbCacheBytes: number;
  readonly dbMaxOpenFiles: number;
}

/**
 * How the gateway opens its database: its cache settings, with the table
 * files it may keep open lowered when the process's open-file `limit`
 * ({@link openFileLimit}; `undefined` when unknown) would leave less than
 * {@link RESERVED_FILES} for everything else (a gateway out of descriptors
 * fails requests, not just lookups). `warning` says so when it had to.
 */
export function cacheTuning(
  settings: Readonly<CacheSettings>,
  limit: number | undefined,
): { tuning: DatabaseTuning; warning?: string } {
  const requested = settings.dbMaxOpenFiles;
  const cacheSize = settings.dbCacheBytes;
  if (limit === undefined || requested + RESERVED_FILES <= limit) {
    return { tuning: { cacheSize, maxOpenFiles: requested } };
  }
  const maxOpenFiles = Math.max(64, limit - RESERVED_FILES);
  return {
    tuning: { cacheSize, maxOpenFiles },
    warning: `GATEWAY_DB_MAX_OPEN_FILES ${requested} lowered to ${maxOpenFiles}: the process may open only ${limit} files (raise ulimit -n)`,
  };
}

/** Maps LevelDB's not-found rejection (`LEVEL_NOT_FOUND`) to `undefined`; rethrows anything else. */
export function notFoundToUndefined(err: unknown): undefined {
  if ((err as { code?: unknown }).code === 'LEVEL_NOT_FOUND') return undefined;
  throw err;
}
