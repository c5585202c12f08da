/**
 * Issue 12 items 14 and 15: the operations endpoints and the audit export
 * summary.
 *
 * - 14: `/readyz` (names the backends) and `/metrics` (traffic by route) were
 *   served to anyone on the API port; they move to the operations listener
 *   (`GATEWAY_OPERATIONS_PORT`, loopback by default, as a Fabric peer's
 *   operations service). `/healthz` stays on the API port for load balancers.
 * - 15: `GET /audit/export/summary` scanned every access per call; it is
 *   computed once per filter and indexed block height.
 */
import { expect } from 'chai';
import { createIndexer } from '../../src/indexer/indexer';
import { call } from '../helpers';
import {
  errorCode,
  grantConsent,
  hasErrorShape,
  homestead,
  ok,
  residentId,
  startSecurityGateway,
  uploadBatch,
  type ConsortiumGateway,
} from './fixture';
import { caseIt } from './recorder';

describe('security: operations listener and audit summary (issue 12 items 14, 15)', () => {
  let g: ConsortiumGateway;

  const requestReport = (n: number, accessId?: string) =>
    g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1401 + n),
        consentId: `c-ops-${n}`,
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        ...(accessId === undefined ? {} : { accessId }),
      },
    });

  before(async () => {
    g = await startSecurityGateway();
    await uploadBatch(
      g,
      'land',
      'HOMESTEAD',
      'hs-ops',
      Array.from({ length: 4 }, (_, i) => homestead(1401 + i)),
    );
    for (let n = 0; n < 4; n++) {
      await grantConsent(g, 'bankA', {
        consentId: `c-ops-${n}`,
        subjectId: residentId(1401 + n),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
    }
    for (let n = 0; n < 3; n++) ok(await requestReport(n));
  });
  after(() => g.stop());

  caseIt(
    'H14',
    'when /readyz and /metrics are asked on the API port, then 404; they answer on the operations listener, bound to loopback by default; /healthz answers on both',
    async (figures) => {
      const violations: string[] = [];
      for (const path of ['/readyz', '/metrics', '/api/v1/readyz', '/api/v1/metrics']) {
        figures.tried += 1;
        const res = await call(`${g.url}${path}`);
        if (res.status < 300) figures.acknowledged += 1;
        if (res.status !== 404 || !hasErrorShape(res) || errorCode(res) !== 'NOT_FOUND')
          violations.push(`API port ${path}: ${res.status} ${res.text.slice(0, 80)}`);
        if (res.text.includes('process_cpu') || res.text.includes('leveldb'))
          violations.push(`API port ${path} leaked operations data`);
      }
      const health = await call(`${g.url}/healthz`);
      expect(health.status, 'API port /healthz').to.equal(200);

      expect(g.config.operationsHost, 'default operations host').to.equal('127.0.0.1');
      expect(g.operationsUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(g.operationsUrl).not.to.equal(g.url);
      const ready = await call(`${g.operationsUrl}/readyz`);
      expect(ready.status, ready.text).to.equal(200);
      expect((ready.body as { checks: Record<string, unknown> }).checks).to.have.keys('leveldb', 'ledger');
      const metrics = await call(`${g.operationsUrl}/metrics`);
      expect(metrics.status).to.equal(200);
      expect(metrics.text).to.contain('http_request_duration_seconds_count');
      expect((await call(`${g.operationsUrl}/healthz`)).status).to.equal(200);
      // The API is not served on the operations listener either.
      const api = await call(`${g.operationsUrl}/api/v1/openapi.json`);
      expect(api.status).to.equal(404);
      figures.found = violations.length;
      figures.notes.push(
        `${figures.tried} operations paths on the API port: 404 each; /readyz, /metrics, /healthz 200 on ${g.operationsUrl.replace(/:\d+$/, ':<port>')}`,
      );
      expect(violations).to.deep.equal([]);
    },
  );

  caseIt(
    'H15',
    'when the export summary is asked 200 times (100 at once) at one block height, then the index is scanned once; after a new access, once more, and the summary matches the export',
    async (figures) => {
      const indexer = createIndexer(g.context, g.gateway.deps);
      const index = indexer.accessIndex;
      const scan = index.scan.bind(index);
      let scans = 0;
      (index as { scan: typeof index.scan }).scan = (query) => {
        scans += 1;
        return scan(query);
      };
      const summary = async () =>
        ok<{ count: number; lastDigest: string }>(
          await g.api('/audit/export/summary', { as: ['auditor', 'AUDITOR'] }),
          200,
        );
      const exportLast = async () => {
        const res = await g.api('/audit/export', { as: ['auditor', 'AUDITOR'] });
        const lines = res.text.trim().split('\n');
        return { count: lines.length, lastDigest: (JSON.parse(lines.at(-1)!) as { digest: string }).digest };
      };
      try {
        const first = await summary();
        const scansBefore = scans;
        const answers = await Promise.all(Array.from({ length: 100 }, summary));
        for (let i = 0; i < 99; i++) answers.push(await summary());
        figures.tried = 1 + answers.length;
        figures.acknowledged = 1 + answers.length;
        const differing = answers.filter((a) => a.count !== first.count || a.lastDigest !== first.lastDigest);
        const atHeight = scans;
        expect(differing, 'summaries at one height').to.deep.equal([]);
        expect(scansBefore, 'scans for the first summary').to.equal(1);
        expect(atHeight, 'index scans for 200 summaries at one height').to.equal(1);

        const exported = await exportLast();
        expect(first, 'summary equals the export').to.deep.equal(exported);

        ok(await requestReport(3));
        const scansBeforeNewHeight = scans;
        const after = await summary();
        const scansAtNewHeight = scans - scansBeforeNewHeight;
        figures.tried += 1;
        figures.acknowledged += 1;
        expect(after.count, 'count after a new access').to.equal(first.count + 1);
        expect(after, 'summary equals the export after a new block').to.deep.equal(await exportLast());
        expect(scansAtNewHeight, 'scans for the summary after a new access').to.equal(1);
        const summaryScans = atHeight + scansAtNewHeight;
        figures.found = summaryScans;
        figures.notes.push(
          `${figures.tried} summaries of ${first.count} then ${after.count} accesses: ${summaryScans} index scans (one per indexed height)`,
        );
      } finally {
        (index as { scan: typeof index.scan }).scan = scan;
      }
    },
  );
});
