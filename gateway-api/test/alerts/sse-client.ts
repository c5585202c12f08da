/** A minimal server-sent-events client for tests, over fetch. */
import type { Role } from '../../src/auth/roles';
import type { ConsortiumGateway, OrgName } from '../acceptance/consortium-gateway';

/** One parsed SSE frame. */
export interface SseFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly retry?: string;
  /** Comment lines (`: ...`). */
  readonly comments: string[];
}

/** An open event stream. */
export interface SseSubscription {
  readonly status: number;
  readonly contentType: string;
  /** Every frame received so far. */
  readonly frames: SseFrame[];
  /** Frames that carry an event. */
  events(): SseFrame[];
  /** Resolves when `predicate` holds for the frames received (rejects after `timeoutMs`). */
  until(predicate: (frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Whether the server ended the stream. */
  readonly ended: boolean;
  close(): void;
}

/** Where a subscription resumes. */
export interface ResumeOptions {
  /** Sent as the `Last-Event-ID` header. */
  readonly lastEventId?: string;
  /** Sent as the `lastEventId` query parameter. */
  readonly queryLastEventId?: string;
}

/** Opens `GET /api/v1/events` as `org`'s user with `role`. */
export async function subscribe(
  g: Pick<ConsortiumGateway, 'url' | 'token'>,
  org: OrgName,
  role: Role,
  resume: ResumeOptions = {},
): Promise<SseSubscription> {
  const controller = new AbortController();
  const query =
    resume.queryLastEventId === undefined
      ? ''
      : `?lastEventId=${encodeURIComponent(resume.queryLastEventId)}`;
  const res = await fetch(`${g.url}/api/v1/events${query}`, {
    headers: {
      authorization: `Bearer ${await g.token(org, role)}`,
      accept: 'text/event-stream',
      ...(resume.lastEventId === undefined ? {} : { 'last-event-id': resume.lastEventId }),
    },
    signal: controller.signal,
  });
  const frames: SseFrame[] = [];
  let ended = false;
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = res.body?.getReader();
  void (async () => {
    if (reader === undefined) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          frames.push(parseFrame(buffer.slice(0, cut)));
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
        }
        notify();
      }
    } catch {
      // aborted by close()
    }
    ended = true;
    notify();
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    frames,
    events: () => frames.filter((f) => f.event !== undefined),
    get ended() {
      return ended;
    },
    until(predicate, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(frames)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          } else if (ended) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`stream ended; frames: ${JSON.stringify(frames)}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; frames: ${JSON.stringify(frames)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}

function parseFrame(text: string): SseFrame {
  const frame: { id?: string; event?: string; data?: string; retry?: string; comments: string[] } = {
    comments: [],
  };
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) {
      frame.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id' || field === 'event' || field === 'retry') frame[field] = value;
    else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
  }
  return frame;
}
