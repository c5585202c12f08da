/**
 * The two locks a Fabric peer's ledger uses, in-process:
 *
 * - the commit read/write lock (`LockBasedTxMgr.commitRWLock`): every
 *   simulation holds a shared lock for its whole run, and applying a block's
 *   updates takes the exclusive lock, so a transaction never sees a block
 *   half-way or reads two different states;
 * - the commit queue: blocks are validated and committed one at a time.
 */

type Release = () => void;

/** A read/write lock that lets a waiting writer go before newly arriving readers (as Go's RWMutex). */
export class ReadWriteLock {
  #readers = 0;
  #writing = false;
  readonly #waitingWriters: (() => void)[] = [];
  readonly #waitingReaders: (() => void)[] = [];

  /** Takes the shared lock; resolves with its release function. */
  async acquireShared(): Promise<Release> {
    if (this.#writing || this.#waitingWriters.length > 0) {
      await new Promise<void>((resolve) => this.#waitingReaders.push(resolve));
    } else {
      this.#readers++;
    }
    return once(() => {
      this.#readers--;
      this.#dispatch();
    });
  }

  /** Takes the exclusive lock; resolves with its release function. */
  async acquireExclusive(): Promise<Release> {
    if (this.#writing || this.#readers > 0) {
      await new Promise<void>((resolve) => this.#waitingWriters.push(resolve));
    } else {
      this.#writing = true;
    }
    return once(() => {
      this.#writing = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    if (this.#writing || this.#readers > 0) return;
    const writer = this.#waitingWriters.shift();
    if (writer) {
      this.#writing = true;
      writer();
      return;
    }
    const readers = this.#waitingReaders.splice(0);
    this.#readers += readers.length;
    for (const reader of readers) reader();
  }
}

/** Runs tasks one after another in submission order. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every previously queued task has settled. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves when every task queued so far has settled. */
  async drain(): Promise<void> {
    await this.#tail;
  }
}

function once(release: Release): Release {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}
