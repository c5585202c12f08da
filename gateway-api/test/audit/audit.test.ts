import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { auditModule } from '../../src/audit/routes';
import type { AccessEntry } from '../../src/indexer/access-entry';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { expectError, type ApiResponse } from '../helpers';
import { OPERATOR, recordAccess, recordGrant } from '../indexer/ledger-fixture';

interface AccessPage {
  items: AccessEntry[];
  nextCursor: string | null;
}

/** Per run: a shared ledger (Fabric) holds other files' and earlier runs' consents and accesses. */
const RUN = randomBytes(3).toString('hex');

/** This run's access IDs `acc-<n>-<run>`, in the order given. */
function acc(...n: number[]): string[] {
  return n.map((i) => `acc-${i}-${RUN}`);
}

function ids(res: ApiResponse): string[] {
  expect(res.status, res.text).to.equal(200);
  return (res.body as AccessPage).items.map((e) => e.accessId);
}

describe('audit trail: GET /audit/accesses, export, summary, verify', () => {
  let g: ConsortiumGateway;
  let s1: string;
  let s2: string;
  /**
   * Start of this run's time window: after every access already on the ledger, at or before
   * each of this run's. Lists and exports over "every access" are read within it; the same
   * reads over the whole ledger are checked against counts taken before the run.
   */
  let since: string;
  let baseline: { all: { count: number }; bankB: { count: number } };
  /** Accesses in ledger order: acc-1..acc-5. */
  const recorded: { accessId: string; txId: string; blockNumber: number; outcome: string }[] = [];

  before(async () => {
    g = await startConsortiumGateway([auditModule]);
    const ledger = g.context.ledger;
    s1 = await g.context.subjects.pseudonym(residentId(1));
    s2 = await g.context.subjects.pseudonym(residentId(2));
    baseline = {
      all: (await g.api('/audit/export/summary', { as: ['auditor', 'AUDITOR'] })).body as { count: number },
      bankB: (await g.api('/audit/export/summary', { as: ['bankB', 'LOAN_OFFICER'] })).body as {
        count: number;
      },
    };
    // Index times are milliseconds: one past now, then a pause, puts the bound strictly between.
    since = new Date(Date.now() + 1).toISOString();
    await sleep(3);
    await recordGrant(ledger, ORG.bankA, `g-a1-${RUN}`, s1);
    await recordGrant(ledger, ORG.bankB, `g-b1-${RUN}`, s1);
    await recordGrant(ledger, ORG.bankA, `g-a2-${RUN}`, s2);
    const plan: [string, string, string, string, string?][] = [
      [ORG.bankA, `acc-1-${RUN}`, `g-a1-${RUN}`, s1],
      [ORG.bankA, `acc-2-${RUN}`, `g-a1-${RUN}`, s1, 'POST_LOAN_MANAGEMENT'],
      [ORG.bankB, `acc-3-${RUN}`, `g-b1-${RUN}`, s1],
      [ORG.bankA, `acc-4-${RUN}`, `g-a2-${RUN}`, s2],
      [ORG.bankB, `acc-5-${RUN}`, `g-a2-${RUN}`, s2],
    ];
    for (const [bank, accessId, grantId, subject, purpose] of plan) {
      const r = await recordAccess(
        ledger,
        bank,
        accessId,
        grantId,
        subject,
        purpose === undefined ? {} : { purpose },
      );
      recorded.push({ accessId, ...r });
    }
    expect(recorded.map((r) => r.outcome)).to.deep.equal([
      'GRANTED',
      'DENIED',
      'GRANTED',
      'GRANTED',
      'DENIED',
    ]);
  });
  after(() => g.stop());

  describe('GET /audit/accesses', () => {
    it('when an auditor asks, then every access is listed oldest first with every field of the ledger record', async () => {
      const res = await g.api(`/audit/accesses?from=${since}`, { as: ['auditor', 'AUDITOR'] });
      expect(ids(res)).to.deep.equal(acc(1, 2, 3, 4, 5));
      const page = res.body as AccessPage;
      expect(page.nextCursor).to.equal(null);
      const second = page.items[1];
      expect(second).to.deep.equal({
        accessId: `acc-2-${RUN}`,
        grantId: `g-a1-${RUN}`,
        subject: s1,
        accessor: ORG.bankA,
        operator: OPERATOR,
        datasets: ['HOMESTEAD'],
        purpose: 'POST_LOAN_MANAGEMENT',
        outcome: 'DENIED',
        reason: 'WRONG_PURPOSE',
        releaseDigest: second?.releaseDigest,
        txId: recorded[1]?.txId,
        blockNumber: recorded[1]?.blockNumber,
        txIndex: 0,
        accessedAt: second?.accessedAt,
      });
      expect(second?.releaseDigest).to.match(/^[0-9a-f]{64}$/);
      expect(page.items[0]).to.not.have.property('reason');
    });

    it('when the regulator’s REGULATOR_ADMIN or AUDITOR asks, then every access is listed', async () => {
      const all = acc(1, 2, 3, 4, 5);
      expect(
        ids(await g.api(`/audit/accesses?from=${since}`, { as: ['regulator', 'REGULATOR_ADMIN'] })),
      ).to.deep.equal(all);
      expect(
        ids(await g.api(`/audit/accesses?from=${since}`, { as: ['regulator', 'AUDITOR'] })),
      ).to.deep.equal(all);
    });

    it('when a bank’s users ask, then they see their own organisation’s accesses only', async () => {
      const q = `/audit/accesses?from=${since}`;
      expect(ids(await g.api(q, { as: ['bankA', 'LOAN_OFFICER'] }))).to.deep.equal(acc(1, 2, 4));
      expect(ids(await g.api(q, { as: ['bankA', 'ORG_ADMIN'] }))).to.deep.equal(acc(1, 2, 4));
      expect(ids(await g.api(q, { as: ['bankB', 'LOAN_OFFICER'] }))).to.deep.equal(acc(3, 5));
      expect(ids(await g.api(`${q}&accessor=${ORG.bankA}`, { as: ['bankA', 'LOAN_OFFICER'] }))).to.deep.equal(
        acc(1, 2, 4),
      );
    });

    it('when a bank asks for another bank’s accesses, then 403 FORBIDDEN_ORG', async () => {
      expectError(
        await g.api(`/audit/accesses?accessor=${ORG.bankB}`, { as: ['bankA', 'LOAN_OFFICER'] }),
        403,
        'FORBIDDEN_ORG',
      );
    });

    it('when a data provider or a user without an audit role asks, then 403', async () => {
      expectError(await g.api('/audit/accesses', { as: ['land', 'ORG_ADMIN'] }), 403, 'FORBIDDEN_ORG');
      expectError(await g.api('/audit/accesses', { as: ['land', 'DATA_OFFICER'] }), 403, 'FORBIDDEN_ROLE');
      expectError(await g.api('/audit/accesses', { as: ['auditor', 'ORG_ADMIN'] }), 403, 'FORBIDDEN_ROLE');
      expectError(await g.api('/audit/accesses'), 401, 'UNAUTHENTICATED');
    });

    it('when an auditor names an institution, then only its accesses are listed', async () => {
      expect(
        ids(
          await g.api(`/audit/accesses?accessor=${ORG.bankB}&from=${since}`, { as: ['auditor', 'AUDITOR'] }),
        ),
      ).to.deep.equal(acc(3, 5));
      // Only banks record accesses: a data provider has none on any ledger.
      expect(
        ids(await g.api(`/audit/accesses?accessor=${ORG.land}`, { as: ['auditor', 'AUDITOR'] })),
      ).to.deep.equal([]);
    });

    it('when filtered by subject ID, then the subject’s accesses are listed, limited to the bank’s own for a bank', async () => {
      expect(
        ids(await g.api(`/audit/accesses?subjectId=${residentId(1)}`, { as: ['auditor', 'AUDITOR'] })),
      ).to.deep.equal(acc(1, 2, 3));
      expect(
        ids(await g.api(`/audit/accesses?subjectId=${residentId(1)}`, { as: ['bankB', 'LOAN_OFFICER'] })),
      ).to.deep.equal(acc(3));
      expect(
        ids(
          await g.api(`/audit/accesses?subjectId=${residentId(2)}&outcome=DENIED`, {
            as: ['auditor', 'AUDITOR'],
          }),
        ),
      ).to.deep.equal(acc(5));
      expect(
        ids(await g.api(`/audit/accesses?subjectId=${residentId(9)}`, { as: ['auditor', 'AUDITOR'] })),
      ).to.deep.equal([]);
    });

    it('when the subject ID is invalid, then 400 INVALID_SUBJECT_ID and the ID is not logged', async () => {
      const bad = `${residentId(1).slice(0, 17)}${residentId(1).endsWith('0') ? '1' : '0'}`;
      expectError(
        await g.api(`/audit/accesses?subjectId=${bad}`, { as: ['auditor', 'AUDITOR'] }),
        400,
        'INVALID_SUBJECT_ID',
      );
      expect(JSON.stringify(g.logs)).to.not.include(bad);
      expect(JSON.stringify(g.logs)).to.not.include(residentId(1));
    });

    it('when filtered by outcome, then only that outcome is listed', async () => {
      expect(
        ids(await g.api(`/audit/accesses?outcome=DENIED&from=${since}`, { as: ['auditor', 'AUDITOR'] })),
      ).to.deep.equal(acc(2, 5));
      expect(
        ids(await g.api(`/audit/accesses?outcome=GRANTED&from=${since}`, { as: ['bankA', 'LOAN_OFFICER'] })),
      ).to.deep.equal(acc(1, 4));
      expectError(
        await g.api('/audit/accesses?outcome=MAYBE', { as: ['auditor', 'AUDITOR'] }),
        400,
        'INVALID_REQUEST',
      );
    });

    it('when a time window is given, then accesses at or after from and before to are listed', async () => {
      const all = (
        (await g.api(`/audit/accesses?from=${since}`, { as: ['auditor', 'AUDITOR'] })).body as AccessPage
      ).items.map((e) => e.accessedAt);
      const [, t2 = '', , t4 = ''] = all;
      expect(
        ids(await g.api(`/audit/accesses?from=${t2}&to=${t4}`, { as: ['auditor', 'AUDITOR'] })),
      ).to.deep.equal(acc(2, 3));
      expect(ids(await g.api(`/audit/accesses?from=${t4}`, { as: ['auditor', 'AUDITOR'] }))).to.deep.equal(
        acc(4, 5),
      );
      expect(
        ids(await g.api(`/audit/accesses?from=${since}&to=${t2}`, { as: ['bankA', 'LOAN_OFFICER'] })),
      ).to.deep.equal(acc(1));
      // An offset is the same instant in UTC.
      const shifted = new Date(Date.parse(t4) + 8 * 3600_000).toISOString().replace('Z', '+08:00');
      expect(
        ids(
          await g.api(`/audit/accesses?from=${since}&to=${encodeURIComponent(shifted)}`, {
            as: ['auditor', 'AUDITOR'],
          }),
        ),
      ).to.deep.equal(acc(1, 2, 3));
    });

    it('when a time is malformed or the window is empty, then 400', async () => {
      expectError(
        await g.api('/audit/accesses?from=yesterday', { as: ['auditor', 'AUDITOR'] }),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await g.api('/audit/accesses?to=2026-02-30T00:00:00Z', { as: ['auditor', 'AUDITOR'] }),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await g.api('/audit/accesses?from=2026-05-01T00:00:00Z&to=2026-05-01T00:00:00Z', {
          as: ['auditor', 'AUDITOR'],
        }),
        400,
        'INVALID_TIME_RANGE',
      );
      expectError(
        await g.api('/audit/accesses?colour=red', { as: ['auditor', 'AUDITOR'] }),
        400,
        'INVALID_REQUEST',
      );
    });

    it('when paged two at a time, then every access is returned exactly once and the last page has no cursor', async () => {
      const seen: string[] = [];
      const pages: number[] = [];
      let cursor: string | null = null;
      do {
        const res = await g.api(
          `/audit/accesses?from=${since}&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
          { as: ['auditor', 'AUDITOR'] },
        );
        const page = res.body as AccessPage;
        seen.push(...ids(res));
        pages.push(page.items.length);
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(pages).to.deep.equal([2, 2, 1]);
      expect(seen).to.deep.equal(acc(1, 2, 3, 4, 5));
    });

    it('when the page size is over the cap or the cursor is foreign, then 400', async () => {
      expectError(
        await g.api(`/audit/accesses?limit=${g.config.pageSizeCap + 1}`, { as: ['auditor', 'AUDITOR'] }),
        400,
        'PAGE_SIZE_TOO_LARGE',
      );
      expectError(
        await g.api('/audit/accesses?cursor=bm90LWEtY3Vyc29y', { as: ['auditor', 'AUDITOR'] }),
        400,
        'INVALID_CURSOR',
      );
      // A bank cannot widen its view by replaying an auditor's cursor over all institutions.
      const first = (await g.api('/audit/accesses?limit=1', { as: ['auditor', 'AUDITOR'] }))
        .body as AccessPage;
      expectError(
        await g.api(`/audit/accesses?cursor=${first.nextCursor ?? ''}`, { as: ['bankA', 'LOAN_OFFICER'] }),
        400,
        'INVALID_CURSOR',
      );
    });
  });

  it('when the OpenAPI document is fetched, then every audit route is documented with its query schema', async () => {
    const res = await g.api('/openapi.json');
    expect(res.status).to.equal(200);
    const paths = (res.body as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> })
      .paths;
    expect(Object.keys(paths).filter((p) => p.startsWith('/api/v1/audit'))).to.deep.equal([
      '/api/v1/audit/accesses',
      '/api/v1/audit/export',
      '/api/v1/audit/export/summary',
      '/api/v1/audit/export/verify',
    ]);
    expect(paths['/api/v1/audit/accesses']?.get?.parameters?.map((p) => p.name)).to.deep.equal([
      'subjectId',
      'outcome',
      'from',
      'to',
      'accessor',
      'limit',
      'cursor',
    ]);
  });

  describe('export', () => {
    async function exportText(path: string, as: Parameters<ConsortiumGateway['api']>[1]): Promise<string> {
      const res = await g.api(path, as);
      expect(res.status, res.text).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/x-ndjson; charset=utf-8');
      return res.text;
    }

    async function verify(body: string, query = ''): Promise<ApiResponse> {
      return g.api(`/audit/export/verify${query}`, {
        method: 'POST',
        as: ['auditor', 'AUDITOR'],
        body,
        headers: { 'content-type': 'application/x-ndjson' },
      });
    }

    it('when an auditor exports, then each line is an access with txId, blockNumber, seq and digest, and it verifies against the summary', async () => {
      const parse = (text: string) => {
        const lines = text.split('\n');
        expect(lines.pop(), 'ends with a newline').to.equal('');
        return lines.map((l) => JSON.parse(l) as AccessEntry & { seq: number; digest: string });
      };
      const text = await exportText(`/audit/export?from=${since}`, { as: ['auditor', 'AUDITOR'] });
      const parsed = parse(text);
      expect(parsed.map((l) => [l.seq, l.accessId, l.txId, l.blockNumber])).to.deep.equal(
        recorded.map((r, i) => [i, r.accessId, r.txId, r.blockNumber]),
      );
      const summary = await g.api(`/audit/export/summary?from=${since}`, { as: ['auditor', 'AUDITOR'] });
      expect(summary.status).to.equal(200);
      expect(summary.body).to.deep.equal({ count: 5, lastDigest: parsed[4]?.digest });
      const res = await verify(text);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ ok: true, count: 5, lastDigest: parsed[4]?.digest });
      const anchored = await verify(text, `?expectedCount=5&expectedLastDigest=${parsed[4]?.digest}`);
      expect(anchored.body).to.deep.equal({ ok: true, count: 5, lastDigest: parsed[4]?.digest });

      // Over the whole ledger: what was there before the run, then this run's five, chained from seq 0.
      const wholeText = await exportText('/audit/export', { as: ['auditor', 'AUDITOR'] });
      const whole = parse(wholeText);
      const n = baseline.all.count;
      expect(whole.map((l) => l.seq)).to.deep.equal([...Array(n + 5).keys()]);
      expect(whole.slice(n).map((l) => [l.seq, l.accessId, l.txId])).to.deep.equal(
        recorded.map((r, i) => [n + i, r.accessId, r.txId]),
      );
      const last = whole[n + 4]?.digest;
      expect((await g.api('/audit/export/summary', { as: ['auditor', 'AUDITOR'] })).body).to.deep.equal({
        count: n + 5,
        lastDigest: last,
      });
      expect(
        (await verify(wholeText, `?expectedCount=${n + 5}&expectedLastDigest=${last}`)).body,
      ).to.deep.equal({ ok: true, count: n + 5, lastDigest: last });
    });

    it('when one line is changed, dropped or two are swapped, then the verifier reports the line', async () => {
      const lines = (await exportText(`/audit/export?from=${since}`, { as: ['auditor', 'AUDITOR'] }))
        .trimEnd()
        .split('\n');
      const [l0 = '', l1 = '', l2 = '', l3 = '', l4 = ''] = lines;
      const changed = [l0, l1.replace('"outcome":"DENIED"', '"outcome":"GRANTED"'), l2, l3, l4];
      expect(changed[1]).to.not.equal(l1);
      expect((await verify(changed.join('\n'))).body).to.include({
        ok: false,
        line: 2,
        reason: 'DIGEST_MISMATCH',
      });
      expect((await verify([l0, l1, l3, l4].join('\n'))).body).to.include({
        ok: false,
        line: 3,
        reason: 'SEQUENCE_GAP',
      });
      expect((await verify([l0, l2, l1, l3, l4].join('\n'))).body).to.include({
        ok: false,
        line: 2,
        reason: 'SEQUENCE_GAP',
      });
      expect((await verify([l0, l1, `${l2} `, l3].join('\n'))).body).to.include({
        ok: false,
        line: 3,
        reason: 'MALFORMED',
      });
    });

    it('when the last line is cut off, then only the summary’s count or digest reveals it', async () => {
      const lines = (await exportText(`/audit/export?from=${since}`, { as: ['auditor', 'AUDITOR'] }))
        .trimEnd()
        .split('\n');
      const summary = (await g.api(`/audit/export/summary?from=${since}`, { as: ['auditor', 'AUDITOR'] }))
        .body as {
        count: number;
        lastDigest: string;
      };
      const truncated = lines.slice(0, 4).join('\n');
      expect((await verify(truncated)).body).to.include({ ok: true, count: 4 });
      expect((await verify(truncated, `?expectedCount=${summary.count}`)).body).to.include({
        ok: false,
        line: 5,
        reason: 'SEQUENCE_GAP',
      });
      expect((await verify(truncated, `?expectedLastDigest=${summary.lastDigest}`)).body).to.include({
        ok: false,
        line: 5,
        reason: 'DIGEST_MISMATCH',
      });
    });

    it('when a bank exports, then it gets its own accesses only, and asking for another bank is 403', async () => {
      const text = await exportText(`/audit/export?from=${since}`, { as: ['bankB', 'LOAN_OFFICER'] });
      expect(
        text
          .trimEnd()
          .split('\n')
          .map((l) => (JSON.parse(l) as AccessEntry).accessId),
      ).to.deep.equal(acc(3, 5));
      expect(
        (await g.api(`/audit/export/summary?from=${since}`, { as: ['bankB', 'LOAN_OFFICER'] })).body,
      ).to.include({ count: 2 });
      expect((await verify(text)).body).to.include({ ok: true, count: 2 });
      // Over the whole ledger, the bank's export grew by its two accesses of this run.
      expect((await g.api('/audit/export/summary', { as: ['bankB', 'LOAN_OFFICER'] })).body).to.include({
        count: baseline.bankB.count + 2,
      });
      expectError(
        await g.api(`/audit/export?accessor=${ORG.bankA}`, { as: ['bankB', 'LOAN_OFFICER'] }),
        403,
        'FORBIDDEN_ORG',
      );
      expectError(
        await g.api(`/audit/export/summary?accessor=${ORG.bankA}`, { as: ['bankB', 'LOAN_OFFICER'] }),
        403,
        'FORBIDDEN_ORG',
      );
      expectError(await g.api('/audit/export', { as: ['agri', 'ORG_ADMIN'] }), 403, 'FORBIDDEN_ORG');
      expectError(
        await g.api('/audit/export/summary', { as: ['agri', 'DATA_OFFICER'] }),
        403,
        'FORBIDDEN_ROLE',
      );
    });

    it('when an export has a window and an accessor, then exactly those accesses are chained from seq 0', async () => {
      const all = (
        (await g.api(`/audit/accesses?from=${since}`, { as: ['auditor', 'AUDITOR'] })).body as AccessPage
      ).items;
      const from = all[2]?.accessedAt ?? '';
      const text = await exportText(`/audit/export?accessor=${ORG.bankB}&from=${from}`, {
        as: ['regulator', 'AUDITOR'],
      });
      const lines = text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as AccessEntry & { seq: number });
      expect(lines.map((l) => [l.seq, l.accessId])).to.deep.equal([
        [0, `acc-3-${RUN}`],
        [1, `acc-5-${RUN}`],
      ]);
      const empty = await g.api('/audit/export?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z', {
        as: ['auditor', 'AUDITOR'],
      });
      expect(empty.status).to.equal(200);
      expect(empty.text).to.equal('');
      expect(
        (
          await g.api('/audit/export/summary?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z', {
            as: ['auditor', 'AUDITOR'],
          })
        ).body,
      ).to.deep.equal({ count: 0, lastDigest: '0'.repeat(64) });
      expectError(
        await g.api('/audit/export?from=nope', { as: ['auditor', 'AUDITOR'] }),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await g.api('/audit/export/summary?from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z', {
          as: ['auditor', 'AUDITOR'],
        }),
        400,
        'INVALID_TIME_RANGE',
      );
    });

    it('when the verifier gets a non-NDJSON body or bad anchors, then 415 or 400', async () => {
      expectError(
        await g.api('/audit/export/verify', {
          method: 'POST',
          as: ['auditor', 'AUDITOR'],
          json: { lines: [] },
        }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(await verify('', '?expectedLastDigest=abc'), 400, 'INVALID_REQUEST');
      expectError(await verify('', '?expectedCount=-1'), 400, 'INVALID_REQUEST');
      expectError(
        await g.api('/audit/export/verify', {
          method: 'POST',
          body: 'x',
          headers: { 'content-type': 'application/x-ndjson' },
        }),
        401,
        'UNAUTHENTICATED',
      );
      const long = `not json\n${'{"seq":0}\n'.repeat(300_000)}`;
      expect((await verify(long)).body).to.include({ ok: false, line: 1, reason: 'MALFORMED' });
      expect((await verify('not json\n')).body).to.deep.equal({
        ok: false,
        line: 1,
        reason: 'MALFORMED',
        detail: 'line is not JSON',
      });
    });
  });
});
