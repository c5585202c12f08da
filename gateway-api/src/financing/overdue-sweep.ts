/**
 * The gateway's own overdue sweep: every `GATEWAY_OVERDUE_SWEEP_SECONDS` the
 * regulator's identity asks the chaincode which claims are past their contact
 * deadline and, when there are any, submits `Financing:FlagOverdueClaims`,
 * which judges them again at its own transaction time, flags each once and
 * alerts their banks. Runs never overlap (the next is scheduled when one ends),
 * a failure is logged and counted, never thrown, and `stop()` waits for the
 * run in progress.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../http/logger';
import type { LedgerClient } from '../ledger/types';

/** What the last sweep did. */
export interface OverdueSweepStatus {
  /** When it ended (ISO-8601). */
  readonly at: string;
  /** Claims it flagged (none when it failed or nothing was overdue). */
  readonly flagged: readonly string[];
  /** The flagging transaction, when one was submitted. */
  readonly txId?: string;
  /** Why it failed. */
  readonly error?: string;
}

/** Options of {@link OverdueSweeper}. */
export interface OverdueSweeperOptions {
  readonly ledger: LedgerClient;
  /** MSP ID the sweep runs as (the regulator's). */
  readonly regulator: string;
  /** Pause between the end of one run and the start of the next, in milliseconds (> 0). */
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Registry for the `gateway_overdue_sweep_*` metrics; none when omitted. */
  readonly metrics?: Registry;
}

interface SweepMetrics {
  readonly lastRun: Gauge;
  readonly lastFlagged: Gauge;
  readonly failures: Counter;
  readonly flagged: Counter;
}

/** The periodic sweep; {@link start} once, {@link stop} on shutdown. */
export class OverdueSweeper {
  readonly #options: Readonly<OverdueSweeperOptions>;
  readonly #metrics: SweepMetrics | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #last: OverdueSweepStatus | undefined;

  /** @param options ledger, regulator, interval, logger and metrics. */
  constructor(options: Readonly<OverdueSweeperOptions>) {
    if (!(options.intervalMs > 0)) throw new RangeError('the sweep interval must be positive');
    this.#options = options;
    const registers = options.metrics === undefined ? undefined : [options.metrics];
    this.#metrics =
      registers === undefined
        ? undefined
        : {
            lastRun: new Gauge({
              name: 'gateway_overdue_sweep_last_run_timestamp_seconds',
              help: 'When the last overdue-claim sweep ended (Unix seconds)',
              registers,
            }),
            lastFlagged: new Gauge({
              name: 'gateway_overdue_sweep_last_flagged',
              help: 'Claims flagged overdue by the last sweep',
              registers,
            }),
            failures: new Counter({
              name: 'gateway_overdue_sweep_failures_total',
              help: 'Overdue-claim sweeps that failed',
              registers,
            }),
            flagged: new Counter({
              name: 'gateway_overdue_sweep_flagged_total',
              help: 'Claims flagged overdue by this gateway’s sweeps',
              registers,
            }),
          };
  }

  /** The last sweep's outcome; undefined before the first ends. */
  status(): OverdueSweepStatus | undefined {
    return this.#last;
  }

  /** Schedules the first run one interval from now (idempotent). */
  start(): void {
    if (this.#stopped || this.#timer !== undefined || this.#running !== undefined) return;
    this.#schedule();
  }

  /** Cancels the next run and waits for the one in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Runs one sweep now and records its outcome; never rejects. */
  async sweep(): Promise<OverdueSweepStatus> {
    const { ledger, regulator, logger } = this.#options;
    let status: OverdueSweepStatus;
    try {
      // A query first: a sweep with nothing to flag writes no block.
      const due = await ledger.evaluate<{ flagged: unknown[] }>(regulator, 'Financing:FlagOverdueClaims', []);
      if (due.flagged.length === 0) {
        status = { at: new Date().toISOString(), flagged: [] };
        logger.debug('overdue-claim sweep: none to flag');
      } else {
        const committed = await ledger.submit<{ flagged: { claimId: string }[] }>(
          regulator,
          'Financing:FlagOverdueClaims',
          [],
        );
        status = {
          at: new Date().toISOString(),
          flagged: committed.result.flagged.map((c) => c.claimId),
          txId: committed.txId,
        };
        logger.info('claims flagged overdue', { flagged: status.flagged.length, txId: committed.txId });
      }
      this.#metrics?.flagged.inc(status.flagged.length);
    } catch (err) {
      status = { at: new Date().toISOString(), flagged: [], error: (err as Error).message.slice(0, 300) };
      this.#metrics?.failures.inc();
      logger.warn('overdue-claim sweep failed; next run as scheduled', {
        err: status.error,
        code: (err as { code?: unknown }).code,
        retryInMs: this.#options.intervalMs,
      });
    }
    this.#metrics?.lastRun.set(Date.parse(status.at) / 1000);
    this.#metrics?.lastFlagged.set(status.flagged.length);
    this.#last = status;
    return status;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.sweep().then(() => {
        this.#running = undefined;
        this.#schedule();
      });
    }, this.#options.intervalMs);
    this.#timer.unref();
  }
}
