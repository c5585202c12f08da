/**
 * Recovery of uploads a stopped process left unfinished. Every upload keeps
 * an {@link AnchorIntent} from its start until its batch is `COMPLETE` (or
 * its staging is discarded); an intent that no running upload owns is
 * settled here:
 * - `STAGING`: the anchor was never submitted, so the staging is discarded.
 * - `ANCHORING`, with batch meta of this upload stored: the anchor committed
 *   (meta is written only after that), so the finalise is completed.
 * - `ANCHORING`, anchored on the ledger with the intent's root: finalised
 *   exactly as the upload would have; with another root (another gateway
 *   anchored that batch ID): discarded, and logged as an error.
 * - `ANCHORING`, NOT_FOUND on the ledger: discarded once the anchor can no
 *   longer commit (see {@link BatchRecoveryOptions.anchorGraceMs}).
 * - anything else (ledger unreachable, unexpected answer, staging damaged):
 *   left pending for the next run, and logged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import type { Logger } from '../http/logger';
import type { GatewayDb } from '../store/db';
import { notFoundToUndefined } from '../store/db';
import {
  AnchorIntentSchema,
  UploadStaging,
  type AnchoringIntent,
  type BatchFinaliser,
  type ProvenanceSublevels,
} from './record-store';
import { AnchoredBatchSchema } from './schemas';

/** What one recovery run did with the intents it found. */
export interface RecoveryOutcome {
  /** Anchored batches whose records are now stored and indexed (`COMPLETE`). */
  readonly recovered: number;
  /** Stagings removed: never anchored, or anchored by someone else with another root. */
  readonly discarded: number;
  /** Intents left for a later run (ledger unreachable, too recent to judge, or damaged). */
  readonly pending: number;
}

/** Options of {@link BatchRecovery}. */
export interface BatchRecoveryOptions {
  readonly context: DomainContext;
  readonly db: GatewayDb;
  readonly levels: ProvenanceSublevels;
  readonly finaliser: BatchFinaliser;
  readonly logger: Logger;
  /** Whether an upload of this process still owns the intent (recovery leaves it alone). */
  readonly isInFlight: (uploadId: string) => boolean;
  /**
   * How long after an intent was written its anchor may still commit on the
   * ledger although the process that submitted it is gone (a transaction
   * already with the orderer). A NOT_FOUND for a younger intent is not
   * trusted: the intent stays pending.
   */
  readonly anchorGraceMs: number;
}

type Settled = 'recovered' | 'discarded' | 'pending';

/** Evidence of a failure, for the log: code, status, transaction ID and details of an AppError. */
function evidence(err: unknown): Record<string, unknown> {
  if (err instanceof AppError) {
    return {
      err: err.message,
      code: err.code,
      status: err.status,
      ...(err.txId === undefined ? {} : { txId: err.txId }),
      ...(err.details === undefined ? {} : { details: err.details }),
    };
  }
  return { err: err instanceof Error ? err.message : String(err) };
}

/** Settles the intents of unfinished uploads; see the module comment for the rules. */
export class BatchRecovery {
  readonly #ctx: DomainContext;
  readonly #db: GatewayDb;
  readonly #levels: ProvenanceSublevels;
  readonly #finaliser: BatchFinaliser;
  readonly #logger: Logger;
  readonly #isInFlight: (uploadId: string) => boolean;
  readonly #anchorGraceMs: number;

  /** @param options ledger context, database, finaliser, and which uploads are still running. */
  constructor(options: Readonly<BatchRecoveryOptions>) {
    this.#ctx = options.context;
    this.#db = options.db;
    this.#levels = options.levels;
    this.#finaliser = options.finaliser;
    this.#logger = options.logger;
    this.#isInFlight = options.isInFlight;
    this.#anchorGraceMs = options.anchorGraceMs;
  }

