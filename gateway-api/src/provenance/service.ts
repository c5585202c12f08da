/**
 * The provenance flows: upload a batch (stream, validate, hash, stage, sign,
 * anchor, index), read an anchored batch, verify a record's proof against
 * the anchored root. The chaincode decides every ledger rule; this module
 * maps nothing but its own input checks.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  canonicalJson,
  leafHash,
  signTypedMessage,
  verifyInclusion,
  type BatchManifestMessage,
  type InclusionProof,
} from '@ruralcredit/protocol';
import type { Principal } from '../auth/principal';
import { deploymentOf } from '../consortium/definition';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import type { Logger } from '../http/logger';
import type { GatewayDb } from '../store/db';
import { LeafHasher } from './leaf-hasher';
import { invalidRecord, jsonArrayRecords, ndjsonRecords, type ParsedItem } from './parsers';
import {
  BatchFinaliser,
  RecordStoreImpl,
  UploadStaging,
  type ProvenanceSublevels,
  type StoredRecord,
} from './record-store';
import { LedgerDatasetTypeSchema, RecordValidator, type LedgerDatasetType } from './record-validator';
import { BatchRecovery, type RecoveryOutcome } from './recovery';
import type {
  AnchoredBatch,
  BatchView,
  RecordProof,
  UploadQuery,
  UploadResult,
  VerifyRequest,
  VerifyResult,
} from './schemas';

/** Most records one batch upload may carry. */
export const MAX_BATCH_RECORDS = 1_000_000;

/** Largest single record (one NDJSON line or array element) in bytes. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** Most candidate batches tried when verifying a record without a batch ID. */
const MAX_VERIFY_CANDIDATES = 16;

/** How the upload body is encoded. */
export type BatchFormat = 'json' | 'ndjson';

/**
 * Adds the record to the upload's leaf hashes.
 * @throws AppError 400 INVALID_RECORD (rule `CANONICAL_JSON`) when the
 *   record has no RFC 8785 form (a string with a lone surrogate, which JSON.parse accepts).
 */
function pushRecord(hasher: LeafHasher, item: ParsedItem, record: Record<string, unknown>): void {
  try {
    hasher.push(record);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const where = { index: item.index, ...(item.line === undefined ? {} : { line: item.line }) };
    throw invalidRecord(
      { ...where, field: null, rule: 'CANONICAL_JSON' },
      'record cannot be canonicalised (RFC 8785): strings must be well-formed Unicode',
    );
  }
}

/** Re-raises an AppError with `Connection: close`, so an unread upload body is not drained. */
function closing(err: unknown): unknown {
  if (!(err instanceof AppError) || err.headers.Connection === 'close') return err;
  return new AppError(err.status, err.code, err.message, {
    ...(err.details === undefined ? {} : { details: err.details }),
    ...(err.txId === undefined ? {} : { txId: err.txId }),
    headers: { ...err.headers, Connection: 'close' },
    cause: err,
  });
}

/**
 * How long a Fabric anchor may still commit after the process that submitted
 * it stopped (the orderer cuts a block within seconds; this leaves a wide margin).
 */
export const FABRIC_ANCHOR_GRACE_MS = 2 * 60_000;

/**
 * Whether a failed submit may still have anchored the batch: only a refusal
 * by the chaincode (4xx) or a failed endorsement or commit validation says
 * for certain that it did not; a timeout or lost connection does not.
 */
function anchorMayHaveCommitted(err: unknown): boolean {
  if (!(err instanceof AppError)) return true;
  return err.status >= 500 && err.code !== 'ENDORSEMENT_FAILED' && err.code !== 'COMMIT_FAILED';
}

/** Options of {@link ProvenanceServiceImpl}. */
export interface ProvenanceServiceOptions {
  readonly context: DomainContext;
  readonly db: GatewayDb;
  readonly levels: ProvenanceSublevels;
  readonly logger: Logger;
  /** Writes anchored batches to the store; a default one when absent (tests pass one that fails midway). */
  readonly finaliser?: BatchFinaliser;
  /**
   * See `BatchRecoveryOptions.anchorGraceMs` (recovery.ts). Default: 0 for the
   * embedded ledger (it runs in this process, so no submission outlives it),
   * {@link FABRIC_ANCHOR_GRACE_MS} otherwise.
   */
  readonly anchorGraceMs?: number;
  /** Called when an upload leaves an unfinished intent behind, so that recovery runs soon. */
  readonly onUnsettled?: () => void;
}

