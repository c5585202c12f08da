import { expect } from 'chai';
import { addUser, call, expectError, login, startGateway, userWithToken, type TestGateway } from '../helpers';

describe('login and user administration', () => {
  let tg: TestGateway;
  let bankAdmin: { id: string; token: string };
  let regulatorAdmin: { id: string; token: string };
  let officer: { id: string; token: string };

  before(async () => {
    tg = await startGateway();
    bankAdmin = await userWithToken(tg, 'Bank1MSP', 'bank1.admin', ['ORG_ADMIN']);
    regulatorAdmin = await userWithToken(tg, 'RegulatorMSP', 'pboc.admin', ['REGULATOR_ADMIN']);
    officer = await userWithToken(tg, 'Bank1MSP', 'bank1.officer', ['LOAN_OFFICER']);
  });
  after(() => tg.stop());

  const tokenUrl = (): string => `${tg.url}/api/v1/auth/token`;
  const usersUrl = (): string => `${tg.url}/api/v1/users`;

  describe('POST /auth/token', () => {
    it('when the password is wrong or the user unknown, then both are 401 with the same message', async () => {
      const wrong = await call(tokenUrl(), {
        method: 'POST',
        json: { username: 'bank1.admin', password: 'wrong-password-123' },
      });
      const unknown = await call(tokenUrl(), {
        method: 'POST',
        json: { username: 'nobody.here', password: 'wrong-password-123' },
      });
      const a = expectError(wrong, 401, 'UNAUTHENTICATED');
      const b = expectError(unknown, 401, 'UNAUTHENTICATED');
      expect(a.message).to.equal(b.message);
    });

    it('when the username differs only in case, then login succeeds (usernames are case-insensitive)', async () => {
      const user = await addUser(tg, 'Bank1MSP', 'bank1.case', ['AUDITOR']);
      await login(tg, 'BANK1.Case', user.password);
    });

    it('when the body lacks a password, then 400 INVALID_REQUEST naming body.password', async () => {
      const res = await call(tokenUrl(), { method: 'POST', json: { username: 'bank1.admin' } });
      const error = expectError(res, 400, 'INVALID_REQUEST');
      expect(error.details).to.deep.include({
        path: 'body.password',
        message: 'Invalid input: expected string, received undefined',
      });
    });
  });

  describe('POST /users', () => {
    it('when an org admin creates a user in its own org, then 201 with the user and a generated password that works', async () => {
      const res = await call(usersUrl(), {
        method: 'POST',
        token: bankAdmin.token,
        json: { username: 'bank1.auditor', roles: ['AUDITOR'] },
      });
      expect(res.status, res.text).to.equal(201);
      const body = res.body as { user: Record<string, unknown>; initialPassword: string };
      expect(body.user).to.include({ orgMspId: 'Bank1MSP', username: 'bank1.auditor', disabled: false });
      expect(body.user).not.to.have.property('password');
      expect(res.headers.get('location')).to.equal(`/api/v1/users/${String(body.user.id)}`);
      await login(tg, 'bank1.auditor', body.initialPassword);
    });

    it('when an org admin creates a user in another org, then 403 FORBIDDEN_ORG', async () => {
      const res = await call(usersUrl(), {
        method: 'POST',
        token: bankAdmin.token,
        json: { orgMspId: 'Bank2MSP', username: 'bank2.intruder', roles: ['ORG_ADMIN'] },
      });
      expectError(res, 403, 'FORBIDDEN_ORG');
      expect(await tg.gateway.deps.users.findByUsername('bank2.intruder')).to.equal(undefined);
    });

    it('when a non-admin creates a user, then 403 FORBIDDEN_ROLE', async () => {
      const res = await call(usersUrl(), {
        method: 'POST',
        token: officer.token,
        json: { username: 'bank1.sneaky', roles: ['ORG_ADMIN'] },
      });
      const error = expectError(res, 403, 'FORBIDDEN_ROLE');
      expect(error.details).to.deep.equal({ required: ['ORG_ADMIN', 'REGULATOR_ADMIN'] });
    });

    it('when a bank admin grants REGULATOR_ADMIN, then 400 INVALID_ROLE', async () => {
      const res = await call(usersUrl(), {
        method: 'POST',
        token: bankAdmin.token,
        json: { username: 'bank1.fake-regulator', roles: ['REGULATOR_ADMIN'] },
      });
      expectError(res, 400, 'INVALID_ROLE');
    });

    it('when the regulator admin creates a regulator user, then 201 in the regulator org', async () => {
      const res = await call(usersUrl(), {
        method: 'POST',
        token: regulatorAdmin.token,
        json: {
          username: 'pboc.supervisor',
          password: 'a-long-enough-password',
          roles: ['REGULATOR_ADMIN', 'AUDITOR'],
        },
      });
      expect(res.status, res.text).to.equal(201);
      expect((res.body as { user: { orgMspId: string } }).user.orgMspId).to.equal('RegulatorMSP');
      expect(res.body).not.to.have.property('initialPassword');
    });

    it('when the username is taken in the same organisation, then 409 USERNAME_TAKEN', async () => {
      const res = await call(usersUrl(), {
        method: 'POST',
        token: bankAdmin.token,
        json: { username: 'BANK1.ADMIN', roles: ['AUDITOR'] },
      });
      expectError(res, 409, 'USERNAME_TAKEN');
    });

    it("when another organisation's user has the username, then it is created (no cross-organisation oracle)", async () => {
      const res = await call(usersUrl(), {
        method: 'POST',
        token: regulatorAdmin.token,
        json: { username: 'BANK1.ADMIN', roles: ['AUDITOR'] },
      });
      expect(res.status, res.text).to.equal(201);
      expect((res.body as { user: { orgMspId: string } }).user.orgMspId).to.equal('RegulatorMSP');
    });

    it('when the body has an unknown role and a short password, then 400 INVALID_REQUEST listing both', async () => {
      const res = await call(usersUrl(), {
        method: 'POST',
        token: bankAdmin.token,
        json: { username: 'bank1.bad', password: 'short', roles: ['ROOT'] },
      });
      const error = expectError(res, 400, 'INVALID_REQUEST');
      const paths = (error.details as { path: string }[]).map((d) => d.path);
      expect(paths).to.have.members(['body.password', 'body.roles.0']);
    });

    it('when the body has an unknown field, then 400 INVALID_REQUEST', async () => {
      const res = await call(usersUrl(), {
        method: 'POST',
        token: bankAdmin.token,
        json: { username: 'bank1.extra', roles: ['AUDITOR'], isRoot: true },
      });
      expectError(res, 400, 'INVALID_REQUEST');
    });
  });

  describe('GET /users', () => {
    it('when an org admin lists users, then only its own org is returned, paginated by cursor', async () => {
      const first = await call(`${usersUrl()}?limit=2`, { token: bankAdmin.token });
      expect(first.status, first.text).to.equal(200);
      const page1 = first.body as {
        items: { username: string; orgMspId: string }[];
        nextCursor: string | null;
      };
      expect(page1.items).to.have.length(2);
      expect(page1.nextCursor).to.be.a('string');
      const all = [...page1.items];
      let cursor = page1.nextCursor;
      while (cursor !== null) {
        const next = await call(`${usersUrl()}?limit=2&cursor=${cursor}`, { token: bankAdmin.token });
        expect(next.status, next.text).to.equal(200);
        const page = next.body as typeof page1;
        all.push(...page.items);
        cursor = page.nextCursor;
      }
      expect(all.every((u) => u.orgMspId === 'Bank1MSP')).to.equal(true);
      const names = all.map((u) => u.username);
      expect(names).to.deep.equal([...names].sort());
      expect(names).to.include.members(['bank1.admin', 'bank1.officer']);
      expect(names).not.to.include('pboc.admin');
    });

    it('when limit exceeds the cap, then 400 PAGE_SIZE_TOO_LARGE', async () => {
      const res = await call(`${usersUrl()}?limit=101`, { token: bankAdmin.token });
      const error = expectError(res, 400, 'PAGE_SIZE_TOO_LARGE');
      expect(error.details).to.deep.equal([
        { path: 'query.limit', message: 'page size 101 exceeds the maximum of 100' },
      ]);
    });

    it('when limit is not a positive integer, then 400 INVALID_REQUEST', async () => {
      expectError(await call(`${usersUrl()}?limit=0`, { token: bankAdmin.token }), 400, 'INVALID_REQUEST');
      expectError(await call(`${usersUrl()}?limit=abc`, { token: bankAdmin.token }), 400, 'INVALID_REQUEST');
    });

    it('when the cursor is not one of ours, then 400 INVALID_CURSOR', async () => {
      const foreign = Buffer.from(JSON.stringify({ k: 'RegulatorMSP\u0000pboc.admin' })).toString(
        'base64url',
      );
      expectError(
        await call(`${usersUrl()}?cursor=${foreign}`, { token: bankAdmin.token }),
        400,
        'INVALID_CURSOR',
      );
      expectError(
        await call(`${usersUrl()}?cursor=bm90LWpzb24`, { token: bankAdmin.token }),
        400,
        'INVALID_CURSOR',
      );
    });

    it('when a loan officer lists users, then 403 FORBIDDEN_ROLE', async () => {
      expectError(await call(usersUrl(), { token: officer.token }), 403, 'FORBIDDEN_ROLE');
    });
  });

  describe('POST /users/{id}/disable', () => {
    it('when an admin disables a user of its org, then the user can no longer log in and its token stops working', async () => {
      const victim = await userWithToken(tg, 'Bank1MSP', 'bank1.leaver', ['DATA_OFFICER']);
      const res = await call(`${usersUrl()}/${victim.id}/disable`, {
        method: 'POST',
        token: bankAdmin.token,
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ id: victim.id, disabled: true });
      const relogin = await call(`${tg.url}/api/v1/auth/token`, {
        method: 'POST',
        json: { username: 'bank1.leaver', password: victim.password },
      });
      expectError(relogin, 401, 'UNAUTHENTICATED');
      const admin2 = await userWithToken(tg, 'Bank1MSP', 'bank1.admin2', ['ORG_ADMIN']);
      // Its token works (and its record is now in the gateway's user cache) until the disable.
      expect((await call(usersUrl(), { token: admin2.token })).status).to.equal(200);
      await call(`${usersUrl()}/${admin2.id}/disable`, { method: 'POST', token: bankAdmin.token });
      expectError(await call(usersUrl(), { token: admin2.token }), 401, 'UNAUTHENTICATED');
    });

    it('when an admin disables a user of another org, then 404 USER_NOT_FOUND and nothing changes', async () => {
      const res = await call(`${usersUrl()}/${regulatorAdmin.id}/disable`, {
        method: 'POST',
        token: bankAdmin.token,
      });
      expectError(res, 404, 'USER_NOT_FOUND');
      expect((await tg.gateway.deps.users.get(regulatorAdmin.id))?.disabled).to.equal(false);
    });

    it('when an admin disables itself, then 409 CANNOT_DISABLE_SELF', async () => {
      const res = await call(`${usersUrl()}/${bankAdmin.id}/disable`, {
        method: 'POST',
        token: bankAdmin.token,
      });
      expectError(res, 409, 'CANNOT_DISABLE_SELF');
    });

    it('when the id is not a UUID, then 400 INVALID_REQUEST', async () => {
      const res = await call(`${usersUrl()}/nope/disable`, { method: 'POST', token: bankAdmin.token });
      expectError(res, 400, 'INVALID_REQUEST');
    });
  });
});
