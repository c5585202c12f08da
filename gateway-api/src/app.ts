/**
 * Composition root: opens the ledger backend named by the configuration,
 * brings it to the consortium definition, and builds the gateway with every
 * business module.
 */
import path from 'node:path';
import { createAlertsModule } from './alerts/module';
import { auditModule } from './audit/routes';
import { bulkModule } from './bulk/module';
import { createCollateralModule } from './collateral/module';
import { consentModule } from './consent/routes';
import { disputesModule } from './disputes/module';
import { membershipModule } from './membership/routes';
import { catalogueModule } from './catalogue/routes';
import { deliveriesModule } from './deliveries/routes';
import { financingModule } from './financing/module';
import { createIndexer } from './indexer/indexer';
import { subjectsModule } from './subjects/routes';
import { supervisionModule } from './supervision/routes';
import { watchFeed } from './watches/feed';
import { createWatchesModule } from './watches/module';
import { consoleSettings } from './console/mount';
import { ensureConsortium, ensureOrganisation, type BootstrapReport } from './consortium/bootstrap';
import { loadConsortium, type Consortium } from './consortium/definition';
import { OrgSignerStoreImpl, OwnOrgSigner, type OrgSignerStore } from './consortium/signers';
import { SubjectPseudonymiserImpl, type PseudonymSource } from './consortium/subjects';
import type { GatewayConfig, OrganisationSettings } from './config';
import { loadOrgIdentity, OrgKeyError, type OrgIdentity } from './organisation/identity';
import { readMspRoots, type MspRoots } from './organisation/msp';
import { ChannelMspRoots, type LiveMspRoots } from './organisation/channel-roots';
import { createOrganisationModule } from './organisation/routes';
import type { Deployment } from './ops/routes';
import type { DomainContext, DomainModuleFactory } from './domain';
import type { FeatureModule } from './feature';
import { AppError } from './http/errors';
import { createLogger, type Logger } from './http/logger';
import { EmbeddedLedgerClientImpl } from './ledger/embedded';
import { FabricLedgerClientImpl } from './ledger/fabric';
import type { LedgerClient } from './ledger/types';
import { provenanceModule } from './provenance/routes';
import { LocalPseudonymSource, RemotePseudonymSourceImpl } from './pseudonyms/client';
import { createPseudonymsModule } from './pseudonyms/module';
import { OprfKeyHolder } from './pseudonyms/oprf';
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
  bulkModule,
  reportPdfModule,
  selfServiceModule,
  createCollateralModule({ locator: (ctx, deps) => createIndexer(ctx, deps).locator }),
  disputesModule,
  financingModule,
  auditModule,
  supervisionModule,
  membershipModule,
  catalogueModule,
  deliveriesModule,
  createAlertsModule({
    bus: (ctx, deps) => createIndexer(ctx, deps).bus,
    log: (ctx, deps) => createIndexer(ctx, deps).alertLog,
    feed: (_ctx, deps) => watchFeed(deps),
  }),
  createWatchesModule({ bus: (ctx, deps) => createIndexer(ctx, deps).bus }),
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

/** A per-organisation gateway's own keys and the channel's MSP roots. */
export interface OwnOrganisation {
  readonly identity: OrgIdentity;
  /** Updated in place from the channel's configuration block (see organisation/channel-roots.ts). */
  readonly roots: LiveMspRoots;
}

/**
 * Loads the keys of the organisation named by `GATEWAY_ORG` from its key directory, checked
 * against the channel's MSP roots.
 *
 * @throws OrgKeyError when a key is missing, invalid or another organisation's.
 */
export function loadOwnOrganisation(settings: OrganisationSettings): OwnOrganisation {
  let roots: LiveMspRoots;
  try {
    roots = new Map(readMspRoots(settings.mspRootsFile));
  } catch (err) {
    throw new OrgKeyError('ORG_KEY_INVALID', `${settings.mspRootsFile}: ${(err as Error).message}`);
  }
  return { identity: loadOrgIdentity(settings.mspId, settings.keyDir, roots), roots };
}

/** Opens the configured ledger backend (one organisation's identity only when `own` is given). */
export async function openLedger(
  config: Readonly<GatewayConfig>,
  consortium: Consortium,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
  own?: OwnOrganisation,
): Promise<LedgerClient> {
  const profile = env.GATEWAY_CONNECTION_PROFILE ?? DEFAULT_CONNECTION_PROFILE;
  if (own !== undefined) {
    return FabricLedgerClientImpl.connectOrganisation(
      profile,
      { mspId: own.identity.mspId, credentials: own.identity.certificatePem, key: own.identity.fabricKey },
      logger,
    );
  }
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
  /** A per-organisation gateway's own keys; absent for the all-organisations demo. */
  readonly own?: OwnOrganisation;
  /**
   * The channel's MSP definitions that signed pseudonym-evaluation requests are checked against:
   * `own.roots` by default; the all-in-one demo has none (its members evaluate in-process).
   */
  readonly mspRoots?: MspRoots;
}

