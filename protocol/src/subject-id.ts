/**
 * Subject identifiers: validation, normalisation, pseudonymisation and masking.
 *
 * A subject is a natural person, identified by an 18-character resident ID
 * (GB 11643-1999), or an organisation, identified by an 18-character unified
 * social credit code (GB 32100-2015). Clear IDs never reach the ledger: it
 * stores {@link pseudonymise}d values, and anything shown to people or logs
 * uses {@link maskSubjectId}. Error messages from this module never contain
 * a whole ID.
 */
import { createHmac } from 'node:crypto';

/** Which kind of subject an identifier names. */
export type SubjectKind = 'RESIDENT' | 'ORGANISATION';

/** A validated subject identifier in normalised form. */
export interface SubjectId {
  /** RESIDENT for a resident ID, ORGANISATION for a unified social credit code. */
  kind: SubjectKind;
  /** The identifier trimmed and upper-cased (a resident ID's `x` becomes `X`). */
  id: string;
}

/** Why an identifier was rejected. */
export type SubjectIdFailure =
  /** Not a string, or not 18 characters after trimming. */
  | 'LENGTH'
  /** A character outside the identifier's alphabet or in the wrong place. */
  | 'CHARACTERS'
  /** A resident ID whose birth date is not a calendar date in [1900-01-01, 2100-01-01]. */
  | 'BIRTH_DATE'
  /** The final check character does not match the other 17. */
  | 'CHECK_CHARACTER'
  /** Valid, but passed where the normalised form was required. */
  | 'NOT_NORMALISED';

/**
 * A rejected subject identifier.
 *
 * The message starts with `INVALID:` (the chaincode's stable error prefix) and
 * shows at most the last four characters of the input.
 */
export class SubjectIdError extends Error {
  /** Stable error code for API responses. */
  readonly code = 'INVALID_SUBJECT_ID';
  /** Which rule the identifier broke. */
  readonly reason: SubjectIdFailure;

  /** @param reason - which rule failed; @param message - already masked text */
  constructor(reason: SubjectIdFailure, message: string) {
    super(message);
    this.name = 'SubjectIdError';
    this.reason = reason;
  }
}

/** Domain-separation prefix of {@link pseudonymise}; versioned so the scheme can change. */
export const PSEUDONYM_CONTEXT = 'rcl:subject:v1:';

/** Minimum HMAC key length for {@link pseudonymise}: the SHA-256 output size (RFC 2104 section 3). */
export const MIN_PSEUDONYM_SECRET_BYTES = 32;

const ID_LENGTH = 18;

// GB 11643-1999: ISO 7064 MOD 11-2 over the 17 body digits.
const RESIDENT_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const RESIDENT_CHECK_CHARS = '10X98765432';
const RESIDENT_SHAPE = /^[0-9]{17}[0-9X]$/;
const EARLIEST_BIRTH_DATE = '19000101';
const LATEST_BIRTH_DATE = '21000101';

// GB 32100-2015: 31 characters, I O S V Z excluded; check = 31 - (sum mod 31), weights 3^i mod 31.
const CREDIT_CODE_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const CREDIT_CODE_SHAPE = /^[0-9A-HJ-NP-RTUWXY]{18}$/;
// Characters 3-8 are the registering authority's administrative division code (GB/T 2260).
const CREDIT_CODE_REGION = /^.{2}[0-9]{6}/;

function normalise(raw: string): string {
  return raw.trim().toUpperCase();
}

/** Input for an error message: at most the last four characters, the rest as `*`. */
function maskForMessage(text: string): string {
  if (text.length < 8) return `${'*'.repeat(text.length)} (${text.length} chars)`;
  // Only alphanumerics are echoed, so log lines cannot be forged through the input.
  const tail = text.slice(-4).replace(/[^0-9A-Za-z]/g, '?');
  return `${'*'.repeat(Math.min(text.length - 4, 14))}${tail} (${text.length} chars)`;
}

