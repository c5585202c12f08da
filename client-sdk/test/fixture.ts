/**
 * The SDK's test gateway: the real gateway with every business module on
 * port 0 over the embedded ledger (gateway-api's acceptance fixture), plus
 * one user per role with a known password, so tests log in as clients do.
 */
import '@ruralcredit/gateway-api/dist/src/ledger/chaincode-logging';
import { DOMAIN_MODULES } from '@ruralcredit/gateway-api/dist/src/app';
import type { Role } from '@ruralcredit/gateway-api/dist/src/auth/roles';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
  type OrgName,
  DEPLOYMENT,
} from '@ruralcredit/gateway-api/dist/test/acceptance/consortium-gateway';
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import { createClient, type RuralCreditClient } from '../src';

export { DEPLOYMENT, ORG, residentId };

/** Users the tests log in as: organisation and role. */
export const USERS = {
  bankAOfficer: ['bankA', 'LOAN_OFFICER'],
  bankAAdmin: ['bankA', 'ORG_ADMIN'],
  bankBOfficer: ['bankB', 'LOAN_OFFICER'],
  landOfficer: ['land', 'DATA_OFFICER'],
  agriOfficer: ['agri', 'DATA_OFFICER'],
  auditor: ['auditor', 'AUDITOR'],
  regulator: ['regulator', 'REGULATOR_ADMIN'],
} as const satisfies Record<string, readonly [OrgName, Role]>;
/** A test user's name. */
export type UserName = keyof typeof USERS;

/** A username and password. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** A running gateway with users and clients. */
export interface SdkGateway {
  readonly url: string;
  readonly g: ConsortiumGateway;
  credentials(user: UserName): Credentials;
  /** A client logged in (lazily, by password) as `user`. */
  client(user: UserName): RuralCreditClient;
  stop(): Promise<void>;
}

/** Ledger time `offsetSeconds` from now, second precision. */
export function ledgerTime(offsetSeconds = 0): string {
  return isoFromEpochSeconds(Math.floor(Date.now() / 1000) + offsetSeconds);
}

/** A homestead record of test subject `n`, valid for the HOMESTEAD schema. */
export function homestead(n: number): Record<string, unknown> {
  return {
    subjectId: residentId(n),
    certificateNo: `HS-${n}`,
    parcelCode: `350902-${n}`,
    areaSquareMetres: 120 + n,
    registeredOn: '2019-05-01',
  };
}

/** Starts the gateway and creates the test users. */
export async function startSdkGateway(): Promise<SdkGateway> {
  const g = await startConsortiumGateway(DOMAIN_MODULES);
  const credentials = new Map<UserName, Credentials>();
  for (const [name, [org, role]] of Object.entries(USERS) as [UserName, readonly [OrgName, Role]][]) {
    const creds = { username: `sdk.${name.toLowerCase()}`, password: `pw-${name}-0123456789` };
    await g.gateway.deps.users.create({
      orgMspId: ORG[org],
      username: creds.username,
      password: creds.password,
      roles: [role],
    });
    credentials.set(name, creds);
  }
  const clients = new Map<UserName, RuralCreditClient>();
  return {
    url: g.url,
    g,
    credentials: (user) => credentials.get(user)!,
    client(user) {
      let client = clients.get(user);
      if (client === undefined) {
        client = createClient({ url: g.url, credentials: credentials.get(user)! });
        clients.set(user, client);
      }
      return client;
    },
    stop: () => g.stop(),
  };
}

/** Polls `check` until it returns a value other than undefined (the block indexer runs behind commits). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `promise` and returns the GatewayError-like rejection it must end with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to be refused');
}
