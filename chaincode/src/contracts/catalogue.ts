import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { conflict, invalid, notFound } from '../lib/errors';
import { Fields } from '../lib/fields';
import { KeyType, key } from '../lib/keys';
import { marshal, parseArgument } from '../lib/marshal';
import { readMember, requireCaller } from '../lib/members';
import { emit, exists, pageSizeOf, readRecordPage, readRecord, txTime, writeRecord } from '../lib/state';
import { AssetType, DatasetType } from '../model/catalogue';

/** Reads a dataset type or throws NOT_FOUND. */
export async function readDatasetType(ctx: Context, code: string): Promise<DatasetType> {
  const d = await readRecord<DatasetType>(ctx, key(ctx, KeyType.datasetType, [code]));
  if (!d) throw notFound(`dataset type ${code} is not defined`);
  return d;
}

/** Reads an asset type or throws NOT_FOUND. */
export async function readAssetType(ctx: Context, code: string): Promise<AssetType> {
  const a = await readRecord<AssetType>(ctx, key(ctx, KeyType.assetType, [code]));
  if (!a) throw notFound(`asset type ${code} is not defined`);
  return a;
}

/**
 * The data catalogue: dataset types (provider, frequency, schema) and asset
 * types (issuer, lien policy). Defined by the regulator, readable by all members.
 */
@Info({ title: 'Catalogue', description: 'Dataset and asset type catalogue' })
export class CatalogueContract extends Contract {
  constructor() {
    super('Catalogue');
  }

  /**
   * Defines a dataset type (regulator only). The provider must be an admitted data provider.
   *
   * @throws CONFLICT when the code exists; INVALID when the provider is not a data provider.
   */
  @Transaction()
  @Returns('string')
  async DefineDatasetType(ctx: Context, datasetJson: string): Promise<string> {
    await requireCaller(ctx, 'REGULATOR');
    const d = DatasetType.newInstance(parseArgument(datasetJson, 'datasetType'), txTime(ctx));
    await this.#requireRole(ctx, d.provider, 'provider');
    const k = key(ctx, KeyType.datasetType, [d.code]);
    if (await exists(ctx, k)) throw conflict(`dataset type ${d.code} is already defined`);
    await writeRecord(ctx, k, d);
    emit(ctx, 'DatasetTypeDefined', { code: d.code, provider: d.provider, schemaVersion: d.schemaVersion });
    return marshal(d);
  }

  /**
   * Publishes a new schema version of a dataset type (regulator only); the
   * version must increase and the provider may change only by redefinition.
   *
   * @throws NOT_FOUND for an unknown code; CONFLICT when the version does not increase.
   */
  @Transaction()
  @Returns('string')
  async UpdateDatasetType(ctx: Context, datasetJson: string): Promise<string> {
    await requireCaller(ctx, 'REGULATOR');
    const at = txTime(ctx);
    const next = DatasetType.newInstance(parseArgument(datasetJson, 'datasetType'), at);
    const current = await readDatasetType(ctx, next.code);
    if (next.schemaVersion <= current.schemaVersion) {
      throw conflict(`schemaVersion must exceed the current ${current.schemaVersion}`);
    }
    if (next.provider !== current.provider) throw invalid('the provider of a dataset type cannot change');
    next.definedAt = current.definedAt;
    await writeRecord(ctx, key(ctx, KeyType.datasetType, [next.code]), next);
    emit(ctx, 'DatasetTypeUpdated', {
      code: next.code,
      provider: next.provider,
      schemaVersion: next.schemaVersion,
    });
    return marshal(next);
  }

  /**
   * Defines an asset type (regulator only). The issuer must be an admitted data provider.
   *
   * @throws CONFLICT when the code exists.
   */
  @Transaction()
  @Returns('string')
  async DefineAssetType(ctx: Context, assetTypeJson: string): Promise<string> {
    await requireCaller(ctx, 'REGULATOR');
    const a = AssetType.newInstance(parseArgument(assetTypeJson, 'assetType'), txTime(ctx));
    await this.#requireRole(ctx, a.issuer, 'issuer');
    const k = key(ctx, KeyType.assetType, [a.code]);
    if (await exists(ctx, k)) throw conflict(`asset type ${a.code} is already defined`);
    await writeRecord(ctx, k, a);
    emit(ctx, 'AssetTypeDefined', {
      code: a.code,
      issuer: a.issuer,
      lienPolicy: a.lienPolicy,
      version: a.version,
    });
    return marshal(a);
  }

  /**
   * Publishes a new version of an asset type (regulator only): its name, lien
   * policy or LTV cap change; the version must increase and the issuer may not
   * change. Liens already registered keep the terms they were registered under.
   *
   * @throws NOT_FOUND for an unknown code; CONFLICT when the version does not
   * increase; INVALID when the issuer changes.
   */
  @Transaction()
  @Returns('string')
  async UpdateAssetType(ctx: Context, assetTypeJson: string): Promise<string> {
    await requireCaller(ctx, 'REGULATOR');
    const next = AssetType.newInstance(parseArgument(assetTypeJson, 'assetType'), txTime(ctx));
    const current = await readAssetType(ctx, next.code);
    const currentVersion = current.version ?? 1;
    if (next.version <= currentVersion) throw conflict(`version must exceed the current ${currentVersion}`);
    if (next.issuer !== current.issuer) throw invalid('the issuer of an asset type cannot change');
    next.definedAt = current.definedAt;
    await writeRecord(ctx, key(ctx, KeyType.assetType, [next.code]), next);
    emit(ctx, 'AssetTypeUpdated', {
      code: next.code,
      issuer: next.issuer,
      lienPolicy: next.lienPolicy,
      version: next.version,
    });
    return marshal(next);
  }

  /** Reads a dataset type (any active member). */
  @Transaction(false)
  @Returns('string')
  async GetDatasetType(ctx: Context, code: string): Promise<string> {
    await requireCaller(ctx);
    return marshal(await readDatasetType(ctx, new Fields({ code }, 'query').code('code')));
  }

  /** Lists dataset types (any active member), paginated. */
  @Transaction(false)
  @Returns('string')
  async ListDatasetTypes(ctx: Context, pageSize: string, bookmark: string): Promise<string> {
    await requireCaller(ctx);
    return marshal(
      await readRecordPage(ctx, KeyType.datasetType, {
        type: KeyType.datasetType,
        prefix: [],
        pageSize: pageSizeOf(pageSize),
        bookmark,
      }),
    );
  }

  /** Reads an asset type (any active member). */
  @Transaction(false)
  @Returns('string')
  async GetAssetType(ctx: Context, code: string): Promise<string> {
    await requireCaller(ctx);
    return marshal(await readAssetType(ctx, new Fields({ code }, 'query').code('code')));
  }

  /** Lists asset types (any active member), paginated. */
  @Transaction(false)
  @Returns('string')
  async ListAssetTypes(ctx: Context, pageSize: string, bookmark: string): Promise<string> {
    await requireCaller(ctx);
    return marshal(
      await readRecordPage(ctx, KeyType.assetType, {
        type: KeyType.assetType,
        prefix: [],
        pageSize: pageSizeOf(pageSize),
        bookmark,
      }),
    );
  }

  async #requireRole(ctx: Context, mspId: string, what: string): Promise<void> {
    const member = await readMember(ctx, mspId);
    if (!member || member.role !== 'DATA_PROVIDER') {
      throw invalid(`${what} ${mspId} is not an admitted data provider`);
    }
  }
}
