/**
 * Serves the web console (console/dist, built by Vite) at `/console`, with
 * its own Content-Security-Policy (scripts and styles from the gateway's
 * origin only: no inline script), and `/console/settings.json`: the
 * consortium's organisation names and the console's default language
 * (Simplified Chinese when the names are Chinese). The console talks to the
 * API through the typed SDK like any other client; nothing here is an API.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';

/** The console's Content-Security-Policy. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** What the console reads before login. */
export interface ConsoleSettings {
  /** `zh` when the consortium's names are Chinese, otherwise `en`. */
  readonly language: 'zh' | 'en';
  readonly organisations: readonly { readonly mspId: string; readonly name: string; readonly role: string }[];
  /** The catalogue the consortium started with (the catalogue API, when present, has the current one). */
  readonly datasetTypes: readonly {
    readonly code: string;
    readonly name: string;
    readonly provider: string;
  }[];
  readonly assetTypes: readonly { readonly code: string; readonly name: string; readonly issuer: string }[];
}

type Named = { readonly mspId: string; readonly name: string; readonly role: string };

/** Where the built console is, by default (`console/dist` in the repository). */
export const DEFAULT_CONSOLE_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'console', 'dist');

/** The console's settings for a consortium: Chinese by default when most organisation names contain Han characters. */
export function consoleSettings(consortium: {
  readonly organisations: readonly Named[];
  readonly datasetTypes: readonly {
    readonly code: string;
    readonly name: string;
    readonly provider: string;
  }[];
  readonly assetTypes: readonly { readonly code: string; readonly name: string; readonly issuer: string }[];
}): ConsoleSettings {
  const { organisations } = consortium;
  const han = organisations.filter((o) => /\p{Script=Han}/u.test(o.name)).length;
  return {
    language: han * 2 > organisations.length ? 'zh' : 'en',
    organisations: organisations.map(({ mspId, name, role }) => ({ mspId, name, role })),
    datasetTypes: consortium.datasetTypes.map(({ code, name, provider }) => ({ code, name, provider })),
    assetTypes: consortium.assetTypes.map(({ code, name, issuer }) => ({ code, name, issuer })),
  };
}

/**
 * Mounts the console at `/console`. When `dir` holds no build, `/console`
 * answers 503 with the command that builds it.
 */
export function mountConsole(
  app: Express,
  settings: ConsoleSettings,
  dir: string = DEFAULT_CONSOLE_DIR,
): void {
  const withCsp: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    next();
  };
  const index = path.join(dir, 'index.html');
  // Routing is not strict: `/console` also matches `/console/`, which must not redirect to itself.
  app.get('/console', (req, res, next) => (req.path.endsWith('/') ? next() : res.redirect(301, '/console/')));
  app.get('/console/settings.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(settings);
  });
  app.get('/console/', withCsp, (_req, res) => {
    if (!existsSync(index)) {
      res
        .status(503)
        .type('text/plain')
        .send('The console is not built: run `npm run build` (or `npm run build -w console`).\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  app.use('/console', withCsp, express.static(dir, { index: false, fallthrough: true, maxAge: '1h' }));
}
