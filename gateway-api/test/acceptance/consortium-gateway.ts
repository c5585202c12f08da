/**
 * Acceptance-test fixture: the real gateway on port 0 over real LevelDB,
 * bootstrapped to network/consortium.json on the configured ledger backend
 * (TEST_LEDGER=embedded by default; fabric needs `npm run network:up`), with
 * one user per role in each organisation and their access tokens.
 *
 * With `{ ledger: 'fabric-double' }` the gateway runs the `fabric` backend's
 * client (FabricLedgerClientImpl) against a gRPC double of the peer's Gateway
 * service backed by the embedded ledger (test/fabric/peer-double.ts): our
 * client code end to end, not Fabric.
 */
import type { MspRoots } from '../../src/organisation/msp';
import path from 'node:path';
import { Level } from 'level';
import {
  isoFromEpochSeconds,
  makeResidentId,
  type Deployment,
  sha256Hex,
  signTypedMessage,
  type TypedDataSigner,
} from '@ruralcredit/protocol';
import type { LedgerClient } from '../../src/ledger/types';
import { buildGateway, loadConsortium, openLedger } from '../../src/app';
import { EmbeddedLedgerClientImpl } from '../../src/ledger/embedded';
import type { Consortium } from '../../src/consortium/definition';
import type { Role } from '../../src/auth/roles';
import { loadConfig, type GatewayConfig } from '../../src/config';
import type { DomainContext, DomainModuleFactory } from '../../src/domain';
import type { Gateway } from '../../src/server';
import { startFabricDouble } from '../fabric/fabric-double-fixture';
import { call, memoryLogger, tempDir, testEnv, type ApiResponse } from '../helpers';

/** The deployment the test gateways run (channel and chaincode of the consortium file): every signature names it. */
export const DEPLOYMENT: Deployment = (() => {
  const { channel, chaincode } = loadConsortium();
  return { channel, chaincode };
})();

/** Short names of the consortium's organisations. */
export const ORG = {
  regulator: 'RegulatorMSP',
  bankA: 'BankAMSP',
  bankB: 'BankBMSP',
  bankC: 'BankCMSP',
  bankD: 'BankDMSP',
  land: 'NaturalResourcesMSP',
  agri: 'AgricultureMSP',
  auditor: 'AuditorMSP',
} as const;
/** A short organisation name. */
export type OrgName = keyof typeof ORG;

/** Roles each organisation's test users get, by the organisation's consortium role. */
const ROLES_BY_ORG: Record<OrgName, Role[]> = {
  regulator: ['REGULATOR_ADMIN', 'AUDITOR'],
  bankA: ['ORG_ADMIN', 'LOAN_OFFICER'],
  bankB: ['ORG_ADMIN', 'LOAN_OFFICER'],
  bankC: ['ORG_ADMIN', 'LOAN_OFFICER'],
  bankD: ['ORG_ADMIN', 'LOAN_OFFICER'],
  land: ['ORG_ADMIN', 'DATA_OFFICER'],
  agri: ['ORG_ADMIN', 'DATA_OFFICER'],
  auditor: ['ORG_ADMIN', 'AUDITOR'],
};

/** A running gateway on a bootstrapped ledger. */
export interface ConsortiumGateway {
  readonly url: string;
  /** Base URL of the operations listener (`/healthz`, `/readyz`, `/metrics`). */
  readonly operationsUrl: string;
  readonly gateway: Gateway;
  readonly context: DomainContext;
  readonly config: Readonly<GatewayConfig>;
  readonly logs: Record<string, unknown>[];
  /** A token for `org`'s user holding `role` (created on first use). */
  token(org: OrgName, role: Role): Promise<string>;
  /** Calls `/api/v1${path}` as `org`'s user with `role` (or anonymously without `as`). */
  api(
    path: string,
    init?: {
      method?: string;
      as?: [OrgName, Role];
      json?: unknown;
      body?: NonNullable<RequestInit['body']>;
      headers?: Record<string, string>;
    },
  ): Promise<ApiResponse>;
  stop(): Promise<void>;
}

/** The `api` of a {@link ConsortiumGateway}: `/api/v1${path}` as the user `token` gives for `as`. */
export function apiCaller(url: string, token: ConsortiumGateway['token']): ConsortiumGateway['api'] {
  return async (p, init = {}) => {
    const t = init.as ? await token(init.as[0], init.as[1]) : undefined;
    return call(`${url}/api/v1${p}`, {
      ...(init.method === undefined ? {} : { method: init.method }),
      ...(t === undefined ? {} : { token: t }),
      ...(init.json === undefined ? {} : { json: init.json }),
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.headers === undefined ? {} : { headers: init.headers }),
    });
  };
}

/** A valid resident ID for test subject `n` (same `n`, same ID). */
export function residentId(n: number): string {
  const day = String(1 + (n % 28)).padStart(2, '0');
  const month = String(1 + (Math.floor(n / 28) % 12)).padStart(2, '0');
  const sequence = String(Math.floor(n / 336) % 1000).padStart(3, '0');
  return makeResidentId(`3509021980${month}${day}${sequence}`);
}

