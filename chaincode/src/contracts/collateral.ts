import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { COLLATERAL_SCOPE, epochSecondsFromIso, isoFromEpochSeconds } from '@ruralcredit/protocol';
import { LedgerError, conflict, forbidden, invalid, notFound } from '../lib/errors';
import { Fields } from '../lib/fields';
import { KeyType, key, lastKeyPart } from '../lib/keys';
import { marshal, parseArgument, unmarshal } from '../lib/marshal';
import { callerMspId, checkCaller, memberKey, requireCaller } from '../lib/members';
import {
  deleteIndex,
  emit,
  pageSizeOf,
  putIndex,
  readRecordPage,
  readRecord,
  readRecordsAt,
  secondsOf,
  txEpochSeconds,
  txTime,
  writeRecord,
  Writes,
} from '../lib/state';
import { Asset, LienEntry, Lien, REGISTRATION_FIELDS, Seizure } from '../model/asset';
import { Grant } from '../model/grant';
import type { Member } from '../model/member';
import { readAssetType } from './catalogue';
import { readGrant } from './consent';
import { readBatch } from './provenance';

/** Most history entries returned with an asset. */
const MAX_HISTORY = 100;

/** One entry of an asset's history, from the ledger's key history. */
interface AssetHistoryEntry {
  txId: string;
  time: string;
  action: string;
  status: string;
  owner?: string;
  activeLiens: number;
}

/**
 * How much of an asset a caller sees: FULL (its issuer, the regulator),
 * COLLATERAL_GRANT (a bank holding an active grant from the owner covering
 * COLLATERAL: owner, location and appraisal too), MEMBER (anyone else).
 */
type AssetVisibility = 'FULL' | 'COLLATERAL_GRANT' | 'MEMBER';

/** Most assets one {@link CollateralContract.RegisterAssets} transaction registers. */
export const MAX_BATCH_ASSETS = 500;

/** What a batch has already checked, so each asset type and provenance batch is read once. */
class RegistrationChecks {
  readonly typeIssuers = new Map<string, string>();
  readonly batches = new Set<string>();
}

/** Whether `recorded` is `asset` registered earlier by the same issuer (a retried batch). */
function sameRegistration(recorded: Asset, asset: Asset, issuer: string): boolean {
  return recorded.issuer === issuer && REGISTRATION_FIELDS.every((f) => recorded[f] === asset[f]);
}

/** Names the batch row a refusal is about: `INVALID: batch.assets[3]: ...`, the code kept first. */
function rowError(i: number, err: unknown): unknown {
  if (!(err instanceof LedgerError)) return err;
  const detail = err.message.slice(err.code.length + 2);
  return new LedgerError(err.code, `batch.assets[${i}]: ${detail}`);
}

/** Runs a row's synchronous check, naming the row on refusal. */
function atRow<T>(i: number, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw rowError(i, err);
  }
}

/** Runs a row's check, naming the row on refusal. */
async function atRowAsync<T>(i: number, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    throw rowError(i, err);
  }
}

/** Most grant index entries read to decide whether a bank holds a collateral grant. */
const MAX_GRANTS_SCANNED = 1000;

/**
 * Rural-asset collateral: issuers register rights; banks register liens with
 * the owner's consent; authorities seize and release; lienholders enforce and
 * issuers transfer. Every lien change reads and writes the asset record, so
 * two banks racing for the same asset cannot both commit.
 */
@Info({ title: 'Collateral', description: 'Rural asset rights and liens' })
export class CollateralContract extends Contract {
  constructor() {
    super('Collateral');
  }

  /**
   * Registers a right, by the issuer of its asset type.
   *
   * @throws FORBIDDEN when the caller is not the issuer; INVALID when the right has
   * expired or the provenance batch is unknown; CONFLICT when already registered.
   */
  @Transaction()
  @Returns('string')
  async RegisterAsset(ctx: Context, assetJson: string): Promise<string> {
    const issuer = await requireCaller(ctx, 'DATA_PROVIDER');
    const asset = Asset.newInstance(parseArgument(assetJson, 'asset'));
    const earlier = await this.#checkRegistration(ctx, issuer, asset, new RegistrationChecks());
    if (earlier) throw conflict(`asset ${asset.assetId} is already registered`);
    await this.#writeRegistration(ctx, issuer, asset);
    emit(ctx, 'AssetRegistered', { assetId: asset.assetId, assetType: asset.assetType, owner: asset.owner });
    return marshal(asset);
  }

