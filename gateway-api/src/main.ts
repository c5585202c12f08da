/**
 * Process entry point (`npm start`): load configuration, open the database
 * and the configured ledger, bootstrap the consortium, build the gateway with
 * every business module, create demo users (and demo data) in demo mode,
 * listen, and shut down cleanly on SIGINT/SIGTERM.
 */
import './ledger/chaincode-logging';
import {
  buildGateway,
  deploymentOf,
  DOMAIN_MODULES,
  loadConsortium,
  loadOwnOrganisation,
  openLedger,
} from './app';
import { ensureDemoUsers, type DemoOrg } from './auth/demo-users';
import type { Role } from './auth/roles';
import { ConfigError, loadConfig } from './config';
import { seedDemo } from './demo/seed';
import type { Consortium } from './consortium/definition';
import { createLogger } from './http/logger';
import { ensurePortsFree, portProblem, PortUnavailableError } from './http/ports';
import type { Gateway } from './server';
import { cacheTuning, openDatabase, openFileLimit } from './store/db';
import { readaheadWarning, volumeReadahead } from './store/volume';
import { ForeignKeyInProfileError } from './ledger/fabric';
import { OrgKeyError } from './organisation/identity';

/** Roles of each organisation's demo users, by the organisation's consortium role. */
const DEMO_ROLES: Readonly<Record<Consortium['organisations'][number]['role'], Role[]>> = {
  REGULATOR: ['REGULATOR_ADMIN', 'AUDITOR'],
  BANK: ['ORG_ADMIN', 'LOAN_OFFICER'],
  DATA_PROVIDER: ['ORG_ADMIN', 'DATA_OFFICER'],
  AUDITOR: ['ORG_ADMIN', 'AUDITOR'],
  // Guarantors, insurers and microlenders query under consent as a bank's loan officers do.
  GUARANTOR: ['ORG_ADMIN', 'LOAN_OFFICER'],
  INSURER: ['ORG_ADMIN', 'LOAN_OFFICER'],
  MICROLENDER: ['ORG_ADMIN', 'LOAN_OFFICER'],
};

/** Options of {@link runGateway}. */
export interface RunOptions {
  /** Environment to configure from; `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts the gateway and installs signal handlers that stop it and close the database.
 *
 * @throws ConfigError on invalid configuration; Error when the database, ledger or port is unavailable.
 */
export async function runGateway(options: RunOptions = {}): Promise<Gateway> {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const logger = createLogger({ level: config.logLevel });
  const consortium = loadConsortium(env.GATEWAY_CONSORTIUM_FILE);
  // Before the ledger is opened and seeded, which takes a while.
  const ports = [
    { setting: 'GATEWAY_PORT', port: config.port, host: config.host },
    { setting: 'GATEWAY_OPERATIONS_PORT', port: config.operationsPort, host: config.operationsHost },
  ];
  // A per-organisation gateway checks its keys before anything else: another organisation's key stops it.
  const own = config.organisation === undefined ? undefined : loadOwnOrganisation(config.organisation);
  await ensurePortsFree(ports);
  const { tuning, warning } = cacheTuning(config, openFileLimit());
  if (warning !== undefined) logger.warn(warning);
  const db = await openDatabase(config.dataDir, tuning);
  const readahead = readaheadWarning(volumeReadahead(config.dataDir));
  if (readahead !== undefined) logger.warn(readahead);
  const ledger = await openLedger(config, consortium, logger, env, own);
  const { gateway, context } = await buildGateway({
    config,
    db,
    logger,
    ledger,
    consortium,
    domainModules: DOMAIN_MODULES,
    ...(own === undefined ? {} : { own }),
  }).catch(async (err: unknown) => {
    await ledger.close();
    await db.close();
    throw err;
  });
  const demoOrgs: DemoOrg[] = consortium.organisations
    .filter((o) => own === undefined || o.mspId === own.identity.mspId)
    .map((o) => ({ mspId: o.mspId, roles: DEMO_ROLES[o.role] }));
  const logins = config.demo
    ? await ensureDemoUsers(gateway.deps.users, demoOrgs, config.regulatorMspId)
    : [];
  const farmers = Number(env.GATEWAY_DEMO_FARMERS ?? '2000');
  // Demo data spans every organisation: only the all-in-one demo seeds it.
  const notes = config.demo && own === undefined ? await seedDemo(context, gateway.deps, farmers) : [];
  const { url, operationsUrl } = await gateway.start().catch((err: NodeJS.ErrnoException) => {
    // Taken between the check and now: still say which setting to change.
    const port = ports.find((p) => err.message.includes(`:${p.port}`)) ?? ports[0]!;
    throw err.code === undefined ? err : new PortUnavailableError(portProblem(port, err.code));
  });
  const lines = [`Gateway listening on ${url} (ledger: ${config.ledger}${config.demo ? ', DEMO MODE' : ''})`];
  lines.push(`  Deployment: ${deploymentOf(config).note}`);
  lines.push(`  OpenAPI: ${url}/api/v1/openapi.json   docs: ${url}/docs`);
  lines.push(`  Console: ${url}/console/${logins.length > 0 ? '   (sign in with a demo login below)' : ''}`);
  lines.push(`  Operations (readiness, metrics): ${operationsUrl}/readyz ${operationsUrl}/metrics`);
  lines.push(
    config.pseudonyms.mode === 'local'
      ? `  Subject pseudonyms: this gateway holds the regulator's OPRF key ${context.pseudonymKey?.publicKey.keyId ?? '?'} (public key: ${url}/api/v1/pseudonyms/key)`
      : `  Subject pseudonyms: evaluated by ${config.pseudonyms.evaluatorUrl} (pinned key ${config.pseudonyms.publicKey.toString('hex')}); this gateway holds no pseudonym key`,
  );
  if (logins.length > 0) {
    lines.push('  Demo logins (passwords valid until the next start):');
    for (const l of logins) {
      lines.push(
        `    ${l.orgMspId.padEnd(20)} ${l.username.padEnd(36)} ${l.password}  [${l.roles.join(', ')}]`,
      );
    }
  }
  lines.push(...notes.map((n) => `  ${n}`));
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    gateway.deps.logger.info('shutting down', { signal });
    gateway
      .stop()
      .then(() => db.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          gateway.deps.logger.error('shutdown failed', { err: (err as Error).message });
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return gateway;
}

/** A refusal to start with another organisation's (or an unusable) key: a plain message, not a stack. */
function isOrgKeyRefusal(err: unknown): err is Error {
  return err instanceof OrgKeyError || err instanceof ForeignKeyInProfileError;
}

if (require.main === module) {
  runGateway().catch((err: unknown) => {
    process.stderr.write(
      `${err instanceof ConfigError || err instanceof PortUnavailableError || isOrgKeyRefusal(err) ? `ruralcredit gateway: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
