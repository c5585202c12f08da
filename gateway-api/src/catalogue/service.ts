/**
 * The catalogue flow: definitions and new versions go to the `Catalogue`
 * contract as the caller's organisation (the contract admits the regulator
 * only); every member reads the catalogue.
 */
import type { Principal } from '../auth/principal';
import type { Page, PageRequest } from '../http/pagination';
import { ledgerPage } from '../ledger/pages';
import type { LedgerClient } from '../ledger/types';
import type {
  AssetTypeChange,
  AssetTypeVersionInput,
  AssetTypeView,
  DatasetTypeChange,
  DatasetTypeVersionInput,
  DatasetTypeView,
  DefineAssetTypeInput,
  DefineDatasetTypeInput,
} from './schemas';

/** An asset type as the chaincode returns it (definitions older than versioning carry no version). */
type LedgerAssetType = Omit<AssetTypeView, 'version' | 'updatedAt'> & {
  version?: number;
  updatedAt?: string;
};

/** The API view of an asset type: version 1 and the definition time when older than versioning. */
function assetTypeView(a: LedgerAssetType): AssetTypeView {
  return { ...a, version: a.version ?? 1, updatedAt: a.updatedAt ?? a.definedAt };
}

/** Catalogue operations, each as the calling organisation. */
export interface CatalogueService {
  /** Dataset types, by code. @throws AppError 400 INVALID_CURSOR. */
  listDatasetTypes(principal: Principal, page: PageRequest): Promise<Page<DatasetTypeView>>;
  /** One dataset type. @throws AppError 404 NOT_FOUND. */
  getDatasetType(principal: Principal, code: string): Promise<DatasetTypeView>;
  /**
   * Defines a dataset type.
   * @throws AppError 403 FORBIDDEN (not the regulator); 409 CONFLICT (defined already); 400 INVALID.
   */
  defineDatasetType(principal: Principal, input: DefineDatasetTypeInput): Promise<DatasetTypeChange>;
  /**
   * Publishes a new schema version.
   * @throws AppError 403 FORBIDDEN; 404 NOT_FOUND; 409 CONFLICT (version not above the current); 400 INVALID.
   */
  updateDatasetType(
    principal: Principal,
    code: string,
    input: DatasetTypeVersionInput,
  ): Promise<DatasetTypeChange>;
  /** Asset types, by code. @throws AppError 400 INVALID_CURSOR. */
  listAssetTypes(principal: Principal, page: PageRequest): Promise<Page<AssetTypeView>>;
  /** One asset type. @throws AppError 404 NOT_FOUND. */
  getAssetType(principal: Principal, code: string): Promise<AssetTypeView>;
  /**
   * Defines an asset type.
   * @throws AppError 403 FORBIDDEN; 409 CONFLICT; 400 INVALID (issuer not a data provider).
   */
  defineAssetType(principal: Principal, input: DefineAssetTypeInput): Promise<AssetTypeChange>;
  /**
   * Publishes a new version of an asset type.
   * @throws AppError 403 FORBIDDEN; 404 NOT_FOUND; 409 CONFLICT (version not above the current); 400 INVALID.
   */
  updateAssetType(principal: Principal, code: string, input: AssetTypeVersionInput): Promise<AssetTypeChange>;
}

/** What {@link CatalogueServiceImpl} needs. */
export interface CatalogueServiceOptions {
  /** The ledger backend. */
  readonly ledger: LedgerClient;
}

/** {@link CatalogueService} over the `Catalogue` contract. */
export class CatalogueServiceImpl implements CatalogueService {
  readonly #ledger: LedgerClient;

  constructor(options: Readonly<CatalogueServiceOptions>) {
    this.#ledger = options.ledger;
  }

  listDatasetTypes(principal: Principal, page: PageRequest): Promise<Page<DatasetTypeView>> {
    return ledgerPage<DatasetTypeView>(
      this.#ledger,
      principal.orgMspId,
      'Catalogue:ListDatasetTypes',
      [],
      page,
    );
  }

  getDatasetType(principal: Principal, code: string): Promise<DatasetTypeView> {
    return this.#ledger.evaluate<DatasetTypeView>(principal.orgMspId, 'Catalogue:GetDatasetType', [code]);
  }

  async defineDatasetType(principal: Principal, input: DefineDatasetTypeInput): Promise<DatasetTypeChange> {
    return this.#datasetChange(principal, 'Catalogue:DefineDatasetType', input);
  }

  async updateDatasetType(
    principal: Principal,
    code: string,
    input: DatasetTypeVersionInput,
  ): Promise<DatasetTypeChange> {
    return this.#datasetChange(principal, 'Catalogue:UpdateDatasetType', { ...input, code });
  }

  async listAssetTypes(principal: Principal, page: PageRequest): Promise<Page<AssetTypeView>> {
    const result = await ledgerPage<LedgerAssetType>(
      this.#ledger,
      principal.orgMspId,
      'Catalogue:ListAssetTypes',
      [],
      page,
    );
    return { items: result.items.map(assetTypeView), nextCursor: result.nextCursor };
  }

  async getAssetType(principal: Principal, code: string): Promise<AssetTypeView> {
    return assetTypeView(
      await this.#ledger.evaluate<LedgerAssetType>(principal.orgMspId, 'Catalogue:GetAssetType', [code]),
    );
  }

  defineAssetType(principal: Principal, input: DefineAssetTypeInput): Promise<AssetTypeChange> {
    return this.#assetChange(principal, 'Catalogue:DefineAssetType', input);
  }

  updateAssetType(
    principal: Principal,
    code: string,
    input: AssetTypeVersionInput,
  ): Promise<AssetTypeChange> {
    return this.#assetChange(principal, 'Catalogue:UpdateAssetType', { ...input, code });
  }

  async #datasetChange(principal: Principal, fn: string, definition: object): Promise<DatasetTypeChange> {
    const c = await this.#ledger.submit<DatasetTypeView>(principal.orgMspId, fn, [
      JSON.stringify(definition),
    ]);
    return { datasetType: c.result, txId: c.txId, blockNumber: c.blockNumber };
  }

  async #assetChange(principal: Principal, fn: string, definition: object): Promise<AssetTypeChange> {
    const c = await this.#ledger.submit<LedgerAssetType>(principal.orgMspId, fn, [
      JSON.stringify(definition),
    ]);
    return { assetType: assetTypeView(c.result), txId: c.txId, blockNumber: c.blockNumber };
  }
}
