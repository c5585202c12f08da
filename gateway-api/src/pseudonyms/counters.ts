/**
 * Per-organisation counts of the regulator's OPRF evaluations, kept in a
 * LevelDB sublevel so the regulator's statistics survive a restart.
 */
import type { GatewayDeps } from '../feature';
import { notFoundToUndefined, type GatewayDb } from '../store/db';

/** One organisation's use of the evaluation endpoint. */
export interface EvaluationCount {
  /** Requests answered. */
  readonly requests: number;
  /** Blinded elements evaluated (one per subject ID looked up). */
  readonly elements: number;
  /** Requests refused for rate. */
  readonly rateLimited: number;
}

/** What to add to an organisation's counts. */
export type EvaluationEvent =
  { readonly kind: 'evaluated'; readonly elements: number } | { readonly kind: 'rateLimited' };

/** Counts evaluations per organisation. */
export interface EvaluationCounters {
  /** Adds one event to `mspId`'s counts. */
  record(mspId: string, event: EvaluationEvent): Promise<void>;
  /** Every organisation's counts, by MSP ID. */
  all(): Promise<ReadonlyMap<string, EvaluationCount>>;
}

const ZERO: EvaluationCount = { requests: 0, elements: 0, rateLimited: 0 };

/** {@link EvaluationCounters} over a sublevel; updates are serialised per process. */
export class LevelEvaluationCounters implements EvaluationCounters {
  readonly #sub;
  #tail: Promise<unknown> = Promise.resolve();

  /** @param db the gateway database. */
  constructor(db: GatewayDb) {
    this.#sub = db.sublevel<string, EvaluationCount>('pseudonym-evaluations', {
      keyEncoding: 'utf8',
      valueEncoding: 'json',
    });
  }

  record(mspId: string, event: EvaluationEvent): Promise<void> {
    const next = this.#tail.then(async () => {
      const current = (await this.#sub.get(mspId).catch(notFoundToUndefined)) ?? ZERO;
      await this.#sub.put(
        mspId,
        event.kind === 'evaluated'
          ? { ...current, requests: current.requests + 1, elements: current.elements + event.elements }
          : { ...current, rateLimited: current.rateLimited + 1 },
      );
    });
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async all(): Promise<ReadonlyMap<string, EvaluationCount>> {
    await this.#tail;
    const counts = new Map<string, EvaluationCount>();
    for await (const [key, value] of this.#sub.iterator()) counts.set(key, value);
    return counts;
  }
}

const shared = new WeakMap<GatewayDeps, EvaluationCounters>();

/** The gateway's one set of counters (the evaluation routes write it, `/stats` reads it). */
export function evaluationCounters(deps: GatewayDeps): EvaluationCounters {
  let counters = shared.get(deps);
  if (counters === undefined) {
    counters = new LevelEvaluationCounters(deps.db);
    shared.set(deps, counters);
  }
  return counters;
}
