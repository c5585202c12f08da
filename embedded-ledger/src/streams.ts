/**
 * Block and chaincode event streams: replay from a start block, then follow
 * new blocks as they commit, until the consumer closes the stream or the
 * ledger closes.
 */
import type { Block, ChaincodeEvent, CloseableAsyncIterable } from './types';

/** What a stream needs from the ledger. */
export interface BlockSource {
  /** Current height. */
  height(): number;
  /** Reads a committed block. */
  getBlock(blockNumber: number): Promise<Block | undefined>;
  /** True once the ledger is closing. */
  isClosed(): boolean;
  /** Resolves at the next commit or close (or an explicit wake-up). */
  waitForChange(): Promise<void>;
  /** Wakes every waiting stream. */
  wakeAll(): void;
}

/** Blocks from a start block onwards. */
export class BlockStream implements CloseableAsyncIterable<Block> {
  readonly #source: BlockSource;
  #nextBlock: number;
  #closed = false;

  /** @param options - the ledger side and the first block to deliver. */
  constructor(options: Readonly<{ source: BlockSource; startBlock: number }>) {
    if (!Number.isSafeInteger(options.startBlock) || options.startBlock < 0) {
      throw new RangeError(`start block ${options.startBlock} is not a block number`);
    }
    this.#source = options.source;
    this.#nextBlock = options.startBlock;
  }

  [Symbol.asyncIterator](): AsyncIterator<Block> {
    return {
      next: () => this.#read(),
      return: () => {
        this.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  close(): void {
    this.#closed = true;
    this.#source.wakeAll();
  }

  async #read(): Promise<IteratorResult<Block>> {
    for (;;) {
      if (this.#ended()) return { done: true, value: undefined };
      if (this.#nextBlock < this.#source.height()) {
        let block: Block | undefined;
        try {
          block = await this.#source.getBlock(this.#nextBlock);
        } catch (error) {
          if (this.#source.isClosed()) return { done: true, value: undefined };
          throw error;
        }
        if (block === undefined) throw new Error(`block ${this.#nextBlock} is missing below height`);
        if (this.#closed) return { done: true, value: undefined };
        this.#nextBlock++;
        return { done: false, value: block };
      }
      await this.#source.waitForChange();
    }
  }

  #ended(): boolean {
    return this.#closed || this.#source.isClosed();
  }
}

/** Chaincode events of valid transactions, from the blocks of a {@link BlockStream}. */
export class ChaincodeEventStream implements CloseableAsyncIterable<ChaincodeEvent> {
  readonly #blocks: BlockStream;
  readonly #chaincodeName: string;

  /** @param options - the block stream to read and the chaincode name to stamp on events. */
  constructor(options: Readonly<{ blocks: BlockStream; chaincodeName: string }>) {
    this.#blocks = options.blocks;
    this.#chaincodeName = options.chaincodeName;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ChaincodeEvent> {
    for await (const block of this.#blocks) {
      for (const transaction of block.transactions) {
        if (transaction.validationCode !== 'VALID' || transaction.event === undefined) continue;
        yield {
          blockNumber: block.number,
          transactionId: transaction.transactionId,
          chaincodeName: this.#chaincodeName,
          eventName: transaction.event.eventName,
          payload: Buffer.from(transaction.event.payload, 'base64'),
        };
      }
    }
  }

  close(): void {
    this.#blocks.close();
  }
}

/** Wakes waiters when the ledger changes. */
export class ChangeNotifier {
  #waiters: (() => void)[] = [];

  /** Resolves at the next {@link notifyAll}. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves every pending {@link wait}. */
  notifyAll(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
