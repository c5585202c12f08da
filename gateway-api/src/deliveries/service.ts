/**
 * Delivery reads over the `Provenance` and `Catalogue` contracts, as the
 * calling organisation (any active member may read them).
 */
import type { Principal } from '../auth/principal';
import type { Page, PageRequest } from '../http/pagination';
import { ledgerPage } from '../ledger/pages';
import type { LedgerClient } from '../ledger/types';
import type { ListedBatch, ProviderFreshness } from './schemas';

/** `Provenance:GetFreshness` as the chaincode returns it. */
interface LedgerFreshness {
  datasetType: string;
  provider: string;
  frequency: string;
  maxAgeSeconds: number;
  latestBatchId: string;
  lastAnchoredAt: string;
  ageSeconds: number;
  overdue: boolean;
  judgedAt: string;
}

/** Most dataset types read to find one provider's (the catalogue is small; this bounds the work). */
export const MAX_CATALOGUE_SCAN = 2000;

/** Delivery reads. */
export interface DeliveryService {
  /**
   * Batches of a dataset type anchored in [from, to), oldest first.
   * @throws AppError 400 INVALID (reversed range), INVALID_CURSOR; 403 MEMBER_SUSPENDED.
   */
  batches(
    principal: Principal,
    datasetType: string,
    range: { from?: string | undefined; to?: string | undefined },
    page: PageRequest,
  ): Promise<Page<ListedBatch>>;
  /**
   * Freshness of every dataset type `provider` delivers.
   * @throws AppError 404 NOT_FOUND when `provider` is not a member; 403 MEMBER_SUSPENDED.
   */
  freshness(principal: Principal, provider: string): Promise<ProviderFreshness>;
}

/** What {@link DeliveryServiceImpl} needs. */
export interface DeliveryServiceOptions {
  readonly ledger: LedgerClient;
}

/** {@link DeliveryService} over the ledger. */
export class DeliveryServiceImpl implements DeliveryService {
  readonly #ledger: LedgerClient;

  constructor(options: Readonly<DeliveryServiceOptions>) {
    this.#ledger = options.ledger;
  }

  batches(
    principal: Principal,
    datasetType: string,
    range: { from?: string | undefined; to?: string | undefined },
    page: PageRequest,
  ): Promise<Page<ListedBatch>> {
    return ledgerPage<ListedBatch>(
      this.#ledger,
      principal.orgMspId,
      'Provenance:ListBatchesAnchored',
      [datasetType, range.from ?? '', range.to ?? ''],
      page,
    );
  }

  async freshness(principal: Principal, provider: string): Promise<ProviderFreshness> {
    const mspId = principal.orgMspId;
    await this.#ledger.evaluate(mspId, 'Membership:GetMember', [provider]);
    const codes: string[] = [];
    let cursor: string | undefined;
    let scanned = 0;
    do {
      const page = await ledgerPage<{ code: string; provider: string }>(
        this.#ledger,
        mspId,
        'Catalogue:ListDatasetTypes',
        [],
        { limit: 200, cursor },
      );
      scanned += page.items.length;
      codes.push(...page.items.filter((d) => d.provider === provider).map((d) => d.code));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && scanned < MAX_CATALOGUE_SCAN);
    const judged = await Promise.all(
      codes.map((code) => this.#ledger.evaluate<LedgerFreshness>(mspId, 'Provenance:GetFreshness', [code])),
    );
    const datasets = judged.map((f) => ({
      datasetType: f.datasetType,
      frequency: f.frequency,
      maxAgeSeconds: f.maxAgeSeconds,
      latestBatchId: f.latestBatchId === '' ? null : f.latestBatchId,
      lastBatchAt: f.lastAnchoredAt === '' ? null : f.lastAnchoredAt,
      ageSeconds: f.ageSeconds,
      overdue: f.overdue,
    }));
    return {
      provider,
      datasets,
      overdueCount: datasets.filter((d) => d.overdue).length,
      judgedAt: judged.map((f) => f.judgedAt).reduce((a, b) => (b > a ? b : a), ''),
    };
  }
}
