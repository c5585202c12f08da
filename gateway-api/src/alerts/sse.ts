/**
 * One server-sent-events response (text/event-stream): messages, comments
 * and an end, with a bound on what a slow client may leave buffered.
 */
import type { Response } from 'express';

/** One SSE message. */
export interface SseMessage {
  /** `id:` field (the client's `Last-Event-ID` on reconnect). */
  readonly id: string;
  /** `event:` field. */
  readonly event: string;
  /** `data:` field: one line of JSON. */
  readonly data: string;
}

/** Most bytes a client may leave unread before its stream is ended (it reconnects). */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/** A server-sent-events stream over an Express response. */
export class SseStream {
  readonly #res: Response;
  #ended = false;

  /** Sends the event-stream headers at once, so the client knows the subscription is live. */
  constructor(res: Response, retryMs: number) {
    this.#res = res;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    this.#write(`retry: ${retryMs}\n\n`);
  }

  /** Whether the stream has ended (by the server or the client). */
  get ended(): boolean {
    return this.#ended || this.#res.writableEnded || this.#res.destroyed;
  }

  /** Writes a message. */
  send(message: SseMessage): void {
    this.#write(
      `id: ${oneLine(message.id)}\nevent: ${oneLine(message.event)}\ndata: ${oneLine(message.data)}\n\n`,
    );
  }

  /**
   * Writes an `id:` field alone: no event is dispatched, but the client's
   * last event ID becomes `id`, so a reconnect resumes from there.
   */
  position(id: string): void {
    this.#write(`id: ${oneLine(id)}\n\n`);
  }

  /** Writes a comment line (heartbeats keep proxies from closing an idle stream). */
  comment(text: string): void {
    this.#write(`: ${oneLine(text)}\n\n`);
  }

  /** Ends the response. */
  end(): void {
    if (this.ended) return;
    this.#ended = true;
    this.#res.end();
  }

  #write(chunk: string): void {
    if (this.ended) return;
    this.#res.write(chunk);
    if (this.#res.writableLength > MAX_BUFFERED_BYTES) {
      // A client this far behind would only fall further behind: drop it; it reconnects.
      this.#ended = true;
      this.#res.destroy();
    }
  }
}

/** Strips line breaks, which would end an SSE field early. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}
