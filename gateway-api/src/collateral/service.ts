/**
 * The collateral flow: subject IDs become pseudonyms at this boundary, every
 * change is a `Collateral:*` transaction submitted as the caller's
 * organisation, and the chaincode decides every rule (its errors arrive
 * already mapped to AppError by the ledger layer).
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/principal';
import type { SubjectPseudonymiser } from '../consortium/subjects';
import type { Page, PageRequest } from '../http/pagination';
import type { TxLocator } from '../indexer/types';
import { AppError } from '../http/errors';
import { ledgerPage } from '../ledger/pages';
import type { Committed, LedgerClient } from '../ledger/types';
import { RecentCommits } from './recent-commits';
import type {
  LienRecord,
  AssetBatchChange,
  AssetChange,
  AssetDetail,
  AssetView,
  LienChange,
  LienView,
  RegisterAssetBatchInput,
  RegisterAssetInput,
  RegisterLienInput,
} from './schemas';

/** An asset lien entry as the chaincode stores it. */
interface LedgerLienEntry {
  lienId: string;
  mortgagee: string;
  rank: number;
  securedAmountFen: number;
  loanEnd: string;
  status: string;
}

/** An asset as the chaincode returns it. */
interface LedgerAsset {
  assetId: string;
  assetType: string;
  certificateNo: string;
  issuer: string;
  owner?: string;
  location?: string;
  areaValue: number;
  areaUnit: string;
  appraisedValueFen?: number;
  appraisalDate?: string;
  rightExpiry: string;
  provenanceBatch: string;
  status: string;
  liens: LedgerLienEntry[];
  otherLiens?: { count: number; totalSecuredFen: number };
  visibility?: 'FULL' | 'COLLATERAL_GRANT' | 'MEMBER';
  seizure?: { by: string; orderRef: string; at: string };
  enforcingLien?: string;
  lastAction: string;
  registeredAt: string;
  updatedAt: string;
}

/** `Collateral:GetAsset`: the asset with its key history, newest first. */
interface LedgerAssetWithHistory extends LedgerAsset {
  history: {
    txId: string;
    time: string;
    action: string;
    status: string;
    owner?: string;
    activeLiens: number;
  }[];
}

/** A lien as the chaincode returns it. */
interface LedgerLien {
  lienId: string;
  assetId: string;
  mortgagee: string;
  mortgagor: string;
  grantId: string;
  securedAmountFen: number;
  loanEnd: string;
  rank: number;
  status: string;
  registeredAt: string;
  updatedAt: string;
  txId: string;
}

/** `Collateral:GetLien` for a member that is neither mortgagee, issuer nor regulator: the public part only. */
type PublicLedgerLien = Pick<
  LedgerLien,
  'lienId' | 'assetId' | 'rank' | 'status' | 'registeredAt' | 'updatedAt'
> &
  Partial<LedgerLien>;

