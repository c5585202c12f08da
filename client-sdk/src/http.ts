/**
 * The one place the SDK talks HTTP: base URL, bearer token, timeouts and the
 * mapping of every refusal to {@link GatewayError}.
 */
import { GatewayError } from './errors';

/** Supplies the bearer token for each request. */
export interface TokenSource {
  /** A token valid for at least the next request, or undefined for anonymous calls. */
  token(): Promise<string | undefined>;
  /** Called after a 401: a source that can log in again returns true, and the request is retried once. */
  invalidate(): Promise<boolean>;
}

/** A request as the client's modules describe it. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under `/api/v1`, already encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** JSON-encoded as the body. */
  readonly json?: unknown;
  /** A raw body (FormData, stream...); `contentType` names it unless it is FormData. */
  readonly body?: NonNullable<RequestInit['body']>;
  readonly contentType?: string;
  /** Whether the body can be sent again after a 401 (streams cannot). */
  readonly replayable?: boolean;
  /** Without a token even when the client has one. */
  readonly anonymous?: boolean;
  readonly signal?: AbortSignal;
  /** Overrides the client's timeout; 0 for none (streams). */
  readonly timeoutMs?: number;
  /**
   * Bytes of a Blob body sent so far. In a browser the request then goes through
   * XMLHttpRequest, the one browser API that reports upload progress (fetch cannot,
   * and streams a body only over HTTP/2).
   */
  readonly onUploadProgress?: (sentBytes: number) => void;
}

/** Options of {@link HttpTransportImpl}. */
export interface HttpTransportOptions {
  /** Gateway base URL, e.g. `http://127.0.0.1:8080` (with or without `/api/v1`). */
  readonly baseUrl: string;
  readonly tokens: TokenSource;
  /** Per-request timeout in ms (default 30 000). */
  readonly timeoutMs?: number;
  /** A fetch implementation (default: the global one). */
  readonly fetch?: typeof fetch;
}

/** Sends requests to the gateway. */
export interface HttpTransport {
  /** The API root, ending in `/api/v1`. */
  readonly apiUrl: string;
  /**
   * Sends a request and returns the successful response (body unread).
   *
   * @throws GatewayError when the gateway answers with a non-2xx status (its
   *   code, message, details and txId), or with status 0 and code
   *   `UNREACHABLE` / `TIMEOUT` when no answer came.
   */
  send(request: HttpRequest): Promise<Response>;
  /** {@link HttpTransport.send} and parse the JSON answer. */
  json<T>(request: HttpRequest): Promise<T>;
}

/** Normalises a base URL to the API root. */
export function apiRoot(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/api/v1') ? trimmed : `${trimmed}/api/v1`;
}

/** The fetch-based {@link HttpTransport}. */
export class HttpTransportImpl implements HttpTransport {
  readonly apiUrl: string;
  readonly #tokens: TokenSource;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: Readonly<HttpTransportOptions>) {
    this.apiUrl = apiRoot(options.baseUrl);
    this.#tokens = options.tokens;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    // Bound: a browser refuses fetch called as a method of another object ("Illegal invocation").
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async json<T>(request: HttpRequest): Promise<T> {
    const res = await this.send(request);
    return (await res.json()) as T;
  }

  async send(request: HttpRequest): Promise<Response> {
    let res = await this.#attempt(request);
    if (res.status === 401 && !request.anonymous && request.replayable !== false) {
      if (await this.#tokens.invalidate()) {
        await res.body?.cancel();
        res = await this.#attempt(request);
      }
    }
    if (!res.ok) throw GatewayError.fromResponse(res.status, await res.text());
    return res;
  }

  async #attempt(request: HttpRequest): Promise<Response> {
    const url = new URL(`${this.apiUrl}${request.path}`);
    for (const [k, v] of Object.entries(request.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (!request.anonymous) {
      const token = await this.#tokens.token();
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
    }
    let body: RequestInit['body'] = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] = 'application/json';
    } else if (request.contentType !== undefined) {
      headers['content-type'] = request.contentType;
    }
    const timeoutMs = request.timeoutMs ?? this.#timeoutMs;
    const signals = [request.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const init: RequestInit & { duplex?: 'half' } = {
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(signals.length === 0 ? {} : { signal: AbortSignal.any(signals) }),
      // A streamed request body must say so (fetch's half-duplex upload).
      ...(body instanceof ReadableStream ? { duplex: 'half' as const } : {}),
    };
    try {
      if (request.onUploadProgress !== undefined && body instanceof Blob && browserXhr() !== undefined) {
        return await xhrSend(url, init, headers, body, request.onUploadProgress);
      }
      return await this.#fetch(url, init);
    } catch (err) {
      if (request.signal?.aborted) throw err;
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
      throw new GatewayError(0, {
        code: timedOut ? 'TIMEOUT' : 'UNREACHABLE',
        message: timedOut
          ? `no answer from ${this.apiUrl} within ${timeoutMs} ms`
          : `cannot reach ${this.apiUrl}: ${describe(err)}`,
      });
    }
  }
}

/** The part of a browser's XMLHttpRequest used here (the SDK compiles without the DOM library). */
interface Xhr {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  responseType: string;
  readonly upload: { onprogress: ((e: { readonly loaded: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  readonly status: number;
  readonly response: unknown;
  getAllResponseHeaders(): string;
  abort(): void;
  send(body: Blob): void;
}

/** The browser's XMLHttpRequest, absent in Node. */
function browserXhr(): (new () => Xhr) | undefined {
  return (globalThis as { XMLHttpRequest?: new () => Xhr }).XMLHttpRequest;
}

/** Sends a Blob with XMLHttpRequest, reporting upload progress; the answer as a fetch Response. */
function xhrSend(
  url: URL,
  init: RequestInit,
  headers: Readonly<Record<string, string>>,
  body: Blob,
  onProgress: (sentBytes: number) => void,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const XhrImpl = browserXhr();
    if (XhrImpl === undefined) throw new TypeError('XMLHttpRequest is not available');
    const xhr = new XhrImpl();
    xhr.open(init.method ?? 'POST', url.href);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.responseType = 'arraybuffer';
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      const responseHeaders = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon > 0) responseHeaders.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      resolve(
        new Response(xhr.status === 204 ? null : (xhr.response as ArrayBuffer), {
          status: xhr.status,
          headers: responseHeaders,
        }),
      );
    };
    xhr.onerror = () => reject(new TypeError('network error'));
    const signal = init.signal;
    if (signal) {
      if (signal.aborted) reject(signal.reason as Error);
      signal.addEventListener('abort', () => {
        xhr.abort();
        reject(signal.reason as Error);
      });
    }
    xhr.send(body);
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
