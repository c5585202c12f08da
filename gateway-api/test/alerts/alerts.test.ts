import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { alertsModule, createAlertsModule } from '../../src/alerts/module';
import type { AlertData } from '../../src/alerts/hub';
import { isAlertFor } from '../../src/alerts/rules';
import { createCollateralModule } from '../../src/collateral/module';
import { disputesModule } from '../../src/disputes/module';
import type { AssetChange, LienChange } from '../../src/collateral/schemas';
import type { IndexedEvent } from '../../src/indexer/types';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { expectError } from '../helpers';
import {
  DAY,
  TestIndexer,
  anchorBatch,
  digest,
  ledgerTime,
  recordGrant,
  revokeGrant,
} from '../collateral/support';
import { subscribe, type SseFrame, type SseSubscription } from './sse-client';

const OWNER = residentId(301);
/** Per run: a shared ledger (Fabric) holds other files' and earlier runs' consents, batches and assets. */
const RUN = randomBytes(3).toString('hex');

describe('alerts API (GET /events)', () => {
  let g: ConsortiumGateway;
  let indexer: TestIndexer;
  const open: SseSubscription[] = [];

  before(async () => {
    indexer = new TestIndexer();
    g = await startConsortiumGateway([
      createCollateralModule({ locator: (ctx, deps) => indexer.attach(ctx, deps) }),
      createAlertsModule({
        bus: (ctx, deps) => indexer.attach(ctx, deps),
        heartbeatMs: 100,
        maxStreamsPerUser: 2,
      }),
    ]);
    for (const bank of ['bankA', 'bankB'] as const) {
      await recordGrant(g, bank, {
        grantId: `col-${bank}-${RUN}`,
        subjectId: OWNER,
        scope: ['COLLATERAL'],
        purpose: 'COLLATERAL_REGISTRATION',
      });
      await recordGrant(g, bank, {
        grantId: `loan-${bank}-${RUN}`,
        subjectId: OWNER,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
    }
    await anchorBatch(g, 'land', { batchId: `hs-1-${RUN}`, datasetType: 'HOMESTEAD' });
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  after(() => g.stop());

  const watch = async (org: 'bankA' | 'bankB' | 'land' | 'agri', role: 'LOAN_OFFICER' | 'DATA_OFFICER') => {
    const s = await subscribe(g, org, role);
    open.push(s);
    return s;
  };

  const registerTeaGarden = async (certificateNo: string): Promise<string> => {
    const res = await g.api('/assets', {
      method: 'POST',
      as: ['agri', 'DATA_OFFICER'],
      json: {
        assetType: 'TEA_GARDEN',
        certificateNo,
        ownerSubjectId: OWNER,
        location: 'FJ-FA-0303',
        areaValue: 30,
        areaUnit: 'MU',
        appraisedValueFen: 20_000_000,
        appraisalDate: '2026-01-15T00:00:00Z',
        rightExpiry: '2045-01-01T00:00:00Z',
      },
    });
    expect(res.status, res.text).to.equal(201);
    return (res.body as AssetChange).asset.assetId;
  };

  const lien = async (assetId: string, bank: 'bankA' | 'bankB'): Promise<LienChange> => {
    const res = await g.api('/liens', {
      method: 'POST',
      as: [bank, 'LOAN_OFFICER'],
      json: {
        assetId,
        consentId: `col-${bank}-${RUN}`,
        securedAmountFen: 1_000_000,
        loanEnd: ledgerTime(300 * DAY),
      },
    });
    expect(res.status, res.text).to.equal(201);
    return res.body as LienChange;
  };

  const caughtUp = async () => indexer.waitFor((await g.context.ledger.height()) - 1);

  const idOf = async (txId: string): Promise<string> => {
    const at = await indexer.locate(txId);
    return `${at?.blockNumber}-${at?.txIndex}`;
  };

  const summary = (frames: SseFrame[]) =>
    frames.map((f) => {
      const data = JSON.parse(f.data ?? '{}') as AlertData;
      return [f.event, data.name, data.payload.assetId ?? data.payload.grantId ?? data.payload.disputeId];
    });

  it('when bank A is subscribed, then it receives a lien by bank B on an asset where A holds a lien and the revocation of its consent, and nothing about others', async () => {
    const shared = await registerTeaGarden(`TG-SHARED-${RUN}`);
    const elsewhere = await registerTeaGarden(`TG-ELSEWHERE-${RUN}`);
    await lien(shared, 'bankA');
    await caughtUp();

    const a = await watch('bankA', 'LOAN_OFFICER');
    const b = await watch('bankB', 'LOAN_OFFICER');
    const land = await watch('land', 'DATA_OFFICER');
    expect(a.status).to.equal(200);
    expect(a.contentType).to.match(/^text\/event-stream/);

    await lien(elsewhere, 'bankB');
    await revokeGrant(g, 'bankB', `loan-bankB-${RUN}`);
    const bOnShared = await lien(shared, 'bankB');
    const seized = await g.api(`/assets/${elsewhere}/seizure`, {
      method: 'POST',
      as: ['regulator', 'REGULATOR_ADMIN'],
      json: { orderRef: 'ORDER-9' },
    });
    expect(seized.status, seized.text).to.equal(200);
    await g.context.ledger.submit(ORG.regulator, 'Dispute:FileDispute', [
      JSON.stringify({
        disputeId: `d-alert-${RUN}`,
        datasetType: 'HOMESTEAD',
        batchId: `hs-1-${RUN}`,
        recordHash: digest(1),
        subject: await g.context.subjects.pseudonym(OWNER),
        reason: 'WRONG_VALUE',
      }),
    ]);
    const revoked = await g.context.ledger.submit<{ txId: string }>(ORG.regulator, 'Consent:RevokeGrant', [
      `loan-bankA-${RUN}`,
      'REGULATOR_ORDER',
    ]);

    await a.until((frames) => frames.some((f) => f.event === 'ConsentRevoked'));
    expect(summary(a.events())).to.deep.equal([
      ['LienRegistered', 'LienRegistered', shared],
      ['ConsentRevoked', 'ConsentRevoked', `loan-bankA-${RUN}`],
    ]);
    const [lienFrame, revokedFrame] = a.events();
    expect(lienFrame?.id).to.equal(await idOf(bOnShared.txId));
    expect(JSON.parse(lienFrame?.data ?? '')).to.deep.equal({
      name: 'LienRegistered',
      txId: bOnShared.txId,
      blockNumber: bOnShared.blockNumber,
      txIndex: (await indexer.locate(bOnShared.txId))?.txIndex,
      timestamp: (JSON.parse(lienFrame?.data ?? '') as AlertData).timestamp,
      payload: {
        lienId: bOnShared.lien.lienId,
        assetId: shared,
        mortgagee: ORG.bankB,
        owner: await g.context.subjects.pseudonym(OWNER),
        rank: 2,
        securedAmountFen: 1_000_000,
        lienholders: [ORG.bankA, ORG.bankB],
      },
    });
    expect(revokedFrame?.id).to.equal(await idOf(revoked.txId));
    expect((JSON.parse(revokedFrame?.data ?? '') as AlertData).payload).to.deep.include({
      grantId: `loan-bankA-${RUN}`,
      grantee: ORG.bankA,
      revokedBy: ORG.regulator,
    });

    // Everything before A's last alert has been published: the others' streams are complete too.
    await b.until((frames) => frames.filter((f) => f.event !== undefined).length >= 4);
    expect(summary(b.events())).to.deep.equal([
      ['LienRegistered', 'LienRegistered', elsewhere],
      ['ConsentRevoked', 'ConsentRevoked', `loan-bankB-${RUN}`],
      ['LienRegistered', 'LienRegistered', shared],
      ['AssetSeized', 'AssetSeized', elsewhere],
    ]);
    expect(summary(land.events())).to.deep.equal([['DisputeFiled', 'DisputeFiled', `d-alert-${RUN}`]]);
    expect(a.frames.map((f) => f.data ?? '').join('')).not.to.contain(OWNER);
  });

  it('when a stream is idle, then it starts with a retry hint and carries heartbeat comments', async () => {
    const s = await watch('agri', 'DATA_OFFICER');
    await s.until((frames) => frames.filter((f) => f.comments.includes('heartbeat')).length >= 2);
    expect(s.frames[0]).to.deep.equal({ retry: '5000', comments: [] });
    expect(s.events()).to.deep.equal([]);
  });

  it('when a user already holds the most streams, then 429 TOO_MANY_STREAMS until one closes', async () => {
    const first = await subscribe(g, 'auditor', 'AUDITOR');
    const second = await subscribe(g, 'auditor', 'AUDITOR');
    open.push(first, second);
    expect([first.status, second.status]).to.deep.equal([200, 200]);
    const refused = await g.api('/events', { as: ['auditor', 'AUDITOR'] });
    expectError(refused, 429, 'TOO_MANY_STREAMS');
    expect(refused.headers.get('retry-after')).to.equal('5');
    first.close();
    let again: SseSubscription | undefined;
    for (let attempt = 0; attempt < 50 && again?.status !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await subscribe(g, 'auditor', 'AUDITOR');
      open.push(again);
    }
    expect(again?.status).to.equal(200);
  });

  it('when no token is given, then 401 UNAUTHENTICATED', async () => {
    expectError(await g.api('/events'), 401, 'UNAUTHENTICATED');
  });

  it('when no event bus is wired, then 503 EVENTS_UNAVAILABLE; the OpenAPI document lists every collateral, dispute and alert route', async () => {
    const bare = await startConsortiumGateway([createCollateralModule(), disputesModule, alertsModule]);
    try {
      expectError(await bare.api('/events', { as: ['bankA', 'LOAN_OFFICER'] }), 503, 'EVENTS_UNAVAILABLE');
      const doc = await bare.api('/openapi.json');
      expect(doc.status, doc.text).to.equal(200);
      const paths = (doc.body as { paths: Record<string, Record<string, unknown>> }).paths;
      const routes = Object.entries(paths)
        .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`))
        .filter((r) => /\/(assets|liens|disputes|events)/.test(r))
        .sort();
      expect(routes).to.deep.equal([
        'DELETE /api/v1/assets/{id}/seizure',
        'GET /api/v1/assets/{id}',
        'GET /api/v1/disputes',
        'GET /api/v1/disputes/{id}',
        'GET /api/v1/events',
        'GET /api/v1/liens',
        'GET /api/v1/liens/{id}',
        'POST /api/v1/assets',
        'POST /api/v1/assets/batch',
        'POST /api/v1/assets/{id}/seizure',
        'POST /api/v1/assets/{id}/transfer',
        'POST /api/v1/disputes',
        'POST /api/v1/disputes/{id}/resolution',
        'POST /api/v1/liens',
        'POST /api/v1/liens/{id}/enforce',
        'POST /api/v1/liens/{id}/release',
      ]);
    } finally {
      await bare.stop();
    }
  });
});

describe('alert rules', () => {
  const event = (name: string, payload: Record<string, unknown>): IndexedEvent => ({
    name,
    payload,
    txId: 't',
    blockNumber: 1,
    txIndex: 0,
    timestamp: '2026-01-01T00:00:00Z',
  });

  it('when an event names the organisation as lienholder, grantee or provider, then it is an alert for it and no one else', () => {
    for (const name of [
      'LienRegistered',
      'AssetSeized',
      'SeizureLifted',
      'LienEnforced',
      'AssetTransferred',
    ]) {
      const e = event(name, { assetId: 'X:1', lienholders: [ORG.bankA] });
      expect([isAlertFor(ORG.bankA, e), isAlertFor(ORG.bankB, e)], name).to.deep.equal([true, false]);
    }
    const revoked = event('ConsentRevoked', { grantee: ORG.bankB, revokedBy: ORG.bankA });
    expect([isAlertFor(ORG.bankA, revoked), isAlertFor(ORG.bankB, revoked)]).to.deep.equal([false, true]);
    const dispute = event('DisputeFiled', { provider: ORG.land, filedBy: ORG.bankA });
    expect([isAlertFor(ORG.land, dispute), isAlertFor(ORG.bankA, dispute)]).to.deep.equal([true, false]);
    expect(isAlertFor(ORG.bankA, event('LienReleased', { mortgagee: ORG.bankA }))).to.equal(false);
    expect(isAlertFor(ORG.bankA, event('AssetSeized', { lienholders: 'BankAMSP' }))).to.equal(false);
  });

  it('when the regulator admits, suspends or reinstates a member, then it is an alert for that member only', () => {
    for (const name of ['MemberAdmitted', 'MemberSuspended', 'MemberReinstated']) {
      const e = event(name, { mspId: ORG.bankB, reason: 'inspection' });
      expect(
        [isAlertFor(ORG.bankB, e), isAlertFor(ORG.bankA, e), isAlertFor(ORG.regulator, e)],
        name,
      ).to.deep.equal([true, false, false]);
    }
  });
});
