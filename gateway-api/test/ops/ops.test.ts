import { expect } from 'chai';
import { call, expectError, startGateway, type TestGateway } from '../helpers';

describe('operations endpoints', () => {
  let tg: TestGateway;
  let ledgerReady = true;
  before(async () => {
    tg = await startGateway({
      readiness: { ledger: () => (ledgerReady ? { ok: true } : { ok: false, reason: 'peer unreachable' }) },
    });
  });
  after(() => tg.stop());

  it('when /healthz is called, then 200 {status: ok}', async () => {
    const res = await call(`${tg.url}/healthz`);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });

  it('when LevelDB is open and the ledger ready, then /readyz is 200 with each check', async () => {
    const res = await call(`${tg.operationsUrl}/readyz`);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({
      status: 'ready',
      checks: { leveldb: { ok: true }, ledger: { ok: true } },
    });
  });

  it('when the ledger is not ready, then /readyz is 503 NOT_READY naming the failed check', async () => {
    ledgerReady = false;
    try {
      const res = await call(`${tg.operationsUrl}/readyz`);
      const error = expectError(res, 503, 'NOT_READY');
      expect(error.details).to.deep.equal({
        leveldb: { ok: true },
        ledger: { ok: false, reason: 'peer unreachable' },
      });
    } finally {
      ledgerReady = true;
    }
  });

  it('when /metrics is scraped, then it has default metrics and durations labelled by route template and status', async () => {
    await call(`${tg.url}/api/v1/users/00000000-0000-4000-8000-000000000000/disable`, { method: 'POST' });
    await call(`${tg.url}/no/such/route`);
    const res = await call(`${tg.operationsUrl}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain/);
    expect(res.text).to.contain('process_cpu_user_seconds_total');
    expect(res.text).to.contain('nodejs_eventloop_lag_seconds');
    expect(res.text).to.match(
      /http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/users\/\{id\}\/disable",status="401"\} 1/,
    );
    expect(res.text).to.match(
      /http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1/,
    );
    expect(res.text).not.to.contain('00000000-0000-4000-8000-000000000000');
  });
});