/** Rural-asset collateral operations, each as the calling organisation. */
export interface CollateralService {
  /**
   * Registers a right issued by the caller's organisation.
   * @throws AppError 400 INVALID_SUBJECT_ID; chaincode FORBIDDEN/CONFLICT/INVALID/NOT_FOUND as mapped.
   */
  registerAsset(principal: Principal, input: RegisterAssetInput): Promise<AssetChange>;
  /**
   * Registers up to 500 rights issued by the caller's organisation in one transaction, all or none;
   * rights already registered with the same registration (a retried batch) come back as replayed.
   * @throws AppError 400 INVALID_SUBJECT_ID naming the row; chaincode FORBIDDEN/CONFLICT/INVALID/NOT_FOUND
   * as mapped, their message naming the row (`batch.assets[i]`).
   */
  registerAssets(principal: Principal, input: RegisterAssetBatchInput): Promise<AssetBatchChange>;
  /**
   * Reads an asset with its history and the proof of its latest change.
   * @throws AppError 404 NOT_FOUND for an unregistered asset.
   */
  getAsset(principal: Principal, assetId: string): Promise<AssetDetail>;
  /**
   * Registers a lien for the caller's bank under the owner's consent.
   * @throws AppError chaincode FORBIDDEN (consent), CONFLICT (seized, exclusive, cap, duplicate), INVALID, NOT_FOUND.
   */
  registerLien(principal: Principal, input: RegisterLienInput): Promise<LienChange>;
  /**
   * Releases (注销) a lien of the caller's bank.
   * @throws AppError 403 FORBIDDEN for another bank's lien; 409 CONFLICT when not active; 404 NOT_FOUND.
   */
  releaseLien(principal: Principal, lienId: string): Promise<LienChange>;
  /**
   * Starts enforcement of a lien of the caller's bank; returns the asset.
   * @throws AppError 403 FORBIDDEN for another bank's lien; 409 CONFLICT; 404 NOT_FOUND.
   */
  enforceLien(principal: Principal, lienId: string): Promise<AssetChange>;
  /**
   * Seizes (查封) an asset, as its issuer or the regulator.
   * @throws AppError 403 FORBIDDEN; 409 CONFLICT when already seized; 404 NOT_FOUND.
   */
  seize(principal: Principal, assetId: string, orderRef: string): Promise<AssetChange>;
  /**
   * Lifts an asset's seizure, as its issuer or the regulator.
   * @throws AppError 403 FORBIDDEN; 409 CONFLICT when not seized; 404 NOT_FOUND.
   */
  liftSeizure(principal: Principal, assetId: string): Promise<AssetChange>;
  /**
   * Transfers (流转) an asset to a new owner, as its issuer.
   * @throws AppError 400 INVALID_SUBJECT_ID; chaincode FORBIDDEN/CONFLICT/INVALID/NOT_FOUND as mapped.
   */
  transfer(principal: Principal, assetId: string, newOwnerSubjectId: string): Promise<AssetChange>;
  /**
   * Reads a lien: whole for its mortgagee, the asset's issuer and the regulator; its public part otherwise.
   * @throws AppError 404 NOT_FOUND.
   */
  getLien(principal: Principal, lienId: string): Promise<LienRecord>;
  /**
   * Lists liens: a bank its own, the regulator and auditors every institution's.
   * @throws AppError 403 FORBIDDEN for any other organisation; 400 INVALID_CURSOR.
   */
  listLiens(principal: Principal, page: PageRequest): Promise<Page<LienView>>;
}

/** What {@link CollateralServiceImpl} needs. */
export interface CollateralServiceOptions {
  /** The ledger backend. */
  readonly ledger: LedgerClient;
  /** Subject ID validation and pseudonyms. */
  readonly subjects: SubjectPseudonymiser;
  /** The block indexer's transaction locator, when wired. */
  readonly locator?: TxLocator;
  /** How many of this gateway's own commits to remember for proofs (default 10,000). */
  readonly recentCommits?: number;
}

/** {@link CollateralService} over the `Collateral` contract. */
export class CollateralServiceImpl implements CollateralService {
  readonly #ledger: LedgerClient;
  readonly #subjects: SubjectPseudonymiser;
  readonly #locator: TxLocator | undefined;
  readonly #recent: RecentCommits;

  /** @param options ledger, pseudonymiser, optional locator. */
  constructor(options: Readonly<CollateralServiceOptions>) {
    this.#ledger = options.ledger;
    this.#subjects = options.subjects;
    this.#locator = options.locator;
    this.#recent = new RecentCommits(options.recentCommits);
  }

