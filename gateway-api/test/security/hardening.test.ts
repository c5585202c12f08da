/**
 * Issue 12, items 2, 3, 4, 5, 9, 10 and 17 (cases H2, H3, H4, H5, H9, H10,
 * H17): one request cannot freeze the gateway, consent forms and grants stay
 * consistent, SSE streams end with their user, nested JSON is refused
 * cleanly, consent forms are served inert, and the online report verifier
 * hashes exactly what it was given.
 */
import { expect } from 'chai';
import type { ApiResponse } from '../helpers';
import {
  consentForm,
  homestead,
  startSecurityGateway,
  uploadBatch,
  type ConsortiumGateway,
} from './fixture';
import { caseIt } from './recorder';

/** `depth` arrays inside one another around `inner`. */
function nested(depth: number, inner = '1'): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

describe('security: hardening (issue 12 items 2, 3, 4, 5, 9, 10, 17)', () => {
  let g: ConsortiumGateway;

  before(async () => {
    g = await startSecurityGateway();
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-hardening', [homestead(1201), homestead(1202)]);
  });
  after(() => g.stop());

  caseIt(
    'H9',
    'when a JSON body, consent field, batch record, audit line or cursor nests 100,000 (or 65) levels deep, then each answers 400 JSON_TOO_DEEP (or its 400 record rule / verify verdict) and no answer echoes an internal message',
    async (figures) => {
      const deep = nested(100_000);
      const shallowEnough = nested(63); // 64 levels with the enclosing object
      const justTooDeep = nested(65);
      const problems: string[] = [];
      const check = (label: string, res: ApiResponse, status: number, code: string): void => {
        figures.tried += 1;
        const got = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
        if (res.status < 400) figures.acknowledged += 1;
        if (res.status !== status || got !== code || /stack|Maximum call/i.test(res.text)) {
          figures.found += 1;
          problems.push(`${label}: ${res.status} ${res.text.slice(0, 160)}`);
        }
      };
      const json = (path: string, body: string, as: Parameters<ConsortiumGateway['api']>[1] = {}) =>
        g.api(path, {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          body,
          headers: { 'content-type': 'application/json' },
          ...as,
        });
      for (const [depthLabel, text, bounded] of [
        // A batch record is capped in bytes and a cursor in characters: they get the deepest that fits.
        ['100,000 deep', deep, { record: nested(10_000), cursor: nested(700) }],
        ['65 deep', justTooDeep, { record: justTooDeep, cursor: justTooDeep }],
      ] as const) {
        check(
          `${depthLabel}: /reports/verify body`,
          await json('/reports/verify', text),
          400,
          'JSON_TOO_DEEP',
        );
        check(
          `${depthLabel}: /reports/verify report member`,
          await json('/reports/verify', `{"report":${text.slice(1, -1)}}`),
          400,
          'JSON_TOO_DEEP',
        );
        check(
          `${depthLabel}: /provenance/verify record`,
          await json(
            '/provenance/verify',
            `{"record":{"a":${text}},"proof":{"leafIndex":0,"treeSize":1,"path":[]}}`,
          ),
          400,
          'JSON_TOO_DEEP',
        );
        check(`${depthLabel}: /reports body`, await json('/reports', text), 400, 'JSON_TOO_DEEP');
        check(
          `${depthLabel}: /consents JSON`,
          await json('/consents', `{"consentId":"c-deep","extra":${text}}`),
          400,
          'JSON_TOO_DEEP',
        );
        const form = consentForm({});
        form.set('consent', `{"consentId":"c-deep","extra":${text}}`);
        check(
          `${depthLabel}: /consents multipart field`,
          await g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: form }),
          400,
          'JSON_TOO_DEEP',
        );
        const batch = (kind: 'ndjson' | 'json', body: string) =>
          g.api(
            `/datasets/HOMESTEAD/batches?batchId=hs-deep&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z`,
            {
              method: 'POST',
              as: ['land', 'DATA_OFFICER'],
              body,
              headers: { 'content-type': kind === 'ndjson' ? 'application/x-ndjson' : 'application/json' },
            },
          );
        const ndjson = await batch('ndjson', `${JSON.stringify(homestead(1203))}\n{"a":${bounded.record}}\n`);
        check(`${depthLabel}: NDJSON batch line`, ndjson, 400, 'INVALID_RECORD');
        const array = await batch('json', `[${JSON.stringify(homestead(1203))},{"a":${bounded.record}}]`);
        check(`${depthLabel}: JSON array batch element`, array, 400, 'INVALID_RECORD');
        for (const [label, res] of [
          ['NDJSON', ndjson],
          ['array', array],
        ] as const) {
          const rule = (res.body as { error?: { details?: { rule?: string } } }).error?.details?.rule;
          if (rule !== 'JSON_TOO_DEEP') problems.push(`${depthLabel}: ${label} batch rule ${String(rule)}`);
        }
        figures.tried += 1;
        const verified = await g.api('/audit/export/verify', {
          method: 'POST',
          as: ['auditor', 'AUDITOR'],
          body: `{"seq":0,"x":${text}}\n`,
          headers: { 'content-type': 'application/x-ndjson' },
        });
        const verdict = verified.body as { ok?: boolean; reason?: string } | undefined;
        if (verified.status !== 200 || verdict?.ok !== false || verdict.reason !== 'MALFORMED') {
          figures.found += 1;
          problems.push(
            `${depthLabel}: audit export verify ${verified.status} ${verified.text.slice(0, 160)}`,
          );
        }
        const cursor = Buffer.from(bounded.cursor).toString('base64url');
        check(
          `${depthLabel}: cursor`,
          await g.api(`/audit/accesses?cursor=${cursor}`, { as: ['auditor', 'AUDITOR'] }),
          400,
          'INVALID_CURSOR',
        );
      }
      // Control: 64 levels are within the limit, so the answer is about the content, not the depth.
      const control = await json('/reports/verify', `{"report":${shallowEnough}}`);
      expect(control.status, control.text).to.equal(400);
      expect((control.body as { error: { code: string } }).error.code).to.equal('INVALID_REQUEST');
      figures.notes.push(
        'limit 64 levels; a 64-deep report member is judged on its content (400 INVALID_REQUEST)',
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );
});
