/** The gateway's LevelDB database: one per data directory, owned by one process. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AbstractLevel } from 'abstract-level';
import { Level } from 'level';

/** The database type every gateway component takes: string keys, JSON values by default. */
export type GatewayDb = AbstractLevel<string | Buffer | Uint8Array, string, unknown>;

/** Sub-directory of the data directory holding LevelDB files. */
export const DATABASE_DIR = 'leveldb';

/**
 * LevelDB tuning for a bulk load (the benchmark's loader): a larger memtable
 * means fewer level-0 files and compactions while millions of keys go in.
 * The gateway itself opens with LevelDB's defaults.
 */
export interface DatabaseTuning {
  /** Bytes buffered in the memtable before it is written to a table file (default 4 MiB). */
  readonly writeBufferSize?: number;
  /** Largest table file in bytes (default 2 MiB). */
  readonly maxFileSize?: number;
}

/**
 * Opens (creating if needed) the gateway database under `dataDir`.
 *
 * `tuning` is for bulk loads only; a running gateway passes none.
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

/** Maps LevelDB's not-found rejection (`LEVEL_NOT_FOUND`) to `undefined`; rethrows anything else. */
export function notFoundToUndefined(err: unknown): undefined {
  if ((err as { code?: unknown }).code === 'LEVEL_NOT_FOUND') return undefined;
  throw err;
}
