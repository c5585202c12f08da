/**
 * The regulator's evaluation service: members send blinded subject IDs and
 * get them raised to the regulator's OPRF key with a proof. Every call comes
 * from an organisation whose signed request was verified (see `routes.ts`), is
 * charged to that organisation (one token per element) and counted for `/stats`.
 */
import type { Consortium } from '../consortium/definition';
import { AppError } from '../http/errors';
import type { Logger } from '../http/logger';
import { TokenBucketLimiter } from '../http/rate-limit';
import type { EvaluationCounters } from './counters';
import { OprfInputError, type OprfKeyHolder, type OprfPublicKey } from './oprf';

/** An evaluation answer. */
export interface EvaluationAnswer {
  readonly evaluated: readonly string[];
  readonly proof: string;
  readonly keyId: string;
}

/** The evaluation rules. */
export interface PseudonymEvaluationService {
  /** The published key members pin. */
  publicKey(): OprfPublicKey;
  /**
   * Evaluates `blinded` for the organisation `org` (whose signature the route verified).
   *
   * @throws AppError 403 FORBIDDEN_ORG when the caller's organisation is not a member,
   *   400 BATCH_TOO_LARGE when the batch exceeds the per-minute allowance, 429
   *   PSEUDONYM_RATE_LIMITED (with Retry-After) when the organisation used its allowance,
   *   400 INVALID_ELEMENT for a malformed or identity element.
   */
  evaluate(org: string, blinded: readonly string[]): Promise<EvaluationAnswer>;
}

/** Options of {@link PseudonymEvaluationServiceImpl}. */
export interface PseudonymEvaluationServiceOptions {
  readonly key: OprfKeyHolder;
  readonly consortium: Consortium;
  /** Elements per minute per organisation (also the burst). */
  readonly perMinute: number;
  readonly counters: EvaluationCounters;
  readonly logger: Logger;
}

/** {@link PseudonymEvaluationService} with an in-memory token bucket per organisation. */
export class PseudonymEvaluationServiceImpl implements PseudonymEvaluationService {
  readonly #options: Readonly<PseudonymEvaluationServiceOptions>;
  readonly #limiter: TokenBucketLimiter;
  readonly #members: ReadonlySet<string>;

  /** @param options key, consortium, allowance, counters, logger. */
  constructor(options: Readonly<PseudonymEvaluationServiceOptions>) {
    this.#options = options;
    this.#limiter = new TokenBucketLimiter({ perMinute: options.perMinute });
    this.#members = new Set(options.consortium.organisations.map((o) => o.mspId));
  }

  publicKey(): OprfPublicKey {
    return this.#options.key.publicKey;
  }

  async evaluate(org: string, blinded: readonly string[]): Promise<EvaluationAnswer> {
    if (!this.#members.has(org)) {
      throw AppError.forbidden('only consortium members may evaluate pseudonyms', { code: 'FORBIDDEN_ORG' });
    }
    if (blinded.length > this.#options.perMinute) {
      throw AppError.badRequest(`a batch holds at most ${this.#options.perMinute} elements here`, {
        code: 'BATCH_TOO_LARGE',
        details: { maxElements: this.#options.perMinute },
      });
    }
    const decision = this.#limiter.take(`org:${org}`, blinded.length);
    if (!decision.allowed) {
      await this.#options.counters.record(org, { kind: 'rateLimited' });
      this.#options.logger.warn('pseudonym evaluation refused for rate', {
        org,
        elements: blinded.length,
        retryAfterSeconds: Math.ceil(decision.retryAfterSeconds),
      });
      throw AppError.tooManyRequests(decision.retryAfterSeconds, {
        code: 'PSEUDONYM_RATE_LIMITED',
        details: {
          retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterSeconds)),
          elements: blinded.length,
        },
      });
    }
    let answer;
    try {
      answer = this.#options.key.blindEvaluate(blinded);
    } catch (err) {
      if (err instanceof OprfInputError) {
        throw AppError.badRequest(err.message, { code: 'INVALID_ELEMENT' });
      }
      throw err;
    }
    await this.#options.counters.record(org, { kind: 'evaluated', elements: blinded.length });
    return { ...answer, keyId: this.#options.key.publicKey.keyId };
  }
}
