import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { catalogueModule } from '../../src/catalogue/routes';
import type {
  AssetTypeChange,
  AssetTypeView,
  DatasetTypeChange,
  DatasetTypeView,
} from '../../src/catalogue/schemas';
import type { Page } from '../../src/http/pagination';
import { ORG, startConsortiumGateway, type ConsortiumGateway } from '../acceptance/consortium-gateway';
import { expectError } from '../helpers';

/** Per run: on a shared ledger (Fabric) earlier runs leave their catalogue entries. */
const RUN = randomBytes(3).toString('hex').toUpperCase();
const FOREST = `FOREST_${RUN}`;
const BAMBOO = `BAMBOO_${RUN}`;
const REGULATOR: { as: ['regulator', 'REGULATOR_ADMIN'] } = { as: ['regulator', 'REGULATOR_ADMIN'] };

const forest = (schemaVersion: number) => ({
  name: 'Forest right certificates',
  provider: ORG.land,
  frequency: 'MONTHLY',
  schemaVersion,
  subjectField: 'ownerId',
  fields: [
    { name: 'ownerId', type: 'STRING', personal: true },
    { name: 'areaMu', type: 'NUMBER' },
  ],
});

const bamboo = (version: number) => ({
  name: 'Bamboo forest operation right',
  issuer: ORG.agri,
  lienPolicy: 'RANKED',
  maxLtvBps: 6000,
  version,
});

