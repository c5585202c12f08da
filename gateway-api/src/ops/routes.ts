/** Operational endpoints: liveness, readiness and Prometheus metrics. */
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { ApiRouter } from '../http/router';
import { AppError } from '../http/errors';
import type { GatewayDb } from '../store/db';

/** Result of one readiness check. */
export interface ReadinessResult {
  /** Whether the dependency is usable. */
  readonly ok: boolean;
  /** Short reason when not ready (no secrets, no personal data). */
  readonly reason?: string;
}

/** A readiness check of one dependency, e.g. the ledger backend. */
export type ReadinessCheck = () => Promise<ReadinessResult> | ReadinessResult;

/** What the ops routes need. */
export interface OpsRouteOptions {
  /** The database (ready when open). */
  readonly db: GatewayDb;
  /** Metrics registry to expose. */
  readonly metrics: Registry;
  /** Additional named checks, e.g. `{ ledger: () => backend.ready() }`. */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  /** Per-check timeout in milliseconds; 2,000 by default. */
  readonly checkTimeoutMs?: number;
  /** What this process is: the all-organisations demo or one organisation's gateway. */
  readonly deployment?: Deployment;
}

/** What a gateway process is, as `/readyz` and the start-up banner say. */
export interface Deployment {
  /** `all-in-one-demo`: every organisation in one process (npm start); `organisation`: one member's gateway. */
  readonly mode: 'all-in-one-demo' | 'organisation';
  /** The organisation served, in `organisation` mode. */
  readonly organisation?: string;
  /** One sentence for operators. */
  readonly note: string;
}

const HealthSchema = z.object({ status: z.literal('ok') });
const ReadySchema = z.object({
  status: z.literal('ready'),
  deployment: z
    .object({
      mode: z.enum(['all-in-one-demo', 'organisation']),
      organisation: z.string().optional(),
      note: z.string(),
    })
    .optional(),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), reason: z.string().optional() })),
});

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<ReadinessResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message.slice(0, 200) : 'check failed' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Declares `/healthz` on a root router (not rate limited): the liveness probe
 * a load balancer asks on the API port. It says nothing but "up".
 */
export function registerHealthRoute(router: ApiRouter): void {
  router.route({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up',
    tags: ['ops'],
    auth: 'public',
    rateLimited: false,
    responses: { 200: { description: 'Alive', schema: HealthSchema } },
    handler: () => ({ body: { status: 'ok' }, headers: { 'Cache-Control': 'no-store' } }),
  });
}

/**
 * Declares `/healthz`, `/readyz` and `/metrics` on the operations listener's
 * root router (not rate limited, no authentication): readiness names the
 * backends and metrics describe traffic, so they are served on their own
 * port, loopback by default, as a Fabric peer's operations service is.
 */
export function registerOpsRoutes(router: ApiRouter, options: Readonly<OpsRouteOptions>): void {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  registerHealthRoute(router);
  router.route({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: LevelDB open and the ledger backend ready',
    tags: ['ops'],
    auth: 'public',
    rateLimited: false,
    responses: {
      200: { description: 'Ready', schema: ReadySchema },
      503: { description: 'NOT_READY; `details` names each check' },
    },
    async handler() {
      const checks: Record<string, ReadinessResult> = {
        leveldb:
          options.db.status === 'open'
            ? { ok: true }
            : { ok: false, reason: `database ${options.db.status}` },
      };
      for (const [name, check] of Object.entries(options.readiness))
        checks[name] = await runCheck(check, timeoutMs);
      if (Object.values(checks).some((c) => !c.ok)) {
        throw AppError.unavailable('not ready', {
          code: 'NOT_READY',
          details: checks,
          headers: { 'Cache-Control': 'no-store' },
        });
      }
      const deployment = options.deployment === undefined ? {} : { deployment: options.deployment };
      return { body: { status: 'ready', ...deployment, checks }, headers: { 'Cache-Control': 'no-store' } };
    },
  });
  router.route({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tags: ['ops'],
    auth: 'public',
    rateLimited: false,
    responses: {
      200: {
        description: 'Prometheus text exposition format',
        contentType: 'text/plain',
        schema: z.string(),
      },
    },
    async handler({ res }) {
      res.setHeader('Content-Type', options.metrics.contentType);
      res.send(await options.metrics.metrics());
      return undefined;
    },
  });
}
