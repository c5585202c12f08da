import { expect } from 'chai';
import { TokenBucketLimiter } from '../../src/http/rate-limit';
import { call, expectError, startGateway, userWithToken, type TestGateway } from '../helpers';

describe('rate limiting', () => {
  describe('TokenBucketLimiter', () => {
    it('when the bucket is empty, then requests are refused until it refills', () => {
      let now = 0;
      const limiter = new TokenBucketLimiter({ perMinute: 60, capacity: 2, now: () => now });
      expect(limiter.take('a').allowed).to.equal(true);
      expect(limiter.take('a').allowed).to.equal(true);
      const refused = limiter.take('a');
      expect(refused.allowed).to.equal(false);
      expect(refused.retryAfterSeconds).to.be.closeTo(1, 1e-9);
      expect(limiter.take('b').allowed, 'another key has its own bucket').to.equal(true);
      now += 1000;
      expect(limiter.take('a').allowed).to.equal(true);
      expect(limiter.take('a').allowed).to.equal(false);
    });

    it('when more keys than maxKeys are seen, then idle full buckets are dropped', () => {
      let now = 0;
      const limiter = new TokenBucketLimiter({ perMinute: 60, maxKeys: 10, now: () => now });
      for (let i = 0; i < 10; i++) limiter.take(`k${i}`);
      now += 120_000;
      limiter.take('new');
      expect(limiter.size).to.equal(1);
    });
  });

  describe('per-user limit on the API', () => {
    let tg: TestGateway;
    before(async () => {
      tg = await startGateway({ env: { GATEWAY_RATE_LIMIT_PER_MINUTE: '5' } });
    });
    after(() => tg.stop());

    it('when a user exceeds its budget, then 429 RATE_LIMITED with Retry-After, and other users are unaffected', async () => {
      // Logins are charged to the client IP: one login per user keeps both under the limit of 5.
      const a = await userWithToken(tg, 'Bank1MSP', 'bank1.busy', ['ORG_ADMIN']);
      const b = await userWithToken(tg, 'Bank1MSP', 'bank1.calm', ['ORG_ADMIN']);
      const url = `${tg.url}/api/v1/users`;
      for (let i = 0; i < 5; i++)
        expect((await call(url, { token: a.token })).status, `request ${i}`).to.equal(200);
      const limited = await call(url, { token: a.token });
      const error = expectError(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 12);
      expect(error.details).to.have.property('retryAfterSeconds');
      expect((await call(url, { token: b.token })).status).to.equal(200);
    });

    it('when anonymous calls exceed the budget, then they are limited by IP', async () => {
      const url = `${tg.url}/api/v1/auth/token`;
      let last = await call(url, { method: 'POST', json: { username: 'x', password: 'y' } });
      for (let i = 0; i < 6 && last.status !== 429; i++) {
        last = await call(url, { method: 'POST', json: { username: 'x', password: 'y' } });
      }
      expectError(last, 429, 'RATE_LIMITED');
    });

    it('when ops endpoints are polled, then they are not rate limited', async () => {
      for (let i = 0; i < 8; i++) expect((await call(`${tg.url}/healthz`)).status).to.equal(200);
    });
  });

  describe('login attempts', () => {
    let tg: TestGateway;
    before(async () => {
      tg = await startGateway({ env: { GATEWAY_LOGIN_RATE_LIMIT_PER_MINUTE: '2' } });
    });
    after(() => tg.stop());

    it('when one address exceeds the login budget, then 429 RATE_LIMITED even with the right password', async () => {
      const user = await userWithToken(tg, 'Bank1MSP', 'bank1.guessed', ['AUDITOR']);
      const url = `${tg.url}/api/v1/auth/token`;
      expectError(
        await call(url, {
          method: 'POST',
          json: { username: 'bank1.guessed', password: 'wrong-guess-0001' },
        }),
        401,
        'UNAUTHENTICATED',
      );
      const blocked = await call(url, {
        method: 'POST',
        json: { username: 'bank1.guessed', password: user.password },
      });
      expectError(blocked, 429, 'RATE_LIMITED');
      expect(blocked.headers.get('retry-after')).to.equal('30');
    });
  });
});
