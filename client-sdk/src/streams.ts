/**
 * Streaming helpers: request bodies built chunk by chunk (batch uploads never
 * held in memory whole), NDJSON and text-line readers over response bodies,
 * and a server-sent-events parser.
 */

/** Upload progress: what has been handed to the connection so far. */
export interface UploadProgress {
  /** Records sent (lines of NDJSON; top-level elements of a JSON array). */
  readonly records: number;
  /** Bytes of request body sent. */
  readonly bytes: number;
}

/** Called as an upload proceeds (at most once per chunk). */
export type ProgressCallback = (progress: UploadProgress) => void;

/** A request body ready to stream: its bytes and content type. */
export interface UploadBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly contentType: 'application/json' | 'application/x-ndjson';
}

/**
 * Counts records in a byte stream without parsing it: non-blank lines for
 * NDJSON, top-level array elements for a JSON array (strings and nesting
 * followed, so commas inside values do not count).
 */
export class RecordCounter {
  readonly #array: boolean;
  #count = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #expectValue = false;
  #lineHasContent = false;

  constructor(format: 'json' | 'ndjson') {
    this.#array = format === 'json';
  }

  /** Records seen so far (an NDJSON line counts once its content starts). */
  get count(): number {
    return this.#count;
  }

  /** Feeds the next chunk. */
  push(chunk: Uint8Array): void {
    for (const byte of chunk) {
      if (this.#array) this.#arrayByte(byte);
      else if (byte === 0x0a) this.#lineHasContent = false;
      else if (!this.#lineHasContent && !isSpace(byte)) {
        this.#lineHasContent = true;
        this.#count += 1;
      }
    }
  }

  #arrayByte(byte: number): void {
    if (this.#inString) {
      if (this.#escaped) this.#escaped = false;
      else if (byte === 0x5c) this.#escaped = true;
      else if (byte === 0x22) this.#inString = false;
      return;
    }
    if (isSpace(byte)) return;
    if (this.#depth === 1 && this.#expectValue && byte !== 0x5d) {
      this.#count += 1;
      this.#expectValue = false;
    }
    if (byte === 0x22) this.#inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      this.#depth += 1;
      if (this.#depth === 1) this.#expectValue = true;
    } else if (byte === 0x5d || byte === 0x7d) this.#depth -= 1;
    else if (byte === 0x2c && this.#depth === 1) this.#expectValue = true;
  }
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Wraps chunks into a ReadableStream that reports progress as they are pulled. */
export function progressStream(
  chunks: AsyncIterable<Uint8Array>,
  counter: RecordCounter,
  onProgress: ProgressCallback | undefined,
): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  let bytes = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done === true) {
        controller.close();
        return;
      }
      const chunk = next.value;
      counter.push(chunk);
      bytes += chunk.byteLength;
      controller.enqueue(chunk);
      onProgress?.({ records: counter.count, bytes });
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/** Whether bytes starting a dataset file are a JSON array (`[` first, after a BOM and blanks) or NDJSON; undefined when all blank. */
export function formatOfFirstBytes(bytes: Uint8Array, atStart: boolean): 'json' | 'ndjson' | undefined {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    // UTF-8 byte order mark
    if (atStart && i < 3 && (byte === 0xef || byte === 0xbb || byte === 0xbf)) continue;
    if (!isSpace(byte)) return byte === 0x5b ? 'json' : 'ndjson';
  }
  return undefined;
}

/** A dataset held in a Blob (a browser `File`), ready to send as it is. */
export interface BlobUploadBody {
  readonly blob: Blob;
  readonly contentType: 'application/json' | 'application/x-ndjson';
  /** Records in the blob (NDJSON lines, or top-level elements of a JSON array). */
  readonly records: number;
}

/** Detects a Blob's format (JSON array or NDJSON) from its first bytes and counts its records. */
export async function blobUploadBody(blob: Blob): Promise<BlobUploadBody> {
  let format: 'json' | 'ndjson' = 'ndjson';
  for (let position = 0; position < blob.size; position += 4096) {
    const head = new Uint8Array(await blob.slice(position, position + 4096).arrayBuffer());
    const found = formatOfFirstBytes(head, position === 0);
    if (found !== undefined) {
      format = found;
      break;
    }
  }
  const counter = new RecordCounter(format);
  const chunk = 1 << 20;
  for (let position = 0; position < blob.size; position += chunk) {
    counter.push(new Uint8Array(await blob.slice(position, position + chunk).arrayBuffer()));
  }
  return {
    blob,
    contentType: format === 'json' ? 'application/json' : 'application/x-ndjson',
    records: counter.count,
  };
}

/** Opens a file on disk as an upload body (Node only: see `files.ts`). */
export type FileOpener = (path: string, onProgress?: ProgressCallback) => Promise<UploadBody>;

/** A request body streaming records as NDJSON, one line per record, as the iterable yields them. */
export function recordsUploadBody(
  records: AsyncIterable<unknown> | Iterable<unknown>,
  onProgress?: ProgressCallback,
): UploadBody {
  async function* lines(): AsyncGenerator<Uint8Array> {
    const encoder = new TextEncoder();
    let pending: string[] = [];
    let size = 0;
    for await (const record of records) {
      const line = `${JSON.stringify(record)}\n`;
      pending.push(line);
      size += line.length;
      // Batch small records into ~64 KiB chunks: one chunk per record would be slow.
      if (size >= 64 * 1024) {
        yield encoder.encode(pending.join(''));
        pending = [];
        size = 0;
      }
    }
    if (pending.length > 0) yield encoder.encode(pending.join(''));
  }
  return {
    stream: progressStream(lines(), new RecordCounter('ndjson'), onProgress),
    contentType: 'application/x-ndjson',
  };
}

/** Splits a byte stream into text lines (without `\n`; a trailing `\r` kept for the caller). */
export async function* textLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  for await (const chunk of body) {
    rest += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, newline);
      rest = rest.slice(newline + 1);
    }
  }
  rest += decoder.decode();
  if (rest !== '') yield rest;
}

/** One server-sent event. */
export interface ServerSentEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * Parses a `text/event-stream` body into events (comments and `retry:` are
 * skipped). A frame with an `id:` but no data dispatches no event in the SSE
 * model but moves the last event ID; it is yielded with empty `event` and
 * `data`, so a client that resumes can keep it.
 */
export async function* serverSentEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  let id: string | undefined;
  let idInFrame = false;
  let event = '';
  let data: string[] = [];
  for await (const raw of textLines(body)) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
      else if (idInFrame) yield { id, event: '', data: '' };
      event = '';
      data = [];
      idInFrame = false;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') {
      id = value;
      idInFrame = true;
    }
  }
}
