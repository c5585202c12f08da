/**
 * Accesses per county (granted and denied) for the regulator's statistics by
 * county, from the county code the chaincode keeps on each access. Written in
 * the same batch as the transaction's checkpoint, like the institutions'
 * counters, so a replayed block counts nothing twice.
 */
import { COUNTY_CODE_PATTERN } from '@ruralcredit/protocol';
import { UNKNOWN_COUNTY } from '../supervision/county';
import { HIGH, SEP } from './keys';
import type { IndexOp, IndexStore } from './store';

/** One county's accesses. */
export interface CountyCounters {
  granted: number;
  denied: number;
}

/** Prefix of the county counters: `k!<county>`, the county a 6-digit code or `unknown`. */
export const COUNTY_COUNTER_PREFIX = `k${SEP}`;

function countyKey(county: string): string {
  return `${COUNTY_COUNTER_PREFIX}${county}`;
}

/** The accesses an event records: one for `AccessRecorded`, its list for `AccessesRecorded`. */
function accessesOf(name: string, payload: Readonly<Record<string, unknown>>): readonly unknown[] {
  if (name === 'AccessRecorded') return [payload];
  if (name === 'AccessesRecorded' && Array.isArray(payload.accesses)) return payload.accesses;
  return [];
}

/**
 * The counter writes of one event: each access adds one to its county's granted or denied
 * count; an access without a (valid) county code counts under {@link UNKNOWN_COUNTY}.
 *
 * @throws Error when the store cannot be read.
 */
export async function countyCounterOps(
  name: string,
  payload: Readonly<Record<string, unknown>>,
  store: IndexStore,
): Promise<IndexOp[]> {
  const updated = new Map<string, CountyCounters>();
  for (const access of accessesOf(name, payload)) {
    if (access === null || typeof access !== 'object') continue;
    const { countyCode, outcome } = access as Record<string, unknown>;
    if (outcome !== 'GRANTED' && outcome !== 'DENIED') continue;
    const county =
      typeof countyCode === 'string' && COUNTY_CODE_PATTERN.test(countyCode) ? countyCode : UNKNOWN_COUNTY;
    let counters = updated.get(county);
    if (counters === undefined) {
      const stored = await store.get<Partial<CountyCounters>>(countyKey(county));
      counters = { granted: stored?.granted ?? 0, denied: stored?.denied ?? 0 };
      updated.set(county, counters);
    }
    if (outcome === 'GRANTED') counters.granted += 1;
    else counters.denied += 1;
  }
  return [...updated].map(([county, value]) => ({ type: 'put', key: countyKey(county), value }));
}

/** Every county's counters, by county (6-digit codes in order, then `unknown`). */
export async function readCountyCounters(store: IndexStore): Promise<Map<string, CountyCounters>> {
  const result = new Map<string, CountyCounters>();
  for await (const [key, value] of store.entries<Partial<CountyCounters>>({
    gte: COUNTY_COUNTER_PREFIX,
    lt: `${COUNTY_COUNTER_PREFIX}${HIGH}`,
  })) {
    result.set(key.slice(COUNTY_COUNTER_PREFIX.length), {
      granted: value.granted ?? 0,
      denied: value.denied ?? 0,
    });
  }
  return result;
}