  /**
   * Settles every intent no running upload owns, one at a time. Stops
   * between intents once `signal` is aborted (the rest count as pending).
   * Failures of one intent are logged and leave it pending.
   *
   * @throws Error when the intents cannot be listed (database closed).
   */
  async run(signal?: AbortSignal): Promise<RecoveryOutcome> {
    const uploadIds: string[] = [];
    for await (const key of this.#levels.intents.keys()) uploadIds.push(key);
    const counts: Record<Settled, number> = { recovered: 0, discarded: 0, pending: 0 };
    for (const uploadId of uploadIds) {
      if (signal?.aborted === true) {
        counts.pending += 1;
        continue;
      }
      // Checked before reading: an upload that finished since the listing has deleted its intent.
      if (this.#isInFlight(uploadId)) continue;
      const settled = await this.#settle(uploadId).catch((err: unknown): Settled => {
        this.#logger.error('could not recover an unfinished upload; left for the next run', {
          uploadId,
          ...evidence(err),
        });
        return 'pending';
      });
      if (settled !== undefined) counts[settled] += 1;
    }
    return counts;
  }

  async #settle(uploadId: string): Promise<Settled | undefined> {
    const raw = await this.#levels.intents.get(uploadId).catch(notFoundToUndefined);
    if (raw === undefined) return undefined;
    const parsed = AnchorIntentSchema.safeParse(raw);
    if (!parsed.success) {
      this.#logger.error('unreadable upload intent; left for an operator', { uploadId });
      return 'pending';
    }
    const intent = parsed.data;
    if (intent.state === 'STAGING') {
      await new UploadStaging(this.#db, this.#levels, uploadId).discard();
      this.#logger.warn('discarded an upload that stopped before anchoring', { uploadId });
      return 'discarded';
    }
    const stored = await this.#levels.batches.get(intent.batchId).catch(notFoundToUndefined);
    if (stored?.uploadId === uploadId) {
      await this.#finaliser.finalise(stored);
      this.#logger.info('completed an interrupted batch finalise', {
        uploadId,
        batchId: intent.batchId,
        recordCount: stored.recordCount,
      });
      return 'recovered';
    }
    if (stored !== undefined) {
      // The batch ID is stored from another upload (a retry under the same ID): this one is surplus.
      await new UploadStaging(this.#db, this.#levels, uploadId).discard();
      const where = { uploadId, batchId: intent.batchId, storedFrom: stored.uploadId };
      if (stored.merkleRoot !== intent.merkleRoot) {
        this.#logger.error('batch ID anchored with another root; discarded this upload', {
          ...where,
          merkleRoot: intent.merkleRoot,
          storedMerkleRoot: stored.merkleRoot,
        });
      } else {
        this.#logger.warn('batch already stored from another upload; discarded this one', where);
      }
      return 'discarded';
    }
    return this.#settleWithLedger(intent);
  }

  async #settleWithLedger(intent: AnchoringIntent): Promise<Settled> {
    const where = { uploadId: intent.uploadId, batchId: intent.batchId };
    let answer: unknown;
    try {
      answer = await this.#ctx.ledger.evaluate<unknown>(intent.provider, 'Provenance:GetBatch', [
        intent.batchId,
      ]);
    } catch (err) {
      if (!(err instanceof AppError && err.status === 404)) {
        this.#logger.warn('ledger unreachable while recovering an upload; left for the next run', {
          ...where,
          ...evidence(err),
        });
        return 'pending';
      }
      const ageMs = Date.now() - Date.parse(intent.createdAt);
      if (!(ageMs >= this.#anchorGraceMs)) {
        this.#logger.info('unanchored upload too recent to discard; left for the next run', {
          ...where,
          ageMs,
        });
        return 'pending';
      }
      // One peer's "not found" proves nothing while it may lag behind the orderer (a peer that
      // restarted with the gateway): discard only once this peer holds a transaction made after
      // the grace, so the anchor, had it been ordered, would be in a block it has.
      if (
        this.#anchorGraceMs > 0 &&
        !(await this.#ledgerPassed(Date.parse(intent.createdAt) + this.#anchorGraceMs))
      ) {
        this.#logger.info('the ledger has not moved past the grace yet; upload left for the next run', where);
        return 'pending';
      }
      await new UploadStaging(this.#db, this.#levels, intent.uploadId).discard();
      this.#logger.warn('discarded an upload whose anchor never reached the ledger', where);
      return 'discarded';
    }
    const anchored = AnchoredBatchSchema.safeParse(answer);
    if (!anchored.success) {
      this.#logger.error('unexpected batch from the ledger while recovering an upload', where);
      return 'pending';
    }
    const batch = anchored.data;
    if (
      batch.merkleRoot !== intent.merkleRoot ||
      batch.recordCount !== intent.recordCount ||
      batch.datasetType !== intent.datasetType
    ) {
      await new UploadStaging(this.#db, this.#levels, intent.uploadId).discard();
      this.#logger.error('batch ID anchored with another root; discarded this upload', {
        ...where,
        merkleRoot: intent.merkleRoot,
        ledgerMerkleRoot: batch.merkleRoot,
        ledgerTxId: batch.txId,
      });
      return 'discarded';
    }
    const blockNumber = await this.#blockOf(batch.txId, intent.ledgerHeight);
    await this.#finaliser.finalise({
      batchId: batch.batchId,
      uploadId: intent.uploadId,
      datasetType: batch.datasetType,
      merkleRoot: batch.merkleRoot,
      recordCount: batch.recordCount,
      anchoredAt: batch.anchoredAt,
      txId: batch.txId,
      blockNumber,
    });
    this.#logger.info('stored an anchored batch an interrupted upload left', {
      ...where,
      recordCount: batch.recordCount,
      txId: batch.txId,
      blockNumber,
    });
    return 'recovered';
  }

  /** Whether the newest block holds a transaction timestamped after `afterMs`. */
  async #ledgerPassed(afterMs: number): Promise<boolean> {
    const height = await this.#ctx.ledger.height();
    if (height < 1) return false;
    const stream = this.#ctx.ledger.blocks(height - 1);
    try {
      for await (const block of stream) {
        return block.transactions.some((tx) => Date.parse(tx.timestamp) > afterMs);
      }
    } finally {
      stream.close();
    }
    return false;
  }

  /**
   * The block holding transaction `txId`, searched from `fromBlock` (the
   * height before it was submitted) up to the current height. `GetBatch`
   * gives the transaction but not its block, which the batch meta records.
   *
   * @throws Error when no block in that range holds it.
   */
  async #blockOf(txId: string, fromBlock: number): Promise<number> {
    const height = await this.#ctx.ledger.height();
    if (fromBlock < height) {
      const stream = this.#ctx.ledger.blocks(fromBlock);
      try {
        for await (const block of stream) {
          if (block.transactions.some((tx) => tx.txId === txId)) return block.number;
          if (block.number + 1 >= height) break;
        }
      } finally {
        stream.close();
      }
    }
    throw new Error(`transaction ${txId} is not in blocks ${fromBlock} to ${height - 1}`);
  }
}

