/**
 * Block numbers of the gateway's own recent commits, so a record read right
 * after this gateway wrote it can prove its latest change before the block
 * indexer has caught up.
 */

/** A bounded map from transaction ID to the block it committed in, oldest dropped first. */
export class RecentCommits {
  readonly #capacity: number;
  readonly #blocks = new Map<string, number>();

  /** @param capacity most transactions remembered (at least 1). */
  constructor(capacity = 10_000) {
    this.#capacity = Math.max(1, capacity);
  }

  /** Remembers that `txId` committed in `blockNumber`. */
  add(txId: string, blockNumber: number): void {
    this.#blocks.delete(txId);
    this.#blocks.set(txId, blockNumber);
    if (this.#blocks.size > this.#capacity) {
      const oldest = this.#blocks.keys().next();
      if (oldest.done !== true) this.#blocks.delete(oldest.value);
    }
  }

  /** The block `txId` committed in, if this gateway committed it recently. */
  blockOf(txId: string): number | undefined {
    return this.#blocks.get(txId);
  }
}
