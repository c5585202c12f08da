/**
 * Subject IDs at the gateway boundary: validated, then turned into the
 * pseudonym that is all the ledger ever sees. The pseudonym comes from a
 * {@link PseudonymSource}: the regulator's oblivious PRF, evaluated in this
 * process when it holds the regulator's key, or through the regulator's
 * gateway otherwise (see `pseudonyms/`).
 */
import { SubjectIdError, parseSubjectId } from '@ruralcredit/protocol';
import { AppError } from '../http/errors';

/** Validates subject IDs and pseudonymises them. */
export interface SubjectPseudonymiser {
  /**
   * The pseudonym of a subject ID (resident ID or unified social credit code).
   * The ID is validated before anything leaves the process.
   *
   * @throws AppError 400 INVALID_SUBJECT_ID when the ID is malformed (the message never echoes it),
   *   or the source's error when the pseudonym cannot be had (429, 502, 503).
   */
  pseudonym(rawSubjectId: string): Promise<string>;
}

/** Where pseudonyms of normalised subject IDs come from. */
export interface PseudonymSource {
  /**
   * The pseudonyms of normalised IDs, in order.
   *
   * @throws AppError when the source cannot answer.
   */
  pseudonyms(normalisedIds: readonly string[]): Promise<string[]>;
}

/** {@link SubjectPseudonymiser} over a {@link PseudonymSource}. */
export class SubjectPseudonymiserImpl implements SubjectPseudonymiser {
  readonly #source: PseudonymSource;

  /** @param source the regulator's OPRF, local or remote. */
  constructor(source: PseudonymSource) {
    this.#source = source;
  }

  async pseudonym(rawSubjectId: string): Promise<string> {
    let id: string;
    try {
      id = parseSubjectId(rawSubjectId).id;
    } catch (err) {
      if (err instanceof SubjectIdError) {
        throw AppError.badRequest(err.message.replace(/^INVALID: /, ''), { code: 'INVALID_SUBJECT_ID' });
      }
      throw err;
    }
    const [pseudonym] = await this.#source.pseudonyms([id]);
    if (pseudonym === undefined) throw AppError.internal('pseudonym source answered nothing');
    return pseudonym;
  }
}
