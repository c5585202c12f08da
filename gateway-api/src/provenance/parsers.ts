/**
 * Streaming readers for batch uploads: NDJSON line by line, and a JSON array
 * one element at a time. Each holds at most one record's bytes (bounded by
 * `maxRecordBytes`) plus the chunk being scanned, whatever the body size.
 *
 * They scan bytes, not characters: in UTF-8 no byte of a multi-byte sequence
 * equals an ASCII delimiter (`"`, `\`, `[`, `]`, `{`, `}`, `,`, LF), so
 * splitting on those bytes never cuts a character.
 */
import type { Readable } from 'node:stream';
import { JsonTooDeepError, parseJsonBounded } from '@ruralcredit/protocol';
import { AppError } from '../http/errors';

/** One record read from the body, with where it was. */
export interface ParsedItem {
  /** The parsed JSON value (any JSON; the record validator checks it is an object). */
  readonly value: unknown;
  /** Zero-based position among the records. */
  readonly index: number;
  /** One-based line number (NDJSON only). */
  readonly line?: number;
}

/** Where an invalid record is, and which rule it broke: `details` of 400 `INVALID_RECORD`. */
export interface InvalidRecordDetails {
  /** Zero-based record position. */
  readonly index: number;
  /** One-based line (NDJSON only). */
  readonly line?: number;
  /** The offending field, or null when the record as a whole is wrong. */
  readonly field: string | null;
  /** The rule broken, e.g. `REQUIRED`, `TYPE`, `UNKNOWN_FIELD`, `JSON`, `MAX_BYTES`. */
  readonly rule: string;
}

/** The 400 `INVALID_RECORD` error; its message names the rule and field, never the value. */
export function invalidRecord(details: InvalidRecordDetails, message: string): AppError {
  const where = details.line === undefined ? `record ${details.index}` : `line ${details.line}`;
  return AppError.badRequest(`${where}: ${message}`, { code: 'INVALID_RECORD', details });
}

function malformedArray(message: string, offset: number): AppError {
  return AppError.badRequest(`batch body is not a JSON array: ${message}`, {
    code: 'MALFORMED_JSON',
    details: { offset },
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes and parses one record's bytes. */
function parseRecord(bytes: Buffer, where: Omit<InvalidRecordDetails, 'field' | 'rule'>): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalidRecord({ ...where, field: null, rule: 'UTF8' }, 'record is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = parseJsonBounded(text);
  } catch (err) {
    if (err instanceof JsonTooDeepError) {
      throw invalidRecord(
        { ...where, field: null, rule: 'JSON_TOO_DEEP' },
        `record nests deeper than ${err.maxDepth} levels`,
      );
    }
    // The parser's message quotes the input, which may hold personal data: not echoed.
    throw invalidRecord({ ...where, field: null, rule: 'JSON' }, 'record is not valid JSON');
  }
  const duplicate = duplicateKey(text);
  if (duplicate !== undefined) {
    // JSON.parse keeps the last of two equal keys: the provider's record and the anchored one would differ.
    const field = /^[A-Za-z0-9_]{1,64}$/.test(duplicate) ? duplicate : null;
    throw invalidRecord(
      { ...where, field, rule: 'DUPLICATE_KEY' },
      `record has the same key twice in one object${field === null ? '' : ` (${field})`}`,
    );
  }
  return value;
}

/**
 * The first key that occurs twice in one object of `text`, compared after
 * unescaping (`"a"` and `"\u0061"` are the same key), or undefined. `text`
 * must already be valid JSON.
 */
export function duplicateKey(text: string): string | undefined {
  // One entry per open container: the keys seen so far of an object, undefined for an array.
  const open: (Set<string> | undefined)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      let escapes = false;
      while (text.charCodeAt(j) !== QUOTE) {
        if (text.charCodeAt(j) === BACKSLASH) {
          escapes = true;
          j += 2;
        } else j += 1;
      }
      if (expectKey) {
        const k = escapes ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        const keys = open[open.length - 1]!;
        if (keys.has(k)) return k;
        keys.add(k);
        expectKey = false;
      }
      i = j;
    } else if (c === OPEN_BRACE) {
      open.push(new Set());
      expectKey = true;
    } else if (c === OPEN_BRACKET) {
      open.push(undefined);
      expectKey = false;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      open.pop();
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = open[open.length - 1] !== undefined;
    }
  }
  return undefined;
}

/** Bytes of one record gathered across chunks, refusing more than the limit. */
class RecordBytes {
  #parts: Buffer[] = [];
  #length = 0;
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get length(): number {
    return this.#length;
  }

  /** Appends `bytes`; false when the record would exceed the limit. */
  add(bytes: Buffer): boolean {
    if (bytes.length === 0) return true;
    this.#length += bytes.length;
    if (this.#length > this.#max) return false;
    this.#parts.push(bytes);
    return true;
  }

  /** The gathered bytes; resets for the next record. */
  take(): Buffer {
    const out = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    return out;
  }
}

const LF = 0x0a;
const CR = 0x0d;

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  return true;
}

