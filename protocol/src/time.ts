/**
 * Ledger time: UTC instants written as `YYYY-MM-DDTHH:MM:SSZ`. The fixed
 * width makes lexicographic order equal time order, so times can be parts of
 * ordered ledger keys. Conversions use calendar arithmetic only (no Date
 * object), so the chaincode can use them deterministically.
 */

const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Seconds in a day. */
export const DAY_SECONDS = 86_400;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719_468;
  const era = Math.floor(zz / 146_097);
  const doe = zz - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Formats whole seconds since the Unix epoch as ledger time. */
export function isoFromEpochSeconds(seconds: number): string {
  const s = Math.floor(seconds);
  const days = Math.floor(s / DAY_SECONDS);
  const rem = s - days * DAY_SECONDS;
  const [y, m, d] = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(Math.floor(rem / 3600), 2)}:${pad(Math.floor((rem % 3600) / 60), 2)}:${pad(rem % 60, 2)}Z`;
}

/** Whether a string is a valid ledger time (right shape and a real calendar instant). */
export function isLedgerTime(value: string): boolean {
  return parseLedgerTime(value) !== undefined;
}

/** Parses ledger time to seconds since the Unix epoch, or undefined when malformed. */
export function parseLedgerTime(value: string): number | undefined {
  const m = ISO_PATTERN.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (y < 1900 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const days = daysFromCivil(y, mo, d);
  // Reject 2026-02-30 and friends: the day must round-trip.
  const [ry, rm, rd] = civilFromDays(days);
  if (ry !== y || rm !== mo || rd !== d) return undefined;
  return days * DAY_SECONDS + h * 3600 + mi * 60 + s;
}

/**
 * Parses ledger time to epoch seconds.
 *
 * @throws RangeError when the value is not a valid ledger time.
 */
export function epochSecondsFromIso(value: string): number {
  const seconds = parseLedgerTime(value);
  if (seconds === undefined) throw new RangeError(`not a ledger time (YYYY-MM-DDTHH:MM:SSZ): ${value}`);
  return seconds;
}
