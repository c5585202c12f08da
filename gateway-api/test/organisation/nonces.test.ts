/**
 * The nonces of signed organisation requests on real LevelDB: a nonce is answered once, and
 * nonces are forgotten once their request is outside the clock window (no unbounded growth),
 * also across a restart.
 */
import path from 'node:path';
import { expect } from 'chai';
import { Level } from 'level';
import { OrgNonceStore } from '../../src/organisation/nonces';
import { MAX_CLOCK_SKEW_MS } from '../../src/organisation/signed-request';
import { tempDir } from '../helpers';

const T0 = Date.parse('2026-12-03T08:00:00.000Z');
const at = (ms: number): Date => new Date(T0 + ms);
const nonce = (i: number): string => i.toString(16).padStart(32, '0');

describe('organisation request nonces (issue 13)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let db: Level<string, unknown>;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    db = new Level<string, unknown>(path.join(dir, 'db'), { valueEncoding: 'json' });
  });
  afterEach(async () => {
    await db.close();
    await cleanup();
  });

  it('when a nonce is claimed twice, then the second claim is refused; the same nonce of another organisation is not', async () => {
    const store = new OrgNonceStore(db);
    expect(await store.claim('BankAMSP', nonce(1), at(0).toISOString(), at(0))).to.equal(true);
    expect(await store.claim('BankAMSP', nonce(1), at(0).toISOString(), at(1000))).to.equal(false);
    expect(await store.claim('BankBMSP', nonce(1), at(0).toISOString(), at(1000))).to.equal(true);
    expect(await store.size()).to.equal(2);
  });

  it('when requests keep coming for an hour, then only the nonces still inside the clock window are kept, and a pruned request is refused', async () => {
    const store = new OrgNonceStore(db);
    // One request every 10 s for an hour: 360 nonces.
    for (let i = 0; i < 360; i++) {
      const now = at(i * 10_000);
      expect(await store.claim('BankAMSP', nonce(i), now.toISOString(), now)).to.equal(true);
    }
    const kept = await store.size();
    // The window is 5 minutes (plus 1 s) behind the last request, and pruning runs once a minute.
    const windowRequests = (MAX_CLOCK_SKEW_MS + 1000) / 10_000;
    expect(kept).to.be.within(windowRequests, windowRequests + 60_000 / 10_000 + 1);
    // The first request again (its signature would still verify): refused, not released twice.
    expect(await store.claim('BankAMSP', nonce(0), at(0).toISOString(), at(3_590_000))).to.equal(false);
    // After a restart the store still knows what it pruned and what it kept.
    const reopened = new OrgNonceStore(db);
    expect(await reopened.claim('BankAMSP', nonce(359), at(3_590_000).toISOString(), at(3_591_000))).to.equal(
      false,
    );
    expect(await reopened.claim('BankAMSP', nonce(1), at(10_000).toISOString(), at(3_591_000))).to.equal(
      false,
    );
    expect(await reopened.size()).to.equal(kept);
  });

  it('when the store holds nonces of the earlier layout (<org>!<nonce>), then the first pruning drops them', async () => {
    const legacy = db.sublevel<string, string>('org-nonces', { valueEncoding: 'utf8' });
    await legacy.put(`BankAMSP!${nonce(7)}`, at(0).toISOString());
    const store = new OrgNonceStore(db);
    expect(await store.size()).to.equal(1);
    const later = at(10 * 60_000);
    expect(await store.claim('BankAMSP', nonce(8), later.toISOString(), later)).to.equal(true);
    expect(await store.size()).to.equal(1);
    expect(await legacy.get(`BankAMSP!${nonce(7)}`).catch(() => undefined)).to.equal(undefined);
  });
});
