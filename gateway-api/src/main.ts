/**
 * Process entry point (`npm start`): load configuration, open the database,
 * build the gateway with the given modules, create demo users in demo mode,
 * listen, and shut down cleanly on SIGINT/SIGTERM.
 */
import { ensureDemoUsers, type DemoOrg } from './auth/demo-users';
import { ConfigError, loadConfig } from './config';
import type { FeatureModule } from './feature';
import type { ReadinessCheck } from './ops/routes';
import { createGateway, type Gateway } from './server';
import { openDatabase } from './store/db';

/** What {@link runGateway} starts. */
export interface RunOptions {
  /** Business route modules. */
  readonly modules?: readonly FeatureModule[];
  /** Readiness checks besides LevelDB (the ledger backend). */
  readonly readiness?: Readonly<Record<string, ReadinessCheck>>;
  /** Organisations to create demo users for in demo mode; the regulator's alone by default. */
  readonly demoOrgs?: readonly DemoOrg[];
  /** Environment to configure from; `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts the gateway and installs signal handlers that stop it and close the database.
 *
 * @throws ConfigError on invalid configuration; Error when the database or port is unavailable.
 */
export async function runGateway(options: RunOptions = {}): Promise<Gateway> {
  const config = loadConfig(options.env);
  const db = await openDatabase(config.dataDir);
  const gateway = createGateway({
    config,
    db,
    ...(options.modules === undefined ? {} : { modules: options.modules }),
    ...(options.readiness === undefined ? {} : { readiness: options.readiness }),
  });
  const logins = config.demo
    ? await ensureDemoUsers(
        gateway.deps.users,
        options.demoOrgs ?? [{ mspId: config.regulatorMspId }],
        config.regulatorMspId,
      )
    : [];
  const { url } = await gateway.start();
  const lines = [`Gateway listening on ${url} (ledger: ${config.ledger}${config.demo ? ', DEMO MODE' : ''})`];
  lines.push(`  OpenAPI: ${url}/api/v1/openapi.json   docs: ${url}/docs`);
  if (logins.length > 0) {
    lines.push('  Demo logins (valid until the next start):');
    for (const l of logins)
      lines.push(
        `    ${l.orgMspId.padEnd(16)} ${l.username.padEnd(32)} ${l.password}  [${l.roles.join(', ')}]`,
      );
  }
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

if (require.main === module) {
  runGateway().catch((err: unknown) => {
    process.stderr.write(
      `${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
