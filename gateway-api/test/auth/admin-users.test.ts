import path from 'node:path';
import { expect } from 'chai';
import { Level } from 'level';
import { UserActivityStoreImpl } from '../../src/auth/activity';
import type { UserOverview } from '../../src/auth/user-overview';
import type { Page } from '../../src/http/pagination';
import {
  addUser,
  call,
  expectError,
  login,
  startGateway,
  tempDir,
  userWithToken,
  type TestGateway,
} from '../helpers';

describe('GET /admin/users: every organisation’s users with last login and activity (regulator only)', () => {
  let tg: TestGateway;
  let regulator: { id: string; token: string };
  let officer: { id: string; username: string; password: string };
  let idle: { id: string };
  let gone: { id: string };

  before(async () => {
    tg = await startGateway();
    regulator = await userWithToken(tg, 'RegulatorMSP', 'pboc.admin', ['REGULATOR_ADMIN']);
    officer = await addUser(tg, 'BankAMSP', 'banka.officer', ['LOAN_OFFICER']);
    idle = await addUser(tg, 'BankAMSP', 'banka.idle', ['AUDITOR']);
    gone = await addUser(tg, 'BankBMSP', 'bankb.gone', ['ORG_ADMIN']);
    await tg.gateway.deps.users.disable(gone.id);
  });
  after(() => tg.stop());

  const url = (query = ''): string => `${tg.url}/api/v1/admin/users${query}`;
  const all = async (query = ''): Promise<UserOverview[]> => {
    const out: UserOverview[] = [];
    let cursor: string | null = null;
    do {
      const sep = query === '' ? '?' : '&';
      const res = await call(url(`${query}${cursor ? `${sep}cursor=${cursor}` : ''}`), {
        token: regulator.token,
      });
      expect(res.status, res.text).to.equal(200);
      const page = res.body as Page<UserOverview>;
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out;
  };

  it('when a bank user logs in twice and calls three times, then the regulator sees exactly that', async () => {
    await login(tg, officer.username, officer.password);
    const token = await login(tg, officer.username, officer.password);
    for (let i = 0; i < 3; i++) expectError(await call(url(), { token }), 403, 'FORBIDDEN_ROLE');
    const users = await all('?limit=2');
    expect(users.map((u) => `${u.org}/${u.username}`)).to.deep.equal([
      'BankAMSP/banka.idle',
      'BankAMSP/banka.officer',
      'BankBMSP/bankb.gone',
      'RegulatorMSP/pboc.admin',
    ]);
    const seen = users.find((u) => u.userId === officer.id)!;
    expect(seen).to.deep.include({
      username: 'banka.officer',
      org: 'BankAMSP',
      roles: ['LOAN_OFFICER'],
      status: 'ACTIVE',
      loginCount: 2,
      requestCount: 3,
    });
    expect(Date.parse(seen.lastLoginAt ?? '')).to.be.within(Date.now() - 60_000, Date.now());
    expect(seen.lastRequestAt! >= seen.lastLoginAt!).to.equal(true);
    expect(users.find((u) => u.userId === idle.id)).to.deep.include({
      status: 'ACTIVE',
      lastLoginAt: null,
      loginCount: 0,
      requestCount: 0,
      lastRequestAt: null,
    });
    expect(users.find((u) => u.userId === gone.id)).to.include({ status: 'DISABLED' });
    expect(Object.keys(seen).sort()).to.deep.equal(
      [
        'createdAt',
        'lastLoginAt',
        'lastRequestAt',
        'loginCount',
        'org',
        'requestCount',
        'roles',
        'status',
        'userId',
        'username',
      ].sort(),
    );
  });

  it('when filtered by organisation, then only its users', async () => {
    expect((await all('?org=BankAMSP')).map((u) => u.username)).to.deep.equal([
      'banka.idle',
      'banka.officer',
    ]);
    expectError(await call(url('?org=bad%20org'), { token: regulator.token }), 400, 'INVALID_REQUEST');
  });

  it('when a bank administrator asks, then 403 FORBIDDEN_ROLE; a REGULATOR_ADMIN outside the regulator, FORBIDDEN_ORG', async () => {
    const bankAdmin = await userWithToken(tg, 'BankBMSP', 'bankb.admin', ['ORG_ADMIN']);
    expectError(await call(url(), { token: bankAdmin.token }), 403, 'FORBIDDEN_ROLE');
    // The user API refuses this role outside the regulator; the store is written directly to prove the second check.
    const stray = await userWithToken(tg, 'BankBMSP', 'bankb.stray', ['REGULATOR_ADMIN']);
    expectError(await call(url(), { token: stray.token }), 403, 'FORBIDDEN_ORG');
    expectError(await call(url()), 401, 'UNAUTHENTICATED');
  });
});

describe('UserActivityStoreImpl', () => {
  it('when counts are flushed and the store reopened, then they persist and add up', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      let clock = Date.parse('2026-12-01T08:00:00Z');
      const now = () => new Date(clock);
      const open = async () => {
        const db = new Level<string, unknown>(path.join(dir, 'db'), { valueEncoding: 'json' });
        await db.open();
        return { db, store: new UserActivityStoreImpl(db, { now, flushMs: 60_000 }) };
      };
      const first = await open();
      first.store.recordLogin('u1');
      first.store.recordRequest('u1');
      clock += 5000;
      first.store.recordRequest('u1');
      expect(await first.store.getMany(['u1', 'u2'])).to.deep.equal([
        {
          lastLoginAt: '2026-12-01T08:00:00.000Z',
          loginCount: 1,
          requestCount: 2,
          lastRequestAt: '2026-12-01T08:00:05.000Z',
        },
        { lastLoginAt: null, loginCount: 0, requestCount: 0, lastRequestAt: null },
      ]);
      await first.store.close();
      await first.db.close();
      const second = await open();
      clock += 5000;
      second.store.recordLogin('u1');
      expect(await second.store.getMany(['u1'])).to.deep.equal([
        {
          lastLoginAt: '2026-12-01T08:00:10.000Z',
          loginCount: 2,
          requestCount: 2,
          lastRequestAt: '2026-12-01T08:00:05.000Z',
        },
      ]);
      await second.store.close();
      await second.db.close();
    } finally {
      await cleanup();
    }
  });
});
