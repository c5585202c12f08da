import path from 'node:path';
import { expect } from 'chai';
import { Level } from 'level';
import { z } from 'zod';
import { ensureDemoUsers } from '../src/auth/demo-users';
import { loadConfig } from '../src/config';
import type { FeatureModule } from '../src/feature';
import { silentLogger } from '../src/http/logger';
import { createGateway } from '../src/server';
import { call, expectError, login, startGateway, tempDir, testEnv, userWithToken } from './helpers';

describe('createGateway', () => {
  it('when started on port 0 and stopped, then it serves in between and runs shutdown hooks once', async () => {
    const { dir, cleanup } = await tempDir();
    const db = new Level<string, unknown>(path.join(dir, 'db'), { valueEncoding: 'json' });
    await db.open();
    const calls: string[] = [];
    const hooks: FeatureModule = {
      name: 'hooks',
      register(_router, deps) {
        deps.onShutdown(() => void calls.push('first'));
        deps.onShutdown(() => void calls.push('second'));
      },
    };
    const gateway = createGateway({
      config: loadConfig(testEnv(dir)),
      db,
      logger: silentLogger(),
      modules: [hooks],
    });
    try {
      const { port, url } = await gateway.start();
      expect(port).to.be.greaterThan(0);
      expect(url).to.equal(`http://127.0.0.1:${port}`);
      expect((await call(`${url}/healthz`)).status).to.equal(200);
      await Promise.all([gateway.stop(), gateway.stop()]);
      expect(calls).to.deep.equal(['second', 'first']);
      let refused = false;
      await fetch(`${url}/healthz`).catch(() => (refused = true));
      expect(refused, 'connection refused after stop').to.equal(true);
    } finally {
      await db.close();
      await cleanup();
    }
  });

  it('when a feature module plugs in a router, then its routes get auth, role guard, validation and typed inputs', async () => {
    const Note = z.object({ text: z.string().min(1).max(100) }).strict();
    const notes: FeatureModule = {
      name: 'notes',
      register(router, deps) {
        const store = deps.sealedStore('notes', Note);
        router.route({
          method: 'put',
          path: '/notes/{noteId}',
          summary: 'Store a note',
          tags: ['notes'],
          auth: ['DATA_OFFICER'],
          params: z.object({ noteId: z.string().regex(/^[a-z0-9-]{1,32}$/) }),
          body: Note,
          responses: { 204: { description: 'Stored' } },
          async handler({ params, body, principal }) {
            await store.put(`${principal.orgMspId}/${params.noteId}`, body);
            return { status: 204 };
          },
        });
        router.route({
          method: 'get',
          path: '/notes/{noteId}',
          summary: 'Read a note',
          tags: ['notes'],
          auth: 'authenticated',
          responses: { 200: { description: 'The note', schema: Note } },
          async handler({ params, principal }) {
            const note = await store.get(`${principal.orgMspId}/${params.noteId}`);
            if (note === undefined)
              throw new (await import('../src/http/errors')).AppError(404, 'NOTE_NOT_FOUND', 'no such note');
            return { body: note };
          },
        });
      },
    };
    const tg = await startGateway({ modules: [notes] });
    try {
      const officer = await userWithToken(tg, 'Bank1MSP', 'bank1.data', ['DATA_OFFICER']);
      const auditor = await userWithToken(tg, 'Bank1MSP', 'bank1.audit', ['AUDITOR']);
      const other = await userWithToken(tg, 'Bank2MSP', 'bank2.audit', ['AUDITOR']);
      const url = `${tg.url}/api/v1/notes/n-1`;
      expectError(await call(url, { method: 'PUT', json: { text: 'hi' } }), 401, 'UNAUTHENTICATED');
      expectError(
        await call(url, { method: 'PUT', token: auditor.token, json: { text: 'hi' } }),
        403,
        'FORBIDDEN_ROLE',
      );
      expectError(
        await call(url, { method: 'PUT', token: officer.token, json: { text: '' } }),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await call(`${tg.url}/api/v1/notes/BAD_ID`, {
          method: 'PUT',
          token: officer.token,
          json: { text: 'x' },
        }),
        400,
        'INVALID_REQUEST',
      );
      const put = await call(url, { method: 'PUT', token: officer.token, json: { text: 'hello' } });
      expect(put.status, put.text).to.equal(204);
      expect(put.text).to.equal('');
      const got = await call(url, { token: auditor.token });
      expect(got.status).to.equal(200);
      expect(got.body).to.deep.equal({ text: 'hello' });
      expectError(await call(url, { token: other.token }), 404, 'NOTE_NOT_FOUND');
    } finally {
      await tg.stop();
    }
  });

  it('when two modules declare the same route, then createGateway throws naming the module', async () => {
    const dup = (name: string): FeatureModule => ({
      name,
      register(router) {
        router.route({
          method: 'get',
          path: '/dup',
          summary: 'dup',
          tags: [],
          auth: 'public',
          responses: { 200: { description: 'x' } },
          handler: () => ({ body: {} }),
        });
      },
    });
    const { dir, cleanup } = await tempDir();
    const db = new Level<string, unknown>(path.join(dir, 'db'), { valueEncoding: 'json' });
    await db.open();
    try {
      expect(() =>
        createGateway({
          config: loadConfig(testEnv(dir)),
          db,
          logger: silentLogger(),
          modules: [dup('a'), dup('b')],
        }),
      ).to.throw(/feature module b failed to register: route GET \/api\/v1\/dup is registered twice/);
    } finally {
      await db.close();
      await cleanup();
    }
  });

  it('when demo users are ensured twice, then each role has a working login and the second run re-keys them', async () => {
    const tg = await startGateway();
    try {
      const users = tg.gateway.deps.users;
      const orgs = [
        { mspId: 'RegulatorMSP' },
        { mspId: 'Bank1MSP', roles: ['LOAN_OFFICER', 'ORG_ADMIN'] as const },
      ];
      const first = await ensureDemoUsers(users, orgs, 'RegulatorMSP');
      expect(first.map((l) => l.username)).to.deep.equal([
        'regulator.org-admin',
        'regulator.loan-officer',
        'regulator.data-officer',
        'regulator.auditor',
        'regulator.regulator-admin',
        'bank1.loan-officer',
        'bank1.org-admin',
      ]);
      const second = await ensureDemoUsers(users, orgs, 'RegulatorMSP');
      const login2 = second.find((l) => l.username === 'bank1.loan-officer');
      await login(tg, 'bank1.loan-officer', login2?.password ?? '');
      const stale = await call(`${tg.url}/api/v1/auth/token`, {
        method: 'POST',
        json: {
          username: 'bank1.loan-officer',
          password: first.find((l) => l.username === 'bank1.loan-officer')?.password,
        },
      });
      expectError(stale, 401, 'UNAUTHENTICATED');
    } finally {
      await tg.stop();
    }
  });
});
