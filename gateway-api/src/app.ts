/**
 * Composition root: opens the ledger backend named by the configuration,
 * brings it to the consortium definition, and builds the gateway with every
 * business module.
 */
import path from 'node:path';
import { createAlertsModule } from './alerts/module';
import { auditModule } from './audit/routes';
import { createCollateralModule } from './collateral/module';
import { consentModule } from './consent/routes';
import { disputesModule } from './disputes/module';
import { createIndexer } from './indexer/indexer';
import { subjectsModule } from './subjects/routes';
import { supervisionModule } from './supervision/routes';
import { ensureConsortium, type BootstrapReport } from './consortium/bootstrap';
import { loadConsortium, type Consortium } from './consortium/definition';
import { OrgSignerStoreImpl } from './consortium/signers';
import { SubjectPseudonymiserImpl } from './consortium/subjects';
import type { GatewayConfig } from './config';
import type { DomainContext, DomainModuleFactory } from './domain';
import type { FeatureModule } from './feature';
import { AppError } from './http/errors';
import { createLogger, type Logger } from './http/logger';
import { EmbeddedLedgerClientImpl } from './ledger/embedded';
import { FabricLedgerClientImpl } from './ledger/fabric';
import type { LedgerClient } from './ledger/types';
import { provenanceModule } from './provenance/routes';
import { reportsModule } from './reports/routes';
import { reportPdfModule } from './reports/pdf/module';
import { selfServiceModule } from './self-service/module';
import { createGateway, type Gateway, type GatewayOptions } from './server';
import { SealedStore } from './store/sealed';

/** Business modules, in registration order. */
export const DOMAIN_MODULES: readonly DomainModuleFactory[] = [
  provenanceModule,
  subjectsModule,
  consentModule,
  reportsModule,
  reportPdfModule,
  selfServiceModule,
  createCollateralModule({ locator: (ctx, deps) => createIndexer(ctx, deps).locator }),
  disputesModule,
  auditModule,
  supervisionModule,
  createAlertsModule({
    bus: (ctx, deps) => createIndexer(ctx, deps).bus,
    log: (ctx, deps) => createIndexer(ctx, deps).alertLog,
  }),
];

/** Where `network:up` writes the connection profile the Fabric backend reads. */
export const DEFAULT_CONNECTION_PROFILE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'network',
  '.generated',
  'connection.json',
);

/** Opens the configured ledger backend. */
export async function openLedger(
  config: Readonly<GatewayConfig>,
  consortium: Consortium,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LedgerClient> {
  if (config.ledger === 'fabric') {
    return FabricLedgerClientImpl.connect(
      env.GATEWAY_CONNECTION_PROFILE ?? DEFAULT_CONNECTION_PROFILE,
      logger,
    );
  }
  return EmbeddedLedgerClientImpl.open({
    dataDir: path.join(config.dataDir, 'embedded'),
    organisations: consortium.organisations.map((o) => ({ mspId: o.mspId, name: o.name })),
    channelName: consortium.channel,
    chaincodeName: consortium.chaincode,
  });
}

/** Options of {@link buildGateway}. */
export interface BuildOptions extends Omit<GatewayOptions, 'modules'> {
  /** An open ledger client; the gateway closes it on stop. */
  readonly ledger: LedgerClient;
  readonly consortium: Consortium;
  /** Business modules; {@link DOMAIN_MODULES} by default. */
  readonly domainModules?: readonly DomainModuleFactory[];
  /** Modules without domain context (tests). */
  readonly extraModules?: readonly FeatureModule[];
  /** How long start-up waits for a ledger answering 503; {@link DEFAULT_LEDGER_WAIT_MS} by default. */
  readonly ledgerWaitMs?: number;
}

/** How long start-up waits for a ledger that answers "not now" (503), by default. */
export const DEFAULT_LEDGER_WAIT_MS = 10 * 60_000;

/**
 * Runs `step` until the ledger stops answering 503 `LEDGER_UNAVAILABLE` (a network still
 * starting, discovery not ready after a commit, a peer restarting), waiting with a growing
 * pause and saying what it waits for; any other failure, or `maxWaitMs` passing, ends it.
 *
 * @throws the step's last error.
 */
export async function untilLedgerReady<T>(
  step: () => Promise<T>,
  logger: Logger,
  maxWaitMs: number,
): Promise<T> {
  const deadline = Date.now() + maxWaitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      const waiting = err instanceof AppError && err.code === 'LEDGER_UNAVAILABLE';
      if (!waiting || Date.now() >= deadline) throw err;
      const pauseMs = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
      const reason = (err.details as { reason?: string } | undefined)?.reason;
      logger.warn('waiting for the ledger before start-up', {
        reason,
        detail: err.message,
        attempt,
        retryInMs: pauseMs,
        givesUpInMs: deadline - Date.now(),
      });
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}

/** A gateway wired to a bootstrapped ledger. */
export interface BuiltGateway {
  readonly gateway: Gateway;
  readonly context: DomainContext;
  readonly bootstrap: BootstrapReport;
}

/**
 * Bootstraps the ledger to the consortium definition and builds the gateway.
 *
 * @throws AppError when the ledger refuses the bootstrap.
 */
export async function buildGateway(options: Readonly<BuildOptions>): Promise<BuiltGateway> {
  const signers = new OrgSignerStoreImpl(
    new SealedStore({
      db: options.db,
      name: 'orgkeys',
      key: options.config.dataKey,
      schema: OrgSignerStoreImpl.schema,
    }),
  );
  const bootstrap = await untilLedgerReady(
    () => ensureConsortium(options.ledger, options.consortium, signers),
    options.logger ?? createLogger({ level: options.config.logLevel }),
    options.ledgerWaitMs ?? DEFAULT_LEDGER_WAIT_MS,
  );
  const context: DomainContext = {
    ledger: options.ledger,
    consortium: options.consortium,
    subjects: new SubjectPseudonymiserImpl(options.config.pseudonymSecret),
    signers,
  };
  const factories = options.domainModules ?? DOMAIN_MODULES;
  const modules: FeatureModule[] = [
    // Registered first so that it runs last: shutdown hooks run in reverse, and the
    // modules' hooks (indexer, event streams) still need the ledger while they stop.
    { name: 'ledger', register: (_router, deps) => deps.onShutdown(() => options.ledger.close()) },
    ...factories.map((factory): FeatureModule => ({
      name: factory.name,
      register: (router, deps) => factory(context, deps).register(router, deps),
    })),
    ...(options.extraModules ?? []),
  ];
  const gateway = createGateway({
    ...options,
    modules,
    readiness: {
      ...options.readiness,
      ledger: async () =>
        (await options.ledger.ready())
          ? { ok: true }
          : { ok: false, reason: `${options.ledger.backend} ledger unreachable` },
    },
  });
  return { gateway, context, bootstrap };
}

export { loadConsortium };