/**
 * Reads NDJSON records, one per line (LF or CRLF); blank lines are skipped
 * but counted in line numbers.
 *
 * @throws AppError 400 `INVALID_RECORD` (rule `JSON`, `UTF8` or `MAX_BYTES`)
 *   for the first line that is not one JSON value within the limit; errors of
 *   the body stream (413, aborted) pass through.
 */
export async function* ndjsonRecords(body: Readable, maxRecordBytes: number): AsyncGenerator<ParsedItem> {
  const pending = new RecordBytes(maxRecordBytes);
  let line = 1;
  let index = 0;
  const finish = (): ParsedItem | undefined => {
    let bytes = pending.take();
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (isBlank(bytes)) return undefined;
    const item = { value: parseRecord(bytes, { index, line }), index, line };
    index += 1;
    return item;
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    let start = 0;
    for (let lf = chunk.indexOf(LF, start); lf !== -1; lf = chunk.indexOf(LF, start)) {
      if (!pending.add(chunk.subarray(start, lf))) throw tooLong(index, line, maxRecordBytes);
      const item = finish();
      if (item !== undefined) yield item;
      line += 1;
      start = lf + 1;
    }
    if (!pending.add(chunk.subarray(start))) throw tooLong(index, line, maxRecordBytes);
  }
  const last = finish();
  if (last !== undefined) yield last;
}

function tooLong(index: number, line: number | undefined, max: number): AppError {
  return invalidRecord(
    { index, ...(line === undefined ? {} : { line }), field: null, rule: 'MAX_BYTES' },
    `record exceeds ${max} bytes`,
  );
}

const enum ArrayState {
  BeforeArray,
  BeforeFirst,
  BeforeElement,
  InElement,
  Done,
}

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === LF || b === CR;
}

/**
 * Reads the elements of a top-level JSON array one at a time. The scanner
 * only finds element boundaries (nesting depth outside strings); each
 * element's own syntax is checked by `JSON.parse`.
 *
 * @throws AppError 400 `MALFORMED_JSON` when the body is not one JSON array
 *   (with `details.offset`), 400 `INVALID_RECORD` (rule `JSON`, `UTF8` or
 *   `MAX_BYTES`) for the first element that is not a JSON value within the
 *   limit; errors of the body stream (413, aborted) pass through.
 */
export async function* jsonArrayRecords(body: Readable, maxRecordBytes: number): AsyncGenerator<ParsedItem> {
  const pending = new RecordBytes(maxRecordBytes);
  let state = ArrayState.BeforeArray;
  let index = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let offset = 0;
  let first = true;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    let i = 0;
    // A UTF-8 byte order mark is tolerated at the very start.
    if (first && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    first = false;
    let elementStart = -1;
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (state === ArrayState.InElement) {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) inString = false;
          continue;
        }
        if (b === QUOTE) inString = true;
        else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth += 1;
        else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && depth > 0) depth -= 1;
        else if (depth === 0 && (b === COMMA || b === CLOSE_BRACKET)) {
          if (!pending.add(chunk.subarray(Math.max(elementStart, 0), i))) {
            throw tooLong(index, undefined, maxRecordBytes);
          }
          const value = parseRecord(pending.take(), { index });
          elementStart = -1;
          state = b === COMMA ? ArrayState.BeforeElement : ArrayState.Done;
          yield { value, index };
          index += 1;
        } else if (depth === 0 && b === CLOSE_BRACE) {
          throw malformedArray('unbalanced }', offset + i);
        }
        continue;
      }
      if (isWhitespace(b)) continue;
      switch (state) {
        case ArrayState.BeforeArray:
          if (b !== OPEN_BRACKET) throw malformedArray('expected [', offset + i);
          state = ArrayState.BeforeFirst;
          break;
        case ArrayState.BeforeFirst:
        case ArrayState.BeforeElement:
          if (b === CLOSE_BRACKET && state === ArrayState.BeforeFirst) {
            state = ArrayState.Done;
            break;
          }
          if (b === COMMA || b === CLOSE_BRACKET) throw malformedArray('expected a value', offset + i);
          state = ArrayState.InElement;
          elementStart = i;
          depth = 0;
          inString = false;
          escaped = false;
          i -= 1; // rescan this byte as the element's first
          break;
        case ArrayState.Done:
          throw malformedArray('content after the closing ]', offset + i);
      }
    }
    if (state === ArrayState.InElement && !pending.add(chunk.subarray(Math.max(elementStart, 0)))) {
      throw tooLong(index, undefined, maxRecordBytes);
    }
    offset += chunk.length;
  }
  if (state !== ArrayState.Done) throw malformedArray('unexpected end of body', offset);
}
