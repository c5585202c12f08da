/**
 * Composite keys and range bounds exactly as fabric-shim 2.5 (Node) builds
 * and checks them.
 *
 * Note what the Node shim does NOT check: unlike the Go shim it accepts
 * U+0000 and U+10FFFF inside the object type and attributes, which makes
 * keys ambiguous. The embedded ledger keeps that behaviour on purpose so
 * that chaincode tests exercise the chaincode's own validation (STYLE.md:
 * "Composite-key parts are validated ... the Node shim does not check them").
 */

/** First character of every composite key (the composite key namespace). */
export const COMPOSITE_KEY_NAMESPACE = '\u0000';
/** Separator after the object type and after each attribute. */
export const MIN_UNICODE_RUNE = '\u0000';
/** Appended to a partial composite key to form the exclusive end of its range. */
export const MAX_UNICODE_RUNE = '\u{10ffff}';
/** What the shim sends instead of an empty start key, so simple-key scans skip composite keys. */
export const EMPTY_KEY_SUBSTITUTE = '\u0001';

/** The parts of a composite key, as `splitCompositeKey` returns them. */
export interface SplitCompositeKey {
  /** Object type, or `null` when the key is not a composite key (the shim's result). */
  objectType: string | null;
  /** Attribute values. */
  attributes: string[];
}

function assertNonEmptyString(value: unknown): asserts value is string {
  if (!value || typeof value !== 'string' || value.length === 0) {
    throw new Error('object type or attribute not a non-zero length string');
  }
}

/**
 * Builds a composite key: U+0000, the object type, then each attribute, each
 * followed by U+0000.
 *
 * @throws Error "object type or attribute not a non-zero length string" or
 *   "attributes must be an array", as the shim does.
 */
export function createCompositeKey(objectType: string, attributes: readonly string[]): string {
  assertNonEmptyString(objectType);
  if (!Array.isArray(attributes)) {
    throw new Error('attributes must be an array');
  }
  let key = COMPOSITE_KEY_NAMESPACE + objectType + MIN_UNICODE_RUNE;
  for (const attribute of attributes as unknown[]) {
    assertNonEmptyString(attribute);
    key += attribute + MIN_UNICODE_RUNE;
  }
  return key;
}

/** Splits a composite key into object type and attributes, as the shim does (no errors). */
export function splitCompositeKey(compositeKey: string): SplitCompositeKey {
  const result: SplitCompositeKey = { objectType: null, attributes: [] };
  if (compositeKey && compositeKey.length > 1 && compositeKey.startsWith(COMPOSITE_KEY_NAMESPACE)) {
    const parts = compositeKey.substring(1).split(MIN_UNICODE_RUNE);
    result.objectType = parts[0] ?? null;
    parts.pop();
    if (parts.length > 1) {
      result.attributes = parts.slice(1);
    }
  }
  return result;
}

/**
 * The shim's check that simple range bounds stay out of the composite key
 * namespace.
 *
 * @throws Error "first character of the key [k] contains a null character which is not allowed".
 */
export function assertSimpleKeys(...keys: readonly unknown[]): void {
  for (const key of keys) {
    if (key && typeof key === 'string' && key.startsWith(COMPOSITE_KEY_NAMESPACE)) {
      throw new Error(`first character of the key [${key}] contains a null character which is not allowed`);
    }
  }
}

/** Start (inclusive) and end (exclusive) of the range a partial composite key query scans. */
export function partialCompositeKeyRange(
  objectType: string,
  attributes: readonly string[],
): { startKey: string; endKey: string } {
  const prefix = createCompositeKey(objectType, attributes);
  return { startKey: prefix, endKey: prefix + MAX_UNICODE_RUNE };
}
