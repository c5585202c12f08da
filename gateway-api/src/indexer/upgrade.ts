/**
 * One-time upgrade of an index written before bulk accesses were read: until
 * index format 2, the indexer passed `AccessesRecorded` events (one per
 * `Access:RecordAccessBatch` transaction) without indexing their accesses, so
 * an index that had already gone past such transactions lacks them in the
 * audit trail and the counters. The upgrade re-reads the blocks up to the
 * checkpoint and writes the accesses and counters of those transactions only,
 * each in one batch with the upgrade's own progress, so a crash in the middle
 * resumes after the last one written and counts nothing twice. It publishes
 * nothing: these events were published when first passed.
 */
import type { Logger } from '../http/logger';
import type { LedgerClient } from '../ledger/types';
import { alreadyProcessed } from './block-processor';
import { INDEX_VERSION_KEY, UPGRADE_PROGRESS_KEY } from './keys';
import { projectTransaction } from './projection';
import type { Checkpoint, Checkpointer, IndexStore } from './store';

/** The index format this gateway writes: 2 since `AccessesRecorded` accesses are indexed. */
export const INDEX_VERSION = 2;

/** What {@link upgradeIndex} reads and writes. */
export interface IndexUpgradeOptions {
  readonly ledger: LedgerClient;
  readonly store: IndexStore;
  readonly checkpointer: Checkpointer;
  readonly logger: Logger;
  /** Checked between blocks: when true, the upgrade stops and resumes at the next call. */
  readonly shouldStop?: () => boolean;
}

/**
 * Brings the index to {@link INDEX_VERSION}: a fresh index is marked at once; an
 * older one first gets the bulk accesses of the transactions its checkpoint passed.
 *
 * @returns how many `AccessesRecorded` transactions were indexed (by this call).
 * @throws Error when the store or the block stream fails (the next call resumes).
 */
export async function upgradeIndex(options: Readonly<IndexUpgradeOptions>): Promise<number> {
  const { ledger, store, checkpointer, logger } = options;
  const version = (await store.get<number>(INDEX_VERSION_KEY)) ?? 1;
  if (version >= INDEX_VERSION) return 0;
  const checkpoint = await checkpointer.get();
  const mark = { type: 'put', key: INDEX_VERSION_KEY, value: INDEX_VERSION } as const;
  if (checkpoint === undefined) {
    await store.write([mark]);
    return 0;
  }
  const done = await store.get<Checkpoint>(UPGRADE_PROGRESS_KEY);
  logger.info('indexer: indexing the bulk accesses of blocks indexed before format 2', {
    throughBlock: checkpoint.blockNumber,
    resumingAfter: done,
  });
  let written = 0;
  let reached = false;
  const stream = ledger.blocks(done?.blockNumber ?? 0);
  try {
    for await (const block of stream) {
      if (options.shouldStop?.() === true) return written;
      for (const tx of block.transactions) {
        if (!alreadyProcessed(checkpoint, block.number, tx.txIndex)) break;
        if (alreadyProcessed(done, block.number, tx.txIndex)) continue;
        if (tx.validationCode !== 'VALID' || tx.event?.name !== 'AccessesRecorded') continue;
        const { ops } = await projectTransaction(tx, block.number, store, logger);
        const progress: Checkpoint = { blockNumber: block.number, txIndex: tx.txIndex };
        await store.write([...ops, { type: 'put', key: UPGRADE_PROGRESS_KEY, value: progress }]);
        written += 1;
      }
      if (block.number >= checkpoint.blockNumber) {
        reached = true;
        break;
      }
    }
  } finally {
    stream.close();
  }
  if (!reached) throw new Error('the block stream ended before the index upgrade reached the checkpoint');
  await store.write([mark, { type: 'del', key: UPGRADE_PROGRESS_KEY }]);
  logger.info('indexer: index upgraded to format 2', { bulkTransactions: written });
  return written;
}
