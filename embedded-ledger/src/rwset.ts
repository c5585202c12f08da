/**
 * Collects a transaction's read/write set during simulation, following
 * Fabric's `rwsetutil.RWSetBuilder`: the last read or write of a key wins,
 * range query infos are kept in start order without duplicates, and the
 * final sets are sorted by key.
 */
import { compareKeys } from './codec';
import type { KVRead, KVWrite, RangeQueryInfo, ReadWriteSet, Version } from './types';

/** A range query whose info is still being captured while its iterator is consumed. */
export class RangeQueryCapture {
  readonly startKey: string;
  readonly #originalEndKey: string;
  #endKey = '';
  #itrExhausted = false;
  readonly #reads: KVRead[] = [];

  /** @param options - the scanned range as passed to the state database. */
  constructor(options: Readonly<{ startKey: string; endKey: string }>) {
    this.startKey = options.startKey;
    this.#originalEndKey = options.endKey;
  }

  /** Records a result returned to the caller; the range now ends at it (inclusive). */
  recordResult(key: string, version: Version): void {
    this.#reads.push({ key, version });
    this.#endKey = key;
  }

  /** Records that the iterator ran out; the range is the original one (exclusive end). */
  recordExhausted(): void {
    this.#itrExhausted = true;
    this.#endKey = this.#originalEndKey;
  }

  /** The info as it stands. */
  snapshot(): RangeQueryInfo {
    return {
      startKey: this.startKey,
      endKey: this.#endKey,
      itrExhausted: this.#itrExhausted,
      reads: [...this.#reads],
    };
  }
}

/** Builds one transaction's {@link ReadWriteSet}. */
export class ReadWriteSetBuilder {
  readonly #reads = new Map<string, Version | null>();
  readonly #writes = new Map<string, KVWrite>();
  readonly #rangeQueries: RangeQueryCapture[] = [];

  /** Records a point read and the version seen (`null` for an absent key). */
  addRead(key: string, version: Version | null): void {
    this.#reads.set(key, version);
  }

  /** Records a write; an empty value is a delete. */
  addWrite(key: string, value: Uint8Array): void {
    const copy = Buffer.from(value);
    this.#writes.set(key, { key, isDelete: copy.length === 0, value: copy });
  }

  /** Starts capturing a range query. */
  addRangeQuery(capture: RangeQueryCapture): void {
    this.#rangeQueries.push(capture);
  }

  /** The simulation results: reads and writes sorted by key, range queries deduplicated. */
  build(): ReadWriteSet {
    const reads: KVRead[] = [...this.#reads].map(([key, version]) => ({ key, version }));
    reads.sort((a, b) => compareKeys(a.key, b.key));
    const writes = [...this.#writes.values()].sort((a, b) => compareKeys(a.key, b.key));
    const rangeQueries: RangeQueryInfo[] = [];
    const seen = new Set<string>();
    for (const capture of this.#rangeQueries) {
      const info = capture.snapshot();
      const identity = JSON.stringify([info.startKey, info.endKey, info.itrExhausted]);
      if (seen.has(identity)) continue;
      seen.add(identity);
      rangeQueries.push(info);
    }
    return { reads, rangeQueries, writes };
  }
}
