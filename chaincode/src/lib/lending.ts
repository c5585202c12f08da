/**
 * The lending index: every move of a lender towards a subject (a financing
 * claim, a LOAN_APPLICATION grant, a loan), by time, so the regulator can list
 * subjects approached by many lenders in a period (多头借贷).
 */
import type { Context } from 'fabric-contract-api';
import { KeyType } from './keys';
import { putIndex, txTime } from './state';

/** Records that `lender` moved towards `subject` in this transaction. */
export async function recordLending(ctx: Context, subject: string, lender: string): Promise<void> {
  await putIndex(ctx, KeyType.lendingByTime, [txTime(ctx), subject, lender, ctx.stub.getTxID()]);
}
