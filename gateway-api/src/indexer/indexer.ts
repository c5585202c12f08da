/**
 * The block indexer: a {@link BlockProcessor} fed by the ledger's block
 * stream, wrapped in a restart loop with exponential backoff, shared by every
 * module of one gateway (audit, supervision, alerts).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { DomainContext } from '../domain';
import type { GatewayDeps } from '../feature';
import { AppError } from '../http/errors';
import type { Logger } from '../http/logger';
import type { BlockStream, LedgerClient } from '../ledger/types';
import { AccessIndexImpl, type AccessIndex } from './access-index';
import { AlertLogImpl } from './alert-log';
import { BlockProcessor } from './block-processor';
import { readCountyCounters, type CountyCounters } from './county-counters';
import { EventBusImpl } from './event-bus';
import { COUNTER_PREFIX, HIGH, txKey } from './keys';
import { COUNTER_NAMES, zeroCounters, type InstitutionCounters } from './projection';
import { LevelIndexStore, StoreCheckpointer, type IndexStore } from './store';
import type { AlertLog, EventBus, TxLocation, TxLocator } from './types';
import { upgradeIndex } from './upgrade';

/** The shared indexer's public face. */
export interface Indexer {
  /** Stored events, live. */
  readonly bus: EventBus;
  /** Transaction ID to ledger position. */
  readonly locator: TxLocator;
  /** Indexed accesses. */
  readonly accessIndex: AccessIndex;
  /** Indexed alerts, per organisation (what the bus published, durably). */
  readonly alertLog: AlertLog;
  /** Per-institution counters, keyed by MSP ID (institutions with no counted event are absent). */
  counters(): Promise<Map<string, InstitutionCounters>>;
  /** Accesses per subject county (6-digit code, or `unknown`), in key order; counties with none are absent. */
  countyCounters(): Promise<Map<string, CountyCounters>>;
  /** The highest block whose transactions are all indexed (-1 before the first). */
  processedBlock(): number;
  /**
   * Resolves once block `blockNumber` is fully indexed.
   * @throws AppError 503 INDEX_LAGGING after `timeoutMs`; 503 INDEXER_STOPPED when stopped.
   */
  waitFor(blockNumber: number, timeoutMs?: number): Promise<void>;
  /**
   * Resolves once every block committed when called is indexed (read-your-writes for queries).
   * @throws AppError 503 as {@link waitFor}, or the ledger's error when its height cannot be read.
   */
  catchUp(timeoutMs?: number): Promise<void>;
  /** Stops the loop after the transaction being written, and rejects pending waits. */
  stop(): Promise<void>;
}

/** Options of {@link IndexerImpl}. */
export interface IndexerOptions {
  /** Source of blocks. */
  readonly ledger: LedgerClient;
  /** Where the index lives. */
  readonly store: IndexStore;
  readonly logger: Logger;
  /** First restart delay in milliseconds (default 100); doubled per consecutive failure. */
  readonly initialBackoffMs?: number;
  /** Longest restart delay in milliseconds (default 10,000). */
  readonly maxBackoffMs?: number;
  /** Default timeout of {@link Indexer.waitFor} in milliseconds (default 30,000). */
  readonly waitTimeoutMs?: number;
  /** Registry for the `gateway_indexer_*` metrics; none when omitted. */
  readonly metrics?: Registry;
}

interface Waiter {
  readonly blockNumber: number;
  readonly resolve: () => void;
  readonly reject: (err: AppError) => void;
  readonly timer: NodeJS.Timeout;
}

/** {@link Indexer} with a restart loop; call {@link IndexerImpl.start} once. */
export class IndexerImpl implements Indexer {
  readonly #options: Readonly<IndexerOptions>;
  readonly #bus: EventBusImpl;
  readonly #processor: BlockProcessor;
  readonly #accessIndex: AccessIndexImpl;
  readonly #alertLog: AlertLogImpl;
  readonly #waiters = new Set<Waiter>();
  readonly #located = new Map<string, TxLocation>();
  readonly #abort = new AbortController();
  readonly #processedGauge: Gauge | undefined;
  readonly #failuresGauge: Gauge | undefined;
  #processed = -1;
  #stream: BlockStream | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #failures = 0;

