import { Object as DataType, Property } from 'fabric-contract-api';
import { epochSecondsFromIso, type BatchManifestMessage } from '@ruralcredit/protocol';
import { Fields } from '../lib/fields';
import { invalid } from '../lib/errors';

/** The largest batch accepted in one manifest. */
export const MAX_BATCH_RECORDS = 100_000_000;

/** An anchored batch: the provenance of one delivery of one dataset type. */
@DataType()
export class Batch {
  @Property('batchId', 'string') batchId = '';
  @Property('datasetType', 'string') datasetType = '';
  @Property('provider', 'string') provider = '';
  @Property('merkleRoot', 'string') merkleRoot = '';
  @Property('recordCount', 'number') recordCount = 0;
  @Property('periodStart', 'string') periodStart = '';
  @Property('periodEnd', 'string') periodEnd = '';
  @Property('schemaVersion', 'number') schemaVersion = 1;
  /** The batch this one corrects, or ''. */
  @Property('corrects', 'string') corrects = '';
  /** Batches that correct this one. */
  @Property('correctedBy', 'string[]') correctedBy: string[] = [];
  @Property('signer', 'string') signer = '';
  @Property('signature', 'string') signature = '';
  @Property('anchoredAt', 'string') anchoredAt = '';
  @Property('txId', 'string') txId = '';

  /**
   * Validates a manifest sent by `provider`.
   *
   * @throws INVALID on a malformed field or a period that ends before it starts.
   */
  static fromManifest(raw: Record<string, unknown>, provider: string): Batch {
    const f = new Fields(raw, 'manifest', [
      'batchId',
      'datasetType',
      'provider',
      'merkleRoot',
      'recordCount',
      'periodStart',
      'periodEnd',
      'schemaVersion',
      'corrects',
    ]);
    const b = new Batch();
    b.batchId = f.id('batchId');
    b.datasetType = f.code('datasetType');
    b.provider = f.has('provider') ? f.mspId('provider') : provider;
    b.merkleRoot = f.digest('merkleRoot');
    b.recordCount = f.integer('recordCount', 1, MAX_BATCH_RECORDS);
    b.periodStart = f.time('periodStart');
    b.periodEnd = f.time('periodEnd');
    if (epochSecondsFromIso(b.periodEnd) < epochSecondsFromIso(b.periodStart)) {
      throw invalid('manifest.periodEnd is before periodStart');
    }
    b.schemaVersion = f.integer('schemaVersion', 1, 1_000_000);
    b.corrects = f.has('corrects') && raw.corrects !== '' ? f.id('corrects') : '';
    if (b.corrects === b.batchId) throw invalid('manifest.corrects cannot name the batch itself');
    return b;
  }

  /** The EIP-712 message the provider signed. */
  static message(b: Batch): BatchManifestMessage {
    return {
      batchId: b.batchId,
      datasetType: b.datasetType,
      provider: b.provider,
      merkleRoot: b.merkleRoot,
      recordCount: b.recordCount,
      periodStart: b.periodStart,
      periodEnd: b.periodEnd,
      schemaVersion: b.schemaVersion,
      corrects: b.corrects,
    };
  }
}