/** Pauses between runs while intents stay pending: 30 s, doubling, at most 15 min. */
const RETRY_FIRST_MS = 30_000;
const RETRY_MAX_MS = 15 * 60_000;

/** A recovery running in the background. */
export interface BackgroundRecovery {
  /** The first run's outcome (tests wait on it); rejects when the first run failed as a whole. */
  readonly firstRun: Promise<RecoveryOutcome>;
  /** Asks for another run soon (an upload has just left an unfinished intent). */
  schedule(): void;
  /** Stops retrying and waits for the current run, which stops after its current intent. */
  stop(): Promise<void>;
}

/**
 * Runs `recover` now, without blocking the caller, and again with a growing
 * pause while it reports pending intents; logs every outcome.
 */
export function recoverInBackground(
  recover: (signal: AbortSignal) => Promise<RecoveryOutcome>,
  logger: Logger,
): BackgroundRecovery {
  const abort = new AbortController();
  const attempt = async (): Promise<RecoveryOutcome> => {
    const outcome = await recover(abort.signal);
    const log = outcome.pending > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
    log('provenance recovery finished', { ...outcome });
    return outcome;
  };
  const firstRun = attempt();
  let pending = true;
  let wanted = false;
  let loop: Promise<void> | undefined;
  const retry = async (afterFirstRun: boolean): Promise<void> => {
    if (afterFirstRun) {
      pending = await firstRun.then(
        (outcome) => outcome.pending > 0,
        (err: unknown) => {
          logger.error('provenance recovery failed', evidence(err));
          return true;
        },
      );
    }
    for (let pauseMs = RETRY_FIRST_MS; (pending || wanted) && !abort.signal.aborted;) {
      // A scheduled run comes after the first pause; retries of pending intents back off.
      const pause = wanted && !pending ? RETRY_FIRST_MS : pauseMs;
      wanted = false;
      try {
        await sleep(pause, undefined, { signal: abort.signal, ref: false });
        pending = (await attempt()).pending > 0;
      } catch (err) {
        if (abort.signal.aborted) return;
        logger.error('provenance recovery failed', evidence(err));
      }
      pauseMs = pending ? Math.min(pauseMs * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
    }
  };
  const start = (afterFirstRun: boolean): void => {
    loop = retry(afterFirstRun).finally(() => {
      loop = undefined;
      if (wanted && !abort.signal.aborted) start(false);
    });
  };
  start(true);
  return {
    firstRun,
    schedule() {
      wanted = true;
      if (loop === undefined && !abort.signal.aborted) start(false);
    },
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
