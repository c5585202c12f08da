/**
 * Digests the platform anchors: file and report digests, and the running
 * digest chain that makes an audit export tamper-evident.
 *
 * All digests are SHA-256, written as 64 lowercase hex characters without `0x`.
 */
import { createHash, hash } from 'node:crypto';
import { canonicalBytes, canonicalJson } from './canonical';
import { JsonTooDeepError, parseJsonBounded } from './json-depth';

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** The `prev` digest of the first audit export line: 64 zeros. */
export const GENESIS_DIGEST = '0'.repeat(64);

/**
 * SHA-256 of bytes, or of a string's UTF-8 encoding, as lowercase hex.
 */
export function sha256Hex(data: Uint8Array | string): string {
  return hash('sha256', data, 'hex');
}

/**
 * Digest of a file's exact bytes (the evidence hash of a signed consent form,
 * a batch file, an exported report), as lowercase hex.
 */
export function fileDigest(content: Uint8Array): string {
  return sha256Hex(content);
}

/**
 * Digest of content arriving in chunks (a file stream, an HTTP upload), without
 * holding it all in memory. Equal to {@link fileDigest} of the concatenation.
 */
export async function streamDigest(chunks: AsyncIterable<Uint8Array | string>): Promise<string> {
  const hasher = createHash('sha256');
  for await (const chunk of chunks) hasher.update(chunk);
  return hasher.digest('hex');
}

