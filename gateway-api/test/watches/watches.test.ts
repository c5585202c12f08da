import { createPublicKey, verify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { canonicalJson, isoFromEpochSeconds, sha256Hex } from '@ruralcredit/protocol';
import { createAlertsModule } from '../../src/alerts/module';
import { consentModule } from '../../src/consent/routes';
import { createIndexer } from '../../src/indexer/indexer';
import { provenanceModule } from '../../src/provenance/routes';
import { watchFeed } from '../../src/watches/feed';
import { createWatchesModule } from '../../src/watches/module';
import type { WatchService } from '../../src/watches/service';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { subscribe } from '../alerts/sse-client';

const now = Math.floor(Date.now() / 1000);

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: { type: string; alert: Record<string, unknown>; digest?: string; accessId?: string };
  /** The alert's access as the ledger held it when the webhook received the alert. */
  accessAtReceipt?: Record<string, unknown>;
}

function homestead(n: number, area: number): Record<string, unknown> {
  return {
    subjectId: residentId(n),
    certificateNo: `HS-${n}`,
    parcelCode: `350902-${n}`,
    areaSquareMetres: area,
    registeredOn: '2019-05-01',
  };
}

async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('post-loan watches and webhooks', () => {
  let g: ConsortiumGateway;
  let service: WatchService | undefined;
  let server: http.Server;
  let hookUrl: string;
  const received: Received[] = [];
  let failNext = 0;
  let batches = 0;

  async function upload(records: Record<string, unknown>[]): Promise<void> {
    batches += 1;
    const res = await g.api(
      `/datasets/HOMESTEAD/batches?batchId=w-${batches}&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z`,
      { method: 'POST', as: ['land', 'DATA_OFFICER'], json: records },
    );
    expect(res.status, res.text).to.equal(201);
  }

  async function consent(consentId: string, n: number, purpose: string): Promise<void> {
    const form = new FormData();
    form.set(
      'consent',
      JSON.stringify({
        consentId,
        subjectId: residentId(n),
        scope: ['HOMESTEAD'],
        purpose,
        validFrom: isoFromEpochSeconds(now - 60),
        validUntil: isoFromEpochSeconds(now + 30 * 86_400),
      }),
    );
    form.set('evidence', new Blob([Buffer.from(`%PDF-1.7\nform ${consentId}`)]), 'form.pdf');
    const res = await g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: form });
    expect(res.status, res.text).to.equal(201);
  }

  /** Waits until every event indexed so far has been handled by the watches. */
  async function settle(): Promise<void> {
    const indexer = createIndexer(g.context, g.gateway.deps);
    await indexer.catchUp(10_000);
    await new Promise((r) => setTimeout(r, 100));
    await service!.idle();
  }

  before(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        void (async () => {
          if (failNext > 0) {
            failNext -= 1;
            res.writeHead(500).end();
            return;
          }
          const body = JSON.parse(raw) as Received['body'];
          const entry: Received = { headers: req.headers, raw, body };
          if (body.accessId !== undefined) {
            entry.accessAtReceipt = await g.context.ledger.evaluate(ORG.bankA, 'Access:GetAccess', [
              body.accessId,
            ]);
          }
          received.push(entry);
          res.writeHead(204).end();
        })();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    g = await startConsortiumGateway([
      provenanceModule,
      consentModule,
      createAlertsModule({
        bus: (ctx, deps) => createIndexer(ctx, deps).bus,
        log: (ctx, deps) => createIndexer(ctx, deps).alertLog,
        feed: (_ctx, deps) => watchFeed(deps),
      }),
      createWatchesModule({
        bus: (ctx, deps) => createIndexer(ctx, deps).bus,
        allowLoopbackHttp: true,
        webhookAttempts: 3,
        webhookBackoffMs: 50,
        onService: (s) => (service = s),
      }),
    ]);
    const registered = await g.api('/webhooks/endpoint', {
      method: 'PUT',
      as: ['bankA', 'ORG_ADMIN'],
      json: { url: hookUrl },
    });
    expect(registered.status, registered.text).to.equal(200);
    await upload([homestead(1, 121), homestead(2, 122)]);
  });
  after(async () => {
    await g.stop();
    server.close();
  });

  it('when a new batch crosses a threshold, then exactly one alert, recorded as a GRANTED access before the webhook receives it, signed by the gateway', async () => {
    await consent('w-c-1', 1, 'POST_LOAN_MANAGEMENT');
    const created = await g.api('/watches', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'w-c-1',
        rules: [{ kind: 'THRESHOLD', datasetType: 'HOMESTEAD', field: 'areaSquareMetres', above: 200 }],
      },
    });
    expect(created.status, created.text).to.equal(201);
    const watchId = (created.body as { watchId: string }).watchId;
    const events = await subscribe(g, 'bankA', 'LOAN_OFFICER');
    await upload([homestead(1, 250), homestead(2, 300)]);
    const alert = await eventually(() => received.find((r) => r.body.type === 'WATCH_ALERT'), 'the alert');
    // The bank's /events stream carries the same alert, with its committed access.
    await events.until((frames) => frames.some((f) => f.event === 'WatchAlert'));
    events.close();
    const frame = events.events().find((f) => f.event === 'WatchAlert')!;
    const { deliveryId: _d, ...hooked } = alert.body as Received['body'] & { deliveryId: string };
    expect((JSON.parse(frame.data ?? '') as { payload: unknown }).payload).to.deep.equal({
      ...hooked,
      alertId: alert.body.accessId,
    });
    await upload([homestead(1, 260), homestead(2, 310)]);
    await settle();
    expect(received.filter((r) => r.body.type === 'WATCH_ALERT')).to.have.length(1);
    expect(alert.body.alert).to.deep.include({
      watchId,
      consentId: 'w-c-1',
      datasetType: 'HOMESTEAD',
      batchId: 'w-2',
      findings: [{ rule: 0, kind: 'THRESHOLD', field: 'areaSquareMetres', previous: 121, value: 250 }],
    });
    const digest = sha256Hex(canonicalJson(alert.body.alert));
    expect(alert.body.digest).to.equal(digest);
    expect(alert.accessAtReceipt).to.include({
      accessId: alert.body.accessId,
      outcome: 'GRANTED',
      purpose: 'POST_LOAN_MANAGEMENT',
      releaseDigest: digest,
      grantId: 'w-c-1',
    });
    // The signature verifies with the gateway's published key.
    const [, kid, sig] = /^keyid=([^,]+),sig=(.+)$/.exec(String(alert.headers['x-ruralcredit-signature']))!;
    const jwks = (await g.api('/auth/jwks')).body as { keys: ({ kid: string } & Record<string, string>)[] };
    const jwk = jwks.keys.find((k) => k.kid === kid)!;
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    const signed = Buffer.from(`${String(alert.headers['x-ruralcredit-timestamp'])}.${alert.raw}`);
    expect(
      verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig!, 'base64url')),
    ).to.equal(true);
    expect(
      verify(
        'sha256',
        Buffer.concat([signed, Buffer.from(' ')]),
        { key, dsaEncoding: 'ieee-p1363' },
        Buffer.from(sig!, 'base64url'),
      ),
    ).to.equal(false);
    const alerts = await g.api(`/watches/${watchId}/alerts`, { as: ['bankA', 'LOAN_OFFICER'] });
    expect((alerts.body as { alerts: { accessId?: string }[] }).alerts.map((a) => a.accessId)).to.deep.equal([
      alert.body.accessId,
    ]);
    const deliveries = await g.api('/webhooks/deliveries', { as: ['bankA', 'ORG_ADMIN'] });
    const logged = (deliveries.body as { deliveries: Record<string, unknown>[] }).deliveries;
    expect(logged.map((d) => [d.eventType, d.alertId, d.status, d.attempts, d.lastStatusCode])).to.deep.equal(
      [['WATCH_ALERT', alert.body.accessId, 'DELIVERED', 1, 204]],
    );
  });

  it('when the consent is revoked, then the watch stops and the bank is told why, with no subject data', async () => {
    const watches = await g.api('/watches', { as: ['bankA', 'LOAN_OFFICER'] });
    const watchId = (watches.body as { watches: { watchId: string }[] }).watches[0]!.watchId;
    const revoke = await g.api('/consents/w-c-1/revoke', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { reason: 'LOAN_CLOSED' },
    });
    expect(revoke.status, revoke.text).to.equal(200);
    const stopped = await eventually(
      () => received.find((r) => r.body.type === 'WATCH_STOPPED'),
      'the stop notice',
    );
    expect(stopped.body.alert).to.deep.equal({
      alertId: stopped.body.alert.alertId,
      watchId,
      consentId: 'w-c-1',
      reason: 'REVOKED',
    });
    const watch = await g.api(`/watches/${watchId}`, { as: ['bankA', 'LOAN_OFFICER'] });
    expect(watch.body).to.include({ status: 'STOPPED', stoppedReason: 'REVOKED' });
    const before = received.length;
    await upload([homestead(1, 10), homestead(2, 10)]);
    await settle();
    expect(received.length).to.equal(before);
  });

  it('when the webhook keeps failing, then the delivery is FAILED after its attempts and a redelivery on request succeeds', async () => {
    await consent('w-c-2', 2, 'POST_LOAN_MANAGEMENT');
    failNext = 3;
    const created = await g.api('/watches', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(2),
        consentId: 'w-c-2',
        rules: [{ kind: 'GRANT_EXPIRES' }],
        until: isoFromEpochSeconds(now + 365 * 86_400),
      },
    });
    expect(created.status, created.text).to.equal(201);
    type D = {
      deliveryId: string;
      status: string;
      attempts: number;
      eventType: string;
      lastStatusCode?: number;
    };
    const failed = await eventually(async () => {
      const list = await g.api('/webhooks/deliveries', { as: ['bankA', 'ORG_ADMIN'] });
      return (list.body as { deliveries: D[] }).deliveries.find(
        (d) => d.eventType === 'WATCH_EVENT' && d.status === 'FAILED',
      );
    }, 'the failed delivery');
    expect(failed).to.include({ attempts: 3, lastStatusCode: 500 });
    const again = await g.api(`/webhooks/deliveries/${failed.deliveryId}/redeliver`, {
      method: 'POST',
      as: ['bankA', 'ORG_ADMIN'],
    });
    expect(again.status, again.text).to.equal(202);
    const event = await eventually(
      () => received.find((r) => r.body.type === 'WATCH_EVENT'),
      'the redelivery',
    );
    expect(event.body.alert).to.deep.include({
      finding: {
        kind: 'GRANT_EXPIRES',
        consentId: 'w-c-2',
        validUntil: isoFromEpochSeconds(now + 30 * 86_400),
      },
    });
    expect(event.headers['x-ruralcredit-delivery']).to.equal(failed.deliveryId);
  });

  it('refuses a plain-HTTP URL elsewhere than 127.0.0.1, a consent of another purpose, and a rule outside the scope', async () => {
    const url = await g.api('/webhooks/endpoint', {
      method: 'PUT',
      as: ['bankA', 'ORG_ADMIN'],
      json: { url: 'http://bank.example/hook' },
    });
    expect(url.body).to.nested.include({ 'error.code': 'INVALID_WEBHOOK_URL' });
    await consent('w-c-3', 3, 'LOAN_APPLICATION');
    const purpose = await g.api('/watches', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { subjectId: residentId(3), consentId: 'w-c-3', rules: [{ kind: 'ASSET_SEIZED' }] },
    });
    expect(purpose.status).to.equal(409);
    expect(purpose.body).to.nested.include({
      'error.code': 'CONSENT_NOT_USABLE',
      'error.details.reason': 'WRONG_PURPOSE',
    });
    const scope = await g.api('/watches', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(2),
        consentId: 'w-c-2',
        rules: [{ kind: 'RECORD_CORRECTED', datasetType: 'AGRI_SUBSIDY' }],
      },
    });
    expect(scope.body).to.nested.include({ 'error.code': 'OUT_OF_SCOPE' });
  });
});