/** The parts of a ledger access record that decide whether it released a record. */
interface ReleasingAccess {
  readonly accessor: string;
  readonly subject: string;
  readonly datasets: readonly string[];
  readonly outcome: 'GRANTED' | 'DENIED';
  readonly accessedAt: string;
}

/** Batch upload, read and verification. */
export interface ProvenanceService {
  /**
   * Uploads, anchors and stores a batch of `datasetType` read from `body`.
   *
   * The records and everything needed to index them (leaf and subject
   * chunks) are staged, and an anchor intent is written synchronously, before
   * the anchor is submitted. So whenever the process stops, the batch ends
   * either anchored and stored (`COMPLETE`, every record with its proof and
   * index entries, once) or not anchored and not stored:
   * {@link recoverPendingBatches} finishes or discards what a stopped upload
   * left, and nothing reaches the indexes before the ledger has committed.
   *
   * @throws AppError 404 NOT_FOUND (unknown dataset), 403 FORBIDDEN_ORG (caller
   *   is not its provider; checked before the body is read), 400
   *   INVALID_RECORD / MALFORMED_JSON / TOO_MANY_RECORDS, 413, and the
   *   ledger's mapped errors (409 CONFLICT on a duplicate batch ID...): then
   *   nothing stays stored. When the ledger's answer leaves the outcome
   *   unknown (503, timeout) the staging is kept for recovery to settle; when
   *   storing fails after the anchor committed, 500 INTERNAL with the
   *   anchoring `txId`, and recovery stores the batch.
   */
  upload(
    principal: Principal,
    datasetType: string,
    query: UploadQuery,
    format: BatchFormat,
    body: Readable,
  ): Promise<UploadResult>;
  /**
   * The anchored batch from the ledger and how many of its records are stored here.
   * @throws AppError 404 NOT_FOUND when the batch is not anchored.
   */
  get(principal: Principal, batchId: string): Promise<BatchView>;
  /**
   * Whether `record` with `proof` is under an anchored batch's root.
   * @throws AppError 400 INVALID_REQUEST when the record is not representable
   *   as canonical JSON; 404 NOT_FOUND when the given batch is not anchored.
   */
  verify(principal: Principal, request: VerifyRequest): Promise<VerifyResult>;
  /**
   * The inclusion proof of record `index` of a batch stored here, for the
   * batch's provider, or for a bank naming its GRANTED access that released
   * the record (same subject, the record's dataset among the access's, the
   * batch anchored before the access).
   *
   * @throws AppError 404 RECORD_NOT_FOUND (no such record stored here; also for
   *   a batch not anchored); 403 NOT_RELEASED when the caller is not the provider
   *   and names no access of its own that released the record.
   */
  recordProof(principal: Principal, batchId: string, index: number, accessId?: string): Promise<RecordProof>;
  /**
   * Settles the uploads a stopped process left unfinished (see recovery.ts):
   * stores the anchored ones, discards the others, leaves for a later run
   * those the ledger cannot answer for. Concurrent calls share one run;
   * uploads running in this process are left alone. Stops between uploads
   * once `signal` is aborted.
   *
   * @throws Error when the database cannot be read (per-upload failures are
   *   logged and counted as pending instead).
   */
  recoverPendingBatches(signal?: AbortSignal): Promise<RecoveryOutcome>;
}

/** {@link ProvenanceService} over the ledger and the provenance sublevels. */
export class ProvenanceServiceImpl implements ProvenanceService {
  readonly #ctx: DomainContext;
  readonly #onUnsettled: (() => void) | undefined;
  readonly #db: GatewayDb;
  readonly #levels: ProvenanceSublevels;
  readonly #records: RecordStoreImpl;
  readonly #logger: Logger;
  readonly #finaliser: BatchFinaliser;
  readonly #recovery: BatchRecovery;
  /** Upload IDs of uploads running in this process. */
  readonly #inFlight = new Set<string>();
  #recovering: Promise<RecoveryOutcome> | undefined;

