/**
 * The alert hub: one subscription to the indexer's event bus, fanned out to
 * the open event streams of each organisation, with heartbeats, and every
 * stream ended on shutdown.
 */
import { AppError } from '../http/errors';
import type { EventBus, IndexedEvent } from '../indexer/types';
import { isAlertFor } from './rules';
import type { SseStream } from './sse';

/** What {@link AlertHubImpl} needs. */
export interface AlertHubOptions {
  /** The indexer's event bus (events arrive after they are indexed). */
  readonly bus: EventBus;
  /** Interval between heartbeat comments, in milliseconds. */
  readonly heartbeatMs: number;
  /** Most open streams one user may hold. */
  readonly maxStreamsPerUser: number;
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
  /** Adds a stream; returns the function that removes it. */
  add(owner: StreamOwner, stream: SseStream): () => void;
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

/** The SSE message ID of an event: `<blockNumber>-<txIndex>`. */
export function alertId(event: IndexedEvent): string {
  return `${event.blockNumber}-${event.txIndex}`;
}

/** {@link AlertHub} over an {@link EventBus}. */
export class AlertHubImpl implements AlertHub {
  readonly #streams = new Map<SseStream, StreamOwner>();
  readonly #heartbeatMs: number;
  readonly #maxPerUser: number;
  readonly #unsubscribe: () => void;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** Subscribes to the bus at once. */
  constructor(options: Readonly<AlertHubOptions>) {
    this.#heartbeatMs = options.heartbeatMs;
    this.#maxPerUser = options.maxStreamsPerUser;
    this.#unsubscribe = options.bus.subscribe((event) => this.#publish(event));
  }

  get size(): number {
    return this.#streams.size;
  }

  admit(owner: StreamOwner): void {
    let held = 0;
    for (const o of this.#streams.values()) if (o.userId === owner.userId) held++;
    if (held >= this.#maxPerUser) {
      throw new AppError(429, 'TOO_MANY_STREAMS', `at most ${this.#maxPerUser} event streams per user`, {
        headers: { 'Retry-After': '5' },
      });
    }
  }

  add(owner: StreamOwner, stream: SseStream): () => void {
    if (this.#closed) {
      stream.end();
      return () => undefined;
    }
    this.#streams.set(stream, owner);
    this.#timer ??= setInterval(() => this.#heartbeat(), this.#heartbeatMs).unref();
    return () => this.#remove(stream);
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    for (const stream of [...this.#streams.keys()]) {
      stream.end();
      this.#remove(stream);
    }
  }

  #publish(event: IndexedEvent): void {
    let data: string | undefined;
    for (const [stream, owner] of this.#streams) {
      if (!isAlertFor(owner.orgMspId, event)) continue;
      data ??= JSON.stringify({
        name: event.name,
        txId: event.txId,
        blockNumber: event.blockNumber,
        txIndex: event.txIndex,
        timestamp: event.timestamp,
        payload: event.payload,
      } satisfies AlertData);
      stream.send({ id: alertId(event), event: event.name, data });
      if (stream.ended) this.#remove(stream);
    }
  }

  #heartbeat(): void {
    for (const stream of [...this.#streams.keys()]) {
      stream.comment('heartbeat');
      if (stream.ended) this.#remove(stream);
    }
  }

  #remove(stream: SseStream): void {
    this.#streams.delete(stream);
    if (this.#streams.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