  async registerAsset(principal: Principal, input: RegisterAssetInput): Promise<AssetChange> {
    return this.#assetChange(
      await this.#submit<LedgerAsset>(principal, 'Collateral:RegisterAsset', [
        JSON.stringify(await this.#registration(input)),
      ]),
    );
  }

  async registerAssets(principal: Principal, input: RegisterAssetBatchInput): Promise<AssetBatchChange> {
    const assets = await Promise.all(
      input.assets.map(async (asset, i) => {
        try {
          return await this.#registration(asset);
        } catch (err) {
          if (err instanceof AppError) {
            throw new AppError(err.status, err.code, `assets[${i}].ownerSubjectId: ${err.message}`);
          }
          throw err;
        }
      }),
    );
    const committed = await this.#submit<{ registered: string[]; replayed: string[] }>(
      principal,
      'Collateral:RegisterAssets',
      [JSON.stringify({ assets })],
    );
    const { registered, replayed } = committed.result;
    return { registered, replayed, txId: committed.txId, blockNumber: committed.blockNumber };
  }

  /** A registration as the chaincode takes it: the owner as a pseudonym. */
  async #registration(input: RegisterAssetInput): Promise<object> {
    const { ownerSubjectId, provenanceBatch, ...rest } = input;
    const owner = await this.#subjects.pseudonym(ownerSubjectId);
    return { ...rest, owner, ...(provenanceBatch === undefined ? {} : { provenanceBatch }) };
  }

  async getAsset(principal: Principal, assetId: string): Promise<AssetDetail> {
    const record = await this.#ledger.evaluate<LedgerAssetWithHistory>(
      principal.orgMspId,
      'Collateral:GetAsset',
      [assetId],
    );
    // The key history comes newest first (Fabric's and the embedded ledger's order).
    const latest = record.history[0]?.txId ?? '';
    return {
      ...assetView(record),
      history: record.history.map((h) => ({
        txId: h.txId,
        time: h.time,
        action: h.action,
        status: h.status,
        ...(h.owner === undefined ? {} : { owner: h.owner }),
        activeLiens: h.activeLiens,
      })),
      proof: { txId: latest, blockNumber: latest === '' ? null : await this.#blockOf(latest) },
    };
  }

  async registerLien(principal: Principal, input: RegisterLienInput): Promise<LienChange> {
    const lien = {
      lienId: input.lienId ?? `lien-${randomUUID()}`,
      assetId: input.assetId,
      grantId: input.consentId,
      securedAmountFen: input.securedAmountFen,
      loanEnd: input.loanEnd,
    };
    return this.#lienChange(
      await this.#submit<LedgerLien>(principal, 'Collateral:RegisterLien', [JSON.stringify(lien)]),
    );
  }

  async releaseLien(principal: Principal, lienId: string): Promise<LienChange> {
    return this.#lienChange(await this.#submit<LedgerLien>(principal, 'Collateral:ReleaseLien', [lienId]));
  }

  async enforceLien(principal: Principal, lienId: string): Promise<AssetChange> {
    return this.#assetChange(await this.#submit<LedgerAsset>(principal, 'Collateral:EnforceLien', [lienId]));
  }

  async seize(principal: Principal, assetId: string, orderRef: string): Promise<AssetChange> {
    return this.#assetChange(
      await this.#submit<LedgerAsset>(principal, 'Collateral:SeizeAsset', [assetId, orderRef]),
    );
  }

  async liftSeizure(principal: Principal, assetId: string): Promise<AssetChange> {
    return this.#assetChange(await this.#submit<LedgerAsset>(principal, 'Collateral:LiftSeizure', [assetId]));
  }

  async transfer(principal: Principal, assetId: string, newOwnerSubjectId: string): Promise<AssetChange> {
    const newOwner = await this.#subjects.pseudonym(newOwnerSubjectId);
    return this.#assetChange(
      await this.#submit<LedgerAsset>(principal, 'Collateral:TransferAsset', [assetId, newOwner]),
    );
  }

  async #submit<T>(principal: Principal, fn: string, args: readonly string[]): Promise<Committed<T>> {
    const committed = await this.#ledger.submit<T>(principal.orgMspId, fn, args);
    this.#recent.add(committed.txId, committed.blockNumber);
    return committed;
  }

  async #blockOf(txId: string): Promise<number | null> {
    const located = await this.#locator?.locate(txId);
    return located?.blockNumber ?? this.#recent.blockOf(txId) ?? null;
  }

  async getLien(principal: Principal, lienId: string): Promise<LienRecord> {
    const l = await this.#ledger.evaluate<PublicLedgerLien>(principal.orgMspId, 'Collateral:GetLien', [
      lienId,
    ]);
    if (l.mortgagee === undefined) {
      const { lienId: id, assetId, rank, status, registeredAt, updatedAt } = l;
      return { lienId: id, assetId, rank, status, registeredAt, updatedAt, visibility: 'PUBLIC' };
    }
    return { ...lienView(l as LedgerLien), visibility: 'FULL' };
  }

  async listLiens(principal: Principal, page: PageRequest): Promise<Page<LienView>> {
    const result = await ledgerPage<LedgerLien>(
      this.#ledger,
      principal.orgMspId,
      'Collateral:ListLiens',
      [],
      page,
    );
    return { items: result.items.map(lienView), nextCursor: result.nextCursor };
  }

  #assetChange(committed: Committed<LedgerAsset>): AssetChange {
    return { asset: assetView(committed.result), txId: committed.txId, blockNumber: committed.blockNumber };
  }

  #lienChange(committed: Committed<LedgerLien>): LienChange {
    return { lien: lienView(committed.result), txId: committed.txId, blockNumber: committed.blockNumber };
  }
}