  /** @param options ledger context, database, sublevels, logger, finaliser and anchor grace. */
  constructor(options: Readonly<ProvenanceServiceOptions>) {
    this.#ctx = options.context;
    this.#onUnsettled = options.onUnsettled;
    this.#db = options.db;
    this.#levels = options.levels;
    this.#records = new RecordStoreImpl(options.levels);
    this.#logger = options.logger;
    this.#finaliser = options.finaliser ?? new BatchFinaliser(options.levels);
    this.#recovery = new BatchRecovery({
      context: options.context,
      db: options.db,
      levels: options.levels,
      finaliser: this.#finaliser,
      logger: options.logger,
      isInFlight: (uploadId) => this.#inFlight.has(uploadId),
      anchorGraceMs:
        options.anchorGraceMs ?? (options.context.ledger.backend === 'embedded' ? 0 : FABRIC_ANCHOR_GRACE_MS),
    });
  }

  async upload(
    principal: Principal,
    datasetType: string,
    query: UploadQuery,
    format: BatchFormat,
    body: Readable,
  ): Promise<UploadResult> {
    const dataset = await this.#providedDataset(principal, datasetType).catch((err: unknown) => {
      throw closing(err);
    });
    const staging = new UploadStaging(this.#db, this.#levels, `upl-${randomUUID()}`);
    // Recovery leaves this upload's intent alone until the upload returns.
    this.#inFlight.add(staging.uploadId);
    try {
      return await this.#upload(principal, dataset, staging, query, format, body);
    } finally {
      this.#inFlight.delete(staging.uploadId);
    }
  }

  async #upload(
    principal: Principal,
    dataset: LedgerDatasetType,
    staging: UploadStaging,
    query: UploadQuery,
    format: BatchFormat,
    body: Readable,
  ): Promise<UploadResult> {
    const batchId = query.batchId ?? `bat-${randomUUID()}`;
    const hasher = new LeafHasher();
    let submitted = false;
    let anchored: AnchoredBatch | undefined;
    let committed: { txId: string; blockNumber: number } | undefined;
    try {
      await staging.begin();
      const validator = new RecordValidator(dataset, this.#ctx.subjects);
      const items: AsyncGenerator<ParsedItem> =
        format === 'ndjson'
          ? ndjsonRecords(body, MAX_RECORD_BYTES)
          : jsonArrayRecords(body, MAX_RECORD_BYTES);
      for await (const item of items) {
        if (item.index >= MAX_BATCH_RECORDS) {
          throw AppError.badRequest(`a batch holds at most ${MAX_BATCH_RECORDS} records`, {
            code: 'TOO_MANY_RECORDS',
            details: { maxRecords: MAX_BATCH_RECORDS },
          });
        }
        const valid = await validator.check(item);
        pushRecord(hasher, item, valid.record);
        await staging.addRecord(item.index, valid.record, Buffer.from(valid.subject, 'hex'));
        if (hasher.backlogged) await hasher.drain();
      }
      if (hasher.count === 0) {
        throw AppError.badRequest('a batch holds at least one record', { code: 'EMPTY_BATCH' });
      }
      await staging.finishRecords();
      const hashes = await hasher.finish();
      const merkleRoot = await staging.writeTree(hashes.leafChunks, hashes.chunkRoots);
      if (merkleRoot !== hashes.merkleRoot)
        throw AppError.internal('chunked Merkle root differs from the tree root');
      const manifest: BatchManifestMessage = {
        batchId,
        datasetType: dataset.code,
        provider: dataset.provider,
        merkleRoot,
        recordCount: hashes.count,
        periodStart: query.periodStart,
        periodEnd: query.periodEnd,
        schemaVersion: dataset.schemaVersion,
        corrects: query.corrects ?? '',
      };
      const signature = await signTypedMessage(
        await this.#ctx.signers.wallet(dataset.provider),
        'BatchManifest',
        manifest,
        deploymentOf(this.#ctx.consortium),
      );
      await staging.prepareAnchor({
        batchId,
        datasetType: dataset.code,
        provider: dataset.provider,
        merkleRoot,
        recordCount: hashes.count,
        ledgerHeight: await this.#ctx.ledger.height(),
      });
      submitted = true;
      const result = await this.#ctx.ledger.submit<AnchoredBatch>(
        principal.orgMspId,
        'Provenance:AnchorBatch',
        [canonicalJson(manifest), signature],
      );
      anchored = result.result;
      committed = { txId: result.txId, blockNumber: result.blockNumber };
    } catch (err) {
      if (submitted && anchorMayHaveCommitted(err)) {
        this.#logger.warn('anchor outcome unknown; the upload is left for recovery', {
          uploadId: staging.uploadId,
          batchId,
          ...(err instanceof AppError ? { code: err.code, txId: err.txId } : { err: String(err) }),
        });
        this.#onUnsettled?.();
      } else {
        await staging.discard().catch((cleanupErr: unknown) =>
          this.#logger.error('could not discard a failed upload', {
            uploadId: staging.uploadId,
            err: String(cleanupErr),
          }),
        );
      }
      throw closing(err);
    } finally {
      // Stops the hashing workers of an upload that failed before finish() did.
      await hasher.close();
    }
    // Anchored on the ledger: from here the batch exists whatever happens off-chain.
    try {
      await this.#finaliser.finalise({
        batchId: anchored.batchId,
        uploadId: staging.uploadId,
        datasetType: anchored.datasetType,
        merkleRoot: anchored.merkleRoot,
        recordCount: anchored.recordCount,
        anchoredAt: anchored.anchoredAt,
        txId: committed.txId,
        blockNumber: committed.blockNumber,
      });
    } catch (err) {
      this.#logger.error('batch anchored but not stored; left for recovery', {
        uploadId: staging.uploadId,
        batchId: anchored.batchId,
        txId: committed.txId,
        err: String(err),
      });
      this.#onUnsettled?.();
      throw AppError.internal(
        `batch ${anchored.batchId} is anchored but its records are not stored yet; ` +
          'they are stored when the gateway recovers unfinished uploads',
        { txId: committed.txId, cause: err },
      );
    }
    this.#logger.info('batch anchored', {
      batchId: anchored.batchId,
      datasetType: anchored.datasetType,
      recordCount: anchored.recordCount,
      txId: committed.txId,
      blockNumber: committed.blockNumber,
    });
    return {
      batchId: anchored.batchId,
      datasetType: anchored.datasetType,
      merkleRoot: anchored.merkleRoot,
      recordCount: anchored.recordCount,
      txId: committed.txId,
      blockNumber: committed.blockNumber,
    };
  }

  recoverPendingBatches(signal?: AbortSignal): Promise<RecoveryOutcome> {
    this.#recovering ??= this.#recovery.run(signal).finally(() => {
      this.#recovering = undefined;
    });
    return this.#recovering;
  }

  /** The dataset type, when the caller's organisation provides it. */
  async #providedDataset(principal: Principal, code: string): Promise<LedgerDatasetType> {
    const raw = await this.#ctx.ledger.evaluate<unknown>(principal.orgMspId, 'Catalogue:GetDatasetType', [
      code,
    ]);
    const parsed = LedgerDatasetTypeSchema.safeParse(raw);
    if (!parsed.success)
      throw AppError.internal(`dataset type ${code} from the ledger has an unexpected shape`);
    if (parsed.data.provider !== principal.orgMspId) {
      throw AppError.forbidden(`${principal.orgMspId} is not the provider of ${code}`, {
        code: 'FORBIDDEN_ORG',
      });
    }
    return parsed.data;
  }

  async get(principal: Principal, batchId: string): Promise<BatchView> {
    const anchored = await this.#ctx.ledger.evaluate<AnchoredBatch>(
      principal.orgMspId,
      'Provenance:GetBatch',
      [batchId],
    );
    const meta = await this.#records.batch(batchId);
    return { ...anchored, storedRecordCount: meta?.state === 'COMPLETE' ? meta.recordCount : 0 };
  }

  async recordProof(
    principal: Principal,
    batchId: string,
    index: number,
    accessId?: string,
  ): Promise<RecordProof> {
    const stored = await this.#records.recordAt(batchId, index);
    if (stored === undefined) {
      throw AppError.notFound(`record ${index} of batch ${batchId} is not stored here`, {
        code: 'RECORD_NOT_FOUND',
      });
    }
    const anchored = await this.#ctx.ledger.evaluate<AnchoredBatch>(
      principal.orgMspId,
      'Provenance:GetBatch',
      [batchId],
    );
    if (anchored.provider !== principal.orgMspId && !(await this.#released(principal, stored, accessId))) {
      throw AppError.forbidden(
        accessId === undefined
          ? 'only the provider, or a bank naming the access that released it, gets a record proof'
          : `access ${accessId} of ${principal.orgMspId} did not release this record`,
        { code: 'NOT_RELEASED' },
      );
    }
    return {
      batchId: stored.batchId,
      datasetType: stored.datasetType,
      index: stored.index,
      leafHash: stored.leafHash,
      proof: {
        leafIndex: stored.proof.leafIndex,
        treeSize: stored.proof.treeSize,
        path: [...stored.proof.path],
      },
      merkleRoot: stored.merkleRoot,
      anchoredAt: stored.anchoredAt,
      txId: anchored.txId,
    };
  }

  /** Whether the caller's access `accessId` released `stored` (see {@link recordProof}). */
  async #released(
    principal: Principal,
    stored: StoredRecord,
    accessId: string | undefined,
  ): Promise<boolean> {
    if (accessId === undefined) return false;
    let access: ReleasingAccess;
    try {
      access = await this.#ctx.ledger.evaluate<ReleasingAccess>(principal.orgMspId, 'Access:GetAccess', [
        accessId,
      ]);
    } catch (err) {
      // Unknown, or another bank's: the same answer, so the ID tells nothing.
      if (err instanceof AppError && (err.status === 404 || err.status === 403)) return false;
      throw err;
    }
    if (access.accessor !== principal.orgMspId || access.outcome !== 'GRANTED') return false;
    if (!access.datasets.includes(stored.datasetType)) return false;
    if (stored.anchoredAt > access.accessedAt) return false;
    const dataset = LedgerDatasetTypeSchema.safeParse(
      await this.#ctx.ledger.evaluate<unknown>(principal.orgMspId, 'Catalogue:GetDatasetType', [
        stored.datasetType,
      ]),
    );
    if (!dataset.success) return false;
    const subjectId = stored.record[dataset.data.subjectField];
    if (typeof subjectId !== 'string') return false;
    try {
      return (await this.#ctx.subjects.pseudonym(subjectId)) === access.subject;
    } catch {
      return false;
    }
  }

  async verify(principal: Principal, request: VerifyRequest): Promise<VerifyResult> {
    let leaf: string;
    try {
      leaf = leafHash(request.record).toString('hex');
    } catch (err) {
      // Only the canonicaliser's own verdict (a TypeError naming the path) is repeated;
      // anything else, e.g. a RangeError from the stack, is internal and never echoed.
      const reason = err instanceof TypeError ? `: ${err.message}` : '';
      throw AppError.invalid(`record cannot be canonicalised${reason}`);
    }
    const proof: InclusionProof = {
      leafIndex: request.proof.leafIndex,
      treeSize: request.proof.treeSize,
      path: request.proof.path,
    };
    const candidates =
      request.batchId !== undefined
        ? [request.batchId]
        : [
            ...new Set(
              (await this.#records.batchesWithLeaf(leaf, MAX_VERIFY_CANDIDATES)).map((c) => c.batchId),
            ),
          ];
    for (const batchId of candidates) {
      let anchored: AnchoredBatch;
      try {
        anchored = await this.#ctx.ledger.evaluate<AnchoredBatch>(principal.orgMspId, 'Provenance:GetBatch', [
          batchId,
        ]);
      } catch (err) {
        // A batch indexed here but unknown to the ledger proves nothing; a named one must exist.
        if (request.batchId === undefined && err instanceof AppError && err.status === 404) continue;
        throw err;
      }
      if (verifyInclusion(leaf, proof, anchored.merkleRoot, anchored.recordCount)) {
        return {
          valid: true,
          batchId: anchored.batchId,
          datasetType: anchored.datasetType,
          merkleRoot: anchored.merkleRoot,
          anchoredAt: anchored.anchoredAt,
          txId: anchored.txId,
        };
      }
    }
    return { valid: false };
  }
}
