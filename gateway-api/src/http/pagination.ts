/**
 * Cursor pagination: list endpoints take `limit` (capped by configuration;
 * over the cap is 400 `PAGE_SIZE_TOO_LARGE`) and an opaque `cursor`, and
 * answer `{ items, nextCursor }` where `nextCursor` is null on the last page.
 */
import { z } from 'zod';
import { parseJsonBounded } from '@ruralcredit/protocol';
import { AppError } from './errors';

/** Page size used when the caller gives no `limit` (bounded by the cap). */
export const DEFAULT_PAGE_SIZE = 50;

/** Longest cursor accepted, in characters. */
export const MAX_CURSOR_LENGTH = 2048;

/** A page of results. */
export interface Page<T> {
  /** The items on this page, in order. */
  readonly items: readonly T[];
  /** Pass as `cursor` to get the next page; null when this is the last. */
  readonly nextCursor: string | null;
}

/** Parsed `limit` and `cursor` query parameters. */
export interface PageRequest {
  /** Number of items wanted, 1..cap. */
  readonly limit: number;
  /** Opaque cursor from a previous page, if any. */
  readonly cursor?: string | undefined;
}

/**
 * The zod shape for `limit` and `cursor`, to spread into a route's query
 * schema: `z.object({ ...pageQueryShape(cap), status: ... })`.
 */
export function pageQueryShape(cap: number) {
  return {
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .superRefine((value, ctx) => {
        if (value > cap) {
          ctx.addIssue({
            code: 'custom',
            message: `page size ${value} exceeds the maximum of ${cap}`,
            params: { code: 'PAGE_SIZE_TOO_LARGE' },
          });
        }
      })
      .default(Math.min(DEFAULT_PAGE_SIZE, cap))
      .meta({ maximum: cap, description: `Page size, 1..${cap}` }),
    cursor: z
      .string()
      .min(1)
      .max(MAX_CURSOR_LENGTH)
      .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor returned by a previous page')
      .optional()
      .meta({ description: 'Opaque cursor from the previous page' }),
  };
}

/** A query schema with only `limit` and `cursor`. */
export function pageQuerySchema(cap: number) {
  return z.object(pageQueryShape(cap));
}

/** The response schema for a page of `item`s. */
export function pageSchema<S extends z.ZodType>(item: S) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** Encodes a position as an opaque base64url cursor. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor} and checks it against `schema`.
 *
 * @throws AppError 400 `INVALID_CURSOR` when the cursor is not one of ours.
 */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.output<S> {
  let position: unknown;
  try {
    position = parseJsonBounded(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const result = schema.safeParse(position);
  if (!result.success) throw invalidCursor();
  return result.data;
}

function invalidCursor(): AppError {
  return AppError.invalid('cursor is not valid for this list', { code: 'INVALID_CURSOR' });
}

/** Cursor content used by {@link pageFromKeys}: the last key returned. */
const KeyCursor = z.object({ k: z.string().max(1024) }).strict();

/** A LevelDB-like source of `[key, value]` entries in key order. */
export interface RangeSource<V> {
  /** Iterates entries with keys in (`gt`, `lt`) or [`gte`, `lt`). */
  iterator(options: { gt?: string; gte?: string; lt: string }): AsyncIterable<[string, V]>;
}

/**
 * Reads one page of entries whose keys start with `prefix` from a key-ordered
 * store, resuming after the key in `page.cursor`, and encodes the next cursor.
 * `map` may return `undefined` to skip an entry (e.g. a filter); the cursor
 * still advances past it.
 *
 * @throws AppError 400 `INVALID_CURSOR` when the cursor is malformed or points outside `prefix`.
 */
export async function pageFromKeys<V, T>(
  source: RangeSource<V>,
  prefix: string,
  page: PageRequest,
  map: (key: string, value: V) => T | undefined,
): Promise<Page<T>> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, KeyCursor).k;
  if (after !== undefined && !after.startsWith(prefix)) throw invalidCursor();
  const lt = `${prefix}\u{10FFFF}`;
  const range = after === undefined ? { gte: prefix, lt } : { gt: after, lt };
  const items: T[] = [];
  let lastKey: string | undefined;
  let more = false;
  for await (const [key, value] of source.iterator(range)) {
    if (items.length === page.limit) {
      more = true;
      break;
    }
    lastKey = key;
    const item = map(key, value);
    if (item !== undefined) items.push(item);
  }
  return { items, nextCursor: more && lastKey !== undefined ? encodeCursor({ k: lastKey }) : null };
}
