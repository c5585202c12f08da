/**
 * The block processor: reads blocks in order and, for each transaction after
 * the checkpoint, writes its index entries and the moved checkpoint in one
 * atomic batch, then publishes its event. A crash between two transactions
 * loses nothing and doubles nothing: the next run resumes after the last
 * batch written, even in the middle of a block.
 */
import type { Logger } from '../http/logger';
import type { LedgerBlock } from '../ledger/types';
import type { PublishingEventBus } from './event-bus';
import { projectTransaction } from './projection';
import type { Checkpoint, Checkpointer, IndexStore } from './store';

/** Options of {@link BlockProcessor}. */
export interface BlockProcessorOptions {
  /** Where index entries go. */
  readonly store: IndexStore;
  /** Where processing resumes from; its write joins each transaction's batch. */
  readonly checkpointer: Checkpointer;
  /** Stored events are published here. */
  readonly bus: PublishingEventBus;
  readonly logger: Logger;
  /** Called when every transaction of a block has been written. */
  readonly onBlockProcessed?: (blockNumber: number) => void;
}

/** Whether the transaction at (`blockNumber`, `txIndex`) is at or before `checkpoint`. */
export function alreadyProcessed(
  checkpoint: Checkpoint | undefined,
  blockNumber: number,
  txIndex: number,
): boolean {
  if (checkpoint === undefined) return false;
  return (
    blockNumber < checkpoint.blockNumber ||
    (blockNumber === checkpoint.blockNumber && txIndex <= checkpoint.txIndex)
  );
}

/** Processes a block stream into the index. */
export class BlockProcessor {
  readonly #options: Readonly<BlockProcessorOptions>;

  /** @param options store, checkpointer, bus and logger. */
  constructor(options: Readonly<BlockProcessorOptions>) {
    this.#options = options;
  }

  /**
   * The first block to ask the ledger for: the checkpoint's block (it may be
   * only partly processed), or 0.
   *
   * @throws Error when the checkpoint cannot be read.
   */
  async startBlock(): Promise<number> {
    return (await this.#options.checkpointer.get())?.blockNumber ?? 0;
  }

  /**
   * Processes `blocks` until the stream ends or `shouldStop()` turns true.
   *
   * @throws Error when the store or the stream fails; the checkpoint then
   *   stays at the last transaction fully written.
   */
  async process(blocks: AsyncIterable<LedgerBlock>, shouldStop: () => boolean): Promise<void> {
    const { store, checkpointer, bus, logger, onBlockProcessed } = this.#options;
    let checkpoint = await checkpointer.get();
    for await (const block of blocks) {
      if (shouldStop()) return;
      for (const tx of block.transactions) {
        if (alreadyProcessed(checkpoint, block.number, tx.txIndex)) continue;
        const projection = await projectTransaction(tx, block.number, store, logger);
        const next = { blockNumber: block.number, txIndex: tx.txIndex };
        await store.write([...projection.ops, checkpointer.op(next)]);
        checkpoint = next;
        if (projection.event !== undefined) bus.publish(projection.event);
        if (shouldStop()) return;
      }
      onBlockProcessed?.(block.number);
    }
  }
}
