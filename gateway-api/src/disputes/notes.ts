/**
 * Dispute notes off the ledger: free text that may name people, so it is
 * stored only sealed (AES-256-GCM) and the ledger sees its digest at most.
 */
import type { SealedStore } from '../store/sealed';
import { DisputeNoteSchema, type DisputeNote } from './schemas';

/** Sealed-store name of the notes. */
export const DISPUTE_NOTES_STORE = 'dispute-notes';

/** The schema each stored note is checked against when read back. */
export const StoredNoteSchema = DisputeNoteSchema;

/** Which note of a dispute. */
export type NoteKind = 'filing' | 'resolution';

/** Notes of disputes, by dispute ID and kind. */
export interface DisputeNoteStore {
  /** Stores a note (replacing a previous one of the same kind). */
  put(disputeId: string, kind: NoteKind, note: DisputeNote): Promise<void>;
  /**
   * Reads a note.
   * @throws SealedDataError when the stored value does not open (wrong key or tampered).
   */
  get(disputeId: string, kind: NoteKind): Promise<DisputeNote | undefined>;
}

/** {@link DisputeNoteStore} over a sealed store. */
export class DisputeNoteStoreImpl implements DisputeNoteStore {
  readonly #store: SealedStore<DisputeNote>;

  /** @param store the sealed store (see {@link DISPUTE_NOTES_STORE}). */
  constructor(store: SealedStore<DisputeNote>) {
    this.#store = store;
  }

  put(disputeId: string, kind: NoteKind, note: DisputeNote): Promise<void> {
    return this.#store.put(`${disputeId}/${kind}`, note);
  }

  get(disputeId: string, kind: NoteKind): Promise<DisputeNote | undefined> {
    return this.#store.get(`${disputeId}/${kind}`);
  }
}
