/** Terminal output of the command line: tables, a progress bar, error lines. */
import type { UploadProgress } from '../streams';

/** Renders rows as a plain-text table with a header. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Renders `key: value` lines with aligned values. */
export function fields(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join('\n');
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/**
 * A progress bar for uploads on stderr: redrawn in place on a terminal (at
 * most ten times a second), one line every few seconds otherwise.
 */
export class ProgressBar {
  readonly #write: (text: string) => void;
  readonly #tty: boolean;
  readonly #totalBytes: number;
  readonly #start = Date.now();
  #last = 0;

  constructor(write: (text: string) => void, tty: boolean, totalBytes: number) {
    this.#write = write;
    this.#tty = tty;
    this.#totalBytes = totalBytes;
  }

  /** The line describing `progress`. */
  render(progress: UploadProgress, now = Date.now()): string {
    const seconds = Math.max((now - this.#start) / 1000, 0.001);
    const fraction = this.#totalBytes > 0 ? Math.min(progress.bytes / this.#totalBytes, 1) : 0;
    const filled = Math.round(fraction * 30);
    const rate = Math.round(progress.records / seconds);
    return (
      `[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ` +
      `${progress.records} records  ${megabytes(progress.bytes)}  ${rate} records/s`
    );
  }

  update(progress: UploadProgress): void {
    const now = Date.now();
    if (now - this.#last < (this.#tty ? 100 : 2000)) return;
    this.#last = now;
    this.#write(this.#tty ? `\r${this.render(progress, now)}` : `${this.render(progress, now)}\n`);
  }

  done(progress: UploadProgress): void {
    this.#write(this.#tty ? `\r${this.render(progress)}\n` : `${this.render(progress)}\n`);
  }
}

/**
 * A progress bar over a count of items (bulk download subjects) on stderr:
 * redrawn in place on a terminal, one line every few seconds otherwise.
 */
export class CountProgressBar {
  readonly #write: (text: string) => void;
  readonly #tty: boolean;
  readonly #start = Date.now();
  #last = 0;

  constructor(write: (text: string) => void, tty: boolean) {
    this.#write = write;
    this.#tty = tty;
  }

  /** The line for `done` of `total` items and `records` records released. */
  render(done: number, total: number, records: number, now = Date.now()): string {
    const seconds = Math.max((now - this.#start) / 1000, 0.001);
    const fraction = total > 0 ? Math.min(done / total, 1) : 0;
    const filled = Math.round(fraction * 30);
    return (
      `[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ` +
      `${done}/${total} subjects  ${records} records  ${Math.round(records / seconds)} records/s`
    );
  }

  update(done: number, total: number, records: number): void {
    const now = Date.now();
    if (now - this.#last < (this.#tty ? 100 : 2000)) return;
    this.#last = now;
    const line = this.render(done, total, records, now);
    this.#write(this.#tty ? `\r${line}` : `${line}\n`);
  }

  done(done: number, total: number, records: number): void {
    const line = this.render(done, total, records);
    this.#write(this.#tty ? `\r${line}\n` : `${line}\n`);
  }
}
