/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme).
 *
 * One serialiser for everything the ledger writes or returns and for every
 * hash the platform computes over a record: object members sorted by their
 * UTF-16 code units, no insignificant whitespace, ECMAScript number
 * formatting, and strings escaped as JSON.stringify does (which is what
 * RFC 8785 prescribes). Identical objects built with different key orders
 * therefore serialise to identical bytes.
 */
import { parseJsonBounded } from './json-depth';

/** A JSON value as the ledger stores it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Serialises a value to RFC 8785 canonical JSON.
 *
 * `undefined` members of objects are omitted (as JSON.stringify does);
 * `undefined` or holes inside arrays, functions, symbols, bigints, non-finite
 * numbers, lone surrogates, Maps, Sets and binary buffers are refused.
 *
 * @throws TypeError when the value cannot be represented as JSON.
 */
export function canonicalJson(value: unknown): string {
  try {
    return serialise(value);
  } catch (err) {
    if (err instanceof NotJsonError) throw new TypeError(`$${err.path.reverse().join('')}: ${err.message}`);
    throw err;
  }
}

/** Canonical JSON as UTF-8 bytes. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/**
 * The same bytes as {@link canonicalJson}, faster for plain data (what
 * `JSON.parse` produces: plain objects, arrays, strings, finite numbers,
 * booleans, null), which is every record of a provenance upload.
 *
 * Quoted member names are cached, strings that need no escaping are quoted
 * without `JSON.stringify`, and the error-path bookkeeping is left out. Any
 * value off that fast path (a class instance, `toJSON`, a Map, a non-finite
 * number, a lone surrogate, a hole) makes the whole value go through
 * {@link canonicalJson}, which returns its output or throws its error, so
 * results and errors are exactly canonicalJson's.
 *
 * @throws TypeError when the value cannot be represented as JSON (as canonicalJson).
 */
export function canonicalJsonFast(value: unknown): string {
  try {
    return fastSerialiseRecord(value);
  } catch (err) {
    if (err === OFF_FAST_PATH) return canonicalJson(value);
    throw err;
  }
}

/** Thrown (one shared instance, no stack per throw) when a value leaves the fast path. */
class OffFastPath extends Error {}
const OFF_FAST_PATH = new OffFastPath('value is not plain data');

/** A string holding any of these needs JSON escaping or a well-formedness check. */
// eslint-disable-next-line no-control-regex -- the control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001F\uD800-\uDFFF]/;

/** Most member names whose quoted form is cached (record schemas have tens). */
const MAX_CACHED_NAMES = 4096;
const quotedNames = new Map<string, string>();

function quoteString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  if (SURROGATE.test(value) && !value.isWellFormed()) throw OFF_FAST_PATH;
  return JSON.stringify(value);
}

/** `"name":`, cached. */
function quotedName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = `${quoteString(name)}:`;
    if (quotedNames.size < MAX_CACHED_NAMES) quotedNames.set(name, quoted);
  }
  return quoted;
}

/**
 * The member order of the last top-level object serialised: its keys as
 * `Object.keys` gave them, the same sorted, and each sorted member's `"name":`
 * with its leading comma. An upload's records share one shape, so sorting and
 * quoting happen once per upload rather than once per record.
 */
interface RecordShape {
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
  readonly prefixes: readonly string[];
  /** Each prefix as UTF-8 bytes ({@link writeCanonicalJson}), the first with the opening brace. */
  readonly prefixBytes: readonly Uint8Array[];
}

let lastShape: RecordShape = { keys: [], sorted: [], prefixes: [], prefixBytes: [] };

/** The shape of an object whose own keys are `keys`, from the cache when it is the last one's. */
function shapeOf(keys: readonly string[]): RecordShape {
  const last = lastShape;
  if (keys.length === last.keys.length) {
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== last.keys[i]) {
        same = false;
        break;
      }
    }
    if (same) return last;
  }
  // UTF-16 code unit order, as in serialiseObject.
  const sorted = keys.slice().sort();
  const prefixes = sorted.map((k, i) => (i === 0 ? quotedName(k) : `,${quotedName(k)}`));
  const prefixBytes = prefixes.map((p, i) => Buffer.from(i === 0 ? `{${p}` : p, 'utf8'));
  lastShape = { keys, sorted, prefixes, prefixBytes };
  return lastShape;
}

