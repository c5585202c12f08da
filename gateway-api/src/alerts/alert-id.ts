/**
 * Alert message IDs: `<blockNumber>-<txIndex>`, the ledger position of the
 * transaction that emitted the event, so IDs order as the ledger does and a
 * client's `Last-Event-ID` names where its stream resumes.
 */
import { z } from 'zod';
import { AppError } from '../http/errors';
import type { LedgerPosition } from '../indexer/types';

/** Error code of a malformed `Last-Event-ID` header or `lastEventId` query parameter. */
export const INVALID_LAST_EVENT_ID = 'INVALID_LAST_EVENT_ID';

/**
 * Canonical decimal (no sign, no leading zeros): a block number of at most
 * 16 digits and a transaction position of at most 6, the widths of the index keys.
 */
const ALERT_ID_PATTERN = /^(0|[1-9]\d{0,15})-(0|[1-9]\d{0,5})$/;

/** The schema of an alert ID as a request parameter (also documents it in OpenAPI). */
export const AlertIdSchema = z
  .string()
  .regex(ALERT_ID_PATTERN, 'must be <blockNumber>-<txIndex>')
  .refine((id) => Number.isSafeInteger(Number(id.split('-')[0])), 'block number out of range')
  .meta({
    description: 'The `id` of the last alert received: `<blockNumber>-<txIndex>`',
    examples: ['42-0'],
  });

/** The message ID of the event at `position`. */
export function alertId(position: LedgerPosition): string {
  return `${position.blockNumber}-${position.txIndex}`;
}

/**
 * The ledger position an alert ID names.
 *
 * @throws AppError 400 INVALID_LAST_EVENT_ID when `id` is not `<blockNumber>-<txIndex>`.
 */
export function parseAlertId(id: string): LedgerPosition {
  const parsed = AlertIdSchema.safeParse(id);
  if (!parsed.success) {
    throw AppError.invalid('Last-Event-ID must be the id of an alert, <blockNumber>-<txIndex>', {
      code: INVALID_LAST_EVENT_ID,
      details: { lastEventId: id.slice(0, 64) },
    });
  }
  const [block = '', tx = ''] = parsed.data.split('-');
  return { blockNumber: Number(block), txIndex: Number(tx) };
}
