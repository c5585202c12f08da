import { expect } from 'chai';
import { z } from 'zod';
import type { FeatureModule } from '../../src/feature';
import { redact, REDACTED_SUBJECT_ID } from '../../src/http/logger';
import { call, memoryLogger, startGateway, userWithToken, type TestGateway } from '../helpers';

describe('logging', () => {
  describe('redact', () => {
    it('when a string holds resident IDs or credit codes, then each is masked', () => {
      expect(redact('id 11010519491231002X and 110105194912310021.')).to.equal(
        `id ${REDACTED_SUBJECT_ID} and ${REDACTED_SUBJECT_ID}.`,
      );
      expect(redact('/api/v1/consents?subjectId=91350100M000100Y43')).to.equal(
        `/api/v1/consents?subjectId=${REDACTED_SUBJECT_ID}`,
      );
      expect(redact('lower-case 11010519491231002x too')).to.equal(`lower-case ${REDACTED_SUBJECT_ID} too`);
    });

    it('when a string holds hashes, UUIDs or shorter numbers, then it is unchanged', () => {
      const text = `tx ${'ab'.repeat(32)} req 3f2c1d8e-0000-4000-8000-123456789abc n 12345678901234567 long 1101051949123100211`;
      expect(redact(text)).to.equal(text);
    });
  });

  describe('logger', () => {
    it('when fields contain subject IDs, then lines are masked JSON with time and level', () => {
      const { logger, lines, raw } = memoryLogger();
      logger
        .child({ component: 'test' })
        .info('looked up 11010519491231002X', { nested: { ids: ['91350100M000100Y43'] } });
      expect(raw.join('')).not.to.match(/11010519491231002X|91350100M000100Y43/);
      expect(lines[0]).to.include({
        level: 'info',
        component: 'test',
        msg: `looked up ${REDACTED_SUBJECT_ID}`,
      });
      expect(lines[0]?.time).to.match(/^\d{4}-\d\d-\d\dT/);
    });
  });

  describe('request log', () => {
    const echo: FeatureModule = {
      name: 'echo',
      register(router) {
        router.route({
          method: 'post',
          path: '/echo/{subject}',
          summary: 'echo',
          tags: ['test'],
          auth: 'authenticated',
          body: z.object({ secret: z.string() }),
          responses: { 200: { description: 'ok' } },
          handler: () => ({ body: { ok: true } }),
        });
      },
    };
    let tg: TestGateway;
    before(async () => {
      tg = await startGateway({ modules: [echo] });
    });
    after(() => tg.stop());

    it('when a request completes, then one line has reqId, method, path, status, ms and user, and no body or subject ID', async () => {
      const user = await userWithToken(tg, 'Bank1MSP', 'bank1.logger', ['AUDITOR']);
      const res = await call(`${tg.url}/api/v1/echo/11010519491231002X?subjectId=11010519491231002X`, {
        method: 'POST',
        token: user.token,
        json: { secret: 'body-marker-do-not-log' },
        headers: { 'x-request-id': 'log-test-1' },
      });
      expect(res.status, res.text).to.equal(200);
      const lines = tg.logs.filter((l) => l.msg === 'request' && l.reqId === 'log-test-1');
      expect(lines).to.have.length(1);
      const line = lines[0] ?? {};
      expect(line).to.include({
        level: 'info',
        method: 'POST',
        path: `/api/v1/echo/${REDACTED_SUBJECT_ID}`,
        status: 200,
        user: user.id,
      });
      expect(line.ms).to.be.a('number');
      const all = tg.rawLogs.join('\n');
      expect(all).not.to.contain('body-marker-do-not-log');
      expect(all).not.to.contain('11010519491231002X');
    });
  });
});
