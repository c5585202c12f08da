/**
 * Personal identifiers hidden in text the ledger keeps in clear.
 *
 * Client-chosen IDs (consent, access, batch, lien, dispute IDs), certificate
 * numbers, location codes and free-text fields end up on an immutable ledger
 * that every member replicates. One check, used by the gateway and by the
 * chaincode alike, refuses any such value that contains a string valid as a
 * resident ID, a unified social credit code or a Chinese mobile number.
 */
import { isValidSubjectId } from './subject-id';

/** Which kind of personal identifier a text contains. */
export type PersonalIdentifierKind = 'RESIDENT_ID' | 'CREDIT_CODE' | 'MOBILE_NUMBER';

/** The gateway's stable error code for a field refused by {@link findPersonalIdentifier}. */
export const PERSONAL_IDENTIFIER_ERROR_CODE = 'PERSONAL_IDENTIFIER_IN_FIELD';

/** The rule as stated in error messages (never with the value itself). */
export const PERSONAL_IDENTIFIER_RULE = 'must not contain a resident ID, credit code or mobile number';

const RESIDENT_WINDOW = /^[0-9]{17}[0-9X]$/;
// GB 32100-2015 alphabet, digits in characters 3-8 (the administrative division code).
const CREDIT_CODE_WINDOW = /^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$/;
// A mainland mobile number: 11 digits 1[3-9]xxxxxxxxx, optionally after the country code 86 or 0086.
const MOBILE_RUN = /^(?:0{0,2}86)?1[3-9][0-9]{9}$/;
// The same written in groups of 3-4-4 (`138-0013-8000`, `+86 138 0013 8000`), standing apart from
// other letters and digits (so the 8-4-4-4-12 groups of a UUID never form one).
const MOBILE_GROUPED =
  /(?:^|[^0-9A-Z])(?:\+?(?:00)?86[ .-]?)?1[3-9][0-9][ .-][0-9]{4}[ .-][0-9]{4}(?![0-9A-Z])/;

/** Every 18-character window of `text`. */
function* windows18(text: string): Generator<string> {
  for (let i = 0; i + 18 <= text.length; i++) yield text.slice(i, i + 18);
}

/**
 * The first kind of personal identifier found in `text`, or undefined.
 *
 * Letters are compared upper-cased. Resident IDs (17 digits and a MOD 11-2
 * check character, with a real birth date) are looked for in every 18-character
 * window, also after removing everything but letters and digits, so
 * `3509-0219600103-0009` is found too. Credit codes (GB 32100-2015 alphabet,
 * digits in characters 3-8, correct check character) are looked for in every
 * 18-character window of each run of letters and digits. A mobile number is a
 * run of 11 digits starting 13-19 (optionally after +86, 86 or 0086) standing
 * apart from other letters and digits, or the same written in groups of 3-4-4
 * with spaces, dots or hyphens. A longer run of digits (a millisecond
 * timestamp) or one inside a run of letters and digits (a UUID's last group)
 * is not taken for a phone number.
 */
export function findPersonalIdentifier(text: string): PersonalIdentifierKind | undefined {
  if (typeof text !== 'string' || text.length < 11) return undefined;
  const upper = text.toUpperCase();
  const compact = upper.replace(/[^0-9A-Z]/g, '');
  for (const source of compact === upper ? [upper] : [upper, compact]) {
    for (const w of windows18(source)) {
      if (RESIDENT_WINDOW.test(w) && isValidSubjectId(w, 'RESIDENT')) return 'RESIDENT_ID';
    }
  }
  for (const run of upper.split(/[^0-9A-Z]+/)) {
    for (const w of windows18(run)) {
      if (CREDIT_CODE_WINDOW.test(w) && isValidSubjectId(w, 'ORGANISATION')) return 'CREDIT_CODE';
    }
  }
  for (const run of upper.split(/[^0-9A-Z+]+/)) {
    if (MOBILE_RUN.test(run.replace(/^\+/, ''))) return 'MOBILE_NUMBER';
  }
  if (MOBILE_GROUPED.test(upper)) return 'MOBILE_NUMBER';
  return undefined;
}

/** Whether `text` contains no personal identifier (see {@link findPersonalIdentifier}). */
export function isFreeOfPersonalIdentifiers(text: string): boolean {
  return findPersonalIdentifier(text) === undefined;
}
