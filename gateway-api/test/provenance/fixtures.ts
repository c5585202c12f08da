/** Records and helpers shared by the provenance tests. */
import type { AbstractSublevel } from 'abstract-level';
import { PROVENANCE_SUBLEVELS } from '../../src/provenance/record-store';
import type { GatewayDb } from '../../src/store/db';
import { residentId, type ConsortiumGateway } from '../acceptance/consortium-gateway';

/** A valid HOMESTEAD record for subject `n`, with a padding length to vary its size. */
export function homestead(n: number, pad = 0): Record<string, unknown> {
  return {
    subjectId: residentId(n),
    certificateNo: `NR-${String(n).padStart(8, '0')}${'x'.repeat(pad)}`,
    parcelCode: `350902-${String(n % 977).padStart(4, '0')}`,
    areaSquareMetres: 100 + (n % 250) / 4,
    registeredOn: `20${String(10 + (n % 15))}-0${1 + (n % 9)}-1${n % 10}`,
  };
}

/** A valid AGRI_SUBSIDY record for subject `n`. */
export function subsidy(n: number): Record<string, unknown> {
  return {
    subjectId: residentId(n),
    programme: 'GRAIN_DIRECT',
    amountFen: 12_000 + n,
    paidOn: '2026-10-15',
  };
}

/** The upload query for a period in October 2026. */
export function period(extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    periodStart: '2026-10-01T00:00:00Z',
    periodEnd: '2026-10-31T23:59:59Z',
    ...extra,
  }).toString();
}

function raw(
  g: ConsortiumGateway,
  name: string,
): AbstractSublevel<GatewayDb, string | Buffer | Uint8Array, string, unknown> {
  return g.gateway.deps.db.sublevel<string, unknown>(name, { valueEncoding: 'buffer' });
}

/** Number of keys in each provenance sublevel (to show a failed upload leaves nothing behind). */
export async function storedKeyCounts(g: ConsortiumGateway): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [what, name] of Object.entries(PROVENANCE_SUBLEVELS)) {
    let n = 0;
    for await (const _ of raw(g, name).keys()) n += 1;
    out[what] = n;
  }
  return out;
}
