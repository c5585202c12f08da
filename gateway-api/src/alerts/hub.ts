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
import { alertId } from './alert-id';
import { isAlertFor } from './rules';
import type { SseMessage, SseStream } from './sse';

/** What {@link AlertHubImpl} needs. */
export interface AlertHubOptions {
  /** The indexer's event bus (events arrive after they are indexed). */
  readonly bus: EventBus;
  /** The indexer's durable alert log; without it streams cannot resume. */
  readonly log?: AlertLog | undefined;
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
    resumeAfter: LedgerPosition | undefined,
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
  /** Live events that arrived before the stream started. */
  held: IndexedEvent[];
}

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
  readonly replay: readonly IndexedEvent[];
  readonly reset: boolean;
  readonly cursor: LedgerPosition;
}

/** {@link AlertHub} over an {@link EventBus}. */
export class AlertHubImpl implements AlertHub {
  readonly #subscribers = new Set<Subscriber>();
  readonly #options: Readonly<AlertHubOptions>;
  readonly #unsubscribe: () => void;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** Subscribes to the bus at once. */
  constructor(options: Readonly<AlertHubOptions>) {
    this.#options = options;
    this.#unsubscribe = options.bus.subscribe((event) => this.#publish(event));
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
    resumeAfter: LedgerPosition | undefined,
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
      held: [],
    };
    this.#subscribers.add(subscriber);
    let start: Start;
    try {
      start =
        resumeAfter === undefined || log === undefined
          ? await this.#liveStart()
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
        id: alertId(start.cursor),
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
    if (resumeAfter === undefined) stream.position(alertId(resumable(start.cursor)));
    for (const event of start.replay) stream.send(toMessage(event));
    subscriber.cursor = start.cursor;
    const held = subscriber.held;
    subscriber.held = [];
    for (const event of held) this.#deliver(subscriber, event, toMessage);
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
    for (const subscriber of [...this.#subscribers]) {
      subscriber.stream?.end();
      this.#remove(subscriber);
    }
  }

  /** A stream that does not resume starts at the ledger height: blocks below it are history. */
  async #liveStart(): Promise<Start> {
    const height = await this.#options.height();
    return { replay: [], reset: false, cursor: { blockNumber: height, txIndex: -1 } };
  }

  async #replayStart(log: AlertLog, mspId: string, after: LedgerPosition): Promise<Start> {
    const limit = this.#options.replayLimit;
    // One more than the limit tells whether the replay would be cut short.
    const pending = (await log.readAfter(mspId, after, limit + 1)).filter((e) => isAlertFor(mspId, e));
    if (pending.length > limit) {
      // Skip to the newest logged alert: the client resyncs from the REST lists, which reflect it.
      return { replay: [], reset: true, cursor: (await log.latest(mspId)) ?? after };
    }
    const last = pending.at(-1);
    return { replay: pending, reset: false, cursor: last === undefined ? after : positionOf(last) };
  }

  #publish(event: IndexedEvent): void {
    let message: SseMessage | undefined;
    const once = (e: IndexedEvent): SseMessage => (message ??= toMessage(e));
    for (const subscriber of this.#subscribers) {
      if (!isAlertFor(subscriber.owner.orgMspId, event)) continue;
      if (subscriber.stream === undefined) subscriber.held.push(event);
      else this.#deliver(subscriber, event, once);
    }
  }

  /** Sends `event` unless the stream is already past it. */
  #deliver(subscriber: Subscriber, event: IndexedEvent, format: (e: IndexedEvent) => SseMessage): void {
    const { stream } = subscriber;
    if (stream === undefined || !isAfter(event, subscriber.cursor)) return;
    subscriber.cursor = positionOf(event);
    stream.send(format(event));
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
function toMessage(event: IndexedEvent): SseMessage {
  const data: AlertData = {
    name: event.name,
    txId: event.txId,
    blockNumber: event.blockNumber,
    txIndex: event.txIndex,
    timestamp: event.timestamp,
    payload: event.payload,
  };
  return { id: alertId(event), event: event.name, data: JSON.stringify(data) };
}

function positionOf(event: IndexedEvent): LedgerPosition {
  return { blockNumber: event.blockNumber, txIndex: event.txIndex };
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
