/**
 * The alert hub: one subscription to the indexer's event bus, fanned out to
 * the open event streams of each organisation, with heartbeats, and every
 * stream ended on shutdown. A stream starts either where its client left off
 * (replayed from the durable alert log) or at the ledger height when it
 * connected; live events that arrive while that start is being settled are
 * held and sent after it, so the switch from replay to live has no gap and no
 * duplicate.
 */
import { AppError } from '../http/errors';
import type { AlertLog, EventBus, IndexedEvent, LedgerPosition } from '../indexer/types';
import { streamId, type ResumePoint } from './alert-id';
import { isAlertFor } from './rules';
import type { SseMessage, SseStream } from './sse';

/** A watch alert as the watch feed keeps it: its per-organisation sequence number and its message. */
export interface FeedEntry {
  /** 1, 2, ... per organisation. */
  readonly seq: number;
  /** Name `WatchAlert`; the position is that of the ledger event that raised it (the last one handled when none did). */
  readonly event: IndexedEvent;
}

/**
 * Alerts the gateway raises itself (watch alerts), each for one organisation,
 * durable and numbered per organisation: the hub merges them into that
 * organisation's streams.
 */
export interface AlertFeed {
  /** Entries are published after they are stored. */
  subscribe(listener: (mspId: string, entry: FeedEntry) => void): () => void;
  /** Up to `limit` of `mspId`'s entries with a sequence number above `afterSeq`, oldest first. */
  readAfter(mspId: string, afterSeq: number, limit: number): Promise<FeedEntry[]>;
  /** The sequence number of `mspId`'s newest entry, 0 when none. */
  latest(mspId: string): Promise<number>;
}

/** What {@link AlertHubImpl} needs. */
export interface AlertHubOptions {
  /** The indexer's event bus (events arrive after they are indexed). */
  readonly bus: EventBus;
  /** The indexer's durable alert log; without it streams cannot resume. */
  readonly log?: AlertLog | undefined;
  /** The gateway's own alerts (watch alerts); without it streams carry ledger events only. */
  readonly feed?: AlertFeed | undefined;
  /** The ledger's current height: where a stream that does not resume starts. */
  readonly height: () => Promise<number>;
  /** Interval between heartbeat comments, in milliseconds. */
  readonly heartbeatMs: number;
  /** Most open streams one user may hold. */
  readonly maxStreamsPerUser: number;
  /** Most alerts replayed to a resuming stream; with more pending it gets a `reset` event instead. */
  readonly replayLimit: number;
}

/** Who a stream belongs to. */
export interface StreamOwner {
  /** Alerts are chosen for this organisation. */
  readonly orgMspId: string;
  /** The user holding the stream (for the per-user cap). */
  readonly userId: string;
}

/** Fans indexed events out to organisations' alert streams. */
export interface AlertHub {
  /**
   * Checks that `owner` may open one more stream (call before starting the response).
   * @throws AppError 429 TOO_MANY_STREAMS when the user already holds the maximum.
   */
  admit(owner: StreamOwner): void;
  /**
   * Opens a stream for `owner`. First settles where it starts: after
   * `resumeAfter` (reading the alert log), or when omitted at the ledger's
   * current height (no earlier alert is sent, even while the indexer catches
   * up). Then calls `open` to start the response, writes the replayed alerts
   * (or one `reset` event when more than the replay limit are pending) and
   * goes live.
   *
   * @returns the function that removes the stream.
   * @throws AppError 503 EVENT_REPLAY_UNAVAILABLE when resuming without an alert log;
   *   503 EVENTS_UNAVAILABLE when the hub is closed; the log's or the ledger's
   *   error when the start cannot be read. Nothing has been sent when it throws.
   */
  connect(
    owner: StreamOwner,
    resumeAfter: (LedgerPosition & Partial<ResumePoint>) | undefined,
    open: () => SseStream,
  ): Promise<() => void>;
  /** Ends every stream of user `userId` (disabled: its streams must not outlive it). */
  endStreamsOf(userId: string): void;
  /** Number of open streams. */
  readonly size: number;
  /** Ends every stream and stops listening. */
  close(): void;
}

