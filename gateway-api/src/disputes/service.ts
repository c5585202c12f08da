/**
 * The dispute flow (异议): the subject becomes a pseudonym at this boundary,
 * notes go to the sealed store (the ledger gets IDs, pseudonyms and the
 * resolution note's digest only), and the `Dispute` contract decides who may
 * file, read and resolve.
 */
import { randomUUID } from 'node:crypto';
import { sha256Hex } from '@ruralcredit/protocol';
import type { Principal } from '../auth/principal';
import type { SubjectPseudonymiser } from '../consortium/subjects';
import type { Page, PageRequest } from '../http/pagination';
import { ledgerPage } from '../ledger/pages';
import type { LedgerClient } from '../ledger/types';
import type { DisputeNoteStore } from './notes';
import type {
  DisputeChange,
  DisputeDetail,
  DisputeView,
  FileDisputeInput,
  ResolveDisputeInput,
} from './schemas';

/** A dispute as the chaincode returns it. */
interface LedgerDispute {
  disputeId: string;
  datasetType: string;
  batchId: string;
  recordHash: string;
  subject: string;
  provider: string;
  filedBy: string;
  grantId: string;
  reason: string;
  status: string;
  filedAt: string;
  dueBy: string;
  overdue: boolean;
  resolution?: {
    outcome: string;
    correctingBatchId: string;
    noteDigest: string;
    resolvedBy: string;
    resolvedAt: string;
    late: boolean;
    txId: string;
  };
  txId: string;
}

/** Dispute operations, each as the calling organisation. */
export interface DisputeService {
  /**
   * Files a dispute on an anchored record and seals the filing note, if any.
   * @throws AppError 400 INVALID_SUBJECT_ID; chaincode FORBIDDEN (no covering consent), NOT_FOUND (batch),
   * INVALID, CONFLICT (duplicate ID or record already disputed) as mapped.
   */
  file(principal: Principal, input: FileDisputeInput): Promise<DisputeChange>;
  /**
   * Resolves a dispute as the dataset's provider: the note is sealed and its SHA-256 anchored.
   * @throws AppError chaincode FORBIDDEN (not the provider), CONFLICT (already resolved), NOT_FOUND, INVALID.
   */
  resolve(principal: Principal, disputeId: string, input: ResolveDisputeInput): Promise<DisputeChange>;
  /**
   * Lists the disputes the caller may see (parties theirs; regulator and auditors all), or only overdue ones.
   * @throws AppError 400 INVALID_CURSOR.
   */
  list(principal: Principal, overdue: boolean, page: PageRequest): Promise<Page<DisputeView>>;
  /**
   * Reads a dispute with its notes.
   * @throws AppError 403 FORBIDDEN for non-parties other than the regulator and auditors; 404 NOT_FOUND.
   */
  get(principal: Principal, disputeId: string): Promise<DisputeDetail>;
}

/** What {@link DisputeServiceImpl} needs. */
export interface DisputeServiceOptions {
  /** The ledger backend. */
  readonly ledger: LedgerClient;
  /** Subject ID validation and pseudonyms. */
  readonly subjects: SubjectPseudonymiser;
  /** Sealed off-chain notes. */
  readonly notes: DisputeNoteStore;
}

/** {@link DisputeService} over the `Dispute` contract and a sealed note store. */
export class DisputeServiceImpl implements DisputeService {
  readonly #ledger: LedgerClient;
  readonly #subjects: SubjectPseudonymiser;
  readonly #notes: DisputeNoteStore;

  /** @param options ledger, pseudonymiser, note store. */
  constructor(options: Readonly<DisputeServiceOptions>) {
    this.#ledger = options.ledger;
    this.#subjects = options.subjects;
    this.#notes = options.notes;
  }

