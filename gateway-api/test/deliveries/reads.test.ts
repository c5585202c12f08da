import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createCollateralModule } from '../../src/collateral/module';
import type { AssetChange, LienChange, LienView } from '../../src/collateral/schemas';
import { deliveriesModule } from '../../src/deliveries/routes';
import type { ListedBatch, ProviderFreshness } from '../../src/deliveries/schemas';
import type { Page } from '../../src/http/pagination';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
  type OrgName,
} from '../acceptance/consortium-gateway';
import { DAY, anchorBatch, ledgerTime, recordGrant } from '../collateral/support';
import { expectError } from '../helpers';

/** Per run: on a shared ledger (Fabric) earlier runs leave batches and liens. */
const RUN = randomBytes(3).toString('hex');
const OWNER = residentId(611);

describe('reads: liens, batches by period, provider freshness', () => {
  let g: ConsortiumGateway;
  let lien: LienChange;
  let before_: string;

  before(async () => {
    g = await startConsortiumGateway([createCollateralModule(), deliveriesModule]);
    before_ = ledgerTime(-2);
    for (const n of [1, 2, 3])
      await anchorBatch(g, 'land', { batchId: `hs-read-${RUN}-${n}`, datasetType: 'HOMESTEAD' });
    await recordGrant(g, 'bankA', {
      grantId: `col-read-${RUN}`,
      subjectId: OWNER,
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    const asset = await g.api('/assets', {
      method: 'POST',
      as: ['agri', 'DATA_OFFICER'],
      json: {
        assetType: 'MUSHROOM_SHED',
        certificateNo: `MS-${RUN}`,
        ownerSubjectId: OWNER,
        location: 'FJ-GT-0611',
        areaValue: 2,
        areaUnit: 'MU',
        appraisedValueFen: 8_000_000,
        appraisalDate: ledgerTime(-DAY),
        rightExpiry: ledgerTime(3650 * DAY),
      },
    });
    expect(asset.status, asset.text).to.equal(201);
    const res = await g.api('/liens', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        assetId: (asset.body as AssetChange).asset.assetId,
        consentId: `col-read-${RUN}`,
        securedAmountFen: 3_000_000,
        loanEnd: ledgerTime(300 * DAY),
      },
    });
    expect(res.status, res.text).to.equal(201);
    lien = res.body as LienChange;
  });
  after(() => g.stop());

  const allLiens = async (
    org: OrgName,
    role: 'LOAN_OFFICER' | 'AUDITOR' | 'REGULATOR_ADMIN',
  ): Promise<LienView[]> => {
    const out: LienView[] = [];
    let cursor: string | null = null;
    do {
      const res = await g.api(`/liens?limit=50${cursor ? `&cursor=${cursor}` : ''}`, { as: [org, role] });
      expect(res.status, res.text).to.equal(200);
      const page = res.body as Page<LienView>;
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out;
  };

  it('when the mortgagee, the issuer or the regulator reads a lien, then all of it; another bank its public part', async () => {
    const id = lien.lien.lienId;
    for (const as of [
      ['bankA', 'LOAN_OFFICER'],
      ['agri', 'DATA_OFFICER'],
      ['regulator', 'REGULATOR_ADMIN'],
    ] as const) {
      const res = await g.api(`/liens/${id}`, { as: [as[0], as[1]] });
      expect(res.status, res.text).to.equal(200);
      expect(res.body, as.join('/')).to.deep.equal({ ...lien.lien, visibility: 'FULL' });
    }
    const other = await g.api(`/liens/${id}`, { as: ['bankB', 'LOAN_OFFICER'] });
    const { assetId, rank, status, registeredAt, updatedAt } = lien.lien;
    expect(other.body).to.deep.equal({
      lienId: id,
      assetId,
      rank,
      status,
      registeredAt,
      updatedAt,
      visibility: 'PUBLIC',
    });
    expectError(await g.api(`/liens/none-${RUN}`, { as: ['bankA', 'LOAN_OFFICER'] }), 404, 'NOT_FOUND');
  });

  it('when a bank lists liens, then its own only; the regulator and auditors all; a provider is refused', async () => {
    const id = lien.lien.lienId;
    const mine = await allLiens('bankA', 'LOAN_OFFICER');
    expect(mine.find((l) => l.lienId === id)).to.deep.equal(lien.lien);
    expect(mine.every((l) => l.mortgagee === ORG.bankA)).to.equal(true);
    expect((await allLiens('bankB', 'LOAN_OFFICER')).map((l) => l.lienId)).to.not.include(id);
    expect((await allLiens('auditor', 'AUDITOR')).map((l) => l.lienId)).to.include(id);
    expect((await allLiens('regulator', 'REGULATOR_ADMIN')).map((l) => l.lienId)).to.include(id);
    expectError(await g.api('/liens', { as: ['land', 'DATA_OFFICER'] }), 403, 'FORBIDDEN');
  });

  it('when batches are listed by dataset type and period, then exactly those anchored in [from, to), oldest first', async () => {
    const list = async (query: string): Promise<ListedBatch[]> => {
      const out: ListedBatch[] = [];
      let cursor: string | null = null;
      do {
        const res = await g.api(`/batches?${query}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
          as: ['bankB', 'LOAN_OFFICER'],
        });
        expect(res.status, res.text).to.equal(200);
        const page = res.body as Page<ListedBatch>;
        expect(page.items.length).to.be.at.most(2);
        out.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      return out;
    };
    const mine = (batches: ListedBatch[]) => batches.map((b) => b.batchId).filter((b) => b.includes(RUN));
    const since = await list(`datasetType=HOMESTEAD&from=${before_}`);
    expect(mine(since)).to.deep.equal([1, 2, 3].map((n) => `hs-read-${RUN}-${n}`));
    expect(since.every((b) => b.datasetType === 'HOMESTEAD' && b.anchoredAt >= before_)).to.equal(true);
    const sorted = [...since].sort((a, b) => a.anchoredAt.localeCompare(b.anchoredAt));
    expect(since.map((b) => b.batchId)).to.deep.equal(sorted.map((b) => b.batchId));
    expect(mine(await list(`datasetType=HOMESTEAD&to=${before_}`))).to.deep.equal([]);
    expect(mine(await list(`datasetType=LAND_CONTRACT&from=${before_}`))).to.deep.equal([]);
    expectError(
      await g.api(`/batches?datasetType=HOMESTEAD&from=${ledgerTime(10)}&to=${before_}`, {
        as: ['bankB', 'LOAN_OFFICER'],
      }),
      400,
      'INVALID',
    );
    expectError(
      await g.api('/batches?datasetType=homestead', { as: ['bankB', 'LOAN_OFFICER'] }),
      400,
      'INVALID_REQUEST',
    );
  });

  it("when a provider's freshness is read, then each of its dataset types shows last batch, frequency and overdue", async () => {
    const res = await g.api(`/providers/${ORG.land}/freshness`, { as: ['regulator', 'REGULATOR_ADMIN'] });
    expect(res.status, res.text).to.equal(200);
    const f = res.body as ProviderFreshness;
    expect(f.provider).to.equal(ORG.land);
    const codes = f.datasets.map((d) => d.datasetType);
    expect(codes).to.include('HOMESTEAD').and.not.include('LAND_CONTRACT');
    const homestead = f.datasets.find((d) => d.datasetType === 'HOMESTEAD');
    expect(homestead).to.include({
      frequency: 'REALTIME',
      maxAgeSeconds: DAY,
      latestBatchId: `hs-read-${RUN}-3`,
      overdue: false,
    });
    expect((homestead?.lastBatchAt ?? '') >= before_, `lastBatchAt ${homestead?.lastBatchAt}`).to.equal(true);
    expect(f.overdueCount).to.equal(f.datasets.filter((d) => d.overdue).length);
    const agri = (await g.api(`/providers/${ORG.agri}/freshness`, { as: ['bankA', 'LOAN_OFFICER'] }))
      .body as ProviderFreshness;
    expect(agri.datasets.map((d) => d.datasetType)).to.include.members(['AGRI_SUBSIDY', 'LAND_CONTRACT']);
    expectError(
      await g.api(`/providers/Nobody${RUN}MSP/freshness`, { as: ['bankA', 'LOAN_OFFICER'] }),
      404,
      'NOT_FOUND',
    );
  });
});