  /**
   * Registers up to {@link MAX_BATCH_ASSETS} rights in one transaction (a registry
   * department loading its certificates), each checked as {@link RegisterAsset}
   * checks one; all or none are written. A right already registered with the same
   * registration (a retry of a batch that committed) is counted as replayed, not
   * refused, so a batch may be retried whole.
   *
   * @param batchJson `{ assets: [asset, ...] }`, each asset as {@link RegisterAsset} takes it
   * @returns `{ registered: assetId[], replayed: assetId[] }` in request order
   * @throws INVALID on a malformed batch or asset (naming `assets[i]`), an asset listed twice, or an
   * expired right; FORBIDDEN when the caller is not the issuer of a type; NOT_FOUND for an unknown
   * type or provenance batch; CONFLICT when an asset ID is registered with another registration.
   */
  @Transaction()
  @Returns('string')
  async RegisterAssets(ctx: Context, batchJson: string): Promise<string> {
    const issuer = await requireCaller(ctx, 'DATA_PROVIDER');
    const raw = parseArgument(batchJson, 'batch');
    const list = raw.assets;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH_ASSETS) {
      throw invalid(`batch.assets must list 1 to ${MAX_BATCH_ASSETS} assets`);
    }
    if (Object.keys(raw).some((k) => k !== 'assets')) throw invalid('batch takes assets only');
    const assets = list.map((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw invalid(`batch.assets[${i}] must be an object`);
      }
      return atRow(i, () => Asset.newInstance(item as Record<string, unknown>));
    });
    const seen = new Set<string>();
    for (const [i, asset] of assets.entries()) {
      if (seen.has(asset.assetId))
        throw invalid(`batch.assets[${i}]: asset ${asset.assetId} is listed twice`);
      seen.add(asset.assetId);
    }
    const checks = new RegistrationChecks();
    const registered: Asset[] = [];
    const replayed: string[] = [];
    for (const [i, asset] of assets.entries()) {
      const earlier = await atRowAsync(i, () => this.#checkRegistration(ctx, issuer, asset, checks));
      if (earlier === undefined) {
        registered.push(asset);
      } else if (sameRegistration(earlier, asset, issuer.mspId)) {
        replayed.push(asset.assetId);
      } else {
        throw conflict(`batch.assets[${i}]: asset ${asset.assetId} is already registered`);
      }
    }
    for (const asset of registered) await this.#writeRegistration(ctx, issuer, asset);
    if (registered.length > 0) {
      emit(ctx, 'AssetsRegistered', {
        assets: registered.map((a) => ({ assetId: a.assetId, assetType: a.assetType, owner: a.owner })),
      });
    }
    return marshal({ registered: registered.map((a) => a.assetId), replayed });
  }

  /**
   * The checks of a registration by `issuer`: the issuer of the type, a right not yet
   * expired, a known provenance batch. Returns the asset already registered under the
   * same ID, if any (the caller decides whether that is a conflict or a replay).
   */
  async #checkRegistration(
    ctx: Context,
    issuer: Member,
    asset: Asset,
    checks: RegistrationChecks,
  ): Promise<Asset | undefined> {
    let typeIssuer = checks.typeIssuers.get(asset.assetType);
    if (typeIssuer === undefined) {
      typeIssuer = (await readAssetType(ctx, asset.assetType)).issuer;
      checks.typeIssuers.set(asset.assetType, typeIssuer);
    }
    if (typeIssuer !== issuer.mspId)
      throw forbidden(`${issuer.mspId} is not the issuer of ${asset.assetType}`);
    if (epochSecondsFromIso(asset.rightExpiry) <= txEpochSeconds(ctx))
      throw invalid('asset.rightExpiry is already past');
    if (asset.provenanceBatch !== '' && !checks.batches.has(asset.provenanceBatch)) {
      await readBatch(ctx, asset.provenanceBatch);
      checks.batches.add(asset.provenanceBatch);
    }
    return readRecord<Asset>(ctx, key(ctx, KeyType.asset, [asset.assetId]));
  }

  /** Writes a checked registration and its owner index entry. */
  async #writeRegistration(ctx: Context, issuer: Member, asset: Asset): Promise<void> {
    const at = txTime(ctx);
    asset.issuer = issuer.mspId;
    asset.registeredAt = at;
    asset.updatedAt = at;
    asset.lastAction = 'REGISTERED';
    await writeRecord(ctx, key(ctx, KeyType.asset, [asset.assetId]), asset);
    await putIndex(ctx, KeyType.assetByOwner, [asset.owner, asset.assetId]);
  }

  /**
   * Registers a lien for the calling bank, with an active COLLATERAL_REGISTRATION
   * grant from the owner covering COLLATERAL. The asset must be active and its
   * right must outlast the loan; the lien policy decides exclusivity, rank and cap.
   *
   * @param lienJson `{ lienId, assetId, grantId, securedAmountFen, loanEnd }`
   * @throws FORBIDDEN without a valid grant; CONFLICT when the asset is seized, under
   * enforcement, exclusively pledged, over its loan-to-value cap, or the ID exists;
   * INVALID when the right or the grant ends before the loan.
   */
  @Transaction()
  @Returns('string')
  async RegisterLien(ctx: Context, lienJson: string): Promise<string> {
    const mspId = callerMspId(ctx);
    let lien: Lien;
    try {
      lien = Lien.newInstance(parseArgument(lienJson, 'lien'));
    } catch (error) {
      await requireCaller(ctx, 'BANK'); // a caller that may not register liens hears that first
      throw error;
    }
    const lienKey = key(ctx, KeyType.lien, [lien.lienId]);
    // The caller, the lien ID, the asset and the grant in one read; the asset type depends on the asset.
    const [member, existing, found, grant] = (await readRecordsAt(ctx, [
      memberKey(ctx, mspId),
      lienKey,
      key(ctx, KeyType.asset, [lien.assetId]),
      key(ctx, KeyType.grant, [lien.grantId]),
    ])) as [Member?, Lien?, Asset?, Grant?];
    const bank = checkCaller(mspId, member, ['BANK']);
    if (existing) throw conflict(`lien ${lien.lienId} already exists`);
    if (!found) throw notFound(`asset ${lien.assetId} is not registered`);
    const asset = found;
    const now = txEpochSeconds(ctx);
    if (!grant || grant.grantee !== bank.mspId || grant.subject !== asset.owner) {
      throw forbidden('no grant from the asset owner to this bank');
    }
    if (grant.purpose !== 'COLLATERAL_REGISTRATION' || !grant.scope.includes(COLLATERAL_SCOPE)) {
      throw forbidden('the grant does not cover collateral registration');
    }
    const status = Grant.statusAt(grant, now);
    if (status !== 'ACTIVE') throw forbidden(`the grant is ${status}`);
    if (asset.status !== 'ACTIVE') throw conflict(`asset ${asset.assetId} is ${asset.status}`);
    const loanEnd = epochSecondsFromIso(lien.loanEnd);
    if (loanEnd <= now) throw invalid('lien.loanEnd is already past');
    // The consent must cover the credit business it secures.
    if (epochSecondsFromIso(grant.validUntil) < loanEnd) {
      throw invalid("lien.loanEnd is after the end of the owner's consent (grant.validUntil)");
    }
    if (epochSecondsFromIso(asset.rightExpiry) < loanEnd)
      throw invalid('the right expires before the loan ends');
    const type = await readAssetType(ctx, asset.assetType);
    const active = asset.liens.filter((l) => l.status === 'ACTIVE');
    if (type.lienPolicy === 'EXCLUSIVE' && active.length > 0) {
      throw conflict(`asset ${asset.assetId} already carries an exclusive lien`);
    }
    const secured = active.reduce((sum, l) => sum + l.securedAmountFen, 0) + lien.securedAmountFen;
    const cap = Math.floor((asset.appraisedValueFen * type.maxLtvBps) / 10_000);
    if (secured > cap) throw conflict(`total secured ${secured} fen would exceed the cap of ${cap} fen`);
    const at = txTime(ctx);
    lien.mortgagee = bank.mspId;
    lien.mortgagor = asset.owner;
    lien.rank = active.reduce((max, l) => Math.max(max, l.rank), 0) + 1;
    lien.registeredAt = at;
    lien.updatedAt = at;
    lien.txId = ctx.stub.getTxID();
    const entry = new LienEntry();
    entry.lienId = lien.lienId;
    entry.mortgagee = lien.mortgagee;
    entry.rank = lien.rank;
    entry.securedAmountFen = lien.securedAmountFen;
    entry.loanEnd = lien.loanEnd;
    asset.liens = [...active, entry];
    const writes = new Writes();
    this.#stamp(ctx, asset, 'LIEN_REGISTERED');
    writes.record(key(ctx, KeyType.asset, [asset.assetId]), asset);
    const text = writes.record(lienKey, lien);
    writes.index(ctx, KeyType.lienByMortgagee, [lien.mortgagee, lien.lienId]);
    await writes.flush(ctx);
    emit(ctx, 'LienRegistered', {
      lienId: lien.lienId,
      assetId: asset.assetId,
      mortgagee: lien.mortgagee,
      owner: asset.owner,
      rank: lien.rank,
      securedAmountFen: lien.securedAmountFen,
      lienholders: asset.liens.map((l) => l.mortgagee),
    });
    return text;
  }

  /**
   * Releases (注销) a lien, by its mortgagee.
   *
   * @throws FORBIDDEN for anyone else; CONFLICT when the lien is not active.
   */
  @Transaction()
  @Returns('string')
  async ReleaseLien(ctx: Context, lienId: string): Promise<string> {
    const lien = await this.#activeLienOfCaller(ctx, lienId, 'release');
    const asset = await this.#asset(ctx, lien.assetId);
    asset.liens = asset.liens.filter((l) => l.lienId !== lien.lienId);
    lien.status = 'RELEASED';
    lien.updatedAt = txTime(ctx);
    await this.#save(ctx, asset, 'LIEN_RELEASED');
    await writeRecord(ctx, key(ctx, KeyType.lien, [lien.lienId]), lien);
    emit(ctx, 'LienReleased', { lienId: lien.lienId, assetId: asset.assetId, mortgagee: lien.mortgagee });
    return marshal(lien);
  }

  /**
   * Seizes (查封) an asset, by its issuer or the regulator: it is frozen.
   *
   * @throws FORBIDDEN for anyone else; CONFLICT when already seized.
   */
  @Transaction()
  @Returns('string')
  async SeizeAsset(ctx: Context, assetId: string, orderRef: string): Promise<string> {
    const caller = await requireCaller(ctx, 'DATA_PROVIDER', 'REGULATOR');
    const f = new Fields({ assetId, orderRef }, 'seizure');
    const asset = await this.#asset(ctx, f.id('assetId'));
    this.#requireAuthority(caller, asset);
    if (asset.seizure) throw conflict(`asset ${asset.assetId} is already seized`);
    const seizure = new Seizure();
    seizure.by = caller.mspId;
    seizure.orderRef = f.id('orderRef');
    seizure.at = txTime(ctx);
    asset.seizure = seizure;
    asset.status = 'SEIZED';
    await this.#save(ctx, asset, 'SEIZED');
    emit(ctx, 'AssetSeized', {
      assetId: asset.assetId,
      by: caller.mspId,
      lienholders: asset.liens.map((l) => l.mortgagee),
    });
    return marshal(asset);
  }

  /**
   * Lifts a seizure, by the issuer or the regulator.
   *
   * @throws CONFLICT when the asset is not seized.
   */
  @Transaction()
  @Returns('string')
  async LiftSeizure(ctx: Context, assetId: string): Promise<string> {
    const caller = await requireCaller(ctx, 'DATA_PROVIDER', 'REGULATOR');
    const asset = await this.#asset(ctx, new Fields({ assetId }, 'seizure').id('assetId'));
    this.#requireAuthority(caller, asset);
    if (!asset.seizure) throw conflict(`asset ${asset.assetId} is not seized`);
    delete asset.seizure;
    asset.status = asset.enforcingLien ? 'ENFORCEMENT' : 'ACTIVE';
    await this.#save(ctx, asset, 'SEIZURE_LIFTED');
    emit(ctx, 'SeizureLifted', {
      assetId: asset.assetId,
      by: caller.mspId,
      lienholders: asset.liens.map((l) => l.mortgagee),
    });
    return marshal(asset);
  }

  /**
   * Starts enforcement (处置) of a lien, by its mortgagee: the asset can then
   * only be transferred by its issuer.
   *
   * @throws CONFLICT when the lien is not active or the asset is seized or already under enforcement.
   */
  @Transaction()
  @Returns('string')
  async EnforceLien(ctx: Context, lienId: string): Promise<string> {
    const lien = await this.#activeLienOfCaller(ctx, lienId, 'enforce');
    const asset = await this.#asset(ctx, lien.assetId);
    if (asset.status !== 'ACTIVE') throw conflict(`asset ${asset.assetId} is ${asset.status}`);
    asset.status = 'ENFORCEMENT';
    asset.enforcingLien = lien.lienId;
    asset.liens = asset.liens.map((l) => (l.lienId === lien.lienId ? { ...l, status: 'ENFORCING' } : l));
    lien.status = 'ENFORCING';
    lien.updatedAt = txTime(ctx);
    await this.#save(ctx, asset, 'ENFORCEMENT_STARTED');
    await writeRecord(ctx, key(ctx, KeyType.lien, [lien.lienId]), lien);
    emit(ctx, 'LienEnforced', {
      lienId: lien.lienId,
      assetId: asset.assetId,
      mortgagee: lien.mortgagee,
      lienholders: asset.liens.map((l) => l.mortgagee),
    });
    const bank = await requireCaller(ctx, 'BANK');
    return marshal(this.#view(bank, asset, await this.#visibility(ctx, bank, asset)));
  }

  /**
   * Transfers (流转) an asset to a new owner, by its issuer: after enforcement
   * (the enforced lien is ENFORCED and every other lien DISCHARGED), or an
   * ordinary transfer of an active asset free of liens.
   *
   * @throws CONFLICT when the asset is seized, or active with liens.
   */
  @Transaction()
  @Returns('string')
  async TransferAsset(ctx: Context, assetId: string, newOwner: string): Promise<string> {
    const issuer = await requireCaller(ctx, 'DATA_PROVIDER');
    const f = new Fields({ assetId, newOwner }, 'transfer');
    const asset = await this.#asset(ctx, f.id('assetId'));
    if (asset.issuer !== issuer.mspId) throw forbidden(`${issuer.mspId} is not the issuer of this asset`);
    const owner = f.pseudonym('newOwner');
    if (owner === asset.owner) throw invalid('transfer.newOwner is the current owner');
    if (asset.status === 'SEIZED') throw conflict(`asset ${asset.assetId} is seized`);
    if (asset.status === 'ACTIVE' && asset.liens.length > 0) {
      throw conflict(`asset ${asset.assetId} carries liens; enforce or release them first`);
    }
    const at = txTime(ctx);
    for (const entry of asset.liens) {
      const lien = await this.#lien(ctx, entry.lienId);
      lien.status = entry.lienId === asset.enforcingLien ? 'ENFORCED' : 'DISCHARGED';
      lien.updatedAt = at;
      await writeRecord(ctx, key(ctx, KeyType.lien, [lien.lienId]), lien);
    }
    const discharged = asset.liens.map((l) => l.mortgagee);
    await deleteIndex(ctx, KeyType.assetByOwner, [asset.owner, asset.assetId]);
    const previousOwner = asset.owner;
    asset.owner = owner;
    asset.liens = [];
    asset.status = 'ACTIVE';
    delete asset.enforcingLien;
    await this.#save(ctx, asset, 'TRANSFERRED');
    await putIndex(ctx, KeyType.assetByOwner, [asset.owner, asset.assetId]);
    emit(ctx, 'AssetTransferred', {
      assetId: asset.assetId,
      previousOwner,
      owner: asset.owner,
      lienholders: discharged,
    });
    return marshal(asset);
  }

  /**
   * Reads an asset with its active liens, seizure, term and history. Any active
   * member learns that it is registered and pledged; its issuer and the regulator
   * see everything; a bank sees the amounts of its own liens only (the others as
   * a count and a total), and the owner, location and appraisal only while it
   * holds an active grant from the owner covering COLLATERAL.
   */
  @Transaction(false)
  @Returns('string')
  async GetAsset(ctx: Context, assetId: string): Promise<string> {
    const caller = await requireCaller(ctx);
    const asset = await this.#asset(ctx, new Fields({ assetId }, 'query').id('assetId'));
    const visibility = await this.#visibility(ctx, caller, asset);
    const history: AssetHistoryEntry[] = [];
    const iterator = await ctx.stub.getHistoryForKey(key(ctx, KeyType.asset, [asset.assetId]));
    try {
      for (
        let r = await iterator.next();
        !r.done && history.length < MAX_HISTORY;
        r = await iterator.next()
      ) {
        const m = r.value;
        if (m.isDelete) continue;
        const past = unmarshal(m.value) as Asset;
        history.push({
          txId: m.txId,
          time: isoFromEpochSeconds(secondsOf(m.timestamp.seconds)),
          action: past.lastAction,
          status: past.status,
          ...(visibility === 'MEMBER' ? {} : { owner: past.owner }),
          activeLiens: past.liens.length,
        });
      }
    } finally {
      await iterator.close();
    }
    return marshal({ ...this.#view(caller, asset, visibility), history });
  }

  /**
   * Reads a lien: its mortgagee, the asset's issuer and the regulator see it
   * all; any other member that it exists, its asset, rank and status.
   */
  @Transaction(false)
  @Returns('string')
  async GetLien(ctx: Context, lienId: string): Promise<string> {
    const caller = await requireCaller(ctx);
    const lien = await this.#lien(ctx, new Fields({ lienId }, 'query').id('lienId'));
    if (caller.role === 'REGULATOR' || caller.mspId === lien.mortgagee) return marshal(lien);
    const asset = await this.#asset(ctx, lien.assetId);
    if (caller.mspId === asset.issuer) return marshal(lien);
    const { assetId, rank, status, registeredAt, updatedAt } = lien;
    return marshal({ lienId: lien.lienId, assetId, rank, status, registeredAt, updatedAt });
  }

  /** Lists an owner's assets (banks, issuers, regulator, auditors), paginated, each as {@link GetAsset} shows it. */
  @Transaction(false)
  @Returns('string')
  async ListAssetsByOwner(ctx: Context, owner: string, pageSize: string, bookmark: string): Promise<string> {
    const caller = await requireCaller(ctx);
    const pseudonym = new Fields({ owner }, 'query').pseudonym('owner');
    const page = await readRecordPage<Asset>(ctx, KeyType.asset, {
      type: KeyType.assetByOwner,
      prefix: [pseudonym],
      pageSize: pageSizeOf(pageSize),
      bookmark,
    });
    const records: object[] = [];
    for (const asset of page.records) {
      records.push(this.#view(caller, asset, await this.#visibility(ctx, caller, asset)));
    }
    return marshal({ records, bookmark: page.bookmark });
  }

  /** Lists the calling bank's liens, paginated. */
  @Transaction(false)
  @Returns('string')
  async ListMyLiens(ctx: Context, pageSize: string, bookmark: string): Promise<string> {
    const bank = await requireCaller(ctx, 'BANK');
    return marshal(
      await readRecordPage(ctx, KeyType.lien, {
        type: KeyType.lienByMortgagee,
        prefix: [bank.mspId],
        pageSize: pageSizeOf(pageSize),
        bookmark,
      }),
    );
  }

  /**
   * Lists liens, paginated: a bank its own (by lien ID), the regulator and
   * auditors every institution's; anyone else is FORBIDDEN.
   */
  @Transaction(false)
  @Returns('string')
  async ListLiens(ctx: Context, pageSize: string, bookmark: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const page =
      caller.role === 'BANK'
        ? { type: KeyType.lienByMortgagee, prefix: [caller.mspId] }
        : { type: KeyType.lien, prefix: [] };
    return marshal(
      await readRecordPage(ctx, KeyType.lien, { ...page, pageSize: pageSizeOf(pageSize), bookmark }),
    );
  }

  /** How much of `asset` the caller sees (see {@link AssetVisibility}). */
  async #visibility(ctx: Context, caller: Member, asset: Asset): Promise<AssetVisibility> {
    if (caller.role === 'REGULATOR' || caller.mspId === asset.issuer) return 'FULL';
    if (caller.role !== 'BANK') return 'MEMBER';
    const now = txEpochSeconds(ctx);
    const iterator = await ctx.stub.getStateByPartialCompositeKey(KeyType.grantByGranteeSubject, [
      caller.mspId,
      asset.owner,
    ]);
    try {
      let scanned = 0;
      for (
        let r = await iterator.next();
        !r.done && scanned < MAX_GRANTS_SCANNED;
        r = await iterator.next()
      ) {
        scanned += 1;
        const grant = await readGrant(ctx, lastKeyPart(ctx, r.value.key));
        if (grant?.scope.includes(COLLATERAL_SCOPE) && Grant.statusAt(grant, now) === 'ACTIVE') {
          return 'COLLATERAL_GRANT';
        }
      }
    } finally {
      await iterator.close();
    }
    return 'MEMBER';
  }

  /**
   * An asset as `caller` may see it: below FULL, other banks' liens become a
   * count and a total; as MEMBER, the owner, location and appraisal are left out.
   */
  #view(caller: Member, asset: Asset, visibility: AssetVisibility): object {
    if (visibility === 'FULL') return { ...asset, visibility };
    const own = asset.liens.filter((l) => l.mortgagee === caller.mspId);
    const others = asset.liens.filter((l) => l.mortgagee !== caller.mspId);
    const { owner, location, appraisedValueFen, appraisalDate, ...rest } = asset;
    return {
      ...rest,
      ...(visibility === 'COLLATERAL_GRANT' ? { owner, location, appraisedValueFen, appraisalDate } : {}),
      liens: own,
      otherLiens: {
        count: others.length,
        totalSecuredFen: others.reduce((sum, l) => sum + l.securedAmountFen, 0),
      },
      visibility,
    };
  }

  #requireAuthority(caller: Member, asset: Asset): void {
    if (caller.role !== 'REGULATOR' && caller.mspId !== asset.issuer) {
      throw forbidden('only the issuer or the regulator may seize or release this asset');
    }
  }

  async #asset(ctx: Context, assetId: string): Promise<Asset> {
    const asset = await readRecord<Asset>(ctx, key(ctx, KeyType.asset, [assetId]));
    if (!asset) throw notFound(`asset ${assetId} is not registered`);
    return asset;
  }

  /** The caller's own active lien: only the mortgagee may release or enforce it. */
  async #activeLienOfCaller(ctx: Context, lienId: string, action: 'release' | 'enforce'): Promise<Lien> {
    const bank = await requireCaller(ctx, 'BANK');
    const lien = await this.#lien(ctx, new Fields({ lienId }, action).id('lienId'));
    if (lien.mortgagee !== bank.mspId) throw forbidden(`only the mortgagee may ${action} a lien`);
    if (lien.status !== 'ACTIVE') throw conflict(`lien ${lien.lienId} is ${lien.status}`);
    return lien;
  }

  async #lien(ctx: Context, lienId: string): Promise<Lien> {
    const lien = await readRecord<Lien>(ctx, key(ctx, KeyType.lien, [lienId]));
    if (!lien) throw notFound(`lien ${lienId} does not exist`);
    return lien;
  }

  async #save(ctx: Context, asset: Asset, action: string): Promise<void> {
    this.#stamp(ctx, asset, action);
    await writeRecord(ctx, key(ctx, KeyType.asset, [asset.assetId]), asset);
  }

  /** Marks `asset` as changed by `action` in this transaction. */
  #stamp(ctx: Context, asset: Asset, action: string): void {
    asset.lastAction = action;
    asset.updatedAt = txTime(ctx);
  }
}
