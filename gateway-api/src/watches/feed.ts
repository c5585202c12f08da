/**
 * The watch feed: every watch alert, numbered per organisation and kept
 * (sealed) so that `GET /events` can send it live to the bank that owns the
 * watch and replay it to a stream that resumes. One feed per gateway, shared by
 * the watches module (which appends) and the alerts module (which reads).
 */
import { z } from 'zod';
import type { AlertFeed, FeedEntry } from '../alerts/hub';
import type { GatewayDeps } from '../feature';
import type { IndexedEvent, LedgerPosition } from '../indexer/types';
import type { SealedStore } from '../store/sealed';

/** The SSE event name of a watch alert. */
export const WATCH_ALERT_EVENT = 'WatchAlert';

const FeedEntrySchema = z.custom<FeedEntry>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { seq?: unknown }).seq === 'number',
);

/** Width of the sequence number in keys, so keys order as numbers. */
const SEQ_WIDTH = 16;

const keyOf = (mspId: string, seq: number): string => `${mspId}!${String(seq).padStart(SEQ_WIDTH, '0')}`;

/** {@link AlertFeed} over a sealed store. */
export class WatchFeed implements AlertFeed {
  readonly #store: SealedStore<FeedEntry>;
  readonly #listeners = new Set<(mspId: string, entry: FeedEntry) => void>();
  /** Newest sequence number per organisation, once read. */
  readonly #latest = new Map<string, number>();
  /** Appends one after another, so sequence numbers are never reused. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: SealedStore<FeedEntry>) {
    this.#store = store;
  }

  subscribe(listener: (mspId: string, entry: FeedEntry) => void): () => void {
    const entry = (mspId: string, e: FeedEntry): void => listener(mspId, e);
    this.#listeners.add(entry);
    return () => void this.#listeners.delete(entry);
  }

  /**
   * Keeps a watch alert for `mspId`, then publishes it.
   *
   * @param at the ledger event that raised it (or the last one handled): its position orders the alert in a replay.
   */
  append(
    mspId: string,
    at: Pick<IndexedEvent, 'txId' | 'timestamp'> & LedgerPosition,
    payload: Readonly<Record<string, unknown>>,
  ): Promise<FeedEntry> {
    const next = this.#queue.then(async () => {
      const seq = (await this.latest(mspId)) + 1;
      const entry: FeedEntry = {
        seq,
        event: {
          name: WATCH_ALERT_EVENT,
          txId: at.txId,
          blockNumber: at.blockNumber,
          txIndex: at.txIndex,
          timestamp: at.timestamp,
          payload,
        },
      };
      await this.#store.put(keyOf(mspId, seq), entry);
      this.#latest.set(mspId, seq);
      for (const listener of [...this.#listeners]) listener(mspId, entry);
      return entry;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async readAfter(mspId: string, afterSeq: number, limit: number): Promise<FeedEntry[]> {
    const out: FeedEntry[] = [];
    for await (const [, entry] of this.#store.iterate({
      prefix: `${mspId}!`,
      after: keyOf(mspId, afterSeq),
      limit,
    })) {
      out.push(entry);
    }
    return out;
  }

  async latest(mspId: string): Promise<number> {
    const known = this.#latest.get(mspId);
    if (known !== undefined) return known;
    let seq = 0;
    for await (const [, entry] of this.#store.iterate({ prefix: `${mspId}!`, reverse: true, limit: 1 })) {
      seq = entry.seq;
    }
    this.#latest.set(mspId, seq);
    return seq;
  }
}

const feeds = new WeakMap<GatewayDeps, WatchFeed>();

/** The gateway's watch feed (one per gateway). */
export function watchFeed(deps: GatewayDeps): WatchFeed {
  let feed = feeds.get(deps);
  if (feed === undefined) {
    feed = new WatchFeed(deps.sealedStore('watch-feed', FeedEntrySchema));
    feeds.set(deps, feed);
  }
  return feed;
}
