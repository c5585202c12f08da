/**
 * The real Fabric network the Fabric suite started (`npm run test:fabric`,
 * scripts/test-fabric.mjs): its nodes, each organisation's own client
 * identity through @hyperledger/fabric-gateway, Fabric's `peer` CLI, and the
 * network script to stop and start nodes. Outside that suite (no
 * NETWORK_DIR, or TEST_LEDGER is not `fabric`) every test here is skipped.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { connect, signers, type Gateway } from '@hyperledger/fabric-gateway';
import type { ConsortiumGateway } from '../acceptance/consortium-gateway';

const run = promisify(execFile);

/** What `network:up` wrote to `.generated/nodes.json`. */
export interface NetworkNodes {
  /** The ordering service: 3 etcdraft orderers, or 4 SmartBFT ones. */
  readonly consensus: 'raft' | 'bft';
  readonly channel: string;
  readonly chaincode: string;
  readonly fabricCfgDir: string;
  readonly orderers: readonly {
    name: string;
    endpoint: string;
    adminEndpoint: string;
    operationsEndpoint: string;
    tlsCaCert: string;
  }[];
  readonly peers: readonly {
    name: string;
    mspId: string;
    endpoint: string;
    hostname: string;
    operationsEndpoint: string;
    tlsCaCert: string;
    chaincodeServer: string;
  }[];
  readonly organisations: readonly {
    mspId: string;
    adminMspDir: string;
    clientMspDir: string;
    gatewayPeers: readonly string[];
  }[];
}

/** The repository root (from gateway-api/dist/test/fabric-network). */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** The running network, or `undefined` outside the Fabric suite. */
export function fabricNetwork(): NetworkNodes | undefined {
  const dir = process.env.NETWORK_DIR;
  if (process.env.TEST_LEDGER !== 'fabric' || !dir) return undefined;
  const file = path.join(dir, '.generated', 'nodes.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as NetworkNodes) : undefined;
}

/**
 * The network or a skipped test: call in `before` with mocha's `this`. With
 * `consensus`, tests also skip on a network with the other ordering service.
 */
export function requireNetwork(ctx: Mocha.Context, consensus: 'raft' | 'bft' = 'raft'): NetworkNodes {
  const nodes = fabricNetwork();
  if (!nodes || nodes.consensus !== consensus) ctx.skip();
  return nodes;
}

/**
 * Runs one network.mjs command that must succeed; on failure the assertion
 * carries the script's output (why a node did not start, with its log's path).
 */
export async function networkStep(...args: string[]): Promise<void> {
  const { code, stdout } = await networkScript(...args);
  expect(code, `network.mjs ${args.join(' ')} exited ${code}:\n${stdout}`).to.equal(0);
}

/** Runs network/scripts/network.mjs with the suite's NETWORK_DIR and ports. */
export async function networkScript(...args: string[]): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await run(
      process.execPath,
      [path.join(REPO_ROOT, 'network', 'scripts', 'network.mjs'), ...args],
      {
        env: process.env,
        timeout: 300_000,
      },
    );
    return { stdout, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: `${e.stdout ?? ''}${e.stderr ?? ''}`, code: typeof e.code === 'number' ? e.code : 1 };
  }
}

/** Finds the one file in a folder (cryptogen names keys `priv_sk`, certificates after the user). */
function onlyFile(dir: string): string {
  const files = readdirSync(dir);
  if (files.length !== 1 || files[0] === undefined)
    throw new Error(`expected one file in ${dir}, found ${files.length}`);
  return path.join(dir, files[0]);
}

/** An organisation's own client identity connected through one peer, with fabric-gateway. */
export interface OrgConnection {
  readonly gateway: Gateway;
  close(): void;
}

/**
 * Connects as `mspId`'s client user (User1, role client) through `peerName`
 * (by default the organisation's most trusted peer).
 */
