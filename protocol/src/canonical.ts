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
  return serialise(value, () => '$');
}

/** Canonical JSON as UTF-8 bytes. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function serialise(value: unknown, path: () => string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      // RFC 8785 works on I-JSON: strings must be well-formed Unicode (no lone surrogates).
      if (!value.isWellFormed()) throw new TypeError(`${path()}: string with a lone surrogate`);
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path()}: non-finite number`);
      // ECMAScript Number.prototype.toString is the RFC 8785 number format; -0 becomes 0.
      return Object.is(value, -0) ? '0' : String(value);
    case 'object':
      break;
    default:
      throw new TypeError(`${path()}: ${typeof value} is not JSON`);
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw new TypeError(`${path()}[${i}]: undefined or hole in array`);
      items.push(serialise(item, () => `${path()}[${i}]`));
    }
    return `[${items.join(',')}]`;
  }
  if (
    value instanceof Map ||
    value instanceof Set ||
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer
  ) {
    throw new TypeError(`${path()}: ${value.constructor.name} is not JSON`);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return serialise((toJSON as () => unknown).call(value), path);
  // Plain objects and class instances (domain objects) serialise by their own enumerable fields.
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort(compareUtf16);
  const members: string[] = [];
  for (const k of keys) {
    if (!k.isWellFormed()) throw new TypeError(`${path()}: key with a lone surrogate`);
    members.push(`${JSON.stringify(k)}:${serialise(record[k], () => `${path()}.${k}`)}`);
  }
  return `{${members.join(',')}}`;
}

/** Orders strings by UTF-16 code units, as RFC 8785 section 3.2.3 requires. */
function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Parses JSON text produced by {@link canonicalJson} (or any JSON).
 *
 * @throws SyntaxError on malformed text.
 */
export function parseJson(text: string | Uint8Array): unknown {
  return JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8')) as unknown;
}
