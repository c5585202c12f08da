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

/**
 * Changes of a subject's signing key, which carry the MSP IDs of the banks
 * holding ACTIVE grants from that subject (`grantees`).
 */
export const SUBJECT_KEY_EVENTS: readonly string[] = [
  'SubjectSignerRegistered',
  'SubjectSignerReplaced',
  'SubjectSignerRotated',
];

/** Decisions of the regulator about one member, which name it (`mspId`): an alert for that member. */
export const MEMBER_EVENTS: readonly string[] = ['MemberAdmitted', 'MemberSuspended', 'MemberReinstated'];
/**
 * Financing events, which carry the MSP IDs the chaincode decided to alert
 * (`notify`): a new demand to the banks serving its county; a claim, a
 * withdrawal or a closing to the parties; overdue claims to their banks.
 */
export const FINANCING_EVENTS: readonly string[] = [
  'DemandFiled',
  'DemandClaimed',
  'DemandWithdrawn',
  'DemandClosed',
  'ClaimsOverdue',
];

/** Every event name that can be an alert. */
export const ALERT_EVENTS: readonly string[] = [
  ...LIENHOLDER_EVENTS,
  ...SUBJECT_KEY_EVENTS,
  ...MEMBER_EVENTS,
  ...FINANCING_EVENTS,
  'ConsentRevoked',
  'DisputeFiled',
  'AccessRecorded',
];

/** Access IDs of the accesses recorded for watch alerts (see watches/service.ts). */
const WATCH_ALERT_ACCESS = /^wal-/;

/**
 * The organisations `event` is an alert for: the lienholders of an asset
 * event, the banks holding ACTIVE grants from a subject whose key changed, the grantee of a revoked consent, the provider of a disputed
 * dataset, the member the regulator admitted, suspended or reinstated; none for any other event. Each MSP ID appears once, in payload
 * order; values that are not strings are ignored.
 */
export function alertRecipients(event: Pick<IndexedEvent, 'name' | 'payload'>): string[] {
  const p = event.payload;
  let named: unknown[] = [];
  if (LIENHOLDER_EVENTS.includes(event.name)) named = Array.isArray(p.lienholders) ? p.lienholders : [];
  else if (SUBJECT_KEY_EVENTS.includes(event.name)) named = Array.isArray(p.grantees) ? p.grantees : [];
  else if (FINANCING_EVENTS.includes(event.name)) named = Array.isArray(p.notify) ? p.notify : [];
  else if (event.name === 'ConsentRevoked') named = [p.grantee];
  else if (event.name === 'DisputeFiled') named = [p.provider];
  else if (MEMBER_EVENTS.includes(event.name)) named = [p.mspId];
  // A watch alert's access: the bank fetches the alert from GET /watches/{id}/alerts.
  else if (
    event.name === 'AccessRecorded' &&
    typeof p.accessId === 'string' &&
    WATCH_ALERT_ACCESS.test(p.accessId)
  ) {
    named = p.outcome === 'GRANTED' ? [p.accessor] : [];
  }
  return [...new Set(named.filter((m): m is string => typeof m === 'string' && m !== ''))];
}

/**
 * Whether `event` is an alert for organisation `mspId`: a lien, seizure,
 * enforcement or transfer on an asset where it holds a lien; a change of the
 * key of a subject it holds an ACTIVE grant from; a revocation of
 * a consent granted to it; a dispute on a dataset it provides; its own
 * admission, suspension or reinstatement.
 */
export function isAlertFor(mspId: string, event: Pick<IndexedEvent, 'name' | 'payload'>): boolean {
  return alertRecipients(event).includes(mspId);
}