  /** @param options ledger, store, logger and tuning. */
  constructor(options: Readonly<IndexerOptions>) {
    this.#options = options;
    this.#bus = new EventBusImpl({ logger: options.logger });
    this.#accessIndex = new AccessIndexImpl(options.store);
    this.#alertLog = new AlertLogImpl(options.store);
    this.#processor = new BlockProcessor({
      store: options.store,
      checkpointer: new StoreCheckpointer(options.store),
      bus: this.#bus,
      logger: options.logger,
      onBlockProcessed: (n) => this.#blockDone(n),
    });
    if (options.metrics !== undefined) {
      this.#processedGauge = new Gauge({
        name: 'gateway_indexer_processed_block',
        help: 'Highest block fully written to the off-chain index',
        registers: [options.metrics],
      });
      this.#failuresGauge = new Gauge({
        name: 'gateway_indexer_consecutive_failures',
        help: 'Consecutive failures of the block indexer (0 when healthy)',
        registers: [options.metrics],
      });
    }
  }

  get bus(): EventBus {
    return this.#bus;
  }

  get accessIndex(): AccessIndex {
    return this.#accessIndex;
  }

  get alertLog(): AlertLog {
    return this.#alertLog;
  }

  get locator(): TxLocator {
    return { locate: (txId) => this.#locate(txId) };
  }

  /** Starts the loop (idempotent). */
  start(): void {
    this.#running ??= this.#run();
  }

  processedBlock(): number {
    return this.#processed;
  }

  async counters(): Promise<Map<string, InstitutionCounters>> {
    const result = new Map<string, InstitutionCounters>();
    for await (const [key, value] of this.#options.store.entries<Partial<InstitutionCounters>>({
      gte: COUNTER_PREFIX,
      lt: `${COUNTER_PREFIX}${HIGH}`,
    })) {
      const counters = zeroCounters();
      for (const name of COUNTER_NAMES) counters[name] = value[name] ?? 0;
      result.set(key.slice(COUNTER_PREFIX.length), counters);
    }
    return result;
  }

  countyCounters(): Promise<Map<string, CountyCounters>> {
    return readCountyCounters(this.#options.store);
  }

  waitFor(blockNumber: number, timeoutMs = this.#options.waitTimeoutMs ?? 30_000): Promise<void> {
    if (this.#processed >= blockNumber) return Promise.resolve();
    if (this.#stopped) return Promise.reject(stoppedError());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        blockNumber,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(
            AppError.unavailable(`the off-chain index has not reached block ${blockNumber} yet`, {
              code: 'INDEX_LAGGING',
              details: { blockNumber, processedBlock: this.#processed },
            }),
          );
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  async catchUp(timeoutMs?: number): Promise<void> {
    const height = await this.#options.ledger.height();
    if (height > 0) await this.waitFor(height - 1, timeoutMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    this.#stream?.close();
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(stoppedError());
    }
    this.#waiters.clear();
    await this.#running;
  }

  async #locate(txId: string): Promise<TxLocation | undefined> {
    const cached = this.#located.get(txId);
    if (cached !== undefined) return cached;
    const location = await this.#options.store.get<TxLocation>(txKey(txId));
    // A VALID transaction's place never changes: keep the most recently asked ones.
    if (location?.validationCode === 'VALID') {
      this.#located.set(txId, location);
      if (this.#located.size > LOCATION_CACHE_SIZE) {
        this.#located.delete(this.#located.keys().next().value as string);
      }
    }
    return location;
  }

  #blockDone(blockNumber: number): void {
    this.#processed = Math.max(this.#processed, blockNumber);
    this.#failures = 0;
    this.#processedGauge?.set(this.#processed);
    this.#failuresGauge?.set(0);
    for (const waiter of this.#waiters) {
      if (waiter.blockNumber <= this.#processed) {
        clearTimeout(waiter.timer);
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  async #run(): Promise<void> {
    const { logger, ledger } = this.#options;
    const initial = this.#options.initialBackoffMs ?? 100;
    const max = this.#options.maxBackoffMs ?? 10_000;
    while (!this.#stopped) {
      try {
        await upgradeIndex({
          ledger,
          store: this.#options.store,
          checkpointer: new StoreCheckpointer(this.#options.store),
          logger,
          shouldStop: () => this.#stopped,
        });
        const start = await this.#processor.startBlock();
        const stream = ledger.blocks(start);
        this.#stream = stream;
        // stop() may have run while the checkpoint was read, before there was a stream to close.
        if (this.#stopped) stream.close();
        try {
          await this.#processor.process(stream, () => this.#stopped);
        } finally {
          stream.close();
          this.#stream = undefined;
        }
        if (this.#stopped) break;
        throw new StreamEndedError();
      } catch (err) {
        if (this.#stopped) break;
        this.#failures += 1;
        this.#failuresGauge?.set(this.#failures);
        const wait = Math.min(max, initial * 2 ** Math.min(this.#failures - 1, 30));
        const fields = {
          err: (err as Error).message,
          code: (err as { code?: unknown }).code,
          failures: this.#failures,
          retryInMs: wait,
          processedBlock: this.#processed,
        };
        // The gateway closes the ledger before stopping its modules, so one ended
        // stream at shutdown is normal; repeated ends are worth a warning.
        if (err instanceof StreamEndedError && this.#failures === 1) {
          logger.info('block stream ended; reopening', fields);
        } else {
          logger.warn('block indexer failed; restarting', fields);
        }
        try {
          await delay(wait, undefined, { signal: this.#abort.signal });
        } catch {
          break; // aborted by stop()
        }
      }
    }
    logger.info('block indexer stopped', { processedBlock: this.#processed });
  }
}

/** The ledger ended the block stream without the indexer asking. */
class StreamEndedError extends Error {
  constructor() {
    super('the block stream ended');
    this.name = 'StreamEndedError';
  }
}

function stoppedError(): AppError {
  return AppError.unavailable('the off-chain index is stopped', { code: 'INDEXER_STOPPED' });
}

/** VALID transaction locations kept in memory by the locator. */
const LOCATION_CACHE_SIZE = 50_000;

const indexers = new WeakMap<GatewayDeps, IndexerImpl>();

/**
 * The gateway's one indexer over `ctx.ledger` and `deps.db`, created and
 * started on first call and stopped on shutdown; later calls with the same
 * `deps` return the same instance, so modules share it.
 */
export function createIndexer(ctx: DomainContext, deps: GatewayDeps): Indexer {
  let indexer = indexers.get(deps);
  if (indexer === undefined) {
    const created = new IndexerImpl({
      ledger: ctx.ledger,
      store: new LevelIndexStore({ db: deps.db }),
      logger: deps.logger.child({ component: 'indexer' }),
      metrics: deps.metrics,
    });
    indexers.set(deps, created);
    deps.onShutdown(() => created.stop());
    created.start();
    indexer = created;
  }
  return indexer;
}
