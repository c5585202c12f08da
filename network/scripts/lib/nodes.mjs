/**
 * How each kind of node is started: its command line and environment. Fabric's
 * default core.yaml and orderer.yaml are used as they ship; everything this
 * network changes is set through environment variables, per node.
 */
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './topology.mjs';

/** Environment every Fabric process starts from: PATH and HOME only, never the caller's CORE_ or ORDERER_ settings. */
function baseEnv(fabric) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    FABRIC_CFG_PATH: fabric.cfgDir,
    FABRIC_LOGGING_SPEC: process.env.FABRIC_LOGGING_SPEC ?? 'INFO',
  };
}

/** The orderer's command and environment. */
export function ordererProcess(t, fabric, o) {
  const tls = (f) => path.join(o.tlsDir, f);
  const env = {
    ...baseEnv(fabric),
    ORDERER_GENERAL_LISTENADDRESS: t.host,
    ORDERER_GENERAL_LISTENPORT: String(o.port),
    ORDERER_GENERAL_LOCALMSPID: t.ordererOrg.mspId,
    ORDERER_GENERAL_LOCALMSPDIR: o.mspDir,
    ORDERER_GENERAL_BOOTSTRAPMETHOD: 'none',
    ORDERER_GENERAL_TLS_ENABLED: 'true',
    ORDERER_GENERAL_TLS_PRIVATEKEY: tls('server.key'),
    ORDERER_GENERAL_TLS_CERTIFICATE: tls('server.crt'),
    ORDERER_GENERAL_TLS_ROOTCAS: `[${tls('ca.crt')}]`,
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE: tls('server.crt'),
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY: tls('server.key'),
    ORDERER_GENERAL_CLUSTER_ROOTCAS: `[${tls('ca.crt')}]`,
    ORDERER_CHANNELPARTICIPATION_ENABLED: 'true',
    ORDERER_ADMIN_LISTENADDRESS: `${t.host}:${o.adminPort}`,
    ORDERER_ADMIN_TLS_ENABLED: 'true',
    ORDERER_ADMIN_TLS_PRIVATEKEY: tls('server.key'),
    ORDERER_ADMIN_TLS_CERTIFICATE: tls('server.crt'),
    ORDERER_ADMIN_TLS_ROOTCAS: `[${tls('ca.crt')}]`,
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED: 'true',
    ORDERER_ADMIN_TLS_CLIENTROOTCAS: `[${tls('ca.crt')}]`,
    ORDERER_OPERATIONS_LISTENADDRESS: `${t.host}:${o.operationsPort}`,
    ORDERER_METRICS_PROVIDER: 'prometheus',
    ORDERER_FILELEDGER_LOCATION: path.join(o.dataDir, 'ledger'),
    ORDERER_CONSENSUS_WALDIR: path.join(o.dataDir, 'consensus', 'wal'),
    ORDERER_CONSENSUS_SNAPDIR: path.join(o.dataDir, 'consensus', 'snapshot'),
  };
  return { name: o.name, command: path.join(fabric.binDir, 'orderer'), args: [], env, cwd: o.dataDir };
}

