/** The provenance component: batch upload and anchoring, batch reads, proof verification, record store. */
export { provenanceModule } from './routes';
export {
  createRecordStore,
  MAX_RECORDS_PER_SUBJECT,
  type BatchMeta,
  type RecordStore,
  type StoredRecord,
} from './record-store';
export { MAX_BATCH_RECORDS, MAX_RECORD_BYTES, type ProvenanceService } from './service';
export type { RecoveryOutcome } from './recovery';
export type { AnchoredBatch, BatchView, UploadResult, VerifyRequest, VerifyResult } from './schemas';