/**
 * Where this gateway's subject pseudonyms come from: the regulator's OPRF key in this process, or
 * the regulator's gateway, asked with this organisation's signed requests.
 *
 * @throws Error when the configuration asks for the regulator's gateway but this gateway has no
 *   organisation identity to sign with (the configuration refuses that already).
 */
export function pseudonymSource(
  config: Readonly<GatewayConfig>,
  own: OwnOrganisation | undefined,
): { source: PseudonymSource; key?: OprfKeyHolder } {
  const settings = config.pseudonyms;
  if (settings.mode === 'local') {
    const key = OprfKeyHolder.fromSeed(settings.seed);
    return { source: new LocalPseudonymSource(key), key };
  }
  if (own === undefined) throw new Error('a remote pseudonym evaluator needs an organisation identity');
  return {
    source: new RemotePseudonymSourceImpl({
      evaluatorUrl: settings.evaluatorUrl,
      publicKey: settings.publicKey,
      identity: own.identity,
    }),
  };
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
  const own = options.own;
  const signers: OrgSignerStore =
    own === undefined
      ? new OrgSignerStoreImpl(
          new SealedStore({
            db: options.db,
            name: 'orgkeys',
            key: options.config.dataKey,
            schema: OrgSignerStoreImpl.schema,
          }),
        )
      : new OwnOrgSigner(own.identity.mspId, own.identity.wallet);
  const bootstrap = await untilLedgerReady(
    () =>
      own === undefined
        ? ensureConsortium(options.ledger, options.consortium, signers)
        : ensureOrganisation(
            options.ledger,
            options.consortium,
            own.identity.mspId,
            own.identity.wallet,
            options.ledgerWaitMs ?? DEFAULT_LEDGER_WAIT_MS,
          ),
    options.logger ?? createLogger({ level: options.config.logLevel }),
    options.ledgerWaitMs ?? DEFAULT_LEDGER_WAIT_MS,
  );
  // The channel's configuration, read from the organisation's own peer, replaces the kit's roots file.
  const channelRoots =
    own === undefined || options.ledger.channelConfigBlock === undefined
      ? undefined
      : new ChannelMspRoots(
          own.roots,
          () => options.ledger.channelConfigBlock!(),
          own.identity.mspId,
          options.logger ?? createLogger({ level: options.config.logLevel }),
        );
  await channelRoots?.refresh();
  const pseudonyms = pseudonymSource(options.config, own);
  const context: DomainContext = {
    ledger: options.ledger,
    consortium: options.consortium,
    subjects: new SubjectPseudonymiserImpl(pseudonyms.source),
    ...(pseudonyms.key === undefined ? {} : { pseudonymKey: pseudonyms.key }),
    signers,
    ...(own === undefined ? {} : { own: own.identity }),
  };
  const factories = [
    ...(options.domainModules ?? DOMAIN_MODULES),
    // The regulator's OPRF evaluation, wherever its key is held.
    createPseudonymsModule({ roots: options.mspRoots ?? own?.roots ?? new Map() }),
    // The organisation-to-organisation API exists only where one organisation runs its own gateway.
    ...(own === undefined ? [] : [createOrganisationModule({ mspId: own.identity.mspId, roots: own.roots })]),
  ];
  const modules: FeatureModule[] = [
    // Registered first so that it runs last: shutdown hooks run in reverse, and the
    // modules' hooks (indexer, event streams) still need the ledger while they stop.
    { name: 'ledger', register: (_router, deps) => deps.onShutdown(() => options.ledger.close()) },
    ...(channelRoots === undefined
      ? []
      : [
          {
            name: 'msp-roots',
            register: (_router: unknown, deps: { onShutdown(hook: () => Promise<void>): void }) => {
              channelRoots.start((options.config.organisation?.mspRefreshSeconds ?? 0) * 1000);
              deps.onShutdown(() => channelRoots.stop());
            },
          },
        ]),
    ...factories.map((factory): FeatureModule => ({
      name: factory.name,
      register: (router, deps) => factory(context, deps).register(router, deps),
    })),
    ...(options.extraModules ?? []),
  ];
  const gateway = createGateway({
    console: { settings: consoleSettings(options.consortium) },
    ...options,
    deployment: deploymentOf(options.config),
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

/** What this process is, for the start-up banner and `/readyz`. */
export function deploymentOf(config: Readonly<GatewayConfig>): Deployment {
  return config.organisation === undefined
    ? {
        mode: 'all-in-one-demo',
        note:
          "ALL-IN-ONE DEMO: this one process holds every organisation's keys, users and data; " +
          'a real consortium runs one gateway per organisation (GATEWAY_ORG)',
      }
    : {
        mode: 'organisation',
        organisation: config.organisation.mspId,
        note: `the gateway of ${config.organisation.mspId}: its own keys, users and data only`,
      };
}

export { loadConsortium };