/** The per-peer configuration file the project's CCaaS builder reads. */
export function writeBuilderConfig(t, p) {
  const file = path.join(t.generated, 'builders', `${p.name}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        addresses: {
          [t.chaincode]: `${t.host}:${p.ccaas.port}`,
          [t.benchChaincode]: `${t.host}:${p.benchCcaas.port}`,
        },
        tls: {
          rootCertFile: path.join(p.ccaas.tlsDir, 'ca.crt'),
          clientCertFile: path.join(p.tlsDir, 'server.crt'),
          clientKeyFile: path.join(p.tlsDir, 'server.key'),
        },
      },
      null,
      2,
    ),
  );
  return file;
}

/** The peer's command and environment. */
export function peerProcess(t, fabric, p) {
  const tls = (f) => path.join(p.tlsDir, f);
  const address = `${t.host}:${p.port}`;
  const env = {
    ...baseEnv(fabric),
    CORE_PEER_ID: p.hostname,
    CORE_PEER_ADDRESS: address,
    CORE_PEER_LISTENADDRESS: address,
    CORE_PEER_CHAINCODEADDRESS: `${t.host}:${p.chaincodePort}`,
    CORE_PEER_CHAINCODELISTENADDRESS: `${t.host}:${p.chaincodePort}`,
    CORE_PEER_GOSSIP_BOOTSTRAP: address,
    CORE_PEER_GOSSIP_EXTERNALENDPOINT: address,
    CORE_PEER_LOCALMSPID: p.mspId,
    CORE_PEER_MSPCONFIGPATH: p.mspDir,
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_CERT_FILE: tls('server.crt'),
    CORE_PEER_TLS_KEY_FILE: tls('server.key'),
    CORE_PEER_TLS_ROOTCERT_FILE: tls('ca.crt'),
    CORE_PEER_FILESYSTEMPATH: path.join(p.dataDir, 'production'),
    CORE_LEDGER_SNAPSHOTS_ROOTDIR: path.join(p.dataDir, 'snapshots'),
    CORE_OPERATIONS_LISTENADDRESS: `${t.host}:${p.operationsPort}`,
    CORE_METRICS_PROVIDER: 'prometheus',
    // No Docker: without this the peer's health check waits for a Docker daemon.
    CORE_VM_ENDPOINT: '',
    // Only the project's chaincode-as-a-service builder; chaincode runs as its own process.
    CORE_CHAINCODE_EXTERNALBUILDERS: JSON.stringify([
      { name: 'ruralcredit-ccaas', path: t.builderDir, propagateEnvironment: ['RURALCREDIT_CCAAS_CONFIG'] },
    ]),
    RURALCREDIT_CCAAS_CONFIG: path.join(t.generated, 'builders', `${p.name}.json`),
  };
  return {
    name: p.name,
    command: path.join(fabric.binDir, 'peer'),
    args: ['node', 'start'],
    env,
    cwd: p.dataDir,
  };
}

/** The chaincode server (fabric-chaincode-node's `server`) serving one peer, with mutual TLS. */
export function chaincodeServerProcess(t, p, packageId) {
  const chaincodeDir = path.join(REPO_ROOT, 'chaincode');
  const cli = createRequire(path.join(chaincodeDir, 'package.json')).resolve('fabric-shim/cli.js');
  const tls = (f) => path.join(p.ccaas.tlsDir, f);
  return {
    name: p.ccaas.name,
    command: process.execPath,
    args: [
      cli,
      'server',
      '--chaincode-address',
      `${t.host}:${p.ccaas.port}`,
      '--chaincode-id',
      packageId,
      '--module-path',
      chaincodeDir,
      '--chaincode-tls-cert-file',
      tls('server.crt'),
      '--chaincode-tls-key-file',
      tls('server.key'),
      '--chaincode-tls-client-cacert-file',
      p.org.tlsCaCert,
    ],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      CORE_CHAINCODE_LOGGING_LEVEL: process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'WARNING',
      NODE_ENV: 'production',
    },
    cwd: chaincodeDir,
  };
}

/** The test-only blind-write chaincode server serving one peer (network.mjs up --bench). */
export function blindWriteServerProcess(t, p, packageId) {
  const script = path.join(REPO_ROOT, 'network', 'bench-chaincode', 'blind-write.mjs');
  return {
    name: p.benchCcaas.name,
    command: process.execPath,
    args: [
      script,
      '--address',
      `${t.host}:${p.benchCcaas.port}`,
      '--ccid',
      packageId,
      '--tls-dir',
      p.benchCcaas.tlsDir,
      '--client-ca',
      p.org.tlsCaCert,
    ],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      CORE_CHAINCODE_LOGGING_LEVEL: process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'WARNING',
      NODE_ENV: 'production',
      BLINDWRITE_MSPS: t.organisations.map((o) => o.mspId).join(','),
    },
    cwd: REPO_ROOT,
  };
}

/** Environment for Fabric's `peer` CLI acting as `org`'s admin against peer `p`. */
export function peerCliEnv(t, fabric, org, p) {
  return {
    ...baseEnv(fabric),
    FABRIC_LOGGING_SPEC: 'WARNING',
    CORE_PEER_LOCALMSPID: org.mspId,
    CORE_PEER_MSPCONFIGPATH: path.join(org.adminDir, 'msp'),
    CORE_PEER_ADDRESS: `${t.host}:${p.port}`,
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_ROOTCERT_FILE: p.org.tlsCaCert,
  };
}