/**
 * {@link fastSerialise} for the top-level value, with a plain object's member
 * order taken from {@link shapeOf} (nested objects sort their own keys: their
 * shapes would displace the records' one).
 */
function fastSerialiseRecord(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fastSerialise(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw OFF_FAST_PATH;
  const record = value as Record<string, unknown>;
  if (typeof record.toJSON === 'function') throw OFF_FAST_PATH;
  const { sorted, prefixes } = shapeOf(Object.keys(record));
  let out = '{';
  for (let i = 0; i < sorted.length; i++) {
    const member = record[sorted[i]!];
    // An undefined member is left out, and the next one's prefix would start with a comma.
    if (member === undefined) return fastSerialise(value);
    out += prefixes[i]! + fastSerialise(member);
  }
  return `${out}}`;
}

function fastSerialise(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quoteString(value);
    case 'number':
      if (!Number.isFinite(value)) throw OFF_FAST_PATH;
      // -0 === 0, and both print as 0 (RFC 8785).
      return value === 0 ? '0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) throw OFF_FAST_PATH;
          out += i === 0 ? fastSerialise(item) : `,${fastSerialise(item)}`;
        }
        return `${out}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw OFF_FAST_PATH;
      const record = value as Record<string, unknown>;
      if (typeof record.toJSON === 'function') throw OFF_FAST_PATH;
      // UTF-16 code unit order, as in serialiseObject.
      const keys = Object.keys(record).sort();
      let out = '{';
      for (const k of keys) {
        const member = record[k];
        if (member === undefined) continue;
        out += out.length === 1 ? quotedName(k) : `,${quotedName(k)}`;
        out += fastSerialise(member);
      }
      return `${out}}`;
    }
    default:
      throw OFF_FAST_PATH;
  }
}

/**
 * Raised inside the serialiser; each enclosing container adds its path
 * segment on the way out, so the hot path never builds paths.
 */
class NotJsonError extends Error {
  readonly path: string[] = [];
}

/** Surrogate code units: only strings holding one can be malformed. */
const SURROGATE = /[\uD800-\uDFFF]/;

function serialise(value: unknown): string {
  switch (typeof value) {
    case 'string':
      // RFC 8785 works on I-JSON: strings must be well-formed Unicode (no lone surrogates).
      if (SURROGATE.test(value) && !value.isWellFormed())
        throw new NotJsonError('string with a lone surrogate');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new NotJsonError('non-finite number');
      // ECMAScript Number.prototype.toString is the RFC 8785 number format; -0 becomes 0.
      return Object.is(value, -0) ? '0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? serialiseArray(value) : serialiseObject(value);
    default:
      throw new NotJsonError(`${typeof value} is not JSON`);
  }
}

function serialiseArray(value: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    try {
      const item: unknown = value[i];
      if (item === undefined) throw new NotJsonError('undefined or hole in array');
      out += i === 0 ? serialise(item) : `,${serialise(item)}`;
    } catch (err) {
      if (err instanceof NotJsonError) err.path.push(`[${i}]`);
      throw err;
    }
  }
  return `${out}]`;
}

function serialiseObject(value: object): string {
  if (
    value instanceof Map ||
    value instanceof Set ||
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer
  ) {
    throw new NotJsonError(`${value.constructor.name} is not JSON`);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return serialise((toJSON as () => unknown).call(value));
  // Plain objects and class instances (domain objects) serialise by their own enumerable fields.
  const record = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, which is the order RFC 8785 section 3.2.3 requires.
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const k of keys) {
    const member = record[k];
    if (member === undefined) continue;
    try {
      if (SURROGATE.test(k) && !k.isWellFormed()) throw new NotJsonError('key with a lone surrogate');
      out += `${out.length === 1 ? '' : ','}${JSON.stringify(k)}:${serialise(member)}`;
    } catch (err) {
      if (err instanceof NotJsonError) err.path.push(`.${k}`);
      throw err;
    }
  }
  return `${out}}`;
}

/**
 * Writes the UTF-8 bytes of {@link canonicalJson}`(value)` into `target` from
 * `offset` and returns where they end.
 *
 * When the end is past `target.length`, the bytes did not fit: nothing past the
 * target's end was written, and the caller writes again into a target at
 * least that large. A provenance upload writes each record straight into its
 * chunk's buffer this way: a plain object of strings, numbers, booleans and
 * nulls (a record as `JSON.parse` gives it) is encoded here byte by byte, with
 * no intermediate string, which costs half of building the string with
 * {@link canonicalJsonFast} and then encoding it (V8 must first flatten the
 * string built by concatenation). Anything else goes through
 * {@link canonicalJsonFast}, so bytes and errors are always canonicalJson's.
 *
 * @throws TypeError when the value cannot be represented as JSON (as canonicalJson);
 *   the target may then hold partial bytes from `offset` on.
 */
export function writeCanonicalJson(value: unknown, target: Buffer, offset: number): number {
  const end = writeFlatRecord(value, target, offset);
  if (end !== OFF_BYTE_PATH) return end;
  const text = canonicalJsonFast(value);
  const length = Buffer.byteLength(text, 'utf8');
  if (offset + length <= target.length) target.write(text, offset, length, 'utf8');
  return offset + length;
}

/** Returned by the byte writers when a value needs the string serialiser. */
const OFF_BYTE_PATH = -1;

/**
 * {@link writeCanonicalJson} for a plain object whose members are all strings,
 * finite numbers, booleans or null; {@link OFF_BYTE_PATH} for anything else
 * (which may have written partial bytes).
 */
function writeFlatRecord(value: unknown, target: Buffer, offset: number): number {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return OFF_BYTE_PATH;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return OFF_BYTE_PATH;
  const record = value as Record<string, unknown>;
  if (typeof record.toJSON === 'function') return OFF_BYTE_PATH;
  let shape: RecordShape;
  try {
    shape = shapeOf(Object.keys(record));
  } catch (err) {
    // A member name with a lone surrogate: the reference path names the error.
    if (err === OFF_FAST_PATH) return OFF_BYTE_PATH;
    throw err;
  }
  const { sorted, prefixBytes } = shape;
  if (sorted.length === 0) return OFF_BYTE_PATH;
  let at = offset;
  for (let i = 0; i < sorted.length; i++) {
    const prefix = prefixBytes[i]!;
    for (let k = 0; k < prefix.length; k++) target[at + k] = prefix[k]!;
    at += prefix.length;
    const member = record[sorted[i]!];
    switch (typeof member) {
      case 'string': {
        target[at] = QUOTE;
        const closed = writeStringBody(member, target, at + 1);
        if (closed !== OFF_BYTE_PATH) {
          target[closed] = QUOTE;
          at = closed + 1;
          break;
        }
        // Escapes or surrogates: JSON.stringify escapes as RFC 8785 does, once the string is well formed.
        if (SURROGATE.test(member) && !member.isWellFormed()) return OFF_BYTE_PATH;
        at = writeUtf8(JSON.stringify(member), target, at);
        break;
      }
      case 'number':
        if (!Number.isFinite(member)) return OFF_BYTE_PATH;
        at = writeNumber(member, target, at);
        break;
      case 'boolean':
        at = writeAscii(member ? 'true' : 'false', target, at);
        break;
      case 'object':
        if (member !== null) return OFF_BYTE_PATH;
        at = writeAscii('null', target, at);
        break;
      default:
        // undefined (left out, which changes the next member's comma), functions, symbols, bigints.
        return OFF_BYTE_PATH;
    }
  }
  target[at] = CLOSE_BRACE;
  return at + 1;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;

/**
 * Writes the characters of a JSON string (between its quotes) as UTF-8 from
 * `at` and returns where they end (writes past the target's end are dropped,
 * as typed arrays do, so the end still counts them); {@link OFF_BYTE_PATH}
 * when `text` holds a character JSON escapes (control characters, '"', '\\')
 * or a surrogate: JSON.stringify then writes it.
 */
function writeStringBody(text: string, target: Buffer, at: number): number {
  const n = text.length;
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x80) {
      if (c < 0x20 || c === QUOTE || c === BACKSLASH) return OFF_BYTE_PATH;
      target[at++] = c;
    } else if (c < 0x800) {
      target[at++] = 0xc0 | (c >> 6);
      target[at++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      target[at++] = 0xe0 | (c >> 12);
      target[at++] = 0x80 | ((c >> 6) & 0x3f);
      target[at++] = 0x80 | (c & 0x3f);
    } else {
      return OFF_BYTE_PATH;
    }
  }
  return at;
}

/**
 * Writes well-formed `text` (JSON.stringify's output for a well-formed string,
 * or a number or literal's ASCII) as UTF-8 from `at`; returns where it ends.
 */
function writeUtf8(text: string, target: Buffer, at: number): number {
  const n = text.length;
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x80) {
      target[at++] = c;
    } else if (c < 0x800) {
      target[at++] = 0xc0 | (c >> 6);
      target[at++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      target[at++] = 0xe0 | (c >> 12);
      target[at++] = 0x80 | ((c >> 6) & 0x3f);
      target[at++] = 0x80 | (c & 0x3f);
    } else {
      // A pair (the caller checked that the text is well formed).
      const point = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(k + 1) - 0xdc00);
      target[at++] = 0xf0 | (point >> 18);
      target[at++] = 0x80 | ((point >> 12) & 0x3f);
      target[at++] = 0x80 | ((point >> 6) & 0x3f);
      target[at++] = 0x80 | (point & 0x3f);
      k += 1;
    }
  }
  return at;
}

/**
 * Writes finite `value` as ECMAScript's Number::toString prints it (RFC 8785)
 * from `at`; returns where it ends. Integers and numbers with one decimal
 * (areas, amounts in tenths), most of a dataset's numbers, are written digit
 * by digit: `String(value)` costs 0.14 µs here, a quarter of writing a whole
 * record. For an integer-valued k with k / 10 === value (rounded once), the
 * decimal k / 10 rounds to value and no shorter decimal does while
 * |value| < 10^14 (its neighbours with fewer digits are integers, further than
 * half a unit in the last place), so it is the shortest form toString prints.
 */
function writeNumber(value: number, target: Buffer, at: number): number {
  // -0 === 0, and both print as 0.
  if (value === 0) {
    target[at] = DIGIT_ZERO;
    return at + 1;
  }
  let magnitude = value;
  if (value < 0) {
    target[at++] = MINUS;
    magnitude = -value;
  }
  if (magnitude < 1e14) {
    if (Number.isInteger(magnitude)) return writeDigits(magnitude, target, at);
    const tenths = magnitude * 10;
    if (Number.isInteger(tenths) && tenths / 10 === magnitude) {
      at = writeDigits(Math.floor(tenths / 10), target, at);
      target[at] = DOT;
      target[at + 1] = DIGIT_ZERO + (tenths % 10);
      return at + 2;
    }
  }
  // Digits, signs, '.', 'e' and '+' are ASCII.
  return writeAscii(String(magnitude), target, at);
}

/** Writes the decimal digits of a non-negative integer below 2^53 from `at`; returns where they end. */
function writeDigits(integer: number, target: Buffer, at: number): number {
  let digits = 1;
  for (let rest = integer; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  let rest = integer;
  for (let k = digits - 1; k >= 0; k--) {
    target[at + k] = DIGIT_ZERO + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return at + digits;
}

const DIGIT_ZERO = 0x30;
const MINUS = 0x2d;
const DOT = 0x2e;

/** Writes ASCII `text` (a number, true, false, null) from `at`; returns where it ends. */
function writeAscii(text: string, target: Buffer, at: number): number {
  const n = text.length;
  for (let k = 0; k < n; k++) target[at + k] = text.charCodeAt(k);
  return at + n;
}

/**
 * Parses JSON text produced by {@link canonicalJson} (or any JSON), at most
 * 64 levels deep (see json-depth.ts).
 *
 * @throws SyntaxError on malformed text; JsonTooDeepError on deeper nesting.
 */
export function parseJson(text: string | Uint8Array): unknown {
  return parseJsonBounded(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
}
