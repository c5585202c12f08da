/**
 * Following the organisation's alerts: one server-sent event stream, or,
 * with `reconnect`, a chain of them resumed with `lastEventId` so that no
 * alert is missed or repeated across drops.
 */
import type { EventsOptions } from './client';
import { GatewayError } from './errors';
import type { HttpTransport } from './http';
import { serverSentEvents } from './streams';
import type { Alert } from './types';

/** Waits `ms`, rejecting when `signal` aborts (browser-safe: no `node:timers`). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Whether a failed connection is worth another try (unreachable, overloaded, 5xx). */
function retryable(err: unknown): err is GatewayError {
  // A gateway without an alert log cannot resume, however often it is asked.
  if (err instanceof GatewayError && err.code === 'EVENT_REPLAY_UNAVAILABLE') return false;
  return err instanceof GatewayError && (err.status === 0 || err.status === 429 || err.status >= 500);
}

/**
 * Yields alerts from `GET /events`, see {@link EventsOptions}.
 * @throws GatewayError when the gateway refuses the subscription (and, without
 *   `reconnect`, when the stream fails).
 */
export async function* followAlerts(
  http: HttpTransport,
  options: Readonly<EventsOptions>,
): AsyncGenerator<Alert, void, undefined> {
  const retryMs = options.retryMs ?? 1_000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  let lastEventId = options.lastEventId;
  let attempt = 0;
  for (;;) {
    let failure: GatewayError | undefined;
    try {
      const res = await http.send({
        method: 'GET',
        path: '/events',
        ...(lastEventId === undefined ? {} : { query: { lastEventId } }),
        timeoutMs: 0,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      attempt = 0;
      options.onOpen?.();
      if (res.body !== null) {
        for await (const event of serverSentEvents(res.body)) {
          if (event.id !== undefined && event.id !== '') lastEventId = event.id;
          // An id-only frame: where the stream starts; nothing to yield.
          if (event.data === '') continue;
          if (event.event === 'reset') options.onReset?.(event.id ?? '');
          else yield JSON.parse(event.data) as Alert;
        }
      }
    } catch (err) {
      // Aborting is how a follower stops: end quietly.
      if (options.signal?.aborted) return;
      if (options.reconnect !== true) throw err;
      if (err instanceof GatewayError && !retryable(err)) throw err;
      failure =
        err instanceof GatewayError
          ? err
          : new GatewayError(0, { code: 'STREAM_DROPPED', message: (err as Error).message });
    }
    if (options.reconnect !== true || options.signal?.aborted) return;
    attempt += 1;
    options.onReconnect?.(attempt, failure);
    try {
      await sleep(Math.min(maxRetryMs, retryMs * 2 ** (attempt - 1)), options.signal);
    } catch {
      return; // aborted while waiting
    }
  }
}
