import { expect } from 'chai';
import { createAlertsModule } from '../../src/alerts/module';
import type { DomainModuleFactory } from '../../src/domain';
import type { PublishingEventBus } from '../../src/indexer/event-bus';
import { createIndexer } from '../../src/indexer/indexer';
import type { IndexedEvent } from '../../src/indexer/types';
import { provenanceModule } from '../../src/provenance/routes';
import { watchFeed } from '../../src/watches/feed';
import { createWatchesModule } from '../../src/watches/module';
import type { WatchService } from '../../src/watches/service';
import { ORG, residentId, type ConsortiumGateway } from '../acceptance/consortium-gateway';
import { startGatewayAt } from '../alerts/durable-gateway';
import { digest, recordGrant } from '../collateral/support';
import { tempDir, testEnv } from '../helpers';

const OWNER = residentId(621);

interface Kept {
  type: string;
  body: { finding?: Record<string, unknown>; findings?: Record<string, unknown>[]; batchId?: string };
}

describe('watches across a gateway restart', () => {
  let env: NodeJS.ProcessEnv;
  let cleanup: () => Promise<void>;
  let g: ConsortiumGateway;
  let service: WatchService | undefined;

  /** The modules, built anew for each start (as a restarted process would). */
  const modules = (): DomainModuleFactory[] => [
    provenanceModule,
    createAlertsModule({
      bus: (ctx, deps) => createIndexer(ctx, deps).bus,
      log: (ctx, deps) => createIndexer(ctx, deps).alertLog,
      feed: (_ctx, deps) => watchFeed(deps),
    }),
    createWatchesModule({
      bus: (ctx, deps) => createIndexer(ctx, deps).bus,
      onService: (s) => (service = s),
    }),
  ];

  async function settle(): Promise<void> {
    await createIndexer(g.context, g.gateway.deps).catchUp(10_000);
    await new Promise((r) => setTimeout(r, 100));
    await service!.idle();
  }

  async function upload(batchId: string, area: number): Promise<void> {
    const res = await g.api(
      `/datasets/HOMESTEAD/batches?batchId=${batchId}&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z`,
      {
        method: 'POST',
        as: ['land', 'DATA_OFFICER'],
        json: [
          {
            subjectId: OWNER,
            certificateNo: 'HS-621',
            parcelCode: '350902-621',
            areaSquareMetres: area,
            registeredOn: '2019-05-01',
          },
        ],
      },
    );
    expect(res.status, res.text).to.equal(201);
  }

  async function dispute(disputeId: string, record: number): Promise<void> {
    await g.context.ledger.submit(ORG.regulator, 'Dispute:FileDispute', [
      JSON.stringify({
        disputeId,
        datasetType: 'HOMESTEAD',
        batchId: 'r-1',
        recordHash: digest(record),
        subject: await g.context.subjects.pseudonym(OWNER),
        reason: 'WRONG_VALUE',
      }),
    ]);
  }

  async function kept(watchId: string): Promise<Kept[]> {
    const res = await g.api(`/watches/${watchId}/alerts`, { as: ['bankA', 'LOAN_OFFICER'] });
    expect(res.status, res.text).to.equal(200);
    return (res.body as { alerts: Kept[] }).alerts;
  }

  before(async () => {
    const temp = await tempDir();
    cleanup = temp.cleanup;
    env = testEnv(temp.dir);
    g = await startGatewayAt(env, modules());
  });
  after(async () => {
    await g.stop();
    await cleanup();
  });

  it('when the gateway restarts over the same data, then the watch keeps its rules and baseline: a new dispute and a threshold crossing each raise one alert, and blocks indexed before the restart raise nothing again', async () => {
    await recordGrant(g, 'bankA', {
      grantId: 'plm-restart',
      subjectId: OWNER,
      scope: ['HOMESTEAD'],
      purpose: 'POST_LOAN_MANAGEMENT',
    });
    await upload('r-1', 121);
    const created = await g.api('/watches', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: OWNER,
        consentId: 'plm-restart',
        rules: [
          { kind: 'THRESHOLD', datasetType: 'HOMESTEAD', field: 'areaSquareMetres', above: 200 },
          { kind: 'DISPUTE_OPENED' },
        ],
      },
    });
    expect(created.status, created.text).to.equal(201);
    const watchId = (created.body as { watchId: string }).watchId;
    const seen: IndexedEvent[] = [];
    createIndexer(g.context, g.gateway.deps).bus.subscribe((e) => void seen.push(e));
    await dispute('d-restart-1', 5);
    await settle();
    expect((await kept(watchId)).map((a) => a.body.finding?.disputeId)).to.deep.equal(['d-restart-1']);

    await g.stop();
    service = undefined;
    g = await startGatewayAt(env, modules());
    // Indexing what was indexed before raises nothing (the service exists once the module is built).
    await settle();
    expect((await kept(watchId)).map((a) => a.type)).to.deep.equal(['WATCH_EVENT']);
    // Even if the indexer published that block again (an index rebuilt), its dispute is not raised twice.
    const old = seen.find((e) => e.name === 'DisputeFiled')!;
    expect(old.payload.disputeId).to.equal('d-restart-1');
    (createIndexer(g.context, g.gateway.deps).bus as PublishingEventBus).publish(old);
    await settle();
    expect((await kept(watchId)).map((a) => a.type)).to.deep.equal(['WATCH_EVENT']);

    await dispute('d-restart-2', 6);
    await upload('r-2', 250);
    await settle();
    const alerts = await kept(watchId);
    expect(alerts.map((a) => [a.type, a.body.finding?.disputeId ?? a.body.batchId])).to.deep.equal([
      ['WATCH_EVENT', 'd-restart-1'],
      ['WATCH_EVENT', 'd-restart-2'],
      ['WATCH_ALERT', 'r-2'],
    ]);
    // The baseline came back from the stored records: 121 before the restart, 250 after.
    expect(alerts[2]!.body.findings).to.deep.equal([
      { rule: 0, kind: 'THRESHOLD', field: 'areaSquareMetres', previous: 121, value: 250 },
    ]);
    // The bank's /events numbering goes on after the restart.
    expect(await watchFeed(g.gateway.deps).latest(ORG.bankA)).to.equal(3);
    const watch = await g.api(`/watches/${watchId}`, { as: ['bankA', 'LOAN_OFFICER'] });
    expect(watch.body).to.include({ status: 'ACTIVE' });
  });
});
