/**
 * The gateway HTTP server: configuration, database and feature modules in;
 * an Express app with `start()`/`stop()` out, so tests run the real server
 * on port 0.
 */
import { mountConsole, type ConsoleSettings } from './console/mount';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type RequestHandler } from 'express';
import type { z } from 'zod';
import { loadSigningKeys, type SigningKeys } from './auth/keys';
import { createAuthenticate, requireRole } from './auth/middleware';
import { authModule, usersModule } from './auth/routes';
import { PasswordHasher } from './auth/password';
import { TokenServiceImpl, type TokenService } from './auth/tokens';
import { UserActivityStoreImpl } from './auth/activity';
import { UserStoreImpl, type UserStore } from './auth/users';
import type { GatewayConfig } from './config';
import type { FeatureModule, GatewayDeps } from './feature';
import { AppError, createErrorHandler } from './http/errors';
import { createLogger, requestLogger, type Logger } from './http/logger';
import { pageQueryShape } from './http/pagination';
import { rateLimit, TokenBucketLimiter } from './http/rate-limit';
import { requestId } from './http/request-id';
import { ApiRouterImpl } from './http/router';
import { RouteRegistry } from './openapi/registry';
import { mountDocs, OPENAPI_PATH, registerOpenApiRoute } from './openapi/routes';
import { createHttpMetrics } from './ops/metrics';
import { registerHealthRoute, registerOpsRoutes, type Deployment, type ReadinessCheck } from './ops/routes';
import type { GatewayDb } from './store/db';
import { SealedStore } from './store/sealed';

/** Base path of the JSON API. */
export const API_BASE_PATH = '/api/v1';

/** Everything {@link createGateway} needs. */
export interface GatewayOptions {
  /** Validated configuration (see `loadConfig`). */
  readonly config: Readonly<GatewayConfig>;
  /** An open LevelDB database; the caller opens and closes it. */
  readonly db: GatewayDb;
  /** Business route modules, registered in order under `/api/v1`. */
  readonly modules?: readonly FeatureModule[];
  /** Named readiness checks for `/readyz` besides LevelDB, e.g. `{ ledger: ... }`. */
  readonly readiness?: Readonly<Record<string, ReadinessCheck>>;
  /** Logger; JSON lines on stdout at the configured level by default. */
  readonly logger?: Logger;
  /** Signing keys; loaded from (or created in) the data directory by default. */
  readonly signingKeys?: SigningKeys;
  /** User store; LevelDB-backed on `db` by default. */
  readonly users?: UserStore;
  /** What this process is, shown on `/readyz`. */
  readonly deployment?: Deployment;
  /** Grace period for in-flight requests on `stop()`, in milliseconds; 5,000 by default. */
  readonly shutdownGraceMs?: number;
  /** Serve the web console at `/console` with these settings (from the consortium); not served without. */
  readonly console?: { readonly settings: ConsoleSettings; readonly dir?: string };
}

/** Where a started gateway listens. */
export interface Listening {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The bound port of the operations listener (`/healthz`, `/readyz`, `/metrics`). */
  readonly operationsPort: number;
  /** Base URL of the operations listener, e.g. `http://127.0.0.1:9464`. */
  readonly operationsUrl: string;
}

/** A gateway instance. */
export interface Gateway {
  /** The Express app (for supertest-style use without listening). */
  readonly app: Express;
  /** The operations app (`/healthz`, `/readyz`, `/metrics`), served on its own listener. */
  readonly operationsApp: Express;
  /** The shared services the modules were given. */
  readonly deps: GatewayDeps;
  /**
   * Starts listening on the configured host and port, and the operations
   * listener on its own host and port.
   * @throws Error when a port cannot be bound or the gateway is already started.
   */
  start(): Promise<Listening>;
  /** Stops accepting connections, waits for in-flight requests (up to the grace period), then runs shutdown hooks. */
  stop(): Promise<void>;
}

const securityHeaders: RequestHandler = (req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (req.path.startsWith(API_BASE_PATH)) res.setHeader('Cache-Control', 'no-store');
  next();
};

/** Binds `server` to `port` on `host`; rejects with the listen error (e.g. EADDRINUSE). */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Builds the gateway: ops routes, auth and user routes, the OpenAPI document
 * and docs, then each feature module, with the shared 404/405 and error handling.
 *
 * @throws Error when a module declares a duplicate or malformed route, or signing keys cannot be loaded.
 */