/** Options of {@link startConsortiumGateway}. */
export interface ConsortiumGatewayOptions {
  /**
   * `configured` (default): the backend the configuration names; `fabric-double`:
   * the Fabric client over a gRPC double of the peer Gateway service.
   */
  readonly ledger?: 'configured' | 'fabric-double';
  /** Changes the consortium definition before the gateway bootstraps it (display names, for instance). */
  readonly consortium?: (definition: Consortium) => Consortium;
  /**
   * The embedded ledger's proposal clock (the chaincode's "now"), so a test can move time
   * forward past a deadline; embedded backend only.
   */
  readonly clock?: () => Date;
  /** The channel's MSP roots that signed organisation requests are checked against (none by default). */
  readonly mspRoots?: MspRoots;
}

/** Starts the gateway with the given business modules. */
export async function startConsortiumGateway(
  modules: readonly DomainModuleFactory[],
  env: NodeJS.ProcessEnv = {},
  options: ConsortiumGatewayOptions = {},
): Promise<ConsortiumGateway> {
  const { dir, cleanup } = await tempDir();
  const config = loadConfig(testEnv(dir, { GATEWAY_LEDGER: process.env.TEST_LEDGER ?? 'embedded', ...env }));
  const consortium = (options.consortium ?? ((c: Consortium) => c))(loadConsortium());
  const { logger, lines } = memoryLogger();
  const db = new Level<string, unknown>(path.join(dir, 'leveldb'), { valueEncoding: 'json' });
  await db.open();
  // The double keeps its ledger where the embedded backend would.
  const fabricDouble =
    options.ledger === 'fabric-double'
      ? await startFabricDouble(path.join(config.dataDir, 'embedded'))
      : undefined;
  if (options.clock !== undefined && (fabricDouble !== undefined || config.ledger !== 'embedded')) {
    throw new Error('a ledger clock needs the embedded backend');
  }
  const ledger = fabricDouble
    ? await fabricDouble.connect(logger)
    : options.clock === undefined
      ? await openLedger(config, consortium, logger)
      : await EmbeddedLedgerClientImpl.open({
          dataDir: path.join(config.dataDir, 'embedded'),
          organisations: consortium.organisations.map((o) => ({ mspId: o.mspId, name: o.name })),
          channelName: consortium.channel,
          chaincodeName: consortium.chaincode,
          clock: options.clock,
        });
  const { gateway, context } = await buildGateway({
    config,
    db,
    logger,
    ledger,
    consortium,
    domainModules: modules,
    ...(options.mspRoots === undefined ? {} : { mspRoots: options.mspRoots }),
  });
  const { url, operationsUrl } = await gateway.start();
  const tokens = new Map<string, string>();
  const token = async (org: OrgName, role: Role): Promise<string> => {
    const k = `${org}/${role}`;
    const cached = tokens.get(k);
    if (cached) return cached;
    if (!ROLES_BY_ORG[org].includes(role) && role !== 'ORG_ADMIN') {
      throw new Error(`test users of ${org} do not hold ${role}`);
    }
    const username = `${org.toLowerCase()}.${role.toLowerCase()}`;
    const password = `pw-${username}-${dir.slice(-6)}`;
    await gateway.deps.users.create({ orgMspId: ORG[org], username, password, roles: [role] });
    const res = await call(`${url}/api/v1/auth/token`, { method: 'POST', json: { username, password } });
    const accessToken = (res.body as { accessToken?: string }).accessToken;
    if (!accessToken) throw new Error(`login failed for ${username}: ${res.text}`);
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
      await fabricDouble?.stop();
      await db.close();
      await cleanup();
    },
  };
}

let kycGrants = 0;

/**
 * Binds `wallet` as the key of subject `pseudonym` the way a bank must: it
 * records an ACTIVE consent (a form hash) from the subject to `bankMspId`,
 * then registers the key under that consent with a KYC attestation, straight
 * on the ledger as the bank. Returns the consent ID.
 */
export async function bindSubjectKey(
  ledger: LedgerClient,
  bankMspId: string,
  pseudonym: string,
  wallet: TypedDataSigner & { address: string },
): Promise<string> {
  kycGrants += 1;
  const grantId = `kyc-${kycGrants}-${pseudonym.slice(0, 12)}`;
  const now = Math.floor(Date.now() / 1000);
  await ledger.submit(bankMspId, 'Consent:RecordGrant', [
    JSON.stringify({
      grantId,
      subject: pseudonym,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      validFrom: isoFromEpochSeconds(now - 60),
      validUntil: isoFromEpochSeconds(now + 86_400),
      evidence: { type: 'FORM_HASH', formHash: sha256Hex(`kyc form ${grantId}`) },
    }),
  ]);
  const signer = wallet.address.toLowerCase();
  const signature = await signTypedMessage(
    wallet,
    'SubjectKeyBinding',
    { subject: pseudonym, signer },
    DEPLOYMENT,
  );
  const kyc = {
    grantId,
    operator: sha256Hex('test operator'),
    attestedAt: isoFromEpochSeconds(now - 1),
    evidenceDigest: sha256Hex(`id card ${grantId}`),
  };
  await ledger.submit(bankMspId, 'Membership:RegisterSubjectSigner', [
    pseudonym,
    signer,
    signature,
    JSON.stringify(kyc),
  ]);
  return grantId;
}
