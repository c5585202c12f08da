/**
 * Post-hoc supervision for the regulator: each institution's use of the
 * platform (from the off-chain index's counters), overdue dataset deliveries
 * and overdue disputes (both judged by the chaincode, read as the regulator).
 */
import { hasAnyRole, type Principal } from '../auth/principal';
import type { Consortium } from '../consortium/definition';
import { AppError } from '../http/errors';
import type { Indexer } from '../indexer/indexer';
import { zeroCounters, type InstitutionCounters } from '../indexer/projection';
import type { LedgerClient } from '../ledger/types';
import type { EvaluationCount, EvaluationCounters } from '../pseudonyms/counters';

/** One institution's statistics. */
export type InstitutionStats = { readonly mspId: string } & Readonly<InstitutionCounters>;

/** A dataset type whose provider is late with its next batch, as `Provenance:GetFreshness` judges it. */
export interface OverdueDataset {
  readonly datasetType: string;
  readonly provider: string;
  readonly frequency: string;
  readonly maxAgeSeconds: number;
  readonly ageSeconds: number;
  /** Time of the last anchored batch; `''` when none yet. */
  readonly lastAnchoredAt: string;
}

/** One county's accesses: the county of the subject, from the county code on each access. */
export interface CountyStats {
  /** 6-digit administrative division code, or `unknown` for accesses recorded without one. */
  readonly county: string;
  /** granted + denied. */
  readonly accesses: number;
  readonly granted: number;
  readonly denied: number;
}

/** The `/stats` report. */
export interface SupervisionStats {
  /** Every bank of the consortium, and any other institution with counted events, by MSP ID. */
  readonly institutions: readonly InstitutionStats[];
  readonly overdueDatasets: { readonly count: number; readonly datasets: readonly OverdueDataset[] };
  readonly overdueDisputes: { readonly count: number; readonly disputeIds: readonly string[] };
  /** Accesses by the subject's county, by county code (`unknown` last); counties with none are absent. */
  readonly byCounty: readonly CountyStats[];
  /** Highest block the counters include. */
  readonly indexedThroughBlock: number;
  /** Use of this gateway's OPRF evaluation endpoint, per organisation, by MSP ID. */
  readonly pseudonymEvaluations: readonly ({ readonly mspId: string } & EvaluationCount)[];
}

/** Options of {@link SupervisionService}. */
export interface SupervisionServiceOptions {
  readonly ledger: LedgerClient;
  readonly indexer: Indexer;
  readonly consortium: Consortium;
  /** Counts of the OPRF evaluation endpoint (absent: reported empty). */
  readonly evaluations?: EvaluationCounters;
  /** How long a report waits for the index to reach the ledger height (default 10,000 ms). */
  readonly catchUpTimeoutMs?: number;
}

/** Page size of the ledger list calls (the chaincode's maximum). */
const LEDGER_PAGE = '200';
/** Safety bound on pages read from one ledger list. */
const MAX_PAGES = 10_000;

interface LedgerPage<T> {
  readonly records: readonly T[];
  readonly bookmark: string;
}

interface Freshness {
  readonly datasetType: string;
  readonly provider: string;
  readonly frequency: string;
  readonly maxAgeSeconds: number;
  readonly ageSeconds: number;
  readonly lastAnchoredAt: string;
  readonly overdue: boolean;
}

/** Builds the regulator's statistics. */
export class SupervisionService {
  readonly #options: Readonly<SupervisionServiceOptions>;
  readonly #regulators: ReadonlySet<string>;

  /** @param options ledger, indexer and consortium. */
  constructor(options: Readonly<SupervisionServiceOptions>) {
    this.#options = options;
    this.#regulators = new Set(
      options.consortium.organisations.filter((o) => o.role === 'REGULATOR').map((o) => o.mspId),
    );
  }

  /**
   * The statistics, for the regulator's REGULATOR_ADMIN or AUDITOR users.
   *
   * @throws AppError 403 FORBIDDEN_ORG for any other organisation, 403
   *   FORBIDDEN_ROLE without those roles, 503 INDEX_LAGGING, or the ledger's mapped error.
   */
  async stats(principal: Principal): Promise<SupervisionStats> {
    if (!this.#regulators.has(principal.orgMspId)) {
      throw AppError.forbidden('statistics are for the regulator only', { code: 'FORBIDDEN_ORG' });
    }
    if (!hasAnyRole(principal, ['REGULATOR_ADMIN', 'AUDITOR'])) {
      throw AppError.forbidden('statistics need REGULATOR_ADMIN or AUDITOR', { code: 'FORBIDDEN_ROLE' });
    }
    const { indexer } = this.#options;
    await indexer.catchUp(this.#options.catchUpTimeoutMs ?? 10_000);
    const [counters, counties, overdueDatasets, overdueDisputes, evaluations] = await Promise.all([
      indexer.counters(),
      indexer.countyCounters(),
      this.#overdueDatasets(principal.orgMspId),
      this.#overdueDisputes(principal.orgMspId),
      this.#options.evaluations?.all() ?? new Map<string, EvaluationCount>(),
    ]);
    const ids = new Set([
      ...this.#options.consortium.organisations.filter((o) => o.role === 'BANK').map((o) => o.mspId),
      ...counters.keys(),
    ]);
    const institutions = [...ids]
      .sort()
      .map((mspId) => ({ mspId, ...(counters.get(mspId) ?? zeroCounters()) }));
    return {
      institutions,
      overdueDatasets: { count: overdueDatasets.length, datasets: overdueDatasets },
      overdueDisputes: { count: overdueDisputes.length, disputeIds: overdueDisputes },
      // The index keeps counties in key order: 6-digit codes ascending, then `unknown`.
      byCounty: [...counties].map(([county, { granted, denied }]) => ({
        county,
        accesses: granted + denied,
        granted,
        denied,
      })),
      indexedThroughBlock: indexer.processedBlock(),
      pseudonymEvaluations: [...evaluations]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([mspId, count]) => ({ mspId, ...count })),
    };
  }

  async #overdueDatasets(mspId: string): Promise<OverdueDataset[]> {
    const types = await this.#all<{ code: string }>(mspId, 'Catalogue:ListDatasetTypes', []);
    const freshness = await Promise.all(
      types.map((t) => this.#options.ledger.evaluate<Freshness>(mspId, 'Provenance:GetFreshness', [t.code])),
    );
    return freshness
      .filter((f) => f.overdue)
      .map((f) => ({
        datasetType: f.datasetType,
        provider: f.provider,
        frequency: f.frequency,
        maxAgeSeconds: f.maxAgeSeconds,
        ageSeconds: f.ageSeconds,
        lastAnchoredAt: f.lastAnchoredAt,
      }));
  }

  async #overdueDisputes(mspId: string): Promise<string[]> {
    const disputes = await this.#all<{ disputeId: string }>(mspId, 'Dispute:ListDisputes', ['true']);
    return disputes.map((d) => d.disputeId);
  }

  /** Every record of a bookmark-paginated ledger list. */
  async #all<T>(mspId: string, fn: string, args: readonly string[]): Promise<T[]> {
    const all: T[] = [];
    let bookmark = '';
    for (let i = 0; i < MAX_PAGES; i++) {
      const page = await this.#options.ledger.evaluate<LedgerPage<T>>(mspId, fn, [
        ...args,
        LEDGER_PAGE,
        bookmark,
      ]);
      all.push(...page.records);
      if (page.bookmark === '' || page.bookmark === bookmark || page.records.length === 0) break;
      bookmark = page.bookmark;
    }
    return all;
  }
}
