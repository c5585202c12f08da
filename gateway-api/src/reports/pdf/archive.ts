/**
 * Issued reports kept for printing: once an access committed as GRANTED, the
 * report it released is kept (sealed, AES-256-GCM) at the requesting bank's
 * gateway under the bank's MSP ID and the access ID, so the bank can print
 * it later. Only the bank's own gateway holds the report's JSON: the ledger
 * holds its digest.
 */
import { z } from 'zod';
import type { SealedStore } from '../../store/sealed';
import type { Report } from '../schemas';

/** Name of the sealed store of issued reports. */
export const ISSUED_REPORTS_STORE = 'issued-reports';

/** An issued report with the transaction that recorded its access. */
export const IssuedRecordSchema = z.object({
  report: z.custom<Report>((v) => typeof v === 'object' && v !== null),
  txId: z.string(),
  blockNumber: z.number().int().optional(),
});
/** An issued report as kept. */
export type IssuedRecord = z.infer<typeof IssuedRecordSchema>;

/** Reports by issuing institution and access ID. */
export class IssuedReportArchive {
  readonly #store: SealedStore<IssuedRecord>;

  constructor(store: SealedStore<IssuedRecord>) {
    this.#store = store;
  }

  static #key(institution: string, accessId: string): string {
    return `${institution}!${accessId}`;
  }

  /** Keeps a report whose access committed as GRANTED. */
  async keep(institution: string, record: IssuedRecord): Promise<void> {
    await this.#store.put(IssuedReportArchive.#key(institution, record.report.accessId), record);
  }

  /** The report `institution` issued under `accessId`, if kept. */
  async get(institution: string, accessId: string): Promise<IssuedRecord | undefined> {
    return this.#store.get(IssuedReportArchive.#key(institution, accessId));
  }
}
