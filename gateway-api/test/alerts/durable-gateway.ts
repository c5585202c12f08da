/**
 * A consortium gateway over a data directory the test owns, so it can be
 * stopped and started again over the same LevelDB and embedded ledger (the
 * acceptance fixture deletes its directory on stop).
 */
import path from 'node:path';
import { Level } from 'level';
import { buildGateway, loadConsortium, openLedger } from '../../src/app';
import type { Role } from '../../src/auth/roles';
import { loadConfig } from '../../src/config';
import type { DomainModuleFactory } from '../../src/domain';
import { apiCaller, ORG, type ConsortiumGateway, type OrgName } from '../acceptance/consortium-gateway';
import { call, memoryLogger } from '../helpers';

/**
 * Starts the gateway over `env.GATEWAY_DATA_DIR` (LevelDB in `leveldb/`);
 * `stop()` leaves the directory in place. Users are created on first use and
 * logged in again after a restart.
 */
export async function startGatewayAt(
  env: NodeJS.ProcessEnv,
  modules: readonly DomainModuleFactory[],
): Promise<ConsortiumGateway> {
  const config = loadConfig({ GATEWAY_LEDGER: process.env.TEST_LEDGER ?? 'embedded', ...env });
  const consortium = loadConsortium();
  const { logger, lines } = memoryLogger();
  const db = new Level<string, unknown>(path.join(config.dataDir, 'leveldb'), { valueEncoding: 'json' });
  await db.open();
  const ledger = await openLedger(config, consortium, logger);
  const { gateway, context } = await buildGateway({
    config,
    db,
    logger,
    ledger,
    consortium,
    domainModules: modules,
  });
  const { url, operationsUrl } = await gateway.start();
  const tokens = new Map<string, string>();
  const login = async (username: string, password: string): Promise<string | undefined> => {
    const res = await call(`${url}/api/v1/auth/token`, { method: 'POST', json: { username, password } });
    return (res.body as { accessToken?: string } | undefined)?.accessToken;
  };
  const token = async (org: OrgName, role: Role): Promise<string> => {
    const k = `${org}/${role}`;
    const cached = tokens.get(k);
    if (cached !== undefined) return cached;
    const username = `${org.toLowerCase()}.${role.toLowerCase()}`;
    const password = `pw-${username}-durable`;
    let accessToken = await login(username, password);
    if (accessToken === undefined) {
      await gateway.deps.users.create({ orgMspId: ORG[org], username, password, roles: [role] });
      accessToken = await login(username, password);
    }
    if (accessToken === undefined) throw new Error(`login failed for ${username}`);
    tokens.set(k, accessToken);
    return accessToken;
  };
  return {
    url,
    operationsUrl,
    gateway,
    context,
    config,
    logs: lines,
    token,
    api: apiCaller(url, token),
    async stop() {
      await gateway.stop();
      await db.close();
    },
  };
}
