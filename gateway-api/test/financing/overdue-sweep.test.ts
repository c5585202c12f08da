/**
 * The gateway's own overdue sweep (GATEWAY_OVERDUE_SWEEP_SECONDS), with no call to
 * `POST /claims/overdue-sweep`: on the embedded ledger, whose proposal clock the test
 * moves past the contact deadline, the timer flags the uncontacted claim once and its
 * bank gets the `ClaimsOverdue` alert over `/events`; a contacted claim and other banks
 * are left alone; a sweep with nothing to flag writes no block. Then the sweeper alone,
 * over a ledger double: failures logged and survived, runs never overlapping, stop waiting.
 */
import { expect } from 'chai';
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import { Registry } from 'prom-client';
import { DOMAIN_MODULES } from '../../src/app';
import { sweepsOverdueClaims } from '../../src/financing/module';
import { OverdueSweeper } from '../../src/financing/overdue-sweep';
import type { Committed, LedgerClient } from '../../src/ledger/types';
import {
  ORG,
  type ConsortiumGateway,
  residentId,
  startConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { subscribe, type SseSubscription } from '../alerts/sse-client';
import { memoryLogger } from '../helpers';
import { loanProduct } from './fixtures';

const DAY = 86_400;
const COUNTY = '350921';
type Rec = Record<string, unknown>;

async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('financing: the gateway sweeps for overdue claims on its own timer', function () {
  this.timeout(60_000);
  let g: ConsortiumGateway;
  /** Seconds the ledger's clock runs ahead of the system clock. */
  let ahead = 0;
  const ledgerNow = (): number => Math.floor(Date.now() / 1000) + ahead;
  let alertsA: SseSubscription;
  let alertsB: SseSubscription;

  before(function () {
    if ((process.env.TEST_LEDGER ?? 'embedded') !== 'embedded') {
      // The test moves the ledger's clock, which only the embedded backend lets it do.
      this.skip();
    }
  });

  before(async () => {
    g = await startConsortiumGateway(
      DOMAIN_MODULES,
      { GATEWAY_OVERDUE_SWEEP_SECONDS: '1' },
      { clock: () => new Date(Date.now() + ahead * 1000) },
    );
    const policy = await g.api('/financing/policy', {
      method: 'PUT',
      as: ['regulator', 'REGULATOR_ADMIN'],
      json: { contactDays: 1 },
    });
    expect(policy.status, policy.text).to.equal(200);
    for (const bank of ['bankA', 'bankB'] as const) {
      const product = await g.api('/products', {
        method: 'POST',
        as: [bank, 'LOAN_OFFICER'],
        json: loanProduct(`prod-sweep-${bank}`, `Sweep test loan ${bank}`, [COUNTY]),
      });
      expect(product.status, product.text).to.equal(201);
    }
    alertsA = await subscribe(g, 'bankA', 'LOAN_OFFICER');
    alertsB = await subscribe(g, 'bankB', 'LOAN_OFFICER');
  });
  after(async () => {
    alertsA?.close();
    alertsB?.close();
    await g?.stop();
  });

  it('when a claim passes its contact deadline, then the timer flags it once and alerts its bank only, with no sweep call', async () => {
    const demand = await g.api('/demands', {
      method: 'POST',
      as: ['regulator', 'REGULATOR_ADMIN'],
      json: {
        demandId: 'dmd-sweep-1',
        subjectId: residentId(4242),
        amountFen: 20_000_000,
        termMonths: 12,
        purpose: 'PLANTING',
        countyCode: COUNTY,
        datasets: ['HOMESTEAD'],
        expiresAt: isoFromEpochSeconds(ledgerNow() + 30 * DAY),
        evidence: { type: 'FORM_HASH', formHash: 'cd'.repeat(32) },
      },
    });
    expect(demand.status, demand.text).to.equal(201);
    const claimed: Record<string, Rec> = {};
    for (const bank of ['bankA', 'bankB'] as const) {
      const res = await g.api('/demands/dmd-sweep-1/claims', {
        method: 'POST',
        as: [bank, 'LOAN_OFFICER'],
        json: { claimId: `clm-sweep-${bank}` },
      });
      expect(res.status, res.text).to.equal(201);
      claimed[bank] = (res.body as { claim: Rec }).claim;
    }
    const contacted = await g.api('/claims/clm-sweep-bankB/contact', {
      method: 'POST',
      as: ['bankB', 'LOAN_OFFICER'],
    });
    expect(contacted.status, contacted.text).to.equal(200);
    const claimedAt = Date.parse(String(claimed.bankA!.claimedAt)) / 1000;
    expect(claimed.bankA!.contactBy).to.equal(isoFromEpochSeconds(claimedAt + DAY));

    // Before the deadline, sweeps run and flag nothing: the claim stays unflagged.
    await sleep(1500);
    const early = (await g.api('/claims/clm-sweep-bankA', { as: ['bankA', 'LOAN_OFFICER'] })).body as Rec;
    expect(early).to.include({ status: 'CLAIMED', overdue: false });
    expect(early).to.not.have.property('overdueFlaggedAt');
    const before = (await g.api('/financing/policy', { as: ['bankA', 'LOAN_OFFICER'] })).body as Rec;
    expect(before.contactDays).to.equal(1);
    expect(before.overdueSweep).to.deep.include({ everySeconds: 1, lastFlagged: 0 });
    expect(before.overdueSweep).to.not.have.property('lastError');

    ahead = 2 * DAY;
    const flagged = await until(
      async () => {
        const res = await g.api('/claims/clm-sweep-bankA', { as: ['bankA', 'LOAN_OFFICER'] });
        expect(res.status, res.text).to.equal(200);
        const body = res.body as Rec;
        return body.overdueFlaggedAt === undefined ? undefined : body;
      },
      15_000,
      'the uncontacted claim flagged overdue by the timer',
    );
    expect(flagged).to.include({ status: 'CLAIMED', overdue: true, bank: ORG.bankA });
    expect(Date.parse(String(flagged.overdueFlaggedAt)) / 1000).to.be.at.least(claimedAt + DAY);

    await alertsA.until((frames) => frames.some((f) => f.event === 'ClaimsOverdue'), 10_000);
    const overdue = alertsA.events().filter((f) => f.event === 'ClaimsOverdue');
    expect(overdue).to.have.length(1);
    const alert = JSON.parse(overdue[0]!.data!) as { payload: Rec };
    expect(alert.payload).to.deep.equal({
      claims: [{ claimId: 'clm-sweep-bankA', bank: ORG.bankA, demandId: 'dmd-sweep-1', countyCode: COUNTY }],
      notify: [ORG.bankA],
    });

    const other = (await g.api('/claims/clm-sweep-bankB', { as: ['bankB', 'LOAN_OFFICER'] })).body as Rec;
    expect(other).to.include({ status: 'CONTACTED', overdue: false });
    expect(other).to.not.have.property('overdueFlaggedAt');

    const stats = await g.api(
      `/stats/financing?from=${encodeURIComponent(isoFromEpochSeconds(ledgerNow() - 10 * DAY))}`,
      { as: ['regulator', 'REGULATOR_ADMIN'] },
    );
    expect(stats.status, stats.text).to.equal(200);
    expect(JSON.stringify(stats.body)).to.include('"overdueNotContacted":1');

    const metrics = await fetch(`${g.operationsUrl}/metrics`).then((r) => r.text());
    expect(metrics).to.match(/^gateway_overdue_sweep_flagged_total 1$/m);
    expect(metrics).to.match(/^gateway_overdue_sweep_failures_total 0$/m);
    expect(g.logs.some((l) => JSON.stringify(l).includes('claims flagged overdue'))).to.equal(true);
  });

  it('when later sweeps find nothing new, then no block is written and no second alert is sent', async () => {
    const height = await g.context.ledger.height();
    await sleep(3000);
    expect(await g.context.ledger.height()).to.equal(height);
    expect(alertsA.events().filter((f) => f.event === 'ClaimsOverdue')).to.have.length(1);
    expect(alertsB.events().filter((f) => f.event === 'ClaimsOverdue')).to.have.length(0);
    const metrics = await fetch(`${g.operationsUrl}/metrics`).then((r) => r.text());
    expect(metrics).to.match(/^gateway_overdue_sweep_flagged_total 1$/m);
    expect(metrics).to.match(/^gateway_overdue_sweep_last_flagged 0$/m);
    const policy = await g.api('/financing/policy', { as: ['regulator', 'REGULATOR_ADMIN'] });
    expect(policy.status, policy.text).to.equal(200);
    const sweep = (policy.body as { overdueSweep: Rec }).overdueSweep;
    expect(Object.keys(sweep).sort()).to.deep.equal(['everySeconds', 'lastFlagged', 'lastRunAt']);
    expect(sweep).to.include({ everySeconds: 1, lastFlagged: 0 });
    expect(Date.now() - Date.parse(String(sweep.lastRunAt))).to.be.within(0, 5000);
  });
});

describe('OverdueSweeper: failures, overlap and shutdown (ledger double)', () => {
  /** A ledger double: each evaluate waits `delayMs` and answers `answer()` (or throws it). */
  function ledgerDouble(delayMs: number, answer: () => unknown) {
    const calls = { evaluate: 0, submit: 0, concurrent: 0, maxConcurrent: 0 };
    const ledger = {
      async evaluate<T>(): Promise<T> {
        calls.evaluate += 1;
        calls.concurrent += 1;
        calls.maxConcurrent = Math.max(calls.maxConcurrent, calls.concurrent);
        try {
          await sleep(delayMs);
          const value = answer();
          if (value instanceof Error) throw value;
          return value as T;
        } finally {
          calls.concurrent -= 1;
        }
      },
      submit<T>(): Promise<Committed<T>> {
        calls.submit += 1;
        return Promise.resolve({
          result: { flagged: [{ claimId: 'c1' }] } as T,
          txId: 'tx1',
          blockNumber: 9,
        });
      },
    } as unknown as LedgerClient;
    return { ledger, calls };
  }

  it('when a sweep fails, then it is logged and counted and the next run still happens and flags', async () => {
    let n = 0;
    const { ledger, calls } = ledgerDouble(0, () =>
      ++n === 1
        ? Object.assign(new Error('peer unreachable'), { code: 'LEDGER_UNAVAILABLE' })
        : { flagged: n === 2 ? [{}] : [] },
    );
    const { logger, raw: lines } = memoryLogger();
    const metrics = new Registry();
    const sweeper = new OverdueSweeper({
      ledger,
      regulator: 'RegulatorMSP',
      intervalMs: 50,
      logger,
      metrics,
    });
    sweeper.start();
    await until(() => Promise.resolve(calls.submit >= 1 ? true : undefined), 5000, 'a second run');
    await sweeper.stop();
    expect(calls.submit).to.equal(1);
    expect(n).to.be.at.least(2);
    expect(lines.filter((l) => l.includes('overdue-claim sweep failed'))).to.have.length(1);
    expect(lines.find((l) => l.includes('overdue-claim sweep failed'))).to.include('peer unreachable');
    const text = await metrics.metrics();
    expect(text).to.match(/^gateway_overdue_sweep_failures_total 1$/m);
    expect(text).to.match(/^gateway_overdue_sweep_flagged_total 1$/m);
  });

  it('when a run outlasts the interval, then runs never overlap, and stop waits for the one in progress', async () => {
    const { ledger, calls } = ledgerDouble(120, () => ({ flagged: [] }));
    const { logger } = memoryLogger();
    const sweeper = new OverdueSweeper({ ledger, regulator: 'RegulatorMSP', intervalMs: 10, logger });
    sweeper.start();
    await until(() => Promise.resolve(calls.evaluate >= 3 ? true : undefined), 5000, 'three runs');
    await sweeper.stop();
    expect(calls.concurrent).to.equal(0);
    expect(calls.maxConcurrent).to.equal(1);
    expect(calls.submit).to.equal(0);
    const after = calls.evaluate;
    await sleep(100);
    expect(calls.evaluate).to.equal(after);
    expect(sweeper.status()).to.deep.include({ flagged: [] });
  });

  it('when the gateway is a bank’s, then it does not sweep; the demo and the regulator’s do, unless the interval is 0', () => {
    const org = (mspId: string) => ({
      mspId,
      keyDir: '/k',
      mspRootsFile: '/r',
      gateways: {},
      releaseWindowSeconds: 600,
      mspRefreshSeconds: 300,
    });
    expect(sweepsOverdueClaims({ overdueSweepSeconds: 300 }, ORG.regulator)).to.equal(true);
    expect(
      sweepsOverdueClaims({ overdueSweepSeconds: 300, organisation: org(ORG.regulator) }, ORG.regulator),
    ).to.equal(true);
    expect(
      sweepsOverdueClaims({ overdueSweepSeconds: 300, organisation: org(ORG.bankA) }, ORG.regulator),
    ).to.equal(false);
    expect(sweepsOverdueClaims({ overdueSweepSeconds: 0 }, ORG.regulator)).to.equal(false);
  });
});
