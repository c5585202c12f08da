import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { AlertData } from '../../src/alerts/hub';
import { createAlertsModule } from '../../src/alerts/module';
import { createCollateralModule } from '../../src/collateral/module';
import type { AssetChange, LienChange } from '../../src/collateral/schemas';
import { financingModule } from '../../src/financing/module';
import { createIndexer } from '../../src/indexer/indexer';
import { watchFeed } from '../../src/watches/feed';
import { createWatchesModule } from '../../src/watches/module';
import type { WatchService } from '../../src/watches/service';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { subscribe, type SseFrame, type SseSubscription } from '../alerts/sse-client';
import { DAY, anchorBatch, digest, ledgerTime, recordGrant } from '../collateral/support';

const OWNER = residentId(611);
const RUN = randomBytes(3).toString('hex');

/** The frames of `s` that carry an event, as [event, data]. */
const received = (s: SseSubscription): [string | undefined, AlertData][] =>
  s.events().map((f: SseFrame) => [f.event, JSON.parse(f.data ?? '{}') as AlertData]);

describe('watch alerts over GET /events', () => {
  let g: ConsortiumGateway;
  let service: WatchService | undefined;
  const open: SseSubscription[] = [];

  before(async () => {
    g = await startConsortiumGateway([
      createCollateralModule({ locator: (ctx, deps) => createIndexer(ctx, deps).locator }),
      financingModule,
      createAlertsModule({
        bus: (ctx, deps) => createIndexer(ctx, deps).bus,
        log: (ctx, deps) => createIndexer(ctx, deps).alertLog,
        feed: (_ctx, deps) => watchFeed(deps),
        heartbeatMs: 100,
      }),
      createWatchesModule({
        bus: (ctx, deps) => createIndexer(ctx, deps).bus,
        onService: (s) => (service = s),
      }),
    ]);
    await recordGrant(g, 'bankA', {
      grantId: `plm-A-${RUN}`,
      subjectId: OWNER,
      scope: ['HOMESTEAD'],
      purpose: 'POST_LOAN_MANAGEMENT',
    });
    await recordGrant(g, 'bankB', {
      grantId: `col-B-${RUN}`,
      subjectId: OWNER,
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    await anchorBatch(g, 'land', { batchId: `hs-w-${RUN}`, datasetType: 'HOMESTEAD' });
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  after(() => g.stop());

  const stream = async (org: 'bankA' | 'bankB', lastEventId?: string): Promise<SseSubscription> => {
    const s = await subscribe(g, org, 'LOAN_OFFICER', lastEventId === undefined ? {} : { lastEventId });
    open.push(s);
    expect(s.status).to.equal(200);
    return s;
  };

  it('when another bank registers a lien and a dispute is filed, then only the watching bank’s stream gets the two watch alerts, exactly as kept, and a resume replays the one it missed', async () => {
    const asset = await g.api('/assets', {
      method: 'POST',
      as: ['agri', 'DATA_OFFICER'],
      json: {
        assetType: 'TEA_GARDEN',
        certificateNo: `TG-W-${RUN}`,
        ownerSubjectId: OWNER,
        location: 'FJ-FA-0303',
        areaValue: 30,
        areaUnit: 'MU',
        appraisedValueFen: 20_000_000,
        appraisalDate: '2026-01-15T00:00:00Z',
        rightExpiry: '2045-01-01T00:00:00Z',
      },
    });
    expect(asset.status, asset.text).to.equal(201);
    const assetId = (asset.body as AssetChange).asset.assetId;
    const created = await g.api('/watches', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: OWNER,
        consentId: `plm-A-${RUN}`,
        rules: [{ kind: 'OTHER_BANK_LIEN' }, { kind: 'DISPUTE_OPENED' }],
      },
    });
    expect(created.status, created.text).to.equal(201);
    const watchId = (created.body as { watchId: string }).watchId;
    await createIndexer(g.context, g.gateway.deps).catchUp(10_000);

    const a = await stream('bankA');
    const b = await stream('bankB');

    const lien = await g.api('/liens', {
      method: 'POST',
      as: ['bankB', 'LOAN_OFFICER'],
      json: {
        assetId,
        consentId: `col-B-${RUN}`,
        securedAmountFen: 1_000_000,
        loanEnd: ledgerTime(300 * DAY),
      },
    });
    expect(lien.status, lien.text).to.equal(201);
    const lienChange = lien.body as LienChange;
    const dispute = await g.context.ledger.submit(ORG.regulator, 'Dispute:FileDispute', [
      JSON.stringify({
        disputeId: `d-w-${RUN}`,
        datasetType: 'HOMESTEAD',
        batchId: `hs-w-${RUN}`,
        recordHash: digest(3),
        subject: await g.context.subjects.pseudonym(OWNER),
        reason: 'WRONG_VALUE',
      }),
    ]);

    await a.until((frames) => frames.filter((f) => f.event === 'WatchAlert').length === 2);
    await createIndexer(g.context, g.gateway.deps).catchUp(10_000);
    await service!.idle();
    await b.until((frames) => frames.some((f) => f.event === 'LienRegistered'));

    const kept = await g.api(`/watches/${watchId}/alerts`, { as: ['bankA', 'LOAN_OFFICER'] });
    const alerts = (
      kept.body as { alerts: { alertId: string; type: string; body: Record<string, unknown> }[] }
    ).alerts;
    expect(alerts.map((x) => x.type)).to.deep.equal(['WATCH_EVENT', 'WATCH_EVENT']);
    const subject = await g.context.subjects.pseudonym(OWNER);
    const frames = received(a);
    expect(frames.map(([event, data]) => [event, data.name, data.txId, data.payload])).to.deep.equal([
      [
        'WatchAlert',
        'WatchAlert',
        lienChange.txId,
        {
          type: 'WATCH_EVENT',
          alertId: alerts[0]!.alertId,
          alert: {
            alertId: alerts[0]!.alertId,
            watchId,
            consentId: `plm-A-${RUN}`,
            subject,
            finding: {
              kind: 'OTHER_BANK_LIEN',
              assetId,
              lienId: lienChange.lien.lienId,
              mortgagee: ORG.bankB,
            },
          },
        },
      ],
      [
        'WatchAlert',
        'WatchAlert',
        dispute.txId,
        {
          type: 'WATCH_EVENT',
          alertId: alerts[1]!.alertId,
          alert: {
            alertId: alerts[1]!.alertId,
            watchId,
            consentId: `plm-A-${RUN}`,
            subject,
            finding: {
              kind: 'DISPUTE_OPENED',
              disputeId: `d-w-${RUN}`,
              datasetType: 'HOMESTEAD',
              batchId: `hs-w-${RUN}`,
              recordHash: digest(3),
            },
          },
        },
      ],
    ]);
    // The ID names the watch alert's sequence number (the first two of this bank).
    const ids = a.events().map((f) => f.id ?? '');
    expect(ids.map((id) => id.split('-')[2])).to.deep.equal(['1', '2']);
    // Bank B sees the lien as a lienholder (a ledger alert), never bank A's watch alerts.
    expect(received(b).map(([event]) => event)).to.deep.equal(['LienRegistered']);

    // A stream resuming after the first watch alert gets the second, then nothing else.
    const again = await stream('bankA', ids[0]);
    await again.until((f) => f.some((x) => x.event === 'WatchAlert'));
    await new Promise((r) => setTimeout(r, 200));
    expect(again.events().map((f) => [f.id, f.event])).to.deep.equal([[ids[1], 'WatchAlert']]);
    expect(JSON.parse(again.events()[0]!.data ?? '')).to.deep.equal(frames[1]![1]);
  });

  it('when new liens by other banks take the multi-lender count from k to above k, then exactly one MULTI_LENDER alert with the counts only, on the bank’s stream', async () => {
    const owner = residentId(612);
    await recordGrant(g, 'bankA', {
      grantId: `plm-ml-${RUN}`,
      subjectId: owner,
      scope: ['HOMESTEAD'],
      purpose: 'POST_LOAN_MANAGEMENT',
    });
    for (const bank of ['bankB', 'bankC', 'bankD'] as const) {
      await recordGrant(g, bank, {
        grantId: `col-ml-${bank}-${RUN}`,
        subjectId: owner,
        scope: ['COLLATERAL'],
        purpose: 'COLLATERAL_REGISTRATION',
      });
    }
    const asset = await g.api('/assets', {
      method: 'POST',
      as: ['agri', 'DATA_OFFICER'],
      json: {
        assetType: 'TEA_GARDEN',
        certificateNo: `TG-ML-${RUN}`,
        ownerSubjectId: owner,
        location: 'FJ-FA-0304',
        areaValue: 40,
        areaUnit: 'MU',
        appraisedValueFen: 90_000_000,
        appraisalDate: '2026-01-15T00:00:00Z',
        rightExpiry: '2045-01-01T00:00:00Z',
      },
    });
    expect(asset.status, asset.text).to.equal(201);
    const assetId = (asset.body as AssetChange).asset.assetId;
    const created = await g.api('/watches', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { subjectId: owner, consentId: `plm-ml-${RUN}`, rules: [{ kind: 'MULTI_LENDER', k: 2 }] },
    });
    expect(created.status, created.text).to.equal(201);
    const watchId = (created.body as { watchId: string }).watchId;
    await createIndexer(g.context, g.gateway.deps).catchUp(10_000);
    const a = await stream('bankA');

    const lienBy = async (bank: 'bankB' | 'bankC' | 'bankD'): Promise<void> => {
      const res = await g.api('/liens', {
        method: 'POST',
        as: [bank, 'LOAN_OFFICER'],
        json: {
          assetId,
          consentId: `col-ml-${bank}-${RUN}`,
          securedAmountFen: 1_000_000,
          loanEnd: ledgerTime(300 * DAY),
        },
      });
      expect(res.status, res.text).to.equal(201);
      await createIndexer(g.context, g.gateway.deps).catchUp(10_000);
      await new Promise((r) => setTimeout(r, 100));
      await service!.idle();
    };
    // Bank B applies (an active LOAN_APPLICATION grant): counted, but not a lien or claim, so not evaluated yet.
    await recordGrant(g, 'bankB', {
      grantId: `app-ml-${RUN}`,
      subjectId: owner,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
    await lienBy('bankB'); // 1 applying + 1 lien = 2: not above k
    const kept = async () =>
      (
        (await g.api(`/watches/${watchId}/alerts`, { as: ['bankA', 'LOAN_OFFICER'] })).body as {
          alerts: { alertId: string; type: string; body: { finding: Record<string, unknown> } }[];
        }
      ).alerts;
    expect(await kept()).to.deep.equal([]);
    await lienBy('bankC'); // 1 + 2 = 3: above k, from 2
    await lienBy('bankD'); // 1 + 3 = 4: still above, no new alert
    const alerts = await kept();
    expect(alerts).to.have.length(1);
    const { signalId, signalDigest, ...counts } = alerts[0]!.body.finding;
    expect(counts).to.deep.equal({
      kind: 'MULTI_LENDER',
      trigger: 'LIEN',
      k: 2,
      count: 3,
      previous: 2,
      applyingInstitutions: 1,
      otherLiens: 2,
      otherLoans: 0,
    });
    // The counts are those of the signal recorded on the ledger for bank A.
    const signal = await g.context.ledger.evaluate<Record<string, unknown>>(
      ORG.bankA,
      'Lending:GetMultiLenderSignal',
      [ORG.bankA, String(signalId)],
    );
    expect(signal).to.deep.include({
      digest: signalDigest,
      applyingInstitutions: 1,
      otherLiens: { count: 2, totalSecuredFen: 2_000_000 },
    });
    // No institution is named in what the bank receives.
    expect(JSON.stringify(alerts[0])).not.to.match(/MSP/);
    await a.until((f) => f.some((x) => x.event === 'WatchAlert'));
    const [[, data]] = received(a) as [[string, AlertData]];
    expect((data.payload as { alert: { finding: unknown } }).alert.finding).to.deep.equal(
      alerts[0]!.body.finding,
    );
    expect(received(a).map(([event]) => event)).to.deep.equal(['WatchAlert']);
  });

  it('when another bank claims the subject’s financing demand, then a MULTI_LENDER watch with k 0 alerts once, triggered by the claim', async () => {
    const owner = residentId(613);
    await recordGrant(g, 'bankA', {
      grantId: `plm-cl-${RUN}`,
      subjectId: owner,
      scope: ['HOMESTEAD'],
      purpose: 'POST_LOAN_MANAGEMENT',
    });
    const product = await g.api('/products', {
      method: 'POST',
      as: ['bankB', 'LOAN_OFFICER'],
      json: {
        productId: `prod-cl-${RUN}`,
        version: 1,
        name: 'Spring planting loan',
        assetTypes: ['LAND_CONTRACT_RIGHT'],
        minAmountFen: 1_000_000,
        maxAmountFen: 50_000_000,
        minTermMonths: 6,
        maxTermMonths: 36,
        minRateBps: 380,
        maxRateBps: 620,
        counties: ['350921'],
      },
    });
    expect(product.status, product.text).to.equal(201);
    const created = await g.api('/watches', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { subjectId: owner, consentId: `plm-cl-${RUN}`, rules: [{ kind: 'MULTI_LENDER', k: 0 }] },
    });
    expect(created.status, created.text).to.equal(201);
    const watchId = (created.body as { watchId: string }).watchId;
    const demand = await g.api('/demands', {
      method: 'POST',
      as: ['regulator', 'REGULATOR_ADMIN'],
      json: {
        demandId: `dmd-cl-${RUN}`,
        subjectId: owner,
        amountFen: 30_000_000,
        termMonths: 12,
        purpose: 'PLANTING',
        countyCode: '350921',
        datasets: ['HOMESTEAD'],
        expiresAt: ledgerTime(30 * DAY),
        evidence: { type: 'FORM_HASH', formHash: 'ab'.repeat(32) },
      },
    });
    expect(demand.status, demand.text).to.equal(201);
    const claimed = await g.api(`/demands/dmd-cl-${RUN}/claims`, {
      method: 'POST',
      as: ['bankB', 'LOAN_OFFICER'],
      json: { claimId: `clm-cl-${RUN}` },
    });
    expect(claimed.status, claimed.text).to.equal(201);
    await createIndexer(g.context, g.gateway.deps).catchUp(10_000);
    await new Promise((r) => setTimeout(r, 100));
    await service!.idle();
    const res = await g.api(`/watches/${watchId}/alerts`, { as: ['bankA', 'LOAN_OFFICER'] });
    const alerts = (res.body as { alerts: { body: { finding: Record<string, unknown> } }[] }).alerts;
    expect(
      alerts.map(({ body: { finding } }) => ({ ...finding, signalId: '', signalDigest: '' })),
    ).to.deep.equal([
      {
        kind: 'MULTI_LENDER',
        trigger: 'CLAIM',
        k: 0,
        count: 1,
        previous: 0,
        applyingInstitutions: 1,
        otherLiens: 0,
        otherLoans: 0,
        signalId: '',
        signalDigest: '',
      },
    ]);
  });
});