/** The wire form of an alert (the SSE `data:` JSON). */
export interface AlertData {
  /** Chaincode event name (also the SSE `event:`). */
  readonly name: string;
  /** Transaction that emitted it. */
  readonly txId: string;
  /** Block of that transaction. */
  readonly blockNumber: number;
  /** Position of the transaction in its block. */
  readonly txIndex: number;
  /** Client timestamp of the transaction (ISO-8601). */
  readonly timestamp: string;
  /** The event payload: IDs, MSP IDs and pseudonyms only. */
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Most alerts replayed to a resuming stream unless configured. */
export const DEFAULT_REPLAY_LIMIT = 1000;

/** Event name of the message that tells a resuming client to resync through the REST lists. */
export const RESET_EVENT = 'reset';

/** The `data:` of a `reset` event. */
export interface ResetData {
  /** Why the stream could not resume: more alerts were pending than one replay sends. */
  readonly reason: 'REPLAY_LIMIT';
  /** The replay limit. */
  readonly limit: number;
}

/** One open or opening stream. */
interface Subscriber {
  readonly owner: StreamOwner;
  /** Undefined until the start is settled and the response started. */
  stream: SseStream | undefined;
  /** Live events at or before this position are not sent (already replayed, or before the stream's start). */
  cursor: LedgerPosition;
  /** The last watch alert sent (its sequence number), or where the stream started. */
  watchSeq: number;
  /** Live events and watch alerts that arrived before the stream started. */
  held: Held[];
}

/** A ledger event, or a watch alert (with its `seq`). */
type Held = { readonly event: IndexedEvent; readonly seq?: number };

/** Largest transaction position an alert ID carries (its 6 digits). */
const MAX_TX_INDEX = 999_999;

/**
 * The same position in the form an alert ID can carry: "before block n"
 * (`txIndex` -1) is "after the last transaction of block n - 1".
 */
function resumable(position: LedgerPosition): LedgerPosition {
  return position.txIndex >= 0 || position.blockNumber === 0
    ? { blockNumber: position.blockNumber, txIndex: Math.max(position.txIndex, 0) }
    : { blockNumber: position.blockNumber - 1, txIndex: MAX_TX_INDEX };
}

/** Where a stream starts: what to replay, or a reset, and the position it is then at. */
interface Start {
  /** Ledger events and watch alerts, in ledger order. */
  readonly replay: readonly Held[];
  readonly reset: boolean;
  readonly cursor: LedgerPosition;
  readonly watchSeq: number;
}

/** {@link AlertHub} over an {@link EventBus}. */
export class AlertHubImpl implements AlertHub {
  readonly #subscribers = new Set<Subscriber>();
  readonly #options: Readonly<AlertHubOptions>;
  readonly #unsubscribe: () => void;
  readonly #unsubscribeFeed: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** Subscribes to the bus at once. */
  constructor(options: Readonly<AlertHubOptions>) {
    this.#options = options;
    this.#unsubscribe = options.bus.subscribe((event) => this.#publish(event));
    this.#unsubscribeFeed = options.feed?.subscribe((mspId, entry) => this.#publishFeed(mspId, entry));
  }

  get size(): number {
    return this.#subscribers.size;
  }

