import { expect } from 'chai';
import { z } from 'zod';
import type { FeatureModule } from '../../src/feature';
import { pageSchema } from '../../src/http/pagination';
import { call, startGateway, type TestGateway } from '../helpers';

const Lien = z
  .object({
    assetId: z.string().min(1),
    amount: z.number().positive(),
    rank: z.number().int().min(1).default(1),
  })
  .strict()
  .meta({ id: 'Lien', description: 'A mortgage registration' });

/** A module declared the way business modules will be. */
const liens: FeatureModule = {
  name: 'liens',
  register(router, deps) {
    router.route({
      method: 'post',
      path: '/liens',
      summary: 'Register a lien',
      tags: ['collateral'],
      auth: ['LOAN_OFFICER'],
      body: Lien,
      responses: { 201: { description: 'Registered', schema: Lien } },
      handler: ({ body }) => ({ status: 201, body }),
    });
    router.route({
      method: 'get',
      path: '/assets/{assetId}/liens',
      summary: 'List an asset’s liens',
      tags: ['collateral'],
      auth: 'authenticated',
      params: z.object({ assetId: z.string().min(1).max(64).describe('Asset ID') }),
      query: z.object({ ...deps.pageQuery, active: z.enum(['true', 'false']).optional() }),
      responses: { 200: { description: 'Liens', schema: pageSchema(Lien) } },
      handler: () => ({ body: { items: [], nextCursor: null } }),
    });
  },
};

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

describe('OpenAPI document and docs', () => {
  let tg: TestGateway;
  let doc: Doc;
  before(async () => {
    tg = await startGateway({ modules: [liens] });
    const res = await call(`${tg.url}/api/v1/openapi.json`);
    expect(res.status).to.equal(200);
    doc = res.body as Doc;
  });
  after(() => tg.stop());

  it('when fetched, then it is OpenAPI 3.1 listing every registered route', () => {
    expect(doc.openapi).to.equal('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(operations).to.include.members([
      'GET /healthz',
      'GET /api/v1/openapi.json',
      'POST /api/v1/auth/token',
      'GET /api/v1/auth/jwks',
      'POST /api/v1/users',
      'GET /api/v1/users',
      'POST /api/v1/users/{id}/disable',
      'POST /api/v1/liens',
      'GET /api/v1/assets/{assetId}/liens',
    ]);
    // Served on the operations listener only.
    expect(operations).not.to.include.members(['GET /readyz']);
    expect(operations).not.to.include.members(['GET /metrics']);
  });

  it('when a module registers a body schema, then the same zod schema is the request body and response schema', () => {
    const op = doc.paths['/api/v1/liens']?.post ?? {};
    expect(op).to.deep.include({
      summary: 'Register a lien',
      tags: ['collateral'],
      'x-roles': ['LOAN_OFFICER'],
    });
    expect(op.security).to.deep.equal([{ bearerAuth: [] }]);
    const request = (op.requestBody as { content: Record<string, { schema: { $ref: string } }> }).content[
      'application/json'
    ];
    const ref = request?.schema.$ref ?? '';
    expect(ref).to.match(/^#\/components\/schemas\/Lien/);
    const schema = doc.components.schemas[ref.split('/').pop() ?? ''] as Record<string, unknown>;
    expect(schema).to.deep.include({ type: 'object', description: 'A mortgage registration' });
    expect(schema.required).to.deep.equal(['assetId', 'amount']);
    expect((schema.properties as Record<string, unknown>).amount).to.deep.equal({
      type: 'number',
      exclusiveMinimum: 0,
    });
    const responses = op.responses as Record<string, unknown>;
    expect(responses).to.have.property('201');
    expect(responses['400']).to.deep.equal({ $ref: '#/components/responses/Error' });
    expect(responses['403']).to.deep.equal({ $ref: '#/components/responses/Error' });
  });

  it('when a route has path and query schemas, then they become parameters with the page-size cap', () => {
    const op = doc.paths['/api/v1/assets/{assetId}/liens']?.get ?? {};
    const params = op.parameters as {
      name: string;
      in: string;
      required: boolean;
      schema: Record<string, unknown>;
    }[];
    expect(params.map((p) => `${p.in}:${p.name}:${String(p.required)}`)).to.deep.equal([
      'path:assetId:true',
      'query:limit:false',
      'query:cursor:false',
      'query:active:false',
    ]);
    expect(params[1]?.schema).to.include({ type: 'integer', minimum: 1, maximum: 100 });
  });

  it('when the body schema validates requests, then the documented constraints are enforced', async () => {
    const res = await call(`${tg.url}/api/v1/liens`, { method: 'POST', json: {} });
    expect(res.status).to.equal(401);
  });

  it('when public routes are listed, then they have no security requirement', () => {
    expect(doc.paths['/api/v1/auth/token']?.post?.security).to.deep.equal([]);
    expect(doc.components.securitySchemes).to.have.property('bearerAuth');
    expect(doc.components.schemas).to.have.property('Error');
  });

  it('when /docs is opened, then Swagger UI is served from local assets pointing at the document', async () => {
    const page = await call(`${tg.url}/docs`);
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('/docs/swagger-ui-bundle.js');
    expect(page.text).not.to.match(/https?:\/\//);
    expect(page.headers.get('content-security-policy')).to.contain("script-src 'self'");
    const init = await call(`${tg.url}/docs/swagger-initializer.js`);
    expect(init.text).to.contain('"/api/v1/openapi.json"');
    const bundle = await fetch(`${tg.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).to.equal(200);
    await bundle.arrayBuffer();
  });
});