/** The API view of a ledger asset: explicit fields, absent optionals as null. */
function assetView(a: LedgerAsset): AssetView {
  return {
    assetId: a.assetId,
    assetType: a.assetType,
    certificateNo: a.certificateNo,
    issuer: a.issuer,
    // The chaincode leaves out what the caller may not see; so does the gateway.
    ...(a.owner === undefined ? {} : { owner: a.owner }),
    ...(a.location === undefined ? {} : { location: a.location }),
    areaValue: a.areaValue,
    areaUnit: a.areaUnit,
    ...(a.appraisedValueFen === undefined ? {} : { appraisedValueFen: a.appraisedValueFen }),
    ...(a.appraisalDate === undefined ? {} : { appraisalDate: a.appraisalDate }),
    rightExpiry: a.rightExpiry,
    provenanceBatch: a.provenanceBatch === '' ? null : a.provenanceBatch,
    status: a.status,
    liens: [...a.liens]
      .sort((x, y) => x.rank - y.rank)
      .map((l) => ({
        lienId: l.lienId,
        mortgagee: l.mortgagee,
        rank: l.rank,
        securedAmountFen: l.securedAmountFen,
        loanEnd: l.loanEnd,
        status: l.status,
      })),
    ...(a.otherLiens === undefined
      ? {}
      : { otherLiens: { count: a.otherLiens.count, totalSecuredFen: a.otherLiens.totalSecuredFen } }),
    // Written by the chaincode since issue 12 item 7; a record without it came from a FULL read.
    visibility: a.visibility ?? 'FULL',
    seizure: a.seizure ? { by: a.seizure.by, orderRef: a.seizure.orderRef, at: a.seizure.at } : null,
    enforcingLien: a.enforcingLien ?? null,
    lastAction: a.lastAction,
    registeredAt: a.registeredAt,
    updatedAt: a.updatedAt,
  };
}

/** The API view of a ledger lien (the grant is the API's consent). */
function lienView(l: LedgerLien): LienView {
  return {
    lienId: l.lienId,
    assetId: l.assetId,
    mortgagee: l.mortgagee,
    mortgagor: l.mortgagor,
    consentId: l.grantId,
    securedAmountFen: l.securedAmountFen,
    loanEnd: l.loanEnd,
    rank: l.rank,
    status: l.status,
    registeredAt: l.registeredAt,
    updatedAt: l.updatedAt,
    txId: l.txId,
  };
}
