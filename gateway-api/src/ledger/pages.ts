/**
 * Ledger list queries as gateway pages: the chaincode's bookmark travels
 * inside the opaque cursor, and the page size is bounded by the chaincode's cap.
 */
import './chaincode-logging';
import { MAX_PAGE_SIZE } from '@ruralcredit/chaincode';
import { z } from 'zod';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '../http/pagination';
import type { LedgerClient } from './types';

const BookmarkCursor = z.object({ b: z.string().min(1).max(1500) });

/**
 * Calls a paginated chaincode query `fn(...argsBefore, pageSize, bookmark)`
 * as `mspId` and returns one gateway page.
 *
 * @throws AppError 400 on a cursor not issued by this gateway; ledger errors as mapped.
 */
export async function ledgerPage<T>(
  ledger: LedgerClient,
  mspId: string,
  fn: string,
  argsBefore: readonly string[],
  page: PageRequest,
): Promise<Page<T>> {
  const bookmark = page.cursor === undefined ? '' : decodeCursor(page.cursor, BookmarkCursor).b;
  const size = Math.min(page.limit, MAX_PAGE_SIZE);
  const result = await ledger.evaluate<{ records: T[]; bookmark: string }>(mspId, fn, [
    ...argsBefore,
    String(size),
    bookmark,
  ]);
  return {
    items: result.records,
    nextCursor: result.bookmark === '' ? null : encodeCursor({ b: result.bookmark }),
  };
}
