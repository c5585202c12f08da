/**
 * Subject IDs at the gateway boundary: validated, then turned into the keyed
 * pseudonym that is all the ledger ever sees.
 */
import { SubjectIdError, parseSubjectId, pseudonymise } from '@ruralcredit/protocol';
import { AppError } from '../http/errors';

/** Validates subject IDs and pseudonymises them. */
export interface SubjectPseudonymiser {
  /**
   * The pseudonym of a subject ID (resident ID or unified social credit code).
   *
   * @throws AppError 400 INVALID_SUBJECT_ID when the ID is malformed; the message never echoes it.
   */
  pseudonym(rawSubjectId: string): string;
}

/** {@link SubjectPseudonymiser} under the platform secret. */
export class SubjectPseudonymiserImpl implements SubjectPseudonymiser {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  pseudonym(rawSubjectId: string): string {
    try {
      return pseudonymise(this.#secret, parseSubjectId(rawSubjectId).id);
    } catch (err) {
      if (err instanceof SubjectIdError) {
        throw AppError.badRequest(err.message.replace(/^INVALID: /, ''), { code: 'INVALID_SUBJECT_ID' });
      }
      throw err;
    }
  }
}
