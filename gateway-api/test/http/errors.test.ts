import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { z } from 'zod';
import type { FeatureModule } from '../../src/feature';
import { AppError } from '../../src/http/errors';
import { call, expectError, startGateway, type TestGateway } from '../helpers';

/** Routes that exercise the error paths. */
const probe: FeatureModule = {
  name: 'probe',
  register(router) {
    router.route({
      method: 'post',
      path: '/probe/echo',
      summary: 'Echo',
      tags: ['probe'],
      auth: 'public',
      body: z.object({ name: z.string().min(1), count: z.number().int().optional() }).strict(),
      responses: { 200: { description: 'echo' } },
      handler: ({ body }) => ({ body }),
    });
    router.route({
      method: 'get',
      path: '/probe/bug',
      summary: 'A bug',
      tags: ['probe'],
      auth: 'public',
      responses: { 200: { description: 'never' } },
      handler: () => {
        throw new TypeError('cannot read property x of undefined (subject 11010519491231002X)');
      },
    });
    router.route({
      method: 'get',
      path: '/probe/ledger-down',
      summary: 'A 503 with txId',
      tags: ['probe'],
      auth: 'public',
      responses: { 200: { description: 'never' } },
      handler: () => {
        throw AppError.unavailable('ledger unavailable', { code: 'LEDGER_UNAVAILABLE', txId: 'tx-123' });
      },
    });
    router.route({
      method: 'post',
      path: '/probe/stream',
      summary: 'Counts streamed bytes',
      tags: ['probe'],
      auth: 'public',
      rawBody: { contentTypes: ['application/x-ndjson'], limitBytes: 64 * 1024 },
      responses: { 200: { description: 'byte count' } },
      async handler(ctx) {
        let bytes = 0;
        for await (const chunk of ctx.bodyStream()) bytes += (chunk as Buffer).length;
        return { body: { bytes } };
      },
    });
  },
};

function rawRequest(
  url: string,
  options: { method: string; headers: Record<string, string | number>; chunks?: Buffer[]; end?: boolean },
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method, headers: options.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString('utf8'),
          headers: res.headers,
        });
        req.destroy();
      });
    });
    req.on('error', (err) =>
      (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err),
    );
    for (const chunk of options.chunks ?? []) req.write(chunk);
    if (options.end !== false) req.end();
  });
}

