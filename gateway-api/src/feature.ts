/**
 * The contract between the gateway and its feature modules (provenance,
 * consent, collateral, audit...): each module gets an {@link ApiRouter} and
 * the shared {@link GatewayDeps}, and declares its routes.
 */
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { UserActivityStore } from './auth/activity';
import type { SigningKeys } from './auth/keys';
import type { TokenService } from './auth/tokens';
import type { UserStore } from './auth/users';
import type { GatewayConfig } from './config';
import type { Logger } from './http/logger';
import type { pageQueryShape } from './http/pagination';
import type { ApiRouter } from './http/router';
import type { GatewayDb } from './store/db';
import type { SealedStore } from './store/sealed';

/** Shared services handed to every feature module. */
export interface GatewayDeps {
  /** The validated configuration. */
  readonly config: Readonly<GatewayConfig>;
  /** The open LevelDB database; modules keep their data in their own sublevels. */
  readonly db: GatewayDb;
  /** The gateway logger (route handlers get a request-bound child in their context). */
  readonly logger: Logger;
  /** Gateway users. */
  readonly users: UserStore;
  /** Per-user last login and activity counts. */
  readonly activity: UserActivityStore;
  /** Access-token service. */
  readonly tokens: TokenService;
  /** Token signing keys. */
  readonly signingKeys: SigningKeys;
  /** Prometheus registry, for module-specific metrics. */
  readonly metrics: Registry;
  /** `limit`/`cursor` query fields with the configured cap, to spread into a query schema. */
  readonly pageQuery: ReturnType<typeof pageQueryShape>;
  /**
   * An encrypted store in sublevel `name` under the configured data key.
   * @throws RangeError for an invalid name.
   */
  sealedStore<T>(name: string, schema?: z.ZodType<T>): SealedStore<T>;
  /** Registers cleanup run by `stop()` (close listeners, end SSE streams), in reverse order. */
  onShutdown(hook: () => Promise<void> | void): void;
  /**
   * Registers a hook run as soon as `stop()` begins, before in-flight requests
   * are awaited: for long-lived responses (server-sent events) that would
   * otherwise hold the shutdown grace period.
   */
  onDrain(hook: () => Promise<void> | void): void;
}

/** A pluggable group of routes. */
export interface FeatureModule {
  /** Name used in logs and errors. */
  readonly name: string;
  /**
   * Declares the module's routes on `router` (mounted at `/api/v1`).
   * Must be synchronous; do asynchronous set-up before creating the gateway.
   */
  register(router: ApiRouter, deps: GatewayDeps): void;
}