export function createGateway(options: Readonly<GatewayOptions>): Gateway {
  const { config, db } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = createHttpMetrics();
  const signingKeys = options.signingKeys ?? loadSigningKeys(config.dataDir);
  const users =
    options.users ??
    new UserStoreImpl(db, {
      hasher: new PasswordHasher({ log2N: config.scryptLog2N, concurrency: config.scryptConcurrency }),
      ...(config.organisation === undefined ? {} : { organisation: config.organisation.mspId }),
    });
  const tokens: TokenService = new TokenServiceImpl({
    keys: signingKeys,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlSeconds: config.tokenTtlSeconds,
    pseudonymSecret: config.pseudonymSecret,
  });
  const activity = new UserActivityStoreImpl(db);
  // First registered, so it runs last: requests still count while modules stop.
  const shutdownHooks: (() => Promise<void> | void)[] = [() => activity.close()];
  const drainHooks: (() => Promise<void> | void)[] = [];
  const deps: GatewayDeps = {
    config,
    db,
    logger,
    users,
    activity,
    tokens,
    signingKeys,
    metrics: metrics.registry,
    pageQuery: pageQueryShape(config.pageSizeCap),
    sealedStore: <T>(name: string, schema?: z.ZodType<T>) =>
      new SealedStore<T>({ db, name, key: config.dataKey, ...(schema === undefined ? {} : { schema }) }),
    onShutdown: (hook) => void shutdownHooks.push(hook),
    onDrain: (hook) => void drainHooks.push(hook),
  };

  const registry = new RouteRegistry();
  const routerOptions = {
    registry,
    authenticate: createAuthenticate({
      tokens,
      users,
      activity,
      ...(config.organisation === undefined ? {} : { organisation: config.organisation.mspId }),
    }),
    requireRole,
    rateLimit: rateLimit(new TokenBucketLimiter({ perMinute: config.rateLimitPerMinute })),
    jsonBodyLimitBytes: config.jsonBodyLimitBytes,
    logger,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('case sensitive routing', true);
  app.set('trust proxy', config.trustProxy);
  app.use(requestId(), requestLogger(logger), metrics.middleware, securityHeaders);

  const root = new ApiRouterImpl({ ...routerOptions, basePath: '' });
  registerHealthRoute(root);
  app.use(root.express);

  // Readiness and metrics describe the deployment: on their own listener, not in the API's document.
  const operationsApp = express();
  operationsApp.disable('x-powered-by');
  operationsApp.set('case sensitive routing', true);
  operationsApp.use(requestId(), securityHeaders);
  const operations = new ApiRouterImpl({ ...routerOptions, registry: new RouteRegistry(), basePath: '' });
  registerOpsRoutes(operations, {
    db,
    metrics: metrics.registry,
    readiness: options.readiness ?? {},
    ...(options.deployment === undefined ? {} : { deployment: options.deployment }),
  });
  operationsApp.use(operations.express);
  operationsApp.use((req) => {
    throw AppError.notFound(`no route for ${req.method} ${req.path}`);
  });
  operationsApp.use(createErrorHandler(logger));

  const api = new ApiRouterImpl({ ...routerOptions, basePath: API_BASE_PATH });
  registerOpenApiRoute(api, registry, {
    title: 'Rural Credit Consortium Ledger gateway',
    version: '1.0.0',
    description:
      'REST entry point for consortium members. Errors: `{"error": {"code", "message", "details"?, "txId"?}}`.',
  });
  for (const module of [authModule, usersModule, ...(options.modules ?? [])]) {
    try {
      module.register(api, deps);
    } catch (err) {
      throw new Error(`feature module ${module.name} failed to register: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  app.use(API_BASE_PATH, api.express);
  mountDocs(app, `${API_BASE_PATH}${OPENAPI_PATH}`);
  if (options.console !== undefined) mountConsole(app, options.console.settings, options.console.dir);

  app.use((req, res) => {
    const allowed = registry.allowedMethods(req.path);
    if (allowed.length === 0) throw AppError.notFound(`no route for ${req.method} ${req.path}`);
    if (req.method === 'OPTIONS') {
      res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
      res.status(204).end();
      return;
    }
    throw AppError.methodNotAllowed(allowed);
  });
  app.use(createErrorHandler(logger));

  let server: Server | undefined;
  let operationsServer: Server | undefined;
  let stopping: Promise<void> | undefined;
  const graceMs = options.shutdownGraceMs ?? 5000;

  return {
    app,
    operationsApp,
    deps,
    async start() {
      if (server !== undefined) throw new Error('gateway already started');
      const s = createServer(app);
      s.headersTimeout = 30_000;
      s.requestTimeout = 10 * 60_000;
      s.keepAliveTimeout = 5_000;
      server = s;
      await listen(s, config.port, config.host);
      const ops = createServer(operationsApp);
      ops.headersTimeout = 10_000;
      ops.requestTimeout = 30_000;
      try {
        await listen(ops, config.operationsPort, config.operationsHost);
      } catch (err) {
        await new Promise<void>((resolve) => s.close(() => resolve()));
        server = undefined;
        throw err;
      }
      operationsServer = ops;
      const { port } = s.address() as AddressInfo;
      const url = `http://${hostForUrl(config.host)}:${port}`;
      const operationsPort = (ops.address() as AddressInfo).port;
      const operationsUrl = `http://${hostForUrl(config.operationsHost)}:${operationsPort}`;
      logger.info('gateway listening', { url, operationsUrl, ledger: config.ledger, demo: config.demo });
      return { port, url, operationsPort, operationsUrl };
    },
    stop() {
      stopping ??= (async () => {
        const ops = operationsServer;
        if (ops !== undefined) {
          const closed = new Promise<void>((resolve) => ops.close(() => resolve()));
          ops.closeAllConnections();
          await closed;
        }
        const s = server;
        if (s !== undefined) {
          const closed = new Promise<void>((resolve) => s.close(() => resolve()));
          s.closeIdleConnections();
          // Long-lived responses (event streams) end now, so they do not hold the grace period.
          for (const hook of drainHooks) {
            try {
              await hook();
            } catch (err) {
              logger.error('drain hook failed', { err: (err as Error).message });
            }
          }
          const timer = setTimeout(() => s.closeAllConnections(), graceMs);
          await closed;
          clearTimeout(timer);
        }
        for (const hook of shutdownHooks.reverse()) {
          try {
            await hook();
          } catch (err) {
            logger.error('shutdown hook failed', { err: (err as Error).message });
          }
        }
        logger.info('gateway stopped');
      })();
      return stopping;
    },
  };
}
