/** The alerts business module: `GET /events` for each organisation. */
import type { DomainContext, DomainModuleFactory } from '../domain';
import type { GatewayDeps } from '../feature';
import type { AlertLog, EventBus } from '../indexer/types';
import { AlertHubImpl, DEFAULT_REPLAY_LIMIT, type AlertFeed } from './hub';
import { registerAlertRoutes } from './routes';

/** Heartbeat interval used unless configured. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Open streams one user may hold unless configured (an endless response each). */
export const DEFAULT_MAX_STREAMS_PER_USER = 5;

/** Options of {@link createAlertsModule}. */
export interface AlertsModuleOptions {
  /** The block indexer's event bus (a singleton per gateway). Without it, `GET /events` answers 503. */
  readonly bus?: (ctx: DomainContext, deps: GatewayDeps) => EventBus;
  /**
   * The same indexer's alert log, for streams that resume with `Last-Event-ID`.
   * Without it, such requests answer 503 EVENT_REPLAY_UNAVAILABLE.
   */
  readonly log?: (ctx: DomainContext, deps: GatewayDeps) => AlertLog;
  /** The gateway's watch alerts, merged into each bank's stream (see watches/feed.ts). */
  readonly feed?: (ctx: DomainContext, deps: GatewayDeps) => AlertFeed;
  /** Interval between heartbeat comments; {@link DEFAULT_HEARTBEAT_MS} by default. */
  readonly heartbeatMs?: number;
  /** Most open streams per user; {@link DEFAULT_MAX_STREAMS_PER_USER} by default. */
  readonly maxStreamsPerUser?: number;
  /** Most alerts replayed on resume before a `reset` is sent instead; {@link DEFAULT_REPLAY_LIMIT} by default. */
  readonly replayLimit?: number;
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
            log: options.log?.(ctx, deps),
            feed: options.feed?.(ctx, deps),
            height: () => ctx.ledger.height(),
            heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
            maxStreamsPerUser: options.maxStreamsPerUser ?? DEFAULT_MAX_STREAMS_PER_USER,
            replayLimit: options.replayLimit ?? DEFAULT_REPLAY_LIMIT,
          });
    if (hub !== undefined) {
      // A disabled user's open streams end at once (its next request would be refused anyway).
      const stopListening = deps.users.onDisabled?.((userId) => hub.endStreamsOf(userId));
      deps.onDrain(() => {
        stopListening?.();
        hub.close();
      });
    }
    return { name: 'alerts', register: (router) => registerAlertRoutes(router, hub) };
  };
}

/** The alerts module without an event bus: `GET /events` answers 503 until the indexer is wired. */
export const alertsModule: DomainModuleFactory = createAlertsModule();
