/**
 * Alert message IDs: `<blockNumber>-<txIndex>`, the ledger position of the
 * transaction that emitted the event, so IDs order as the ledger does and a
 * client's `Last-Event-ID` names where its stream resumes. Once the
 * organisation has watch alerts (which the gateway raises, not the ledger), the
 * ID carries a third part, `-<watchSeq>`: the sequence number of the last
 * watch alert the stream has sent, so a resume misses neither kind.
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
const ALERT_ID_PATTERN = /^(0|[1-9]\d{0,15})-(0|[1-9]\d{0,5})(-(0|[1-9]\d{0,15}))?$/;

/** Where a stream resumes: after a ledger position and after a watch-alert sequence number (0: none). */
export interface ResumePoint extends LedgerPosition {
  readonly watchSeq: number;
}

/** The schema of an alert ID as a request parameter (also documents it in OpenAPI). */
export const AlertIdSchema = z
  .string()
  .regex(ALERT_ID_PATTERN, 'must be <blockNumber>-<txIndex> or <blockNumber>-<txIndex>-<watchSeq>')
  .refine(
    (id) => id.split('-').every((part, i) => i === 1 || Number.isSafeInteger(Number(part))),
    'block number or watch sequence out of range',
  )
  .meta({
    description:
      'The `id` of the last alert received: `<blockNumber>-<txIndex>`, or `<blockNumber>-<txIndex>-<watchSeq>` once watch alerts were sent',
    examples: ['42-0', '42-0-3'],
  });

/** The message ID of the event at `position`. */
export function alertId(position: LedgerPosition): string {
  return `${position.blockNumber}-${position.txIndex}`;
}

/** The message ID of a stream that has passed ledger `position` and watch alert `watchSeq`. */
export function streamId(position: LedgerPosition, watchSeq: number): string {
  return watchSeq > 0 ? `${alertId(position)}-${watchSeq}` : alertId(position);
}

/**
 * The ledger position (and watch-alert sequence number, 0 when absent) an alert ID names.
 *
 * @throws AppError 400 INVALID_LAST_EVENT_ID when `id` is not `<blockNumber>-<txIndex>`.
 */
export function parseAlertId(id: string): ResumePoint {
  const parsed = AlertIdSchema.safeParse(id);
  if (!parsed.success) {
    throw AppError.invalid('Last-Event-ID must be the id of an alert, <blockNumber>-<txIndex>[-<watchSeq>]', {
      code: INVALID_LAST_EVENT_ID,
      details: { lastEventId: id.slice(0, 64) },
    });
  }
  const [block = '', tx = '', seq = '0'] = parsed.data.split('-');
  return { blockNumber: Number(block), txIndex: Number(tx), watchSeq: Number(seq) };
}