  admit(owner: StreamOwner): void {
    let held = 0;
    for (const s of this.#subscribers) if (s.owner.userId === owner.userId) held++;
    const max = this.#options.maxStreamsPerUser;
    if (held >= max) {
      throw new AppError(429, 'TOO_MANY_STREAMS', `at most ${max} event streams per user`, {
        headers: { 'Retry-After': '5' },
      });
    }
  }

  async connect(
    owner: StreamOwner,
    resumeAfter: (LedgerPosition & Partial<ResumePoint>) | undefined,
    open: () => SseStream,
  ): Promise<() => void> {
    if (this.#closed) throw closedError();
    const log = this.#options.log;
    if (resumeAfter !== undefined && log === undefined) {
      throw AppError.unavailable(
        'this gateway keeps no alert log to resume from; reconnect without Last-Event-ID',
        {
          code: 'EVENT_REPLAY_UNAVAILABLE',
        },
      );
    }
    // Registered before the start is read, so every event published from now on is held, not missed.
    const subscriber: Subscriber = {
      owner,
      stream: undefined,
      cursor: { blockNumber: 0, txIndex: -1 },
      watchSeq: 0,
      held: [],
    };
    this.#subscribers.add(subscriber);
    let start: Start;
    try {
      start =
        resumeAfter === undefined || log === undefined
          ? await this.#liveStart(owner.orgMspId)
          : await this.#replayStart(log, owner.orgMspId, resumeAfter);
    } catch (err) {
      this.#remove(subscriber);
      throw err;
    }
    if (this.#closed) throw closedError();

    const stream = open();
    subscriber.stream = stream;
    this.#timer ??= setInterval(() => this.#heartbeat(), this.#options.heartbeatMs).unref();
    if (start.reset) {
      stream.send({
        id: streamId(start.cursor, start.watchSeq),
        event: RESET_EVENT,
        data: JSON.stringify({
          reason: 'REPLAY_LIMIT',
          limit: this.#options.replayLimit,
        } satisfies ResetData),
      });
    }
    // A new stream tells where it starts, before any alert: a client that drops before its
    // first alert resumes from there and misses nothing committed meanwhile. (A resumed stream
    // starts at the client's own Last-Event-ID; a reset carries its id.)
    if (resumeAfter === undefined) stream.position(streamId(resumable(start.cursor), start.watchSeq));
    if (!start.reset && resumeAfter !== undefined) {
      subscriber.cursor = resumeAfter;
      subscriber.watchSeq = resumeAfter.watchSeq ?? 0;
      for (const item of start.replay) this.#deliver(subscriber, item);
    }
    subscriber.cursor = start.cursor;
    subscriber.watchSeq = start.watchSeq;
    const held = subscriber.held;
    subscriber.held = [];
    for (const item of held) this.#deliver(subscriber, item);
    if (stream.ended) this.#remove(subscriber);
    return () => this.#remove(subscriber);
  }

  endStreamsOf(userId: string): void {
    for (const subscriber of [...this.#subscribers]) {
      if (subscriber.owner.userId !== userId) continue;
      subscriber.stream?.end();
      this.#remove(subscriber);
    }
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    this.#unsubscribeFeed?.();
    for (const subscriber of [...this.#subscribers]) {
      subscriber.stream?.end();
      this.#remove(subscriber);
    }
  }

  /** A stream that does not resume starts at the ledger height: blocks below it are history. */
  async #liveStart(mspId: string): Promise<Start> {
    const height = await this.#options.height();
    // Watch alerts raised before the stream connected are history too.
    const watchSeq = (await this.#options.feed?.latest(mspId)) ?? 0;
    return { replay: [], reset: false, cursor: { blockNumber: height, txIndex: -1 }, watchSeq };
  }

  async #replayStart(
    log: AlertLog,
    mspId: string,
    after: LedgerPosition & Partial<ResumePoint>,
  ): Promise<Start> {
    const limit = this.#options.replayLimit;
    const feed = this.#options.feed;
    const afterSeq = after.watchSeq ?? 0;
    // One more than the limit tells whether the replay would be cut short.
    const pending = (await log.readAfter(mspId, after, limit + 1)).filter((e) => isAlertFor(mspId, e));
    const watchPending = (await feed?.readAfter(mspId, afterSeq, limit + 1)) ?? [];
    if (pending.length + watchPending.length > limit) {
      // Skip to the newest logged alert: the client resyncs from the REST lists, which reflect it.
      return {
        replay: [],
        reset: true,
        cursor: (await log.latest(mspId)) ?? after,
        watchSeq: (await feed?.latest(mspId)) ?? afterSeq,
      };
    }
    const last = pending.at(-1);
    // Merged in ledger order: a watch alert comes after the ledger event that raised it.
    const replay = [...pending.map((event): Held => ({ event })), ...watchPending].sort(
      (a, b) => comparePositions(a.event, b.event) || (a.seq ?? 0) - (b.seq ?? 0),
    );
    return {
      replay,
      reset: false,
      cursor: last === undefined ? after : positionOf(last),
      watchSeq: watchPending.at(-1)?.seq ?? afterSeq,
    };
  }

  #publish(event: IndexedEvent): void {
    for (const subscriber of this.#subscribers) {
      if (!isAlertFor(subscriber.owner.orgMspId, event)) continue;
      if (subscriber.stream === undefined) subscriber.held.push({ event });
      else this.#deliver(subscriber, { event });
    }
  }

  /** A watch alert goes to the streams of the organisation whose watch raised it, and no other. */
  #publishFeed(mspId: string, entry: FeedEntry): void {
    for (const subscriber of this.#subscribers) {
      if (subscriber.owner.orgMspId !== mspId) continue;
      if (subscriber.stream === undefined) subscriber.held.push(entry);
      else this.#deliver(subscriber, entry);
    }
  }

  /**
   * Sends a ledger event unless the stream is already past it, or a watch alert
   * unless its sequence number is not above the stream's.
   */
  #deliver(subscriber: Subscriber, item: Held): void {
    const { stream } = subscriber;
    if (stream === undefined) return;
    if (item.seq === undefined) {
      if (!isAfter(item.event, subscriber.cursor)) return;
      subscriber.cursor = positionOf(item.event);
    } else {
      if (item.seq <= subscriber.watchSeq) return;
      subscriber.watchSeq = item.seq;
    }
    // The ID names both cursors, so a resume from it misses neither kind of alert.
    stream.send(toMessage(item.event, streamId(resumable(subscriber.cursor), subscriber.watchSeq)));
    if (stream.ended) this.#remove(subscriber);
  }

  #heartbeat(): void {
    for (const subscriber of [...this.#subscribers]) {
      if (subscriber.stream === undefined) continue;
      subscriber.stream.comment('heartbeat');
      if (subscriber.stream.ended) this.#remove(subscriber);
    }
  }

  #remove(subscriber: Subscriber): void {
    this.#subscribers.delete(subscriber);
    if (this.#subscribers.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

/** The SSE message of an alert. */
function toMessage(event: IndexedEvent, id: string): SseMessage {
  const data: AlertData = {
    name: event.name,
    txId: event.txId,
    blockNumber: event.blockNumber,
    txIndex: event.txIndex,
    timestamp: event.timestamp,
    payload: event.payload,
  };
  return { id, event: event.name, data: JSON.stringify(data) };
}

function positionOf(event: IndexedEvent): LedgerPosition {
  return { blockNumber: event.blockNumber, txIndex: event.txIndex };
}

function comparePositions(a: LedgerPosition, b: LedgerPosition): number {
  return a.blockNumber - b.blockNumber || a.txIndex - b.txIndex;
}

/** Whether `event` comes strictly after `position` on the ledger. */
function isAfter(event: IndexedEvent, position: LedgerPosition): boolean {
  return (
    event.blockNumber > position.blockNumber ||
    (event.blockNumber === position.blockNumber && event.txIndex > position.txIndex)
  );
}

function closedError(): AppError {
  return AppError.unavailable('the event feed is shutting down', { code: 'EVENTS_UNAVAILABLE' });
}
