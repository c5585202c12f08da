/**
 * Issue 7 case 10: malformed input. A bounded, seeded property-based fuzz
 * (fast-check) of every endpoint the OpenAPI document lists (body, query and
 * path), each called as a user whose role may call it: never a 5xx, every
 * 4xx has the exact error shape and the same code when replayed, and no 4xx
 * changes the ledger (height) or the gateway's own store. Then body limits
 * (413), the page-size cap (400) and the rate limit (429).
 */
import http from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import { leafHash } from '@ruralcredit/protocol';
import type { Role } from '../../src/auth/roles';
import { expectError, type ApiResponse } from '../helpers';
import {
  errorCode,
  grantConsent,
  hasErrorShape,
  height,
  homestead,
  homesteadRight,
  lienBody,
  ok,
  registerAsset,
  residentId,
  startSecurityGateway,
  storeDigest,
  uploadBatch,
  validity,
  type ConsortiumGateway,
  type OrgName,
} from './fixture';
import { caseIt } from './recorder';

/** Endpoints whose body limit is fixed in code rather than configured (16 MiB; a bulk job 4 MiB). */
const FIXED_LIMITS = ['/api/v1/reports/verify', '/api/v1/audit/export/verify', '/api/v1/bulk/jobs'];

const SEED = Number(process.env.SECURITY_FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.SECURITY_FUZZ_RUNS ?? 40);

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly pathParams: string[];
  readonly queryParams: string[];
  readonly contentTypes: string[];
  readonly roles: Role[];
  readonly secured: boolean;
}

/** Who calls an endpoint: a user of an organisation holding one of its roles. */
const CALLER: Record<Role, [OrgName, Role]> = {
  LOAN_OFFICER: ['bankA', 'LOAN_OFFICER'],
  DATA_OFFICER: ['land', 'DATA_OFFICER'],
  ORG_ADMIN: ['bankA', 'ORG_ADMIN'],
  AUDITOR: ['auditor', 'AUDITOR'],
  REGULATOR_ADMIN: ['regulator', 'REGULATOR_ADMIN'],
};

/** Strings that have broken parsers before. */
const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u{10ffff}',
  '~',
  '!',
  '/',
  '../../etc/passwd',
  '%',
  '%00',
  '%2F',
  '\\',
  "'; DROP TABLE x; --",
  '<script>alert(1)</script>',
  '${7*7}',
  '__proto__',
  'constructor',
  'prototype',
  'e\u0301',
  '\u202e',
  '\ud83d\ude00',
  'x'.repeat(300),
  '-1',
  '0',
  '1e309',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  '9'.repeat(40),
  '2026-13-45T99:99:99Z',
];

/** A real response, reading the body unless it is an event stream. */
async function send(
  url: string,
  init: { method: string; token?: string; body?: string; contentType?: string },
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  const controller = new AbortController();
  const res = await fetch(url, {
    method: init.method,
    headers,
    signal: controller.signal,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    controller.abort();
    return { status: res.status, headers: res.headers, body: undefined, text: '' };
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Encodes a path segment; strings that cannot be URI-encoded (lone surrogates) are escaped as text. */
function segment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(JSON.stringify(value));
  }
}

/** A raw HTTP request declaring a Content-Length it never sends in full; resolves with the status. */
function declaredLength(
  url: string,
  method: string,
  token: string | undefined,
  contentType: string,
  length: number,
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: {
          'content-type': contentType,
          'content-length': String(length),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (err) => {
      // The server may close the connection after answering; the answer already arrived.
      if (
        (err as NodeJS.ErrnoException).code !== 'ECONNRESET' &&
        (err as NodeJS.ErrnoException).code !== 'EPIPE'
      )
        reject(err);
    });
    req.write('['.repeat(16));
  });
}