/** Whether a value is a 64-character lowercase hex SHA-256 digest. */
export function isHexDigest(value: unknown): value is string {
  return typeof value === 'string' && HEX_DIGEST.test(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A shallow copy of `obj` without its own top-level `digest` member. */
function withoutDigest(obj: Record<string, unknown>): Record<string, unknown> {
  const { digest: _digest, ...rest } = obj;
  return rest;
}

/**
 * Digest of a verification report, anchored on the ledger so a filed copy can
 * be checked later.
 *
 * Defined as SHA-256 of the RFC 8785 canonical JSON of the report object with
 * its top-level `digest` member removed, so a report may carry its own digest
 * and still verify: `reportDigest(r) === r.digest`. Only the top-level member
 * is removed; a `digest` nested anywhere inside is part of the content. Key
 * order and whitespace of the stored copy do not matter; any change to a value
 * does.
 *
 * @throws TypeError when the report is not a JSON object or holds a value that
 *   cannot be represented as JSON.
 */
export function reportDigest(report: unknown): string {
  if (!isPlainObject(report)) throw new TypeError('report must be a JSON object');
  return sha256Hex(canonicalBytes(withoutDigest(report)));
}

/** What a bank's access names before any record reaches it (the per-organisation deployment). */
export interface ReleaseRequestFields {
  readonly accessId: string;
  readonly accessor: string;
  readonly operator: string;
  readonly subject: string;
  readonly grantId: string;
  readonly purpose: string;
  readonly datasets: readonly string[];
}

/**
 * The digest a bank's access record holds in the per-organisation deployment, where the access
 * is recorded before the providers release anything (so before the report exists): SHA-256 of the
 * RFC 8785 JSON of the request (datasets sorted) under the tag `rcl:release-request:v1`. A filed
 * report names every one of these fields, so anyone can recompute it from the report and compare
 * it with the ledger; the records themselves are proved by their anchored Merkle roots.
 */
export function releaseRequestDigest(fields: ReleaseRequestFields): string {
  return sha256Hex(
    canonicalBytes({
      kind: 'rcl:release-request:v1',
      accessId: fields.accessId,
      accessor: fields.accessor,
      operator: fields.operator,
      subject: fields.subject,
      grantId: fields.grantId,
      purpose: fields.purpose,
      datasets: [...fields.datasets].sort(),
    }),
  );
}

/**
 * One step of the audit export digest chain:
 * SHA-256(prev digest as 32 raw bytes || canonicalBytes(line)).
 *
 * A top-level `digest` member of `line`, if present, is left out, so a line
 * read back from an export can be passed as it is.
 *
 * @param prevDigestHex - digest of the previous line, or {@link GENESIS_DIGEST} for the first
 * @param lineWithoutDigest - the line object, including its `seq`
 * @throws TypeError when `prevDigestHex` is not 64 lowercase hex characters or
 *   the line is not a JSON object.
 */
export function chainDigest(prevDigestHex: string, lineWithoutDigest: unknown): string {
  if (!isHexDigest(prevDigestHex)) throw new TypeError('previous digest must be 64 lowercase hex characters');
  if (!isPlainObject(lineWithoutDigest)) throw new TypeError('audit line must be a JSON object');
  return createHash('sha256')
    .update(Buffer.from(prevDigestHex, 'hex'))
    .update(canonicalBytes(withoutDigest(lineWithoutDigest)))
    .digest('hex');
}

/** One line of an audit export: the record's own members plus `seq` and `digest`. */
export type AuditLine = Record<string, unknown> & {
  /** Zero-based position of the line in the chain. */
  seq: number;
  /** {@link chainDigest} of the previous line's digest and this line. */
  digest: string;
};

/** Where a chain continues from, to resume producing or verifying mid-chain. */
export interface AuditChainPosition {
  /** `seq` the next line will carry. */
  nextSeq: number;
  /** Digest of the line before it ({@link GENESIS_DIGEST} at the start). */
  prevDigest: string;
}

/**
 * Serialises an audit line as one line of export text: canonical JSON, no
 * newline. {@link verifyAuditExport} accepts exactly this form.
 *
 * @throws TypeError when the line cannot be represented as JSON.
 */
export function formatAuditLine(line: AuditLine): string {
  return canonicalJson(line);
}

/**
 * Produces audit export lines chained by running digest.
 *
 * Each record becomes a line holding the record's members plus `seq` and
 * `digest`; records therefore must be JSON objects without members of those
 * names. Write the lines with {@link formatAuditLine}, one per text line.
 */
export class AuditChain {
  #nextSeq: number;
  #prevDigest: string;

  /**
   * @param from - resume after an existing chain; omitted, the chain starts at
   *   seq 0 from {@link GENESIS_DIGEST}
   * @throws TypeError when `from` is not a valid position.
   */
  constructor(from?: Readonly<AuditChainPosition>) {
    const position = from ?? { nextSeq: 0, prevDigest: GENESIS_DIGEST };
    if (!Number.isSafeInteger(position.nextSeq) || position.nextSeq < 0) {
      throw new TypeError('nextSeq must be a non-negative integer');
    }
    if (!isHexDigest(position.prevDigest))
      throw new TypeError('prevDigest must be 64 lowercase hex characters');
    this.#nextSeq = position.nextSeq;
    this.#prevDigest = position.prevDigest;
  }

  /** Position after the last appended line, to persist and resume from. */
  get position(): AuditChainPosition {
    return { nextSeq: this.#nextSeq, prevDigest: this.#prevDigest };
  }

  /**
   * Appends a record and returns its line.
   *
   * @throws TypeError when the record is not a JSON object, has a `seq` or
   *   `digest` member, or holds a value that cannot be represented as JSON.
   */
  append(record: Readonly<Record<string, unknown>>): AuditLine {
    if (!isPlainObject(record)) throw new TypeError('audit record must be a JSON object');
    if (
      Object.prototype.hasOwnProperty.call(record, 'seq') ||
      Object.prototype.hasOwnProperty.call(record, 'digest')
    ) {
      throw new TypeError('audit record must not have its own seq or digest member');
    }
    const body = { ...record, seq: this.#nextSeq };
    const digest = chainDigest(this.#prevDigest, body);
    this.#nextSeq += 1;
    this.#prevDigest = digest;
    return { ...body, digest };
  }
}

/** Why an audit export failed verification. */
export type AuditFailureReason = 'MALFORMED' | 'DIGEST_MISMATCH' | 'SEQUENCE_GAP';

/** Outcome of {@link verifyAuditExport}. */
export type AuditExportVerification =
  | { ok: true; count: number; lastDigest: string }
  | {
      ok: false;
      /** One-based line number in the input (blank lines counted). */
      line: number;
      reason: AuditFailureReason;
      /** Human-readable explanation, for logs and the auditor's screen. */
      detail: string;
    };

/** Options of {@link verifyAuditExport}. */
export interface VerifyAuditExportOptions {
  /** Verify a slice that continues an earlier chain; default: seq 0 from {@link GENESIS_DIGEST}. */
  from?: Readonly<AuditChainPosition>;
  /**
   * The number of lines the export must hold, from an anchored source. Without
   * it (or `expectedLastDigest`), lines cut off the end cannot be detected.
   */
  expectedCount?: number;
  /** The anchored digest the last line must carry. */
  expectedLastDigest?: string;
}

/**
 * Verifies an audit export, line by line, in constant memory.
 *
 * Each non-blank line must be a JSON object in canonical form (exactly as
 * {@link formatAuditLine} writes it) with `seq` equal to its position in the
 * chain and `digest` equal to {@link chainDigest} of the previous line's
 * digest and the line. So an edited line fails (`DIGEST_MISMATCH`, or
 * `MALFORMED` when its text is no longer canonical), and a dropped, inserted,
 * duplicated or reordered line fails (`SEQUENCE_GAP`, or `DIGEST_MISMATCH`
 * when `seq` was rewritten too). Lines cut off the end are detected only
 * against `expectedCount` or `expectedLastDigest`, which must come from
 * somewhere the exporter cannot rewrite (the ledger anchor); a count short of
 * `expectedCount` is a `SEQUENCE_GAP` and a last digest other than
 * `expectedLastDigest` a `DIGEST_MISMATCH`, both reported on the line after
 * the last; a line beyond `expectedCount` is a `SEQUENCE_GAP` on that line.
 *
 * A trailing `\r` is ignored (CRLF files), as are blank lines at the end;
 * a blank line followed by more lines is `MALFORMED`.
 *
 * @param lines - the export's text lines, without their `\n`, e.g. from `readline`
 * @throws TypeError when `options` are invalid (never for bad input lines).
 */
export async function verifyAuditExport(
  lines: Iterable<string> | AsyncIterable<string>,
  options: Readonly<VerifyAuditExportOptions> = {},
): Promise<AuditExportVerification> {
  const start = options.from ?? { nextSeq: 0, prevDigest: GENESIS_DIGEST };
  if (!Number.isSafeInteger(start.nextSeq) || start.nextSeq < 0 || !isHexDigest(start.prevDigest)) {
    throw new TypeError('invalid from position');
  }
  const { expectedCount, expectedLastDigest } = options;
  if (expectedCount !== undefined && (!Number.isSafeInteger(expectedCount) || expectedCount < 0)) {
    throw new TypeError('expectedCount must be a non-negative integer');
  }
  if (expectedLastDigest !== undefined && !isHexDigest(expectedLastDigest)) {
    throw new TypeError('expectedLastDigest must be 64 lowercase hex characters');
  }

  let count = 0;
  let prev = start.prevDigest;
  let lineNo = 0;
  let firstBlank = 0;
  const fail = (line: number, reason: AuditFailureReason, detail: string): AuditExportVerification => ({
    ok: false,
    line,
    reason,
    detail,
  });

  for await (const raw of lines) {
    lineNo += 1;
    if (typeof raw !== 'string') return fail(lineNo, 'MALFORMED', 'line is not text');
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') {
      if (firstBlank === 0) firstBlank = lineNo;
      continue;
    }
    if (firstBlank !== 0) return fail(firstBlank, 'MALFORMED', 'blank line inside the export');

    let parsed: unknown;
    try {
      parsed = parseJsonBounded(text);
    } catch (err) {
      if (err instanceof JsonTooDeepError) {
        return fail(lineNo, 'MALFORMED', `line nests deeper than ${err.maxDepth} levels`);
      }
      return fail(lineNo, 'MALFORMED', 'line is not JSON');
    }
    if (!isPlainObject(parsed)) return fail(lineNo, 'MALFORMED', 'line is not a JSON object');
    const { seq, digest } = parsed;
    if (!Number.isSafeInteger(seq) || (seq as number) < 0) {
      return fail(lineNo, 'MALFORMED', 'seq is missing or not a non-negative integer');
    }
    if (!isHexDigest(digest)) return fail(lineNo, 'MALFORMED', 'digest is missing or not 64 lowercase hex');
    let canonical: string;
    try {
      canonical = canonicalJson(parsed);
    } catch {
      // e.g. 1e400, which JSON.parse reads as Infinity
      return fail(lineNo, 'MALFORMED', 'line holds a value canonical JSON cannot represent');
    }
    if (canonical !== text) return fail(lineNo, 'MALFORMED', 'line is not canonical JSON');

    if (expectedCount !== undefined && count === expectedCount) {
      return fail(lineNo, 'SEQUENCE_GAP', `more lines than the expected ${expectedCount}`);
    }
    const expectedSeq = start.nextSeq + count;
    if (seq !== expectedSeq) {
      return fail(lineNo, 'SEQUENCE_GAP', `expected seq ${expectedSeq}, found ${String(seq)}`);
    }
    if (chainDigest(prev, parsed) !== digest) {
      return fail(lineNo, 'DIGEST_MISMATCH', `digest of seq ${expectedSeq} does not match the chain`);
    }
    prev = digest;
    count += 1;
  }

  // Reported on the line where the missing data should have started.
  const nextLine = firstBlank === 0 ? lineNo + 1 : firstBlank;
  if (expectedCount !== undefined && count < expectedCount) {
    return fail(nextLine, 'SEQUENCE_GAP', `expected ${expectedCount} lines, found ${count}`);
  }
  if (expectedLastDigest !== undefined && prev !== expectedLastDigest) {
    return fail(nextLine, 'DIGEST_MISMATCH', 'last digest does not match the anchored digest');
  }
  return { ok: true, count, lastDigest: prev };
}