function fail(reason: SubjectIdFailure, input: string, what: string): never {
  throw new SubjectIdError(reason, `INVALID: subject ID ${maskForMessage(input)} ${what}`);
}

function residentCheckChar(body: string): string {
  let sum = 0;
  for (let i = 0; i < RESIDENT_WEIGHTS.length; i++) sum += Number(body[i]) * RESIDENT_WEIGHTS[i]!;
  return RESIDENT_CHECK_CHARS[sum % 11]!;
}

function creditCodeCheckChar(body: string): string {
  let sum = 0;
  for (let i = 0; i < CREDIT_CODE_WEIGHTS.length; i++) {
    sum += CREDIT_CODE_CHARS.indexOf(body[i]!) * CREDIT_CODE_WEIGHTS[i]!;
  }
  return CREDIT_CODE_CHARS[(31 - (sum % 31)) % 31]!;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Whether an 8-digit YYYYMMDD string is a Gregorian calendar date in the accepted range. */
function isBirthDate(yyyymmdd: string): boolean {
  if (yyyymmdd < EARLIEST_BIRTH_DATE || yyyymmdd > LATEST_BIRTH_DATE) return false;
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (month < 1 || month > 12 || day < 1) return false;
  const days = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/** Validates a normalised 18-character candidate as a resident ID. */
function checkResident(id: string): void {
  if (!RESIDENT_SHAPE.test(id)) fail('CHARACTERS', id, 'is not 17 digits followed by a digit or X');
  if (!isBirthDate(id.slice(6, 14))) fail('BIRTH_DATE', id, 'has no valid birth date');
  if (residentCheckChar(id) !== id[17]) fail('CHECK_CHARACTER', id, 'has a wrong check character');
}

/** Validates a normalised 18-character candidate as a unified social credit code. */
function checkCreditCode(id: string): void {
  if (!CREDIT_CODE_SHAPE.test(id)) fail('CHARACTERS', id, 'has characters outside the credit code alphabet');
  if (!CREDIT_CODE_REGION.test(id)) fail('CHARACTERS', id, 'has a non-numeric region code');
  if (creditCodeCheckChar(id) !== id[17]) fail('CHECK_CHARACTER', id, 'has a wrong check character');
}

/**
 * Validates and normalises a subject identifier.
 *
 * Surrounding whitespace is removed and letters are upper-cased. A resident ID
 * must be 17 digits plus a MOD 11-2 check character (digit or X) with a real
 * birth date from 1900-01-01 to 2100-01-01 inclusive in characters 7-14. A
 * unified social credit code must use the GB 32100-2015 alphabet, have digits
 * in characters 3-8 and a correct check character. The registering-authority
 * (1st) and category (2nd) characters are not checked against the standard's
 * tables, which amendments have extended; the check character already catches
 * mistyped characters.
 *
 * Without `expectedKind`, an identifier shaped like a resident ID (17 digits
 * plus digit or X) is tried as one first, then as a credit code.
 *
 * @param expectedKind - accept only this kind
 * @throws SubjectIdError (`code` INVALID_SUBJECT_ID) when the identifier is invalid.
 */
export function parseSubjectId(raw: string, expectedKind?: SubjectKind): SubjectId {
  if (typeof raw !== 'string') fail('LENGTH', '', 'is not a string');
  const id = normalise(raw);
  if (id.length !== ID_LENGTH) fail('LENGTH', id, `must be ${ID_LENGTH} characters`);

  if (expectedKind === 'ORGANISATION') {
    checkCreditCode(id);
    return { kind: 'ORGANISATION', id };
  }
  if (expectedKind === 'RESIDENT' || RESIDENT_SHAPE.test(id)) {
    try {
      checkResident(id);
      return { kind: 'RESIDENT', id };
    } catch (residentError) {
      // An all-digit credit code also has the resident shape.
      if (expectedKind === undefined && isCreditCode(id)) return { kind: 'ORGANISATION', id };
      throw residentError;
    }
  }
  checkCreditCode(id);
  return { kind: 'ORGANISATION', id };
}

function isCreditCode(id: string): boolean {
  try {
    checkCreditCode(id);
    return true;
  } catch {
    return false;
  }
}

/** Whether {@link parseSubjectId} would accept the identifier. */
export function isValidSubjectId(raw: string, expectedKind?: SubjectKind): boolean {
  try {
    parseSubjectId(raw, expectedKind);
    return true;
  } catch (error) {
    if (error instanceof SubjectIdError) return false;
    throw error;
  }
}

/**
 * The keyed pseudonym the ledger stores instead of the identifier:
 * HMAC-SHA256(secret, {@link PSEUDONYM_CONTEXT} + normalisedId) as 64 lowercase hex.
 *
 * The pseudonym is still personal information under PIPL; it only keeps the
 * clear identifier off the ledger. The ID must already be in normalised form
 * (the `id` from {@link parseSubjectId}), so one subject always gets one pseudonym.
 *
 * @throws RangeError when the secret is shorter than {@link MIN_PSEUDONYM_SECRET_BYTES}.
 * @throws SubjectIdError when the ID is invalid or not normalised.
 */
export function pseudonymise(secret: Uint8Array, normalisedId: string): string {
  if (!(secret instanceof Uint8Array) || secret.length < MIN_PSEUDONYM_SECRET_BYTES) {
    throw new RangeError(`pseudonym secret must be at least ${MIN_PSEUDONYM_SECRET_BYTES} bytes`);
  }
  const { id } = parseSubjectId(normalisedId);
  if (id !== normalisedId) fail('NOT_NORMALISED', id, 'is not in normalised form');
  return createHmac('sha256', secret)
    .update(PSEUDONYM_CONTEXT + id, 'utf8')
    .digest('hex');
}

/**
 * Desensitised form for display: the first 3 and last 4 characters kept, the
 * rest replaced by `*` (`110***********002X`). Strings shorter than 8
 * characters are masked entirely. Does not validate.
 */
export function maskSubjectId(id: string): string {
  if (id.length < 8) return '*'.repeat(id.length);
  return `${id.slice(0, 3)}${'*'.repeat(id.length - 7)}${id.slice(-4)}`;
}

/**
 * Test and demo helper: appends the MOD 11-2 check character to 17 digits,
 * giving a resident ID with a correct check character. The birth date is not
 * checked, so invalid-date IDs can be built on purpose.
 *
 * @throws TypeError when the seed is not exactly 17 digits.
 */
export function makeResidentId(seed17digits: string): string {
  if (!/^[0-9]{17}$/.test(seed17digits)) throw new TypeError('seed must be 17 digits');
  return seed17digits + residentCheckChar(seed17digits);
}

/**
 * Test and demo helper: appends the GB 32100-2015 check character to 17
 * characters of the credit code alphabet (upper case).
 *
 * @throws TypeError when the seed is not 17 characters of the alphabet.
 */
export function makeCreditCode(seed17: string): string {
  if (!/^[0-9A-HJ-NP-RTUWXY]{17}$/.test(seed17)) {
    throw new TypeError('seed must be 17 characters of 0-9 and A-Y without I, O, S, V');
  }
  return seed17 + creditCodeCheckChar(seed17);
}

/** A 6-digit administrative division code (GB/T 2260, county level): what the ledger may hold of where a subject is. */
export const COUNTY_CODE_PATTERN = /^[1-9]\d{5}$/;

/**
 * The county of a subject: the administrative division code in characters 1-6
 * of a resident ID or 3-8 of a unified social credit code. Not personal data by
 * itself, so the ledger may keep it beside a pseudonym (statistics by county).
 *
 * @returns the code, or `undefined` when the ID carries none that is a county code
 *   (e.g. a credit code registered with region `000000`).
 * @throws SubjectIdError when the ID is invalid.
 */
export function subjectCountyCode(raw: string): string | undefined {
  const { kind, id } = parseSubjectId(raw);
  const code = kind === 'RESIDENT' ? id.slice(0, 6) : id.slice(2, 8);
  return COUNTY_CODE_PATTERN.test(code) ? code : undefined;
}