describe('catalogue API', () => {
  let g: ConsortiumGateway;

  before(async () => {
    g = await startConsortiumGateway([catalogueModule]);
  });
  after(() => g.stop());

  const all = async <T>(path: string): Promise<T[]> => {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const res = await g.api(`${path}?limit=3${cursor ? `&cursor=${cursor}` : ''}`, {
        as: ['bankA', 'LOAN_OFFICER'],
      });
      expect(res.status, res.text).to.equal(200);
      const page = res.body as Page<T>;
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out;
  };

  it('when a member lists asset types, then the Ningde collateral classes are seeded at version 1', async () => {
    const types = new Map((await all<AssetTypeView>('/catalogue/asset-types')).map((a) => [a.code, a]));
    for (const [code, issuer, lienPolicy] of [
      ['AQUACULTURE_RIGHT', ORG.agri, 'RANKED'],
      ['FISHING_RAFT', ORG.agri, 'EXCLUSIVE'],
      ['MUSHROOM_SHED', ORG.agri, 'EXCLUSIVE'],
      ['HOMESTAY_RIGHT', ORG.land, 'RANKED'],
      ['COLLECTIVE_EQUITY', ORG.agri, 'EXCLUSIVE'],
    ] as const) {
      expect(types.get(code), code).to.include({ issuer, lienPolicy });
      expect(types.get(code)?.version, code).to.be.a('number').at.least(1);
    }
  });

  it('when a member lists dataset types, then each has provider, frequency and schema version', async () => {
    const types = new Map((await all<DatasetTypeView>('/catalogue/dataset-types')).map((d) => [d.code, d]));
    expect(types.get('HOMESTEAD')).to.include({ provider: ORG.land, subjectField: 'subjectId' });
    expect(types.get('AGRI_SUBSIDY')).to.include({ provider: ORG.agri, frequency: 'MONTHLY' });
  });

  it('when a non-regulator defines, then 403 FORBIDDEN_ROLE and nothing is defined', async () => {
    const body = { code: FOREST, ...forest(1) };
    expectError(
      await g.api('/catalogue/dataset-types', { method: 'POST', as: ['land', 'DATA_OFFICER'], json: body }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await g.api('/catalogue/asset-types', {
        method: 'POST',
        as: ['bankA', 'ORG_ADMIN'],
        json: { code: BAMBOO, ...bamboo(1) },
      }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await g.api(`/catalogue/dataset-types/${FOREST}`, { as: ['bankA', 'LOAN_OFFICER'] }),
      404,
      'NOT_FOUND',
    );
  });

  it('when the regulator defines and versions a dataset type, then versions only increase and the provider stays', async () => {
    const created = await g.api('/catalogue/dataset-types', {
      method: 'POST',
      ...REGULATOR,
      json: { code: FOREST, ...forest(1) },
    });
    expect(created.status, created.text).to.equal(201);
    expect(created.headers.get('location')).to.equal(`/api/v1/catalogue/dataset-types/${FOREST}`);
    const v1 = (created.body as DatasetTypeChange).datasetType;
    expect(v1).to.include({ code: FOREST, schemaVersion: 1, provider: ORG.land });
    expect(v1.fields[1]).to.deep.equal({ name: 'areaMu', type: 'NUMBER', required: true, personal: false });
    expectError(
      await g.api('/catalogue/dataset-types', {
        method: 'POST',
        ...REGULATOR,
        json: { code: FOREST, ...forest(1) },
      }),
      409,
      'CONFLICT',
    );
    const path = `/catalogue/dataset-types/${FOREST}`;
    expectError(await g.api(path, { method: 'PUT', ...REGULATOR, json: forest(1) }), 409, 'CONFLICT');
    expectError(
      await g.api(path, { method: 'PUT', ...REGULATOR, json: { ...forest(2), provider: ORG.agri } }),
      400,
      'INVALID',
    );
    expectError(
      await g.api(`/catalogue/dataset-types/NO_${RUN}`, { method: 'PUT', ...REGULATOR, json: forest(2) }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await g.api(path, { method: 'PUT', ...REGULATOR, json: { ...forest(2), code: 'OTHER' } }),
      400,
      'INVALID_REQUEST',
    );
    const v2 = await g.api(path, {
      method: 'PUT',
      ...REGULATOR,
      json: { ...forest(2), frequency: 'QUARTERLY' },
    });
    expect(v2.status, v2.text).to.equal(200);
    expect((v2.body as DatasetTypeChange).datasetType).to.include({
      schemaVersion: 2,
      frequency: 'QUARTERLY',
    });
    expectError(await g.api(path, { method: 'PUT', ...REGULATOR, json: forest(2) }), 409, 'CONFLICT');
    const read = await g.api(path, { as: ['auditor', 'AUDITOR'] });
    expect(read.body).to.deep.equal((v2.body as DatasetTypeChange).datasetType);
  });

  it('when the regulator defines and versions an asset type, then versions only increase and the issuer stays', async () => {
    const created = await g.api('/catalogue/asset-types', {
      method: 'POST',
      ...REGULATOR,
      json: { code: BAMBOO, ...bamboo(1) },
    });
    expect(created.status, created.text).to.equal(201);
    const v1 = (created.body as AssetTypeChange).assetType;
    expect(v1).to.include({ code: BAMBOO, version: 1, issuer: ORG.agri, maxLtvBps: 6000 });
    const path = `/catalogue/asset-types/${BAMBOO}`;
    expectError(await g.api(path, { method: 'PUT', ...REGULATOR, json: bamboo(1) }), 409, 'CONFLICT');
    expectError(
      await g.api(path, { method: 'PUT', ...REGULATOR, json: { ...bamboo(2), issuer: ORG.land } }),
      400,
      'INVALID',
    );
    expectError(
      await g.api(path, { method: 'PUT', ...REGULATOR, json: { ...bamboo(2), maxLtvBps: 0 } }),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await g.api(path, { method: 'PUT', as: ['agri', 'DATA_OFFICER'], json: bamboo(2) }),
      403,
      'FORBIDDEN_ROLE',
    );
    const v3 = await g.api(path, { method: 'PUT', ...REGULATOR, json: { ...bamboo(3), maxLtvBps: 5000 } });
    expect(v3.status, v3.text).to.equal(200);
    expect((v3.body as AssetTypeChange).assetType).to.include({
      version: 3,
      maxLtvBps: 5000,
      definedAt: v1.definedAt,
    });
    expectError(await g.api(path, { method: 'PUT', ...REGULATOR, json: bamboo(2) }), 409, 'CONFLICT');
    const read = await g.api(path, { as: ['bankB', 'LOAN_OFFICER'] });
    expect(read.body).to.deep.equal((v3.body as AssetTypeChange).assetType);
  });
});
