/**
 * Serves the generated OpenAPI document at `GET /api/v1/openapi.json` and
 * Swagger UI at `/docs` from the locally installed swagger-ui-dist (no CDN).
 */
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ApiRouter } from '../http/router';
import { buildOpenApiDocument, type OpenApiDocument, type OpenApiInfo } from './document';
import type { RouteRegistry } from './registry';

/** Path of the OpenAPI document relative to the API base. */
export const OPENAPI_PATH = '/openapi.json';

/** Declares `GET {base}/openapi.json`; the document is built on first request, after every module registered. */
export function registerOpenApiRoute(router: ApiRouter, registry: RouteRegistry, info: OpenApiInfo): void {
  let document: OpenApiDocument | undefined;
  router.route({
    method: 'get',
    path: OPENAPI_PATH,
    summary: 'This API’s OpenAPI 3.1 document',
    tags: ['docs'],
    auth: 'public',
    rateLimited: false,
    responses: { 200: { description: 'OpenAPI 3.1 JSON', schema: z.record(z.string(), z.unknown()) } },
    handler: () => {
      document ??= buildOpenApiDocument(registry, info);
      return { body: document };
    },
  });
}

const DOCS_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

function indexHtml(): string {
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Rural Credit Consortium Ledger API</title>
    <link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="/docs/swagger-initializer.js" charset="UTF-8"></script>
  </body>
</html>
`;
}

function initializerJs(specUrl: string): string {
  return `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(specUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;
}

/**
 * Mounts Swagger UI at `/docs` (outside the OpenAPI registry: it is not part of the API).
 *
 * @param app the Express app.
 * @param specUrl absolute path of the OpenAPI document.
 */
export function mountDocs(app: Express, specUrl: string): void {
  const assets = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const withCsp: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    next();
  };
  const index: RequestHandler = (_req, res) => {
    res.type('html').send(indexHtml());
  };
  app.get('/docs', withCsp, index);
  app.get('/docs/index.html', withCsp, index);
  app.get('/docs/swagger-initializer.js', (_req, res) => {
    res.type('application/javascript').send(initializerJs(specUrl));
  });
  app.use('/docs', withCsp, express.static(assets, { index: false, fallthrough: true, maxAge: '1h' }));
}
