import { expect } from 'chai';
import { CONSORTIUM, MSP, TestConsortium, readAllPages } from './support/consortium';

const FOREST = {
  code: 'FOREST_RIGHT',
  name: 'Forest rights',
  provider: MSP.land,
  frequency: 'QUARTERLY',
  schemaVersion: 1,
  subjectField: 'subjectId',
  fields: [
    { name: 'subjectId', type: 'STRING', personal: true },
    { name: 'areaMu', type: 'NUMBER' },
  ],
};

describe('Catalogue', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
  });
  afterEach(() => c.stop());

  it('when the regulator defines a dataset type, then members read it with defaults applied', async () => {
    const d = await c.submit('regulator', 'Catalogue:DefineDatasetType', JSON.stringify(FOREST));
    expect(d).to.include({
      code: 'FOREST_RIGHT',
      provider: MSP.land,
      frequency: 'QUARTERLY',
      schemaVersion: 1,
    });
    expect(d.fields).to.deep.equal([
      { name: 'subjectId', type: 'STRING', required: true, personal: true },
      { name: 'areaMu', type: 'NUMBER', required: true, personal: false },
    ]);
    expect(await c.evaluate('bankB', 'Catalogue:GetDatasetType', 'FOREST_RIGHT')).to.deep.equal(d);
  });

  it('when anyone but the regulator defines, then FORBIDDEN', async () => {
    for (const org of ['bankA', 'land', 'auditor'] as const) {
      await c.refused('FORBIDDEN', org, 'Catalogue:DefineDatasetType', JSON.stringify(FOREST));
      await c.refused(
        'FORBIDDEN',
        org,
        'Catalogue:DefineAssetType',
        JSON.stringify({ ...CONSORTIUM.assetTypes[0], code: 'X_RIGHT' }),
      );
    }
  });

  it('when the provider is not a data provider, the code exists or a field is wrong, then refused', async () => {
    await c.refused(
      'INVALID',
      'regulator',
      'Catalogue:DefineDatasetType',
      JSON.stringify({ ...FOREST, provider: MSP.bankA }),
    );
    await c.refused(
      'CONFLICT',
      'regulator',
      'Catalogue:DefineDatasetType',
      JSON.stringify({ ...FOREST, code: 'HOMESTEAD' }),
    );
    await c.refused(
      'INVALID',
      'regulator',
      'Catalogue:DefineDatasetType',
      JSON.stringify({ ...FOREST, frequency: 'HOURLY' }),
    );
    await c.refused(
      'INVALID',
      'regulator',
      'Catalogue:DefineDatasetType',
      JSON.stringify({ ...FOREST, subjectField: 'areaMu' }),
    );
    await c.refused(
      'INVALID',
      'regulator',
      'Catalogue:DefineDatasetType',
      JSON.stringify({ ...FOREST, code: 'COLLATERAL' }),
    );
    await c.refused(
      'INVALID',
      'regulator',
      'Catalogue:DefineDatasetType',
      JSON.stringify({ ...FOREST, code: 'lower' }),
    );
    await c.refused(
      'INVALID',
      'regulator',
      'Catalogue:DefineAssetType',
      JSON.stringify({ ...CONSORTIUM.assetTypes[0], code: 'Y', maxLtvBps: 10_001 }),
    );
    await c.refused(
      'INVALID',
      'regulator',
      'Catalogue:DefineAssetType',
      JSON.stringify({ ...CONSORTIUM.assetTypes[0], code: 'Z_RIGHT', issuer: MSP.bankA }),
    );
  });

  it('when a schema version is published, then it must increase and keep the provider', async () => {
    await c.refused(
      'CONFLICT',
      'regulator',
      'Catalogue:UpdateDatasetType',
      JSON.stringify({ ...CONSORTIUM.datasetTypes[0], schemaVersion: 1 }),
    );
    await c.refused(
      'INVALID',
      'regulator',
      'Catalogue:UpdateDatasetType',
      JSON.stringify({ ...CONSORTIUM.datasetTypes[0], schemaVersion: 2, provider: MSP.agri }),
    );
    await c.refused(
      'NOT_FOUND',
      'regulator',
      'Catalogue:UpdateDatasetType',
      JSON.stringify({ ...FOREST, schemaVersion: 2 }),
    );
    const updated = await c.submit(
      'regulator',
      'Catalogue:UpdateDatasetType',
      JSON.stringify({ ...CONSORTIUM.datasetTypes[0], schemaVersion: 2 }),
    );
    expect(updated).to.include({ code: 'HOMESTEAD', schemaVersion: 2 });
  });

  it('lists every dataset and asset type exactly once across pages', async () => {
    const datasets = await readAllPages<{ code: string }>(c, 'bankA', 'Catalogue:ListDatasetTypes', [], 1);
    expect(datasets.map((d) => d.code)).to.deep.equal(['AGRI_SUBSIDY', 'HOMESTEAD', 'LAND_CONTRACT']);
    const assets = await readAllPages<{ code: string }>(c, 'auditor', 'Catalogue:ListAssetTypes', [], 2);
    expect(assets.map((d) => d.code)).to.deep.equal([
      'AQUACULTURE_RIGHT',
      'COLLECTIVE_EQUITY',
      'FISHING_RAFT',
      'HOMESTAY_RIGHT',
      'HOMESTEAD_RIGHT',
      'LAND_CONTRACT_RIGHT',
      'MUSHROOM_SHED',
      'TEA_GARDEN',
    ]);
  });

  it('when an asset type gets a new version, then the version must increase and the issuer stay', async () => {
    const mushroom = CONSORTIUM.assetTypes.find((a) => a.code === 'MUSHROOM_SHED');
    expect(await c.evaluate('bankA', 'Catalogue:GetAssetType', 'MUSHROOM_SHED')).to.include({ version: 1 });
    const height = c.ledger.getBlockHeight();
    await c.refused(
      'FORBIDDEN',
      'agri',
      'Catalogue:UpdateAssetType',
      JSON.stringify({ ...mushroom, version: 2 }),
    );
    await c.refused(
      'CONFLICT',
      'regulator',
      'Catalogue:UpdateAssetType',
      JSON.stringify({ ...mushroom, version: 1 }),
    );
    await c.refused(
      'INVALID',
      'regulator',
      'Catalogue:UpdateAssetType',
      JSON.stringify({ ...mushroom, version: 2, issuer: 'NaturalResourcesMSP' }),
    );
    await c.refused(
      'NOT_FOUND',
      'regulator',
      'Catalogue:UpdateAssetType',
      JSON.stringify({ ...mushroom, code: 'NO_SUCH_TYPE', version: 2 }),
    );
    expect(c.ledger.getBlockHeight()).to.equal(height);
    const updated = await c.submit(
      'regulator',
      'Catalogue:UpdateAssetType',
      JSON.stringify({ ...mushroom, version: 3, maxLtvBps: 4000 }),
    );
    expect(updated).to.include({
      code: 'MUSHROOM_SHED',
      version: 3,
      maxLtvBps: 4000,
      lienPolicy: 'EXCLUSIVE',
    });
    expect(updated.definedAt).to.not.equal(updated.updatedAt);
    await c.refused(
      'CONFLICT',
      'regulator',
      'Catalogue:UpdateAssetType',
      JSON.stringify({ ...mushroom, version: 3 }),
    );
    expect(await c.evaluate('auditor', 'Catalogue:GetAssetType', 'MUSHROOM_SHED')).to.deep.equal(updated);
  });

  it('when a page size is out of bounds, then INVALID', async () => {
    await c.queryRefused('INVALID', 'bankA', 'Catalogue:ListDatasetTypes', '0', '');
    await c.queryRefused('INVALID', 'bankA', 'Catalogue:ListDatasetTypes', '201', '');
    await c.queryRefused('INVALID', 'bankA', 'Catalogue:ListDatasetTypes', 'ten', '');
  });
});
