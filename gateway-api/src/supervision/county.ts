/**
 * The subject's county, as the ledger keeps it on each access for statistics
 * by county: the 6-digit administrative division code of its ID, never the ID.
 */
import { subjectCountyCode } from '@ruralcredit/protocol';

/** The county of accesses that carry none (recorded before counties were kept, or with no ID at hand). */
export const UNKNOWN_COUNTY = 'unknown';

/**
 * `{ countyCode }` of a valid subject ID to add to an access request, or `{}` when the ID
 * carries no county code.
 *
 * @throws SubjectIdError when the ID is invalid (callers pseudonymise it first, which checks it).
 */
export function countyField(subjectId: string): { countyCode?: string } {
  const countyCode = subjectCountyCode(subjectId);
  return countyCode === undefined ? {} : { countyCode };
}
