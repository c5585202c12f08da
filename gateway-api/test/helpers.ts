/** Shared test fixtures: temp data dirs, a real gateway on port 0, users and tokens. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Level } from 'level';
import type { Role } from '../src/auth/roles';
import { loadConfig, type GatewayConfig } from '../src/config';
import type { FeatureModule } from '../src/feature';
import { createLogger, type Logger } from '../src/http/logger';
import type { ReadinessCheck } from '../src/ops/routes';
import { createGateway, type Gateway } from '../src/server';

/** A fresh temporary directory; removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-gateway-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes a fresh OPRF key seed file (what the regulator's operator provides) into `dir`.
 *
 * @returns the file's path.
 */
export function oprfKeyFile(dir: string, name = 'oprf-key.hex'): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return file;
}

/**
 * An environment with valid secrets and port 0. The login limit is raised
 * because every test logs in from 127.0.0.1; tests of the limit override it.
 */
export function testEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    GATEWAY_DATA_DIR: dataDir,
    GATEWAY_PORT: '0',
    GATEWAY_OPERATIONS_PORT: '0',
    GATEWAY_PSEUDONYM_SECRET: randomBytes(32).toString('hex'),
    GATEWAY_DATA_KEY: randomBytes(32).toString('hex'),
    ...(extra.GATEWAY_ORG === undefined ? { GATEWAY_OPRF_KEY_FILE: oprfKeyFile(dataDir) } : {}),
    GATEWAY_REGULATOR_MSP_ID: 'RegulatorMSP',
    GATEWAY_LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
    GATEWAY_LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE: '10000',
    // Suites create hundreds of users: the cheapest scrypt the stored-hash schema accepts (production: 17).
    GATEWAY_SCRYPT_LOG2_N: '14',
    ...extra,
  };
}

/** A logger that keeps parsed lines in memory. */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: 'debug',
    sink: (line) => {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { logger, lines, raw };
}

/** A running gateway and what a test needs to drive it. */
export interface TestGateway {
  readonly url: string;
  /** Base URL of the operations listener (`/healthz`, `/readyz`, `/metrics`). */
  readonly operationsUrl: string;
  readonly gateway: Gateway;
  readonly config: Readonly<GatewayConfig>;
  readonly db: Level<string, unknown>;
  readonly logs: Record<string, unknown>[];
  readonly rawLogs: string[];
  stop(): Promise<void>;
}

/** Options for {@link startGateway}. */
export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly modules?: readonly FeatureModule[];
  readonly readiness?: Readonly<Record<string, ReadinessCheck>>;
}

/** Starts a real gateway on port 0 over a real LevelDB in a temp dir. */
export async function startGateway(options: StartOptions = {}): Promise<TestGateway> {
  const { dir, cleanup } = await tempDir();
  const config = loadConfig(testEnv(dir, options.env));
  const db = new Level<string, unknown>(path.join(dir, 'leveldb'), { valueEncoding: 'json' });
  await db.open();
  const { logger, lines, raw } = memoryLogger();
  const gateway = createGateway({
    config,
    db,
    logger,
    ...(options.modules === undefined ? {} : { modules: options.modules }),
    ...(options.readiness === undefined ? {} : { readiness: options.readiness }),
  });
  const { url, operationsUrl } = await gateway.start();
  return {
    url,
    operationsUrl,
    gateway,
    config,
    db,
    logs: lines,
    rawLogs: raw,
    async stop() {
      await gateway.stop();
      await db.close();
      await cleanup();
    },
  };
}

/** A parsed HTTP response. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

/** Calls the gateway; JSON-encodes `json` when given. */
export async function call(
  url: string,
  init: {
    method?: string;
    token?: string;
    json?: unknown;
    body?: NonNullable<RequestInit['body']>;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body = init.body;
  if (init.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(init.json);
  }
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * Asserts an error response: exact status, exact code, and exactly the
 * `{"error": {"code", "message", "details"?, "txId"?}}` shape.
 */
export function expectError(
  res: ApiResponse,
  status: number,
  code: string,
): { code: string; message: string; details?: unknown } {
  expect(res.status, `status (body: ${res.text})`).to.equal(status);
  expect(res.headers.get('content-type') ?? '', 'content type').to.match(/^application\/json/);
  const body = res.body as { error?: Record<string, unknown> };
  expect(body, 'body').to.be.an('object');
  expect(Object.keys(body), 'top-level keys').to.deep.equal(['error']);
  const error = body.error ?? {};
  expect(error.code, 'error.code').to.equal(code);
  expect(error.message, 'error.message').to.be.a('string').and.not.equal('');
  expect(
    Object.keys(error).every((k) => ['code', 'message', 'details', 'txId'].includes(k)),
    `error keys ${Object.keys(error).join(',')}`,
  ).to.equal(true);
  return error as { code: string; message: string; details?: unknown };
}

/** Creates a user directly in the store; returns its ID and password. */
export async function addUser(
  tg: TestGateway,
  orgMspId: string,
  username: string,
  roles: Role[],
): Promise<{ id: string; username: string; password: string }> {
  const password = randomBytes(12).toString('base64url');
  const user = await tg.gateway.deps.users.create({ orgMspId, username, password, roles });
  return { id: user.id, username, password };
}

/** Logs in through the API and returns the access token. */
export async function login(tg: TestGateway, username: string, password: string): Promise<string> {
  const res = await call(`${tg.url}/api/v1/auth/token`, { method: 'POST', json: { username, password } });
  expect(res.status, `login ${username}: ${res.text}`).to.equal(200);
  return (res.body as { accessToken: string }).accessToken;
}

/** Creates a user and logs in. */
export async function userWithToken(
  tg: TestGateway,
  orgMspId: string,
  username: string,
  roles: Role[],
): Promise<{ id: string; token: string; password: string }> {
  const user = await addUser(tg, orgMspId, username, roles);
  return { id: user.id, password: user.password, token: await login(tg, username, user.password) };
}
