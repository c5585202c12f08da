/**
 * Reads and validates the fields of a client-supplied object. Every check
 * throws INVALID naming the field, so a bad value never reaches putState.
 */
import {
  ADDRESS_PATTERN,
  CATALOGUE_CODE_PATTERN,
  DIGEST_PATTERN,
  MSP_ID_PATTERN,
  OBJECT_ID_PATTERN,
  PSEUDONYM_PATTERN,
  PERSONAL_IDENTIFIER_RULE,
  SIGNATURE_PATTERN,
  findPersonalIdentifier,
  parseLedgerTime,
} from '@ruralcredit/protocol';
import { invalid } from './errors';

/** Largest integer amount accepted (fen, counts): the largest exactly representable integer. */
const MAX_INTEGER = Number.MAX_SAFE_INTEGER;

/** A validating reader over one JSON object. */
export class Fields {
  readonly #raw: Record<string, unknown>;
  readonly #what: string;

  constructor(raw: Record<string, unknown>, what: string, allowed?: readonly string[]) {
    this.#raw = raw;
    this.#what = what;
    if (allowed) {
      const unknown = Object.keys(raw).filter((k) => !allowed.includes(k));
      if (unknown.length > 0) throw invalid(`${what}: unknown field(s) ${unknown.sort().join(', ')}`);
    }
  }

  #fail(name: string, rule: string): never {
    throw invalid(`${this.#what}.${name} ${rule}`);
  }

  /** Refuses a value kept in clear that contains a resident ID, credit code or mobile number. */
  #withoutPersonalIdentifiers(name: string, value: string): string {
    const kind = findPersonalIdentifier(value);
    if (kind !== undefined) this.#fail(name, `${PERSONAL_IDENTIFIER_RULE} (found: ${kind})`);
    return value;
  }

  /** Whether the field is present and not null. */
  has(name: string): boolean {
    return this.#raw[name] !== undefined && this.#raw[name] !== null;
  }

  /** A string matching `pattern`. */
  string(name: string, pattern: RegExp, rule: string): string {
    const v = this.#raw[name];
    if (typeof v !== 'string' || !pattern.test(v)) this.#fail(name, rule);
    return v;
  }

  /** A string matching `pattern` that the ledger keeps in clear: no personal identifier inside. */
  clearString(name: string, pattern: RegExp, rule: string): string {
    return this.#withoutPersonalIdentifiers(name, this.string(name, pattern, rule));
  }

  /** Free text (NFC, no control characters, no personal identifier) of bounded length. */
  text(name: string, maxLength: number): string {
    const v = this.#raw[name];
    if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) {
      this.#fail(name, `must be a string of 1-${maxLength} characters`);
    }
    // eslint-disable-next-line no-control-regex
    if (v.normalize('NFC') !== v || /[\u0000-\u001f\u007f\u{10ffff}]/u.test(v)) {
      this.#fail(name, 'must be NFC text without control characters');
    }
    return this.#withoutPersonalIdentifiers(name, v);
  }

  /** A business object ID (see OBJECT_ID_PATTERN) without a personal identifier inside. */
  id(name: string): string {
    return this.clearString(
      name,
      OBJECT_ID_PATTERN,
      'must be 1-128 of A-Z a-z 0-9 . _ : - starting with a letter or digit',
    );
  }

  /** A subject or operator pseudonym: 64 lowercase hex. */
  pseudonym(name: string): string {
    return this.string(name, PSEUDONYM_PATTERN, 'must be a pseudonym of 64 lowercase hex digits');
  }

  /** A SHA-256 digest: 64 lowercase hex. */
  digest(name: string): string {
    return this.string(name, DIGEST_PATTERN, 'must be a SHA-256 digest of 64 lowercase hex digits');
  }

  /** A Fabric MSP ID. */
  mspId(name: string): string {
    return this.string(name, MSP_ID_PATTERN, 'must be an MSP ID');
  }

  /** A catalogue code. */
  code(name: string): string {
    return this.string(
      name,
      CATALOGUE_CODE_PATTERN,
      'must be a code of 2-32 of A-Z 0-9 _ starting with a letter',
    );
  }

  /** A secp256k1 address, returned lower-case. */
  address(name: string): string {
    return this.string(name, ADDRESS_PATTERN, 'must be an address (0x and 40 hex digits)').toLowerCase();
  }

  /** An ECDSA signature (0x and 130 hex digits). */
  signature(name: string): string {
    return this.string(name, SIGNATURE_PATTERN, 'must be a signature (0x and 130 hex digits)');
  }

  /** A ledger time `YYYY-MM-DDTHH:MM:SSZ`. */
  time(name: string): string {
    const v = this.#raw[name];
    if (typeof v !== 'string' || parseLedgerTime(v) === undefined) {
      this.#fail(name, 'must be a UTC time YYYY-MM-DDTHH:MM:SSZ');
    }
    return v;
  }

  /** An integer within [min, max]. */
  integer(name: string, min: number, max: number = MAX_INTEGER): number {
    const v = this.#raw[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      this.#fail(name, `must be an integer from ${min} to ${max}`);
    }
    return v;
  }

  /** A finite positive number. */
  positiveNumber(name: string): number {
    const v = this.#raw[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.#fail(name, 'must be a positive number');
    return v;
  }

  /** A boolean. */
  boolean(name: string): boolean {
    const v = this.#raw[name];
    if (typeof v !== 'boolean') this.#fail(name, 'must be true or false');
    return v;
  }

  /** One of the given values. */
  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const v = this.#raw[name];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.#fail(name, `must be one of ${values.join(', ')}`);
    }
    return v as T;
  }

  /** A non-empty array of distinct strings, each checked by `each`, returned sorted. */
  stringSet(name: string, maxItems: number, each: (value: string) => boolean, rule: string): string[] {
    const v = this.#raw[name];
    if (!Array.isArray(v) || v.length === 0 || v.length > maxItems) {
      this.#fail(name, `must be a list of 1-${maxItems} items`);
    }
    const items = v as unknown[];
    if (!items.every((x): x is string => typeof x === 'string' && each(x))) this.#fail(name, rule);
    const sorted = [...items].sort();
    if (new Set(sorted).size !== sorted.length) this.#fail(name, 'must not repeat an item');
    return sorted;
  }

  /** A nested object. */
  object(name: string, allowed?: readonly string[]): Fields {
    const v = this.#raw[name];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.#fail(name, 'must be an object');
    return new Fields(v as Record<string, unknown>, `${this.#what}.${name}`, allowed);
  }

  /** A list of nested objects. */
  objects(name: string, maxItems: number, allowed?: readonly string[]): Fields[] {
    const v = this.#raw[name];
    if (!Array.isArray(v) || v.length === 0 || v.length > maxItems) {
      this.#fail(name, `must be a list of 1-${maxItems} objects`);
    }
    return (v as unknown[]).map((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        this.#fail(`${name}[${i}]`, 'must be an object');
      return new Fields(item as Record<string, unknown>, `${this.#what}.${name}[${i}]`, allowed);
    });
  }
}

/**
 * Validates an optional time range [from, to) of ledger times ('' = open end).
 *
 * @throws INVALID on a malformed bound or when `to` is not after `from`.
 */
export function timeRange(from: string, to: string): { start: string; end: string } {
  const bound = (value: string, name: string): string =>
    value === '' ? '' : new Fields({ [name]: value }, 'range').time(name);
  const start = bound(from, 'from');
  const end = bound(to, 'to');
  if (start !== '' && end !== '' && end <= start) throw invalid('range.to must be after range.from');
  return { start, end };
}
