import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { isSignedBy } from '@ruralcredit/protocol';
import { deploymentOf } from '../lib/deployment';
import { conflict, forbidden, invalid, notFound } from '../lib/errors';
import { Fields, timeRange } from '../lib/fields';
import { KeyType, key } from '../lib/keys';
import { marshal, parseArgument } from '../lib/marshal';
import { requireCaller } from '../lib/members';
import {
  emit,
  exists,
  pageSizeOf,
  putIndex,
  readRecordPage,
  readRecord,
  txEpochSeconds,
  txTime,
  writeRecord,
} from '../lib/state';
import { Batch } from '../model/batch';
import { FREQUENCY_MAX_AGE_SECONDS, type DatasetType } from '../model/catalogue';
import { epochSecondsFromIso } from '@ruralcredit/protocol';
import { readDatasetType } from './catalogue';

/** Reads a batch or throws NOT_FOUND. */
export async function readBatch(ctx: Context, batchId: string): Promise<Batch> {
  const b = await readRecord<Batch>(ctx, key(ctx, KeyType.batch, [batchId]));
  if (!b) throw notFound(`batch ${batchId} is not anchored`);
  return b;
}

/** Freshness of a dataset judged at the transaction time. */
interface Freshness {
  datasetType: string;
  provider: string;
  frequency: string;
  maxAgeSeconds: number;
  latestBatchId: string;
  lastAnchoredAt: string;
  ageSeconds: number;
  overdue: boolean;
  judgedAt: string;
}

/**
 * Data provenance: providers anchor signed batch manifests (Merkle root,
 * count, period, schema version, correction link); anyone in the consortium
 * can read them and judge a dataset's freshness.
 */
@Info({ title: 'Provenance', description: 'Anchored batch manifests of government datasets' })
export class ProvenanceContract extends Contract {
  constructor() {
    super('Provenance');
  }

  /**
   * Anchors a batch of the caller's own dataset type. `signature` is the
   * provider key's EIP-712 signature of the manifest.
   *
   * @throws FORBIDDEN when the caller does not provide that dataset or has no signing key;
   * INVALID on a bad signature, schema version or correction link, or a period starting after
   * the transaction time; CONFLICT on a duplicate ID.
   */
  @Transaction()
  @Returns('string')
  async AnchorBatch(ctx: Context, manifestJson: string, signature: string): Promise<string> {
    const provider = await requireCaller(ctx, 'DATA_PROVIDER');
    const batch = Batch.fromManifest(parseArgument(manifestJson, 'manifest'), provider.mspId);
    if (batch.provider !== provider.mspId) throw forbidden('a provider anchors batches in its own name only');
    // Records describe what happened: a period that has not begun at the transaction time is refused.
    if (epochSecondsFromIso(batch.periodStart) > txEpochSeconds(ctx)) {
      throw invalid('manifest.periodStart is in the future');
    }
    const dataset = await readDatasetType(ctx, batch.datasetType);
    if (dataset.provider !== provider.mspId) {
      throw forbidden(`${provider.mspId} is not the provider of ${dataset.code}`);
    }
    if (batch.schemaVersion !== dataset.schemaVersion) {
      throw invalid(
        `manifest.schemaVersion ${batch.schemaVersion} is not the current ${dataset.schemaVersion}`,
      );
    }
    if (!provider.signer) throw forbidden(`${provider.mspId} has no registered signing key`);
    const sig = new Fields({ signature }, 'anchor').signature('signature');
    if (!isSignedBy('BatchManifest', Batch.message(batch), sig, provider.signer, deploymentOf(ctx))) {
      throw invalid('signature does not match the manifest and the provider key');
    }
    const batchKey = key(ctx, KeyType.batch, [batch.batchId]);
    if (await exists(ctx, batchKey)) throw conflict(`batch ${batch.batchId} is already anchored`);
    const at = txTime(ctx);
    if (batch.corrects !== '') {
      const corrected = await readBatch(ctx, batch.corrects);
      if (corrected.datasetType !== batch.datasetType)
        throw invalid('a batch corrects a batch of its own type only');
      corrected.correctedBy = [...corrected.correctedBy, batch.batchId].sort();
      await writeRecord(ctx, key(ctx, KeyType.batch, [corrected.batchId]), corrected);
    }
    batch.signer = provider.signer;
    batch.signature = sig;
    batch.anchoredAt = at;
    batch.txId = ctx.stub.getTxID();
    await writeRecord(ctx, batchKey, batch);
    await putIndex(ctx, KeyType.batchByType, [batch.datasetType, at, batch.batchId]);
    await writeRecord(ctx, key(ctx, KeyType.latestBatch, [batch.datasetType]), {
      batchId: batch.batchId,
      anchoredAt: at,
    });
    emit(ctx, 'BatchAnchored', {
      batchId: batch.batchId,
      datasetType: batch.datasetType,
      provider: batch.provider,
      merkleRoot: batch.merkleRoot,
      recordCount: batch.recordCount,
      corrects: batch.corrects,
    });
    return marshal(batch);
  }