describe('security: malformed input (issue 7 case 10)', () => {
  let g: ConsortiumGateway;
  let operations: Operation[];
  let lienId: string;
  const LIMITS = {
    GATEWAY_JSON_BODY_LIMIT: '4096',
    GATEWAY_BATCH_BODY_LIMIT: '16384',
    GATEWAY_UPLOAD_LIMIT: '8192',
    GATEWAY_PAGE_SIZE_CAP: '50',
  };

  before(async () => {
    g = await startSecurityGateway(LIMITS);
    // Some real objects, so that fuzzed IDs sometimes reach deeper code.
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-fuzz', [homestead(1001), homestead(1002)]);
    await grantConsent(g, 'bankA', {
      consentId: 'c-fuzz',
      subjectId: residentId(1001),
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
    await grantConsent(g, 'bankA', {
      consentId: 'col-fuzz',
      subjectId: residentId(1002),
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    await registerAsset(g, 'land', homesteadRight('HS-FUZZ', residentId(1002)));
    lienId = ok<{ lien: { lienId: string } }>(
      await g.api('/liens', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: lienBody('HOMESTEAD_RIGHT:HS-FUZZ', 'col-fuzz'),
      }),
    ).lien.lienId;
    const doc = (await g.api('/openapi.json')).body as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { in: string; name: string }[];
            requestBody?: { content: Record<string, unknown> };
            security?: unknown[];
            'x-roles'?: Role[];
          }
        >
      >;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        contentTypes: Object.keys(op.requestBody?.content ?? {}),
        roles: op['x-roles'] ?? [],
        secured: (op.security ?? []).length > 0,
      })),
    );
  });
  after(() => g.stop());

  /** Valid-looking bodies to mutate, by operation. */
  const templates = (): Record<string, unknown> => ({
    'POST /api/v1/auth/token': { username: 'banka.loan_officer', password: 'wrong-password' },
    'POST /api/v1/users': { username: 'fuzz.user', password: 'a-long-password-1', roles: ['LOAN_OFFICER'] },
    'POST /api/v1/datasets/{type}/batches': [homestead(1003)],
    'POST /api/v1/provenance/verify': {
      record: homestead(1001),
      proof: { leafIndex: 0, treeSize: 2, path: [leafHash(homestead(1002)).toString('hex')] },
      batchId: 'hs-fuzz',
    },
    'POST /api/v1/consents': {
      consentId: 'c-fuzz-new',
      subjectId: residentId(1003),
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      ...validity(),
      subjectSignature: `0x${'1'.repeat(130)}`,
    },
    'POST /api/v1/consents/{id}/revoke': { reason: 'BANK_REQUEST' },
    'POST /api/v1/reports': {
      subjectId: residentId(1001),
      consentId: 'c-fuzz',
      datasets: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    },
    'POST /api/v1/reports/verify': { report: { reportId: 'r', version: 1 } },
    'POST /api/v1/assets': homesteadRight('HS-FUZZ-NEW', residentId(1003)),
    'POST /api/v1/assets/batch': { assets: [homesteadRight('HS-FUZZ-BATCH', residentId(1003))] },
    'POST /api/v1/liens': lienBody('HOMESTEAD_RIGHT:HS-FUZZ', 'col-fuzz'),
    'POST /api/v1/assets/{id}/seizure': { orderRef: 'ord-fuzz' },
    'POST /api/v1/assets/{id}/transfer': { newOwnerSubjectId: residentId(1003) },
    'POST /api/v1/disputes': {
      subjectId: residentId(1001),
      datasetType: 'HOMESTEAD',
      batchId: 'hs-fuzz',
      recordHash: leafHash(homestead(1001)).toString('hex'),
      consentId: 'c-fuzz',
      reason: 'WRONG_VALUE',
    },
    'POST /api/v1/disputes/{id}/resolution': { outcome: 'UPHELD', note: 'checked' },
    'POST /api/v1/audit/export/verify': '{"seq":0}',
    'POST /api/v1/subjects/pseudonym': { subjectId: residentId(1001) },
    // A ristretto255 element (the base point), as a member's gateway would send blinded.
    'POST /api/v1/pseudonyms/evaluate': { blinded: ['4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY='] },
    'POST /api/v1/subjects/signers': {
      subjectId: residentId(1001),
      consentId: 'c-fuzz',
      address: `0x${'1'.repeat(40)}`,
      signature: `0x${'1'.repeat(130)}`,
      kyc: { evidenceDigest: '0'.repeat(64) },
    },
    'POST /api/v1/subjects/signers/replacement': {
      subjectId: residentId(1001),
      address: `0x${'1'.repeat(40)}`,
      signature: `0x${'1'.repeat(130)}`,
      reason: 'LOST_KEY',
      kyc: { evidenceDigest: '0'.repeat(64) },
    },
    'POST /api/v1/subjects/signers/rotation': {
      subject: '0'.repeat(64),
      address: `0x${'1'.repeat(40)}`,
      signature: `0x${'1'.repeat(130)}`,
      rotationSignature: `0x${'1'.repeat(130)}`,
    },
    'POST /api/v1/subjects/revocations': { consentId: 'c-fuzz', signature: `0x${'1'.repeat(130)}` },
  });

  const nastyString = fc.oneof(
    fc.constantFrom(...NASTY),
    fc.string({ maxLength: 24 }),
    fc.string({ unit: 'binary', maxLength: 24 }),
  );
  const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nastyString, fc.double(), fc.integer());

  /** A body: a mutated template, arbitrary JSON, or text that is not JSON at all. */
  function bodyArb(template: unknown): fc.Arbitrary<{ text: string; contentType: string }> {
    const json = (v: unknown) => ({ text: JSON.stringify(v) ?? 'null', contentType: 'application/json' });
    const mutated =
      template !== null &&
      typeof template === 'object' &&
      !Array.isArray(template) &&
      Object.keys(template).length > 0
        ? fc
            .tuple(
              fc.oneof(fc.constantFrom(...Object.keys(template)), nastyString),
              fc.oneof(anyJson, fc.constant(undefined)),
            )
            .map(([k, v]) => {
              const copy: Record<string, unknown> = { ...(template as Record<string, unknown>) };
              if (v === undefined) delete copy[k];
              else copy[k] = v;
              return json(copy);
            })
        : fc
            .array(anyJson, { maxLength: 3 })
            .map((a) => json(Array.isArray(template) ? [...(template as unknown[]), ...a] : a));
    return fc.oneof(
      mutated,
      anyJson.map(json),
      fc.string({ maxLength: 60 }).map((text) => ({ text, contentType: 'application/json' })),
      fc
        .tuple(
          fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data', 'application/x-ndjson'),
          nastyString,
        )
        .map(([contentType, text]) => ({ text, contentType })),
    );
  }

  caseIt(
    '10',
    `when every endpoint gets ${RUNS} seeded random bodies, queries and paths (seed ${SEED}) as a permitted user, then never a 5xx, every 4xx has the exact error shape and the same code on replay, and no 4xx changes the ledger or the gateway store`,
    async (figures) => {
      const known = ['c-fuzz', 'col-fuzz', 'hs-fuzz', 'HOMESTEAD_RIGHT:HS-FUZZ', lienId, 'HOMESTEAD'];
      const problems: string[] = [];
      const codes = new Map<string, Set<string>>();
      const bodies = templates();
      let denialsRecorded = 0;
      const started = Date.now();
      for (const [opIndex, op] of operations.entries()) {
        const key = `${op.method} ${op.path}`;
        const caller =
          op.roles.length > 0 ? CALLER[op.roles[0]!] : op.secured ? CALLER.LOAN_OFFICER : undefined;
        const token = caller === undefined ? undefined : await g.token(caller[0], caller[1]);
        const runs = op.path === '/api/v1/auth/token' ? 10 : RUNS;
        const inputs = fc.sample(
          fc.record({
            params: fc.array(fc.oneof(nastyString, fc.constantFrom(...known)), {
              minLength: op.pathParams.length,
              maxLength: op.pathParams.length,
            }),
            query: fc.dictionary(
              fc.oneof(fc.constantFrom(...op.queryParams, 'x'), nastyString),
              nastyString,
              {
                maxKeys: 3,
              },
            ),
            body: bodyArb(bodies[key] ?? {}),
          }),
          { seed: SEED + opIndex, numRuns: runs },
        );
        for (const input of inputs) {
          let path = op.path;
          op.pathParams.forEach((name, i) => {
            path = path.replace(`{${name}}`, segment(input.params[i] ?? ''));
          });
          const query = new URLSearchParams();
          for (const [k, v] of Object.entries(input.query)) {
            try {
              query.append(k, v);
            } catch {
              query.append('x', 'y');
            }
          }
          let url = `${g.url}${path}`;
          if ([...query.keys()].length > 0) url += `?${query.toString()}`;
          const withBody = op.contentTypes.length > 0;
          const request = {
            method: op.method,
            ...(token === undefined ? {} : { token }),
            ...(withBody ? { body: input.body.text, contentType: input.body.contentType } : {}),
          };
          const before = await height(g);
          let res: ApiResponse;
          try {
            res = await send(url, request);
          } catch (err) {
            problems.push(`${key} ${url}: request failed: ${(err as Error).message}`);
            continue;
          }
          figures.tried += 1;
          const label = `${key} ${url.slice(g.url.length, g.url.length + 120)} body=${(request.body ?? '').slice(0, 80)}`;
          if (res.status >= 500) {
            problems.push(`${label}: ${res.status} ${res.text.slice(0, 200)}`);
            continue;
          }
          if (res.status < 400) {
            figures.acknowledged += 1;
            continue;
          }
          const code = errorCode(res);
          if (!hasErrorShape(res))
            problems.push(`${label}: ${res.status} without the error shape: ${res.text.slice(0, 200)}`);
          codes.set(key, (codes.get(key) ?? new Set()).add(`${res.status} ${code}`));
          const after = await height(g);
          if (code === 'ACCESS_DENIED' && after === before + 1) {
            // A refused report request is recorded on the ledger by design (every query is audited).
            denialsRecorded += 1;
            continue;
          }
          if (after !== before)
            problems.push(`${label}: ${res.status} ${code} but the ledger grew by ${after - before}`);
          // Stable code: the same request answers the same status and code. (Login has its own rate limit.)
          if (op.path !== '/api/v1/auth/token') {
            const again = await send(url, request);
            if (again.status !== res.status || errorCode(again) !== code)
              problems.push(`${label}: ${res.status} ${code}, replayed ${again.status} ${errorCode(again)}`);
          }
        }
      }
      figures.found = problems.length;
      figures.notes.push(
        `seed ${SEED}, ${operations.length} operations, ${figures.tried} requests in ${Date.now() - started} ms; ` +
          `2xx ${figures.acknowledged}; refused reports recorded on the ledger by design: ${denialsRecorded}`,
        `codes seen: ${[...new Set([...codes.values()].flatMap((s) => [...s]))].sort().join(', ')}`,
      );
      expect(
        problems.slice(0, 30),
        `${problems.length} problems:\n${problems.slice(0, 30).join('\n')}`,
      ).to.deep.equal([]);
    },
  );

  caseIt(
    '10',
    'when 4xx-only fuzzing hits the write endpoints, then the gateway store (LevelDB) and the ledger are byte-for-byte unchanged',
    async (figures) => {
      const snapshot = () => storeDigest(g);
      const writes = operations.filter(
        (op) =>
          op.method !== 'GET' &&
          !op.path.endsWith('/verify') &&
          !op.path.startsWith('/api/v1/auth') &&
          !op.path.startsWith('/api/v1/users'),
      );
      const beforeStore = await snapshot();
      const beforeHeight = await height(g);
      let fourxx = 0;
      for (const op of writes) {
        const caller = CALLER[op.roles[0] ?? 'LOAN_OFFICER'];
        const token = await g.token(caller[0], caller[1]);
        let path = op.path;
        for (const name of op.pathParams) path = path.replace(`{${name}}`, 'no-such-object');
        for (const body of ['{', '[]', '{"unknown":1}', 'null', '"x"', '{"__proto__":{"admin":true}}']) {
          figures.tried += 1;
          const res = await send(`${g.url}${path}`, {
            method: op.method,
            token,
            ...(op.contentTypes.length > 0 ? { body, contentType: op.contentTypes[0] } : {}),
          });
          if (res.status < 400) figures.acknowledged += 1;
          else fourxx += 1;
          expect(res.status, `${op.method} ${path} ${body}: ${res.text}`).to.be.within(400, 499);
        }
      }
      const changed = Number((await snapshot()) !== beforeStore) + ((await height(g)) - beforeHeight);
      figures.found = changed;
      figures.notes.push(`${writes.length} write endpoints x 6 malformed bodies: ${fourxx} answers 4xx`);
      expect(changed, 'store or ledger changed').to.equal(0);
    },
  );

  caseIt(
    '10',
    'when a body is over its limit (JSON 4 KiB, batch 16 KiB, upload 8 KiB), sent with or without Content-Length, then 413 PAYLOAD_TOO_LARGE and nothing is written',
    async (figures) => {
      const withBodies = operations.filter((op) => op.contentTypes.length > 0);
      const start = await height(g);
      const problems: string[] = [];
      for (const op of withBodies) {
        const caller =
          op.roles.length > 0 ? CALLER[op.roles[0]!] : op.secured ? CALLER.LOAN_OFFICER : undefined;
        const token = caller === undefined ? undefined : await g.token(caller[0], caller[1]);
        let path = op.path;
        for (const name of op.pathParams)
          path = path.replace(`{${name}}`, name === 'type' ? 'HOMESTEAD' : 'x1');
        if (op.path.endsWith('/batches'))
          path += '?periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T00:00:00Z';
        const contentType = op.contentTypes[0]!;
        const big = `[${'"x",'.repeat(16 * 1024)}"x"]`;
        // With Content-Length (fetch sets it for a string body). The two verify endpoints take
        // whole reports and exports, with fixed limits (16 MiB each): declared length only.
        if (!FIXED_LIMITS.includes(op.path)) {
          figures.tried += 1;
          const res = await send(`${g.url}${path}`, {
            method: op.method,
            ...(token === undefined ? {} : { token }),
            body: big,
            contentType,
          });
          if (res.status < 300) figures.acknowledged += 1;
          if (res.status !== 413 || errorCode(res) !== 'PAYLOAD_TOO_LARGE' || !hasErrorShape(res))
            problems.push(
              `${op.method} ${op.path} (${big.length} bytes, Content-Length): ${res.status} ${res.text.slice(0, 120)}`,
            );
          // Chunked, without Content-Length: the limit holds on the bytes actually read.
          figures.tried += 1;
          const chunked = await fetch(`${g.url}${path}`, {
            method: op.method,
            headers: {
              'content-type': contentType,
              ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
            },
            body: new Blob([big]).stream(),
            duplex: 'half',
          });
          const text = await chunked.text();
          if (chunked.status < 300) figures.acknowledged += 1;
          if (chunked.status !== 413)
            problems.push(`${op.method} ${op.path} (chunked): ${chunked.status} ${text.slice(0, 120)}`);
        }
        // A declared Content-Length over the limit is refused before the body is read.
        figures.tried += 1;
        const declared = await declaredLength(
          `${g.url}${path}`,
          op.method,
          token,
          contentType,
          300 * 1024 * 1024,
        );
        if (declared.status !== 413)
          problems.push(
            `${op.method} ${op.path} (declared 300 MiB): ${declared.status} ${declared.text.slice(0, 120)}`,
          );
      }
      figures.found = problems.length + ((await height(g)) - start);
      figures.notes.push(
        `${withBodies.length} endpoints with bodies; ${FIXED_LIMITS.join(' and ')} have fixed limits (16 MiB, 16 MiB, 4 MiB): checked by declared length only`,
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(await height(g)).to.equal(start);
    },
  );

  /** Lists whose query has a required parameter besides the page: a valid value for it. */
  const REQUIRED_QUERY: Record<string, string> = { '/api/v1/batches': 'datasetType=HOMESTEAD&' };

  caseIt(
    '10',
    'when a list endpoint is asked for a page over the cap (50) or a nonsense page size, then 400: PAGE_SIZE_TOO_LARGE over the cap, one stable code per input across endpoints',
    async (figures) => {
      // A bulk job's `limit` is how many subjects one response records and streams, not a page size.
      const lists = operations.filter(
        (op) => op.queryParams.includes('limit') && op.path !== '/api/v1/bulk/jobs/{jobId}/lines',
      );
      const problems: string[] = [];
      const codesByInput = new Map<string, Set<string>>();
      for (const op of lists) {
        const caller = op.roles.length > 0 ? CALLER[op.roles[0]!] : CALLER.LOAN_OFFICER;
        for (const limit of ['51', '1000', '1001', '1e3', '0', '-1', '1.5', 'abc', '']) {
          figures.tried += 1;
          const res = await g.api(
            `${op.path.slice('/api/v1'.length)}?${REQUIRED_QUERY[op.path] ?? ''}limit=${limit}`,
            {
              as: caller,
            },
          );
          if (res.status < 300) figures.acknowledged += 1;
          if (res.status !== 400 || !hasErrorShape(res))
            problems.push(`${op.path}?limit=${limit}: ${res.status} ${res.text}`);
          codesByInput.set(limit, (codesByInput.get(limit) ?? new Set()).add(errorCode(res)));
        }
        figures.tried += 1;
        const atCap = await g.api(
          `${op.path.slice('/api/v1'.length)}?${REQUIRED_QUERY[op.path] ?? ''}limit=50`,
          {
            as: caller,
          },
        );
        if (atCap.status !== 200) problems.push(`${op.path}?limit=50 (the cap): ${atCap.status}`);
      }
      for (const limit of ['51', '1000', '1001', '1e3']) {
        if ([...(codesByInput.get(limit) ?? [])].join() !== 'PAGE_SIZE_TOO_LARGE')
          problems.push(`limit=${limit}: codes ${[...(codesByInput.get(limit) ?? [])].join()}`);
      }
      for (const [limit, codes] of codesByInput) {
        if (codes.size !== 1) problems.push(`limit=${limit}: codes differ by endpoint: ${[...codes].join()}`);
      }
      figures.found = problems.length;
      figures.notes.push(
        `${lists.map((op) => op.path).join(', ')}; ` +
          [...codesByInput].map(([l, c]) => `limit=${l || '(empty)'}: ${[...c].join()}`).join('; '),
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );

  caseIt(
    '10',
    'when a user goes over GATEWAY_RATE_LIMIT_PER_MINUTE=5, then 429 RATE_LIMITED with Retry-After; other users are unaffected',
    async (figures) => {
      const limited = await startSecurityGateway({ GATEWAY_RATE_LIMIT_PER_MINUTE: '5' });
      try {
        const statuses: number[] = [];
        let last: ApiResponse | undefined;
        for (let i = 0; i < 8; i++) {
          figures.tried += 1;
          last = await limited.api('/consents', { as: ['bankA', 'LOAN_OFFICER'] });
          statuses.push(last.status);
          if (last.status < 300) figures.acknowledged += 1;
        }
        figures.notes.push(`statuses: ${statuses.join(' ')}`);
        expect(statuses.slice(0, 5)).to.deep.equal([200, 200, 200, 200, 200]);
        expect(statuses.slice(5)).to.deep.equal([429, 429, 429]);
        expectError(last!, 429, 'RATE_LIMITED');
        expect(Number(last!.headers.get('retry-after')), 'Retry-After').to.be.within(1, 60);
        figures.tried += 1;
        const other = await limited.api('/consents', { as: ['bankB', 'LOAN_OFFICER'] });
        expect(other.status, 'another user').to.equal(200);
        figures.acknowledged += 1;
        figures.notes.push(`429 answers: ${statuses.filter((s) => s === 429).length}`);
      } finally {
        await limited.stop();
      }
    },
  );

  // Regression test for a bug this suite found (fixed).
  caseIt(
    '10',
    'when a JSON consent over the JSON limit (4 KiB) but under the upload limit (8 KiB) is sent chunked, then 413 PAYLOAD_TOO_LARGE',
    async () => {
      const token = await g.token('bankA', 'LOAN_OFFICER');
      const body = JSON.stringify({
        ...(templates()['POST /api/v1/consents'] as object),
        pad: 'x'.repeat(6000),
      });
      const res = await fetch(`${g.url}/api/v1/consents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: new Blob([body]).stream(),
        duplex: 'half',
      });
      expect(res.status, await res.text()).to.equal(413);
    },
  );
});