describe('error handling', () => {
  let tg: TestGateway;
  before(async () => {
    tg = await startGateway({ modules: [probe] });
  });
  after(() => tg.stop());

  it('when the route does not exist, then 404 NOT_FOUND with the error shape', async () => {
    expectError(await call(`${tg.url}/api/v1/no-such-thing`), 404, 'NOT_FOUND');
    expectError(await call(`${tg.url}/elsewhere`), 404, 'NOT_FOUND');
  });

  it('when the method is wrong, then 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const res = await call(`${tg.url}/api/v1/probe/echo`, { method: 'DELETE' });
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).to.equal('POST');
    const users = await call(`${tg.url}/api/v1/users/123/disable`, { method: 'GET' });
    expectError(users, 405, 'METHOD_NOT_ALLOWED');
  });

  it('when the JSON is malformed, then 400 MALFORMED_JSON', async () => {
    const res = await call(`${tg.url}/api/v1/probe/echo`, {
      method: 'POST',
      body: '{"name": "x",',
      headers: { 'content-type': 'application/json' },
    });
    const error = expectError(res, 400, 'MALFORMED_JSON');
    expect(error).not.to.have.property('details');
  });

  it('when the body is valid JSON of the wrong shape, then 400 INVALID_REQUEST with paths and messages', async () => {
    const res = await call(`${tg.url}/api/v1/probe/echo`, { method: 'POST', json: { name: '', count: 1.5 } });
    const error = expectError(res, 400, 'INVALID_REQUEST');
    expect(error.details).to.deep.equal([
      { path: 'body.name', message: 'Too small: expected string to have >=1 characters' },
      { path: 'body.count', message: 'Invalid input: expected int, received number' },
    ]);
  });

  it('when the body is missing, then 400 INVALID_REQUEST', async () => {
    expectError(await call(`${tg.url}/api/v1/probe/echo`, { method: 'POST' }), 400, 'INVALID_REQUEST');
  });

  it('when the content type is not JSON, then 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await call(`${tg.url}/api/v1/probe/echo`, {
      method: 'POST',
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('when the body is compressed, then 415 UNSUPPORTED_CONTENT_ENCODING', async () => {
    const res = await call(`${tg.url}/api/v1/probe/echo`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expectError(res, 415, 'UNSUPPORTED_CONTENT_ENCODING');
  });

  it('when a body over the 1 MiB limit is sent, then 413 PAYLOAD_TOO_LARGE', async () => {
    const huge = `{"name":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    const res = await call(`${tg.url}/api/v1/probe/echo`, {
      method: 'POST',
      body: huge,
      headers: { 'content-type': 'application/json' },
    });
    const error = expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(error.details).to.deep.equal({ limitBytes: 1024 * 1024 });
  });

  it('when Content-Length declares a huge body, then 413 is answered before the body is sent', async () => {
    // Only 10 bytes of the declared 10 GB are ever written: a response proves nothing waited for the body.
    const res = await rawRequest(`${tg.url}/api/v1/probe/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': 10 * 1024 ** 3 },
      chunks: [Buffer.from('{"name":"x')],
      end: false,
    });
    expect(res.status).to.equal(413);
    expect(JSON.parse(res.body)).to.deep.equal({
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: 'request body exceeds 1048576 bytes',
        details: { limitBytes: 1048576 },
      },
    });
    expect(res.headers.connection).to.equal('close');
  });

  it('when a chunked body without Content-Length passes the limit, then 413 from the streamed count', async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const res = await rawRequest(`${tg.url}/api/v1/probe/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      chunks: [Buffer.from('{"name":"'), chunk, chunk, chunk, chunk, chunk],
      end: false,
    });
    expect(res.status).to.equal(413);
    expect((JSON.parse(res.body) as { error: { code: string } }).error.code).to.equal('PAYLOAD_TOO_LARGE');
  });

  it('when a raw stream route gets more than its own limit, then 413; under it, the handler reads it all', async () => {
    const ok = await call(`${tg.url}/api/v1/probe/stream`, {
      method: 'POST',
      body: '{"a":1}\n{"a":2}\n',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(ok.status, ok.text).to.equal(200);
    expect(ok.body).to.deep.equal({ bytes: 16 });
    const big = await call(`${tg.url}/api/v1/probe/stream`, {
      method: 'POST',
      body: Buffer.alloc(100 * 1024, 0x61),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expectError(big, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('when a handler throws an unknown error, then 500 INTERNAL, logged once with the request ID and no subject ID', async () => {
    const res = await call(`${tg.url}/api/v1/probe/bug`, { headers: { 'x-request-id': 'bug-req-1' } });
    const error = expectError(res, 500, 'INTERNAL');
    expect(error.message).to.contain('bug-req-1');
    expect(error.message).not.to.contain('cannot read');
    const logged = tg.logs.filter((l) => l.msg === 'unhandled error');
    expect(logged).to.have.length(1);
    expect(logged[0]?.reqId).to.equal('bug-req-1');
    expect(JSON.stringify(logged[0])).to.contain('cannot read property x');
    expect(tg.rawLogs.join('\n')).not.to.contain('11010519491231002X');
  });

  it('when an AppError carries a txId, then the body includes it', async () => {
    const res = await call(`${tg.url}/api/v1/probe/ledger-down`);
    expectError(res, 503, 'LEDGER_UNAVAILABLE');
    expect(res.body).to.deep.equal({
      error: { code: 'LEDGER_UNAVAILABLE', message: 'ledger unavailable', txId: 'tx-123' },
    });
  });

  it('when the request carries a well-formed X-Request-Id, then it is echoed; otherwise one is generated', async () => {
    const given = await call(`${tg.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).to.equal('abc-123');
    const bad = await call(`${tg.url}/healthz`, { headers: { 'x-request-id': 'has spaces <script>' } });
    expect(bad.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });
});
