/**
 * The one way ledger data goes in and out: sorted-key (RFC 8785) JSON.
 * Nothing else in the chaincode calls JSON.stringify on ledger data.
 */
import { JsonTooDeepError, canonicalJson, parseJsonBounded } from '@ruralcredit/protocol';
import { invalid } from './errors';

/** Serialises a value to the canonical JSON text written to state and returned to clients. */
export function marshal(value: unknown): string {
  return canonicalJson(value);
}

/** Serialises a value to canonical JSON bytes. */
export function marshalBytes(value: unknown): Uint8Array {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/** Parses bytes read from state. */
export function unmarshal(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
}

/**
 * Parses a JSON argument sent by a client.
 *
 * @throws INVALID when the text is not a JSON object.
 */
export function parseArgument(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonBounded(text);
  } catch (err) {
    if (err instanceof JsonTooDeepError) throw invalid(`${what} nests deeper than ${err.maxDepth} levels`);
    throw invalid(`${what} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
