/**
 * The access index's record: an `AccessRecorded` chaincode event, or one
 * access listed in an `AccessesRecorded` event (`Access:RecordAccessBatch`,
 * bulk download), with where and when its transaction was committed.
 */
import { z } from 'zod';

/**
 * The `AccessRecorded` event payload, as the Access contract emits it; an `AccessesRecorded`
 * payload is `{ accesses: [...] }`, up to 500 of these.
 */
export const AccessRecordedPayloadSchema = z.object({
  accessId: z.string().min(1),
  grantId: z.string().min(1),
  subject: z.string().min(1),
  accessor: z.string().min(1),
  operator: z.string(),
  datasets: z.array(z.string()),
  purpose: z.string(),
  outcome: z.enum(['GRANTED', 'DENIED']),
  reason: z.string().optional(),
  releaseDigest: z.string(),
});

/**
 * One indexed access: every field of the event (of its item for `AccessesRecorded`, whose
 * accesses share the transaction's `txId`, position and time), plus its ledger position and time.
 */
export const AccessEntrySchema = AccessRecordedPayloadSchema.extend({
  txId: z.string(),
  blockNumber: z.number().int().nonnegative(),
  txIndex: z.number().int().nonnegative(),
  accessedAt: z.string().describe('Transaction timestamp, ISO-8601 UTC with milliseconds'),
}).meta({ id: 'AccessEntry' });

/** One indexed access. */
export type AccessEntry = z.output<typeof AccessEntrySchema>;

/**
 * Builds the index entry of an `AccessRecorded` event (or of one access of an
 * `AccessesRecorded` event), or `undefined` when the payload is not one (the caller logs it).
 */
export function toAccessEntry(
  payload: unknown,
  position: { readonly txId: string; readonly blockNumber: number; readonly txIndex: number },
  accessedAt: string,
): AccessEntry | undefined {
  const parsed = AccessRecordedPayloadSchema.safeParse(payload);
  if (!parsed.success) return undefined;
  const { reason, ...rest } = parsed.data;
  return {
    ...rest,
    // Absent rather than undefined: entries are canonical JSON in exports.
    ...(reason === undefined ? {} : { reason }),
    txId: position.txId,
    blockNumber: position.blockNumber,
    txIndex: position.txIndex,
    accessedAt,
  };
}
