/**
 * The network's topology, derived once from network/consortium.json: node
 * names, host names, ports and directories. Everything generated lives under
 * one root (`NETWORK_DIR`, default network/) in ignored folders: `.generated`
 * (crypto material, channel config, connection profile), `.data` (ledgers),
 * `.logs` and `.run` (PID files).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository's network/ folder. */
export const NETWORK_SRC = path.resolve(here, '..', '..');
/** The repository root. */
export const REPO_ROOT = path.resolve(NETWORK_SRC, '..');

/**
 * Orderer batch timeouts per profile. `dev` keeps a sequence of dependent
 * submits fast (tests, demo seeding); `standard` is Fabric's usual 2 s.
 */
export const PROFILES = {
  dev: { batchTimeout: '250ms', maxMessageCount: 200 },
  standard: { batchTimeout: '2s', maxMessageCount: 500 },
};

/** Short lower-case name of an MSP ID: `BankAMSP` -> `banka`. */
export function shortName(mspId) {
  return mspId.replace(/MSP$/, '').toLowerCase();
}

/** The test-only blind-write chaincode deployed by `network.mjs up --bench` (never by a plain start). */
export const BENCH_CHAINCODE = 'blindwrite';

/** Ordering services: etcdraft (crash fault tolerant) or Fabric 3's SmartBFT (3f+1 nodes, f = 1). */
export const CONSENSUS = { raft: { minNodes: 3 }, bft: { minNodes: 4 } };

/**
 * @param {{ networkDir?: string, portBase?: number, consortiumPath?: string, consensus?: 'raft' | 'bft' }} [options]
 */
export function topology(options = {}) {
  const consortiumPath = options.consortiumPath ?? path.join(NETWORK_SRC, 'consortium.json');
  const consortium = JSON.parse(readFileSync(consortiumPath, 'utf8'));
  const net = consortium.network;
  const root = path.resolve(options.networkDir ?? NETWORK_SRC);
  const base = options.portBase ?? net.portBase;
  const generated = path.join(root, '.generated');
  const crypto = path.join(generated, 'crypto');
  const dataDir = path.join(root, '.data');
  const domain = net.domain;
  const host = '127.0.0.1';

  const ordererOrg = {
    mspId: net.orderer.mspId,
    name: net.orderer.name,
    domain: `${shortName(net.orderer.mspId)}.${domain}`,
  };
  ordererOrg.dir = path.join(crypto, 'ordererOrganizations', ordererOrg.domain);
  ordererOrg.adminDir = path.join(ordererOrg.dir, 'users', `Admin@${ordererOrg.domain}`);

  const consensus = options.consensus ?? 'raft';
  if (!CONSENSUS[consensus]) throw new Error(`unknown orderer type ${consensus} (raft, bft)`);
  const ordererCount = Math.max(net.orderer.nodes, CONSENSUS[consensus].minNodes);
  const orderers = Array.from({ length: ordererCount }, (_, i) => {
    const hostname = `orderer${i}.${ordererOrg.domain}`;
    const nodeDir = path.join(ordererOrg.dir, 'orderers', hostname);
    return {
      kind: 'orderer',
      name: `orderer${i}`,
      hostname,
      port: base + 100 + i,
      adminPort: base + 110 + i,
      operationsPort: base + 120 + i,
      mspDir: path.join(nodeDir, 'msp'),
      tlsDir: path.join(nodeDir, 'tls'),
      dataDir: path.join(dataDir, hostname),
    };
  });

  const organisations = consortium.organisations.map((o) => {
    const d = `${shortName(o.mspId)}.${domain}`;
    const dir = path.join(crypto, 'peerOrganizations', d);
    return {
      mspId: o.mspId,
      role: o.role,
      name: o.name,
      hasPeer: o.peer === true,
      domain: d,
      dir,
      mspDir: path.join(dir, 'msp'),
      tlsCaCert: path.join(dir, 'tlsca', `tlsca.${d}-cert.pem`),
      adminDir: path.join(dir, 'users', `Admin@${d}`),
      clientDir: path.join(dir, 'users', `User1@${d}`),
    };
  });

  const peerOrgs = organisations.filter((o) => o.hasPeer);
  const peers = peerOrgs.map((org, j) => {
    const hostname = `peer0.${org.domain}`;
    const nodeDir = path.join(org.dir, 'peers', hostname);
    return {
      kind: 'peer',
      name: `peer0.${shortName(org.mspId)}`,
      mspId: org.mspId,
      org,
      hostname,
      port: base + 200 + j,
      chaincodePort: base + 210 + j,
      operationsPort: base + 220 + j,
      mspDir: path.join(nodeDir, 'msp'),
      tlsDir: path.join(nodeDir, 'tls'),
      dataDir: path.join(dataDir, hostname),
      ccaas: {
        name: `ccaas.${shortName(org.mspId)}`,
        hostname: `ccaas.${org.domain}`,
        port: base + 230 + j,
        tlsDir: path.join(org.dir, 'peers', `ccaas.${org.domain}`, 'tls'),
      },
      // The test-only blind-write chaincode's server (network.mjs up --bench), same TLS identity.
      benchCcaas: {
        name: `ccaas-bw.${shortName(org.mspId)}`,
        hostname: `ccaas.${org.domain}`,
        port: base + 240 + j,
        tlsDir: path.join(org.dir, 'peers', `ccaas.${org.domain}`, 'tls'),
      },
    };
  });

  const regulatorPeer = peers.find((p) => p.org.role === 'REGULATOR');
  /**
   * The peers an organisation's gateway connection uses, most trusted first:
   * its own peer, then the regulator's, then the other peers in file order.
   */
  const gatewayPeers = (org) => {
    const own = peers.filter((p) => p.mspId === org.mspId);
    const rest = peers.filter((p) => p.mspId !== org.mspId && p !== regulatorPeer);
    return [...own, ...(regulatorPeer && regulatorPeer.mspId !== org.mspId ? [regulatorPeer] : []), ...rest];
  };

  return {
    consortium,
    channel: consortium.channel,
    chaincode: consortium.chaincode,
    benchChaincode: BENCH_CHAINCODE,
    domain,
    host,
    root,
    generated,
    crypto,
    dataDir,
    logDir: path.join(root, '.logs'),
    runDir: path.join(root, '.run'),
    stateFile: path.join(generated, 'network-state.json'),
    connectionProfile: path.join(generated, 'connection.json'),
    genesisBlock: path.join(generated, `${consortium.channel}.block`),
    builderDir: path.join(NETWORK_SRC, 'ccaas-builder'),
    consensus,
    ordererOrg,
    orderers,
    organisations,
    peerOrgs,
    peers,
    gatewayPeers,
    endorsementRequired: net.endorsement.peerOrganisationsRequired,
  };
}
