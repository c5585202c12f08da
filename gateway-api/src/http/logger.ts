/**
 * Structured JSON logging: one JSON object per line, with subject IDs masked
 * out of every string before it is written. Request bodies are never logged.
 */
import type { RequestHandler } from 'express';
import type { LogLevel } from '../config';
import { principalOf, requestIdOf } from './context';

/** A structured logger. Field values must be JSON-serialisable; strings are redacted. */
export interface Logger {
  /** Diagnostic detail, off by default. */
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Normal operation. */
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Something failed that the gateway handled. */
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Something failed that needs a person (a bug, a broken dependency). */
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Readonly<Record<string, unknown>>): Logger;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level written; `info` by default. */
  readonly level?: LogLevel;
  /** Receives each line without its trailing newline; stdout by default. */
  readonly sink?: (line: string) => void;
  /** Fields added to every line. */
  readonly bindings?: Readonly<Record<string, unknown>>;
  /** Clock for the `time` field; `Date.now` by default. */
  readonly now?: () => number;
}

const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * An 18-character token that has the shape of a resident ID (17 digits and a
 * digit or X) or of a unified social credit code (2 characters, a 6-digit
 * administrative division, 10 characters). Deliberately looser than the
 * validators: a mistyped ID is still personal data.
 */
const SUBJECT_ID = /(?<![0-9A-Za-z])[0-9A-Za-z]{2}\d{6}[0-9A-Za-z]{10}(?![0-9A-Za-z])/g;

/** What a masked subject ID is replaced with. */
export const REDACTED_SUBJECT_ID = '[subject-id]';

/**
 * Masks every 18-character subject ID (resident ID or unified social credit
 * code) in `text`.
 *
 * @example redact('GET /x/11010519491231002X') === 'GET /x/[subject-id]'
 */
export function redact(text: string): string {
  return text.replace(SUBJECT_ID, REDACTED_SUBJECT_ID);
}

/** Applies {@link redact} to every string inside a JSON-like value. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, depth + 1)]));
}

class JsonLoggerImpl implements Logger {
  readonly #min: number;
  readonly #sink: (line: string) => void;
  readonly #bindings: Readonly<Record<string, unknown>>;
  readonly #now: () => number;

  constructor(options: Readonly<Required<LoggerOptions>>) {
    this.#min = LEVELS[options.level];
    this.#sink = options.sink;
    this.#bindings = options.bindings;
    this.#now = options.now;
  }

  debug(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.#write('debug', message, fields);
  }

  info(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.#write('info', message, fields);
  }

  warn(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.#write('warn', message, fields);
  }

  error(message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.#write('error', message, fields);
  }

  child(bindings: Readonly<Record<string, unknown>>): Logger {
    return new JsonLoggerImpl({
      level: levelName(this.#min),
      sink: this.#sink,
      bindings: { ...this.#bindings, ...bindings },
      now: this.#now,
    });
  }

  #write(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void {
    if (LEVELS[level] < this.#min) return;
    const entry = redactValue({
      time: new Date(this.#now()).toISOString(),
      level,
      msg: message,
      ...this.#bindings,
      ...fields,
    });
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      line = JSON.stringify({ time: new Date(this.#now()).toISOString(), level, msg: redact(message) });
    }
    this.#sink(line);
  }
}

function levelName(value: number): LogLevel {
  return (Object.keys(LEVELS) as LogLevel[]).find((l) => LEVELS[l] === value) ?? 'info';
}

/** Creates a JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return new JsonLoggerImpl({
    level: options.level ?? 'info',
    sink: options.sink ?? ((line) => void process.stdout.write(`${line}\n`)),
    bindings: options.bindings ?? {},
    now: options.now ?? Date.now,
  });
}

/** A logger that discards everything (tests that do not inspect logs). */
export function silentLogger(): Logger {
  return createLogger({ sink: () => undefined });
}

/**
 * Writes one line per finished request: time, level, reqId, method, path
 * (without the query string, redacted), status, ms and the user ID when
 * authenticated. Bodies and query strings are never logged.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const status = res.headersSent ? res.statusCode : 499;
      const fields = {
        reqId: requestIdOf(req),
        method: req.method,
        path: (req.originalUrl.split('?')[0] ?? '').slice(0, 512),
        status,
        ms: Math.round(ms * 10) / 10,
        user: principalOf(req)?.userId,
      };
      if (status >= 500) logger.warn('request', fields);
      else logger.info('request', fields);
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };
}