export function connectAs(nodes: NetworkNodes, mspId: string, peerName?: string): OrgConnection {
  const org = nodes.organisations.find((o) => o.mspId === mspId);
  if (!org) throw new Error(`unknown organisation ${mspId}`);
  const peer = nodes.peers.find((p) => p.name === (peerName ?? org.gatewayPeers[0]));
  if (!peer) throw new Error(`unknown peer ${peerName ?? '(none)'}`);
  const client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(readFileSync(peer.tlsCaCert)), {
    'grpc.ssl_target_name_override': peer.hostname,
  });
  const gateway = connect({
    client,
    identity: { mspId, credentials: readFileSync(onlyFile(path.join(org.clientMspDir, 'signcerts'))) },
    signer: signers.newPrivateKeySigner(
      createPrivateKey(readFileSync(onlyFile(path.join(org.clientMspDir, 'keystore')))),
    ),
    evaluateOptions: () => ({ deadline: Date.now() + 10_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 30_000 }),
    submitOptions: () => ({ deadline: Date.now() + 10_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
  });
  return {
    gateway,
    close: () => {
      gateway.close();
      client.close();
    },
  };
}

/** Runs Fabric's own `peer` CLI as `mspId`'s admin against `peerName`. */
export async function peerCli(
  nodes: NetworkNodes,
  mspId: string,
  peerName: string,
  args: readonly string[],
): Promise<{ stdout: string; stderr: string }> {
  const org = nodes.organisations.find((o) => o.mspId === mspId);
  const peer = nodes.peers.find((p) => p.name === peerName);
  if (!org || !peer) throw new Error(`unknown organisation ${mspId} or peer ${peerName}`);
  const binDir = process.env.FABRIC_BIN_DIR ?? '/opt/hyperledger/fabric/bin';
  const bin = existsSync(path.join(binDir, 'peer')) ? path.join(binDir, 'peer') : 'peer';
  return run(bin, [...args], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FABRIC_CFG_PATH: nodes.fabricCfgDir,
      // INFO: `peer chaincode invoke` reports its result at that level.
      FABRIC_LOGGING_SPEC: 'INFO',
      CORE_PEER_LOCALMSPID: mspId,
      CORE_PEER_MSPCONFIGPATH: org.adminMspDir,
      CORE_PEER_ADDRESS: peer.endpoint,
      CORE_PEER_TLS_ENABLED: 'true',
      CORE_PEER_TLS_ROOTCERT_FILE: peer.tlsCaCert,
    },
    timeout: 120_000,
  });
}

/** The chaincode error code in a fabric-gateway error's details (`FORBIDDEN`, ...), or its gRPC message. */
export function chaincodeCode(err: unknown): string {
  const details = (err as { details?: { message: string }[] }).details ?? [];
  for (const d of details) {
    const match = /chaincode response \d+, ([A-Z_]+):/.exec(d.message);
    if (match?.[1]) return match[1];
  }
  return err instanceof Error ? err.message : String(err);
}

/** Retries `call` until it resolves or `timeoutMs` passes; returns the result and the tries it took. */
export async function eventually<T>(
  call: () => Promise<T>,
  timeoutMs = 90_000,
): Promise<{ value: T; tries: number }> {
  const deadline = Date.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    try {
      return { value: await call(), tries };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/** Counts, per client ID, the VALID transactions whose chaincode event names it, from `startBlock` to the tip. */
export async function countOnLedger(
  g: ConsortiumGateway,
  startBlock: number,
  field: 'accessId' | 'lienId' | 'grantId',
): Promise<Map<string, number>> {
  const tip = await g.context.ledger.height();
  const counts = new Map<string, number>();
  const stream = g.context.ledger.blocks(startBlock);
  try {
    for await (const block of stream) {
      for (const tx of block.transactions) {
        if (tx.validationCode !== 'VALID' || !tx.event) continue;
        const payload = JSON.parse(Buffer.from(tx.event.payload).toString('utf8')) as Record<string, unknown>;
        const id = payload[field];
        if (typeof id === 'string') counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      if (block.number >= tip - 1) break;
    }
  } finally {
    stream.close();
  }
  return counts;
}
