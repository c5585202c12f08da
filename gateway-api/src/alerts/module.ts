/** The alerts business module: `GET /events` for each organisation. */
import type { DomainContext, DomainModuleFactory } from '../domain';
import type { GatewayDeps } from '../feature';
import type { EventBus } from '../indexer/types';
import { AlertHubImpl } from './hub';
import { registerAlertRoutes } from './routes';

/** Heartbeat interval used unless configured. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Open streams one user may hold unless configured (an endless response each). */
export const DEFAULT_MAX_STREAMS_PER_USER = 5;

/** Options of {@link createAlertsModule}. */
export interface AlertsModuleOptions {
  /** The block indexer's event bus (a singleton per gateway). Without it, `GET /events` answers 503. */
  readonly bus?: (ctx: DomainContext, deps: GatewayDeps) => EventBus;
  /** Interval between heartbeat comments; {@link DEFAULT_HEARTBEAT_MS} by default. */
  readonly heartbeatMs?: number;
  /** Most open streams per user; {@link DEFAULT_MAX_STREAMS_PER_USER} by default. */
  readonly maxStreamsPerUser?: number;
}

/** Builds the alerts module factory. */
export function createAlertsModule(options: Readonly<AlertsModuleOptions> = {}): DomainModuleFactory {
  return function alerts(ctx, deps) {
    const bus = options.bus?.(ctx, deps);
    const hub =
      bus === undefined
        ? undefined
        : new AlertHubImpl({
            bus,
            heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
            maxStreamsPerUser: options.maxStreamsPerUser ?? DEFAULT_MAX_STREAMS_PER_USER,
          });
    if (hub !== undefined) deps.onDrain(() => hub.close());
    return { name: 'alerts', register: (router) => registerAlertRoutes(router, hub) };
  };
}

/** The alerts module without an event bus: `GET /events` answers 503 until the indexer is wired. */
export const alertsModule: DomainModuleFactory = createAlertsModule();
