/**
 * Which ledger events are alerts for which organisation. The events carry
 * the parties the chaincode named (lienholders, grantee, provider); this
 * module only reads them.
 */
import type { IndexedEvent } from '../indexer/types';

/** Events about an asset that carry the MSP IDs of its lienholders (`lienholders`). */
export const LIENHOLDER_EVENTS: readonly string[] = [
  'LienRegistered',
  'AssetSeized',
  'SeizureLifted',
  'LienEnforced',
  'AssetTransferred',
];

/** Every event name that can be an alert. */
export const ALERT_EVENTS: readonly string[] = [...LIENHOLDER_EVENTS, 'ConsentRevoked', 'DisputeFiled'];

/**
 * Whether `event` is an alert for organisation `mspId`: a lien, seizure,
 * enforcement or transfer on an asset where it holds a lien; a revocation of
 * a consent granted to it; a dispute on a dataset it provides.
 */
export function isAlertFor(mspId: string, event: IndexedEvent): boolean {
  const p = event.payload;
  if (LIENHOLDER_EVENTS.includes(event.name)) {
    return Array.isArray(p.lienholders) && p.lienholders.includes(mspId);
  }
  if (event.name === 'ConsentRevoked') return p.grantee === mspId;
  if (event.name === 'DisputeFiled') return p.provider === mspId;
  return false;
}