  /** Reads a batch (any active member). */
  @Transaction(false)
  @Returns('string')
  async GetBatch(ctx: Context, batchId: string): Promise<string> {
    await requireCaller(ctx);
    return marshal(await readBatch(ctx, new Fields({ batchId }, 'query').id('batchId')));
  }

  /** Lists the batches of a dataset type in anchoring order (any active member), paginated. */
  @Transaction(false)
  @Returns('string')
  async ListBatches(ctx: Context, datasetType: string, pageSize: string, bookmark: string): Promise<string> {
    await requireCaller(ctx);
    const code = new Fields({ datasetType }, 'query').code('datasetType');
    return marshal(
      await readRecordPage(ctx, KeyType.batch, {
        type: KeyType.batchByType,
        prefix: [code],
        pageSize: pageSizeOf(pageSize),
        bookmark,
      }),
    );
  }

  /**
   * Lists the batches of a dataset type anchored in [from, to) ('' = open),
   * oldest first (any active member), paginated.
   *
   * @throws INVALID on a malformed code or bound, or `to` not after `from`.
   */
  @Transaction(false)
  @Returns('string')
  async ListBatchesAnchored(
    ctx: Context,
    datasetType: string,
    from: string,
    to: string,
    pageSize: string,
    bookmark: string,
  ): Promise<string> {
    await requireCaller(ctx);
    const code = new Fields({ datasetType }, 'query').code('datasetType');
    const { start, end } = timeRange(from, to);
    return marshal(
      await readRecordPage(ctx, KeyType.batch, {
        type: KeyType.batchByType,
        prefix: [code],
        pageSize: pageSizeOf(pageSize),
        bookmark,
        startAfterPrefix: start === '' ? undefined : [start],
        stopAt: end === '' ? undefined : { index: 1, value: end },
      }),
    );
  }

  /** Reads the latest batch of a dataset type (any active member). */
  @Transaction(false)
  @Returns('string')
  async GetLatestBatch(ctx: Context, datasetType: string): Promise<string> {
    await requireCaller(ctx);
    const code = new Fields({ datasetType }, 'query').code('datasetType');
    const latest = await readRecord<{ batchId: string }>(ctx, key(ctx, KeyType.latestBatch, [code]));
    if (!latest) throw notFound(`no batch of ${code} is anchored`);
    return marshal(await readBatch(ctx, latest.batchId));
  }

  /**
   * Judges a dataset's freshness at the transaction time: overdue when the
   * latest batch (or, before any, the definition) is older than its frequency allows.
   */
  @Transaction(false)
  @Returns('string')
  async GetFreshness(ctx: Context, datasetType: string): Promise<string> {
    await requireCaller(ctx);
    const dataset = await readDatasetType(ctx, new Fields({ datasetType }, 'query').code('datasetType'));
    return marshal(await this.#freshness(ctx, dataset));
  }

  async #freshness(ctx: Context, dataset: DatasetType): Promise<Freshness> {
    const latest = await readRecord<{ batchId: string; anchoredAt: string }>(
      ctx,
      key(ctx, KeyType.latestBatch, [dataset.code]),
    );
    const maxAge = FREQUENCY_MAX_AGE_SECONDS[dataset.frequency];
    const since = latest?.anchoredAt ?? dataset.definedAt;
    const age = txEpochSeconds(ctx) - epochSecondsFromIso(since);
    return {
      datasetType: dataset.code,
      provider: dataset.provider,
      frequency: dataset.frequency,
      maxAgeSeconds: maxAge,
      latestBatchId: latest?.batchId ?? '',
      lastAnchoredAt: latest?.anchoredAt ?? '',
      ageSeconds: age,
      overdue: age > maxAge,
      judgedAt: txTime(ctx),
    };
  }
}
