/** The watches business module: post-loan watches, their alerts and the banks' webhooks. */
import type { DomainContext, DomainModuleFactory } from '../domain';
import { isGranteeRole } from '@ruralcredit/protocol';
import type { GatewayDeps } from '../feature';
import type { EventBus } from '../indexer/types';
import { createRecordStore } from '../provenance/record-store';
import { registerWatchRoutes } from './routes';
import { WatchAlertSchema } from './schemas';
import { z } from 'zod';
import { watchFeed } from './feed';
import { StoredWatchSchema, WatchService } from './service';
import { DeliveryBodySchema, WebhookDispatcher } from './webhook';

const LedgerPositionSchema = z.object({ blockNumber: z.number().int(), txIndex: z.number().int() });

/** Options of {@link createWatchesModule}. */
export interface WatchesModuleOptions {
  /** The block indexer's event bus; without it no rule is evaluated. */
  readonly bus?: (ctx: DomainContext, deps: GatewayDeps) => EventBus;
  /** Allow `http://127.0.0.1` webhooks; by default only in demo mode. */
  readonly allowLoopbackHttp?: boolean;
  /** Webhook attempts before FAILED (default 6). */
  readonly webhookAttempts?: number;
  /** First webhook retry delay in ms (default 1000). */
  readonly webhookBackoffMs?: number;
  /** Called with the service once built (tests wait for it to be idle). */
  readonly onService?: (service: WatchService) => void;
}

/** Builds the watches module factory. */
export function createWatchesModule(options: Readonly<WatchesModuleOptions> = {}): DomainModuleFactory {
  return function watches(ctx, deps) {
    const webhooks = new WebhookDispatcher({
      db: deps.db,
      bodies: deps.sealedStore('webhook-bodies', DeliveryBodySchema),
      signingKeys: deps.signingKeys,
      logger: deps.logger.child({ component: 'webhooks' }),
      allowLoopbackHttp: options.allowLoopbackHttp ?? deps.config.demo,
      ...(options.webhookAttempts === undefined ? {} : { maxAttempts: options.webhookAttempts }),
      ...(options.webhookBackoffMs === undefined ? {} : { backoffMs: options.webhookBackoffMs }),
    });
    const service = new WatchService(ctx, {
      records: createRecordStore(deps),
      watches: deps.sealedStore('watches', StoredWatchSchema),
      alerts: deps.sealedStore('watch-alerts', WatchAlertSchema),
      webhooks,
      feed: watchFeed(deps),
      checkpoint: deps.sealedStore('watch-checkpoint', LedgerPositionSchema),
      logger: deps.logger.child({ component: 'watches' }),
    });
    const unsubscribe = options.bus?.(ctx, deps).subscribe((event) => service.onEvent(event));
    deps.onShutdown(async () => {
      unsubscribe?.();
      await service.close();
      await webhooks.close();
    });
    options.onService?.(service);
    return {
      name: 'watches',
      register: (router) =>
        registerWatchRoutes(router, service, webhooks, (mspId) =>
          ctx.consortium.organisations.some((o) => o.mspId === mspId && isGranteeRole(o.role)),
        ),
    };
  };
}