  async file(principal: Principal, input: FileDisputeInput): Promise<DisputeChange> {
    const subject = await this.#subjects.pseudonym(input.subjectId);
    const filing = {
      disputeId: input.disputeId ?? `dsp-${randomUUID()}`,
      datasetType: input.datasetType,
      batchId: input.batchId,
      recordHash: input.recordHash,
      subject,
      ...(input.consentId === undefined ? {} : { grantId: input.consentId }),
      reason: input.reason,
    };
    const committed = await this.#ledger.submit<LedgerDispute>(principal.orgMspId, 'Dispute:FileDispute', [
      JSON.stringify(filing),
    ]);
    // Sealed only once the ledger accepted the dispute, so a refused filing (e.g. a
    // duplicate ID) can never overwrite another dispute's note.
    const note =
      input.note === undefined
        ? null
        : { text: input.note, author: principal.orgMspId, txId: committed.txId };
    if (note !== null) await this.#notes.put(filing.disputeId, 'filing', note);
    return {
      dispute: { ...disputeView(committed.result), notes: { filing: note, resolution: null } },
      txId: committed.txId,
      blockNumber: committed.blockNumber,
    };
  }

  async resolve(principal: Principal, disputeId: string, input: ResolveDisputeInput): Promise<DisputeChange> {
    const resolution = {
      outcome: input.outcome,
      ...(input.correctingBatchId === undefined ? {} : { correctingBatchId: input.correctingBatchId }),
      noteDigest: sha256Hex(input.note),
    };
    const committed = await this.#ledger.submit<LedgerDispute>(principal.orgMspId, 'Dispute:ResolveDispute', [
      disputeId,
      JSON.stringify(resolution),
    ]);
    const note = { text: input.note, author: principal.orgMspId, txId: committed.txId };
    await this.#notes.put(disputeId, 'resolution', note);
    return {
      dispute: await this.#withNotes(committed.result),
      txId: committed.txId,
      blockNumber: committed.blockNumber,
    };
  }

  async list(principal: Principal, overdue: boolean, page: PageRequest): Promise<Page<DisputeView>> {
    const result = await ledgerPage<LedgerDispute>(
      this.#ledger,
      principal.orgMspId,
      'Dispute:ListDisputes',
      [overdue ? 'true' : 'false'],
      page,
    );
    return { items: result.items.map(disputeView), nextCursor: result.nextCursor };
  }

  async get(principal: Principal, disputeId: string): Promise<DisputeDetail> {
    // The chaincode decides who may read; the notes follow the dispute.
    const record = await this.#ledger.evaluate<LedgerDispute>(principal.orgMspId, 'Dispute:GetDispute', [
      disputeId,
    ]);
    return this.#withNotes(record);
  }

  async #withNotes(record: LedgerDispute): Promise<DisputeDetail> {
    const [filing, resolution] = await Promise.all([
      this.#notes.get(record.disputeId, 'filing'),
      this.#notes.get(record.disputeId, 'resolution'),
    ]);
    return {
      ...disputeView(record),
      notes: {
        filing: filing ?? null,
        resolution:
          resolution === undefined
            ? null
            : { ...resolution, digestMatches: sha256Hex(resolution.text) === record.resolution?.noteDigest },
      },
    };
  }
}

/** The API view of a ledger dispute (the grant is the API's consent; absent optionals are null). */
function disputeView(d: LedgerDispute): DisputeView {
  const r = d.resolution;
  return {
    disputeId: d.disputeId,
    datasetType: d.datasetType,
    batchId: d.batchId,
    recordHash: d.recordHash,
    subject: d.subject,
    provider: d.provider,
    filedBy: d.filedBy,
    consentId: d.grantId === '' ? null : d.grantId,
    reason: d.reason,
    status: d.status,
    filedAt: d.filedAt,
    dueBy: d.dueBy,
    overdue: d.overdue,
    resolution: r
      ? {
          outcome: r.outcome,
          correctingBatchId: r.correctingBatchId === '' ? null : r.correctingBatchId,
          noteDigest: r.noteDigest,
          resolvedBy: r.resolvedBy,
          resolvedAt: r.resolvedAt,
          late: r.late,
          txId: r.txId,
        }
      : null,
    txId: d.txId,
  };
}
