import { expect } from 'chai';
import { createCollateralModule } from '../../src/collateral/module';
import { RecentCommits } from '../../src/collateral/recent-commits';
import type { AssetChange, AssetDetail, LienChange } from '../../src/collateral/schemas';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { expectError } from '../helpers';
import { DAY, TestIndexer, ledgerTime, recordGrant } from './support';

const OWNER = residentId(101);
const OTHER_OWNER = residentId(102);
/** The owner's ID with a wrong check digit. */
const BAD_SUBJECT = `${OWNER.slice(0, 17)}${OWNER.endsWith('0') ? '1' : '0'}`;

describe('collateral API', () => {
  let g: ConsortiumGateway;
  let indexer: TestIndexer;
  let owner: string;

  before(async () => {
    indexer = new TestIndexer();
    g = await startConsortiumGateway([
      createCollateralModule({ locator: (ctx, deps) => indexer.attach(ctx, deps) }),
    ]);
    owner = await g.context.subjects.pseudonym(OWNER);
    for (const bank of ['bankA', 'bankB'] as const) {
      await recordGrant(g, bank, {
        grantId: `col-${bank}`,
        subjectId: OWNER,
        scope: ['COLLATERAL'],
        purpose: 'COLLATERAL_REGISTRATION',
      });
    }
  });
  after(() => g.stop());

  const landContract = (certificateNo: string, override: Record<string, unknown> = {}) => ({
    assetType: 'LAND_CONTRACT_RIGHT',
    certificateNo,
    ownerSubjectId: OWNER,
    location: 'FJ-ND-0101',
    areaValue: 12.5,
    areaUnit: 'MU',
    appraisedValueFen: 10_000_000,
    appraisalDate: '2026-01-15T00:00:00Z',
    rightExpiry: '2040-12-31T00:00:00Z',
    ...override,
  });

  const register = async (
    body: Record<string, unknown>,
    as: 'agri' | 'land' = 'agri',
  ): Promise<AssetChange> => {
    const res = await g.api('/assets', { method: 'POST', as: [as, 'DATA_OFFICER'], json: body });
    expect(res.status, res.text).to.equal(201);
    return res.body as AssetChange;
  };

  const lien = (assetId: string, bank: 'bankA' | 'bankB', override: Record<string, unknown> = {}) =>
    g.api('/liens', {
      method: 'POST',
      as: [bank, 'LOAN_OFFICER'],
      json: {
        assetId,
        consentId: `col-${bank}`,
        securedAmountFen: 2_000_000,
        loanEnd: ledgerTime(300 * DAY),
        ...override,
      },
    });

  const getAsset = async (assetId: string): Promise<AssetDetail> => {
    // The regulator sees the whole asset (issue 12 item 7: other members see less).
    const res = await g.api(`/assets/${encodeURIComponent(assetId)}`, { as: ['regulator', 'AUDITOR'] });
    expect(res.status, res.text).to.equal(200);
    return res.body as AssetDetail;
  };

  describe('POST /assets', () => {
    it('when the issuer’s data officer registers a right, then 201 with the asset as recorded, its txId and block', async () => {
      const res = await g.api('/assets', {
        method: 'POST',
        as: ['agri', 'DATA_OFFICER'],
        json: landContract('LC-001'),
      });
      expect(res.status, res.text).to.equal(201);
      const body = res.body as AssetChange;
      expect(Object.keys(body).sort()).to.deep.equal(['asset', 'blockNumber', 'txId']);
      expect(body.txId).to.match(/^[0-9a-f]{64}$/);
      expect(body.blockNumber).to.be.a('number').greaterThan(0);
      expect(res.headers.get('location')).to.equal('/api/v1/assets/LAND_CONTRACT_RIGHT%3ALC-001');
      expect(body.asset).to.deep.equal({
        assetId: 'LAND_CONTRACT_RIGHT:LC-001',
        assetType: 'LAND_CONTRACT_RIGHT',
        certificateNo: 'LC-001',
        issuer: ORG.agri,
        owner,
        location: 'FJ-ND-0101',
        areaValue: 12.5,
        areaUnit: 'MU',
        appraisedValueFen: 10_000_000,
        appraisalDate: '2026-01-15T00:00:00Z',
        rightExpiry: '2040-12-31T00:00:00Z',
        provenanceBatch: null,
        status: 'ACTIVE',
        liens: [],
        seizure: null,
        enforcingLien: null,
        lastAction: 'REGISTERED',
        registeredAt: body.asset.registeredAt,
        updatedAt: body.asset.registeredAt,
        visibility: 'FULL',
      });
      expect(body.asset.registeredAt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    });

    it('when a loan officer registers a right, then 403 FORBIDDEN_ROLE and nothing is recorded', async () => {
      const res = await g.api('/assets', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: landContract('LC-ROLE'),
      });
      expectError(res, 403, 'FORBIDDEN_ROLE');
      expectError(
        await g.api('/assets/LAND_CONTRACT_RIGHT:LC-ROLE', { as: ['bankA', 'LOAN_OFFICER'] }),
        404,
        'NOT_FOUND',
      );
    });

    it('when another organisation’s data officer registers a right it does not issue, then 403 FORBIDDEN from the ledger', async () => {
      const res = await g.api('/assets', {
        method: 'POST',
        as: ['land', 'DATA_OFFICER'],
        json: landContract('LC-OTHER'),
      });
      expectError(res, 403, 'FORBIDDEN');
      expectError(
        await g.api('/assets/LAND_CONTRACT_RIGHT:LC-OTHER', { as: ['land', 'DATA_OFFICER'] }),
        404,
        'NOT_FOUND',
      );
    });

    it('when the owner ID is not a valid subject ID, then 400 INVALID_SUBJECT_ID and the ID is not echoed or logged', async () => {
      const res = await g.api('/assets', {
        method: 'POST',
        as: ['agri', 'DATA_OFFICER'],
        json: landContract('LC-BADID', { ownerSubjectId: BAD_SUBJECT }),
      });
      expectError(res, 400, 'INVALID_SUBJECT_ID');
      expect(res.text).not.to.contain(BAD_SUBJECT);
      expect(JSON.stringify(g.logs)).not.to.contain(BAD_SUBJECT);
      expect(JSON.stringify(g.logs)).not.to.contain(OWNER);
    });

    it('when the body is malformed (missing field, unknown field, wrong type), then 400 INVALID_REQUEST', async () => {
      const { rightExpiry: _omitted, ...missing } = landContract('LC-BAD');
      for (const json of [
        missing,
        { ...landContract('LC-BAD'), colour: 'red' },
        landContract('LC-BAD', { appraisedValueFen: 1.5 }),
        landContract('LC-BAD', { rightExpiry: '2040-02-30T00:00:00Z' }),
      ]) {
        expectError(
          await g.api('/assets', { method: 'POST', as: ['agri', 'DATA_OFFICER'], json }),
          400,
          'INVALID_REQUEST',
        );
      }
    });

    it('when the same right is registered twice, then 409 CONFLICT', async () => {
      await register(landContract('LC-DUP'));
      expectError(
        await g.api('/assets', {
          method: 'POST',
          as: ['agri', 'DATA_OFFICER'],
          json: landContract('LC-DUP'),
        }),
        409,
        'CONFLICT',
      );
    });
  });

  describe('GET /assets/{id}', () => {
    it('when a bank with the owner’s COLLATERAL consent reads an asset (ID raw or URL-encoded), then it gets status, liens, term, history and the proof of the latest change', async () => {
      const created = await register(landContract('LC-READ'));
      await indexer.waitFor(created.blockNumber);
      for (const p of ['/assets/LAND_CONTRACT_RIGHT:LC-READ', '/assets/LAND_CONTRACT_RIGHT%3ALC-READ']) {
        const res = await g.api(p, { as: ['bankB', 'LOAN_OFFICER'] });
        expect(res.status, res.text).to.equal(200);
        const body = res.body as AssetDetail;
        // Bank B holds a COLLATERAL consent from the owner: all but other banks' liens (none here).
        expect(body).to.deep.equal({
          ...created.asset,
          visibility: 'COLLATERAL_GRANT',
          otherLiens: { count: 0, totalSecuredFen: 0 },
          history: [
            {
              txId: created.txId,
              time: created.asset.registeredAt,
              action: 'REGISTERED',
              status: 'ACTIVE',
              owner,
              activeLiens: 0,
            },
          ],
          proof: { txId: created.txId, blockNumber: created.blockNumber },
        });
      }
    });

    it('when the latest change is a lien, then the active lien shows with rank and amount and the proof names the lien’s transaction and block', async () => {
      const { asset } = await register(landContract('LC-PROOF'));
      const res = await lien(asset.assetId, 'bankA');
      const registered = res.body as LienChange;
      await indexer.waitFor(registered.blockNumber);
      const detail = await getAsset(asset.assetId);
      expect(detail.liens).to.deep.equal([
        {
          lienId: registered.lien.lienId,
          mortgagee: ORG.bankA,
          rank: 1,
          securedAmountFen: 2_000_000,
          loanEnd: registered.lien.loanEnd,
          status: 'ACTIVE',
        },
      ]);
      expect(detail.lastAction).to.equal('LIEN_REGISTERED');
      expect(detail.history.map((h) => [h.action, h.activeLiens])).to.deep.equal([
        ['LIEN_REGISTERED', 1],
        ['REGISTERED', 0],
      ]);
      expect(detail.proof).to.deep.equal({ txId: registered.txId, blockNumber: registered.blockNumber });
    });

    it('when the asset is unknown, then 404 NOT_FOUND; a malformed ID is 400 INVALID_REQUEST; no token is 401', async () => {
      expectError(
        await g.api('/assets/LAND_CONTRACT_RIGHT:NOPE', { as: ['bankA', 'LOAN_OFFICER'] }),
        404,
        'NOT_FOUND',
      );
      expectError(
        await g.api('/assets/bad%20id!', { as: ['bankA', 'LOAN_OFFICER'] }),
        400,
        'INVALID_REQUEST',
      );
      expectError(await g.api('/assets/LAND_CONTRACT_RIGHT:LC-001'), 401, 'UNAUTHENTICATED');
    });
  });

  describe('POST /liens', () => {
    it('when a bank registers a lien with the owner’s collateral consent, then 201 with the lien, txId and block', async () => {
      const { asset } = await register(landContract('LC-LIEN'));
      const loanEnd = ledgerTime(300 * DAY);
      const res = await lien(asset.assetId, 'bankA', { lienId: 'lien-LC-LIEN-1', loanEnd });
      expect(res.status, res.text).to.equal(201);
      const body = res.body as LienChange;
      expect(res.headers.get('location')).to.equal('/api/v1/liens/lien-LC-LIEN-1');
      expect(body.blockNumber).to.be.a('number');
      expect(body.lien).to.deep.equal({
        lienId: 'lien-LC-LIEN-1',
        assetId: asset.assetId,
        mortgagee: ORG.bankA,
        mortgagor: owner,
        consentId: 'col-bankA',
        securedAmountFen: 2_000_000,
        loanEnd,
        rank: 1,
        status: 'ACTIVE',
        registeredAt: body.lien.registeredAt,
        updatedAt: body.lien.registeredAt,
        txId: body.txId,
      });
      const second = await lien(asset.assetId, 'bankB');
      expect(second.status, second.text).to.equal(201);
      const ranked = second.body as LienChange;
      expect(ranked.lien.lienId).to.match(/^lien-[0-9a-f-]{36}$/);
      expect(ranked.lien.rank).to.equal(2);
      expect(
        (await getAsset(asset.assetId)).liens.map((l) => [l.mortgagee, l.rank, l.securedAmountFen]),
      ).to.deep.equal([
        [ORG.bankA, 1, 2_000_000],
        [ORG.bankB, 2, 2_000_000],
      ]);
    });

    it('when a data officer registers a lien, then 403 FORBIDDEN_ROLE', async () => {
      const res = await g.api('/liens', {
        method: 'POST',
        as: ['agri', 'DATA_OFFICER'],
        json: {
          assetId: 'LAND_CONTRACT_RIGHT:LC-001',
          consentId: 'col-bankA',
          securedAmountFen: 1,
          loanEnd: ledgerTime(DAY),
        },
      });
      expectError(res, 403, 'FORBIDDEN_ROLE');
    });

    it('when a bank uses another bank’s consent, then 403 FORBIDDEN from the ledger and no lien is recorded', async () => {
      const { asset } = await register(landContract('LC-XBANK'));
      expectError(await lien(asset.assetId, 'bankB', { consentId: 'col-bankA' }), 403, 'FORBIDDEN');
      expect((await getAsset(asset.assetId)).liens).to.deep.equal([]);
    });

    it('when the body is malformed, then 400 INVALID_REQUEST; an unknown asset is 404 NOT_FOUND', async () => {
      expectError(
        await lien('LAND_CONTRACT_RIGHT:LC-001', 'bankA', { securedAmountFen: -5 }),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await lien('LAND_CONTRACT_RIGHT:LC-001', 'bankA', { loanEnd: 'tomorrow' }),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await lien('LAND_CONTRACT_RIGHT:LC-001', 'bankA', { consentId: undefined }),
        400,
        'INVALID_REQUEST',
      );
      expectError(await lien('LAND_CONTRACT_RIGHT:NOPE', 'bankA'), 404, 'NOT_FOUND');
    });

    it('when two banks register liens on the same exclusive asset at once, then exactly one 201 and one 409, and the asset shows one lien', async () => {
      const { asset } = await register(
        {
          assetType: 'HOMESTEAD_RIGHT',
          certificateNo: 'HS-RACE',
          ownerSubjectId: OWNER,
          location: 'FJ-ND-0202',
          areaValue: 120,
          areaUnit: 'SQUARE_METRE',
          appraisedValueFen: 50_000_000,
          appraisalDate: '2026-01-15T00:00:00Z',
          rightExpiry: '2070-01-01T00:00:00Z',
        },
        'land',
      );
      const [a, b] = await Promise.all([lien(asset.assetId, 'bankA'), lien(asset.assetId, 'bankB')]);
      const statuses = [a.status, b.status].sort();
      expect(statuses, `${a.text} | ${b.text}`).to.deep.equal([201, 409]);
      const loser = a.status === 409 ? a : b;
      const winner = (a.status === 201 ? a : b).body as LienChange;
      expectError(loser, 409, 'CONFLICT');
      const detail = await getAsset(asset.assetId);
      expect(detail.liens).to.have.length(1);
      expect(detail.liens[0]?.lienId).to.equal(winner.lien.lienId);
    });

    it('when the asset is seized, then a lien is 409 CONFLICT', async () => {
      const { asset } = await register(landContract('LC-SEIZED-LIEN'));
      const seized = await g.api(`/assets/${asset.assetId}/seizure`, {
        method: 'POST',
        as: ['regulator', 'REGULATOR_ADMIN'],
        json: { orderRef: 'ORDER-1' },
      });
      expect(seized.status, seized.text).to.equal(200);
      expectError(await lien(asset.assetId, 'bankA'), 409, 'CONFLICT');
      expect((await getAsset(asset.assetId)).liens).to.deep.equal([]);
    });
  });

  describe('POST /liens/{id}/release and /enforce', () => {
    it('when another bank releases or enforces a lien, then 403 FORBIDDEN from the ledger; the mortgagee releases it', async () => {
      const { asset } = await register(landContract('LC-RELEASE'));
      const { lien: registered } = (await lien(asset.assetId, 'bankA')).body as LienChange;
      const path = `/liens/${registered.lienId}`;
      expectError(
        await g.api(`${path}/release`, { method: 'POST', as: ['bankB', 'LOAN_OFFICER'] }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await g.api(`${path}/enforce`, { method: 'POST', as: ['bankB', 'LOAN_OFFICER'] }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await g.api(`${path}/release`, { method: 'POST', as: ['agri', 'DATA_OFFICER'] }),
        403,
        'FORBIDDEN_ROLE',
      );
      const res = await g.api(`${path}/release`, { method: 'POST', as: ['bankA', 'LOAN_OFFICER'] });
      expect(res.status, res.text).to.equal(200);
      const body = res.body as LienChange;
      expect(body.lien).to.deep.include({ lienId: registered.lienId, status: 'RELEASED', rank: 1 });
      expect(body.txId).not.to.equal(registered.txId);
      expect((await getAsset(asset.assetId)).liens).to.deep.equal([]);
      expectError(
        await g.api(`${path}/release`, { method: 'POST', as: ['bankA', 'LOAN_OFFICER'] }),
        409,
        'CONFLICT',
      );
    });

    it('when the lien is unknown, then 404 NOT_FOUND; a malformed lien ID is 400 INVALID_REQUEST', async () => {
      expectError(
        await g.api('/liens/lien-nope/release', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'] }),
        404,
        'NOT_FOUND',
      );
      expectError(
        await g.api('/liens/lien-nope/enforce', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'] }),
        404,
        'NOT_FOUND',
      );
      expectError(
        await g.api('/liens/%20x/release', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'] }),
        400,
        'INVALID_REQUEST',
      );
    });
  });

  describe('seizure, enforcement and transfer', () => {
    it('when the issuer seizes and the regulator lifts, then the asset is SEIZED with the order, then ACTIVE again', async () => {
      const { asset } = await register(landContract('LC-SEIZE'));
      const path = `/assets/${encodeURIComponent(asset.assetId)}/seizure`;
      expectError(
        await g.api(path, { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], json: { orderRef: 'O-1' } }),
        403,
        'FORBIDDEN_ROLE',
      );
      expectError(
        await g.api(path, { method: 'POST', as: ['land', 'DATA_OFFICER'], json: { orderRef: 'O-1' } }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await g.api(path, { method: 'POST', as: ['agri', 'DATA_OFFICER'], json: { orderRef: 'bad ref' } }),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await g.api(path, { method: 'POST', as: ['agri', 'DATA_OFFICER'], json: {} }),
        400,
        'INVALID_REQUEST',
      );
      const seized = await g.api(path, {
        method: 'POST',
        as: ['agri', 'DATA_OFFICER'],
        json: { orderRef: 'COURT-2026-17' },
      });
      expect(seized.status, seized.text).to.equal(200);
      const s = (seized.body as AssetChange).asset;
      expect(s.status).to.equal('SEIZED');
      expect(s.lastAction).to.equal('SEIZED');
      expect(s.seizure).to.deep.equal({ by: ORG.agri, orderRef: 'COURT-2026-17', at: s.updatedAt });
      expectError(
        await g.api(path, { method: 'POST', as: ['agri', 'DATA_OFFICER'], json: { orderRef: 'O-2' } }),
        409,
        'CONFLICT',
      );
      expectError(
        await g.api(path, { method: 'DELETE', as: ['bankA', 'LOAN_OFFICER'] }),
        403,
        'FORBIDDEN_ROLE',
      );
      const lifted = await g.api(path, { method: 'DELETE', as: ['regulator', 'REGULATOR_ADMIN'] });
      expect(lifted.status, lifted.text).to.equal(200);
      expect((lifted.body as AssetChange).asset).to.deep.include({
        status: 'ACTIVE',
        seizure: null,
        lastAction: 'SEIZURE_LIFTED',
      });
      expectError(
        await g.api(path, { method: 'DELETE', as: ['regulator', 'REGULATOR_ADMIN'] }),
        409,
        'CONFLICT',
      );
      expectError(
        await g.api('/assets/LAND_CONTRACT_RIGHT:NOPE/seizure', {
          method: 'POST',
          as: ['agri', 'DATA_OFFICER'],
          json: { orderRef: 'O-3' },
        }),
        404,
        'NOT_FOUND',
      );
      expectError(
        await g.api('/assets/LAND_CONTRACT_RIGHT:NOPE/seizure', {
          method: 'DELETE',
          as: ['agri', 'DATA_OFFICER'],
        }),
        404,
        'NOT_FOUND',
      );
    });

    it('when the mortgagee enforces and the issuer transfers, then the asset passes to the new owner free of liens', async () => {
      const { asset } = await register(landContract('LC-ENFORCE'));
      const first = ((await lien(asset.assetId, 'bankA')).body as LienChange).lien;
      const second = ((await lien(asset.assetId, 'bankB')).body as LienChange).lien;
      const transferPath = `/assets/${asset.assetId}/transfer`;
      const transfer = { newOwnerSubjectId: OTHER_OWNER };
      expectError(
        await g.api(transferPath, { method: 'POST', as: ['agri', 'DATA_OFFICER'], json: transfer }),
        409,
        'CONFLICT',
      );

      const enforced = await g.api(`/liens/${first.lienId}/enforce`, {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
      });
      expect(enforced.status, enforced.text).to.equal(200);
      expect((enforced.body as AssetChange).asset).to.deep.include({
        status: 'ENFORCEMENT',
        enforcingLien: first.lienId,
      });
      // The enforcing bank sees its own lien; the other bank's as a count and a total (issue 12 item 7).
      expect((enforced.body as AssetChange).asset.liens.map((l) => l.status)).to.deep.equal(['ENFORCING']);
      expect((enforced.body as AssetChange).asset.otherLiens?.count).to.equal(1);

      expectError(
        await g.api(transferPath, { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], json: transfer }),
        403,
        'FORBIDDEN_ROLE',
      );
      expectError(
        await g.api(transferPath, { method: 'POST', as: ['land', 'DATA_OFFICER'], json: transfer }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await g.api(transferPath, {
          method: 'POST',
          as: ['agri', 'DATA_OFFICER'],
          json: { newOwnerSubjectId: BAD_SUBJECT },
        }),
        400,
        'INVALID_SUBJECT_ID',
      );
      expectError(
        await g.api(transferPath, { method: 'POST', as: ['agri', 'DATA_OFFICER'], json: {} }),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await g.api('/assets/LAND_CONTRACT_RIGHT:NOPE/transfer', {
          method: 'POST',
          as: ['agri', 'DATA_OFFICER'],
          json: transfer,
        }),
        404,
        'NOT_FOUND',
      );

      const res = await g.api(transferPath, { method: 'POST', as: ['agri', 'DATA_OFFICER'], json: transfer });
      expect(res.status, res.text).to.equal(200);
      expect((res.body as AssetChange).asset).to.deep.include({
        owner: await g.context.subjects.pseudonym(OTHER_OWNER),
        status: 'ACTIVE',
        liens: [],
        enforcingLien: null,
        lastAction: 'TRANSFERRED',
      });
      const statuses = await Promise.all(
        [first, second].map(
          async (l) =>
            (
              await g.context.ledger.evaluate<{ status: string }>(ORG.auditor, 'Collateral:GetLien', [
                l.lienId,
              ])
            ).status,
        ),
      );
      expect(statuses).to.deep.equal(['ENFORCED', 'DISCHARGED']);
      expect(JSON.stringify(g.logs)).not.to.contain(OTHER_OWNER);
    });
  });
});

describe('collateral proofs without an indexer', () => {
  let g: ConsortiumGateway;
  before(async () => {
    g = await startConsortiumGateway([createCollateralModule()]);
  });
  after(() => g.stop());

  it('when no locator is wired, then an asset this gateway just wrote still proves its latest change with the block of that write', async () => {
    const res = await g.api('/assets', {
      method: 'POST',
      as: ['agri', 'DATA_OFFICER'],
      json: {
        assetType: 'TEA_GARDEN',
        certificateNo: 'TG-NOIDX',
        ownerSubjectId: OWNER,
        location: 'FJ-FA-0404',
        areaValue: 3,
        areaUnit: 'MU',
        appraisedValueFen: 900_000,
        appraisalDate: '2026-01-15T00:00:00Z',
        rightExpiry: '2045-01-01T00:00:00Z',
      },
    });
    expect(res.status, res.text).to.equal(201);
    const created = res.body as AssetChange;
    const read = await g.api('/assets/TEA_GARDEN:TG-NOIDX', { as: ['bankA', 'LOAN_OFFICER'] });
    expect((read.body as AssetDetail).proof).to.deep.equal({
      txId: created.txId,
      blockNumber: created.blockNumber,
    });
  });
});

describe('RecentCommits', () => {
  it('when more commits than its capacity are added, then the oldest are forgotten first', () => {
    const recent = new RecentCommits(2);
    recent.add('t1', 1);
    recent.add('t2', 2);
    recent.add('t1', 1);
    recent.add('t3', 3);
    expect([recent.blockOf('t1'), recent.blockOf('t2'), recent.blockOf('t3')]).to.deep.equal([
      1,
      undefined,
      3,
    ]);
  });
});
