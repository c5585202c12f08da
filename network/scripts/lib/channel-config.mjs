/**
 * The inputs of cryptogen and configtxgen, written from the topology. Both
 * tools read YAML; JSON is valid YAML, so the files are written as JSON.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const SANS = ['localhost', '127.0.0.1'];

/** cryptogen's crypto-config: one orderer org, one org per consortium member (peer orgs get peer0 and the chaincode server's TLS identity). */
export function cryptoConfig(t) {
  return {
    OrdererOrgs: [
      {
        Name: t.ordererOrg.mspId.replace(/MSP$/, ''),
        Domain: t.ordererOrg.domain,
        EnableNodeOUs: true,
        Specs: t.orderers.map((o) => ({ Hostname: o.hostname.split('.')[0], SANS })),
      },
    ],
    PeerOrgs: t.organisations.map((o) => ({
      Name: o.mspId.replace(/MSP$/, ''),
      Domain: o.domain,
      EnableNodeOUs: true,
      // peer0, and "ccaas": the TLS server identity of the org's chaincode server.
      Specs: o.hasPeer
        ? [
            { Hostname: 'peer0', SANS },
            { Hostname: 'ccaas', SANS },
          ]
        : [],
      Users: { Count: 1 },
    })),
  };
}

function orgPolicies(mspId, { endorsement }) {
  const policies = {
    Readers: { Type: 'Signature', Rule: `OR('${mspId}.admin', '${mspId}.peer', '${mspId}.client')` },
    Writers: { Type: 'Signature', Rule: `OR('${mspId}.admin', '${mspId}.client')` },
    Admins: { Type: 'Signature', Rule: `OR('${mspId}.admin')` },
  };
  if (endorsement) policies.Endorsement = { Type: 'Signature', Rule: `OR('${mspId}.peer')` };
  return policies;
}

/** The explicit k-of-n signature policy over the peer organisations (an ImplicitMeta MAJORITY would count the peerless members). */
export function endorsementRule(t) {
  const principals = t.peerOrgs.map((o) => `'${o.mspId}.peer'`).join(', ');
  return `OutOf(${t.endorsementRequired}, ${principals})`;
}

/** configtx.yaml with one profile, `RuralCredit`: the application channel's genesis block (etcdraft). */
export function configtx(t, profile) {
  const ordererOrganization = {
    Name: t.ordererOrg.mspId,
    ID: t.ordererOrg.mspId,
    MSPDir: path.join(t.ordererOrg.dir, 'msp'),
    Policies: {
      Readers: { Type: 'Signature', Rule: `OR('${t.ordererOrg.mspId}.member')` },
      Writers: { Type: 'Signature', Rule: `OR('${t.ordererOrg.mspId}.member')` },
      Admins: { Type: 'Signature', Rule: `OR('${t.ordererOrg.mspId}.admin')` },
    },
    OrdererEndpoints: t.orderers.map((o) => `${t.host}:${o.port}`),
  };
  const applicationOrganizations = t.organisations.map((o) => {
    const peer = t.peers.find((p) => p.mspId === o.mspId);
    return {
      Name: o.mspId,
      ID: o.mspId,
      MSPDir: o.mspDir,
      Policies: orgPolicies(o.mspId, { endorsement: o.hasPeer }),
      ...(peer ? { AnchorPeers: [{ Host: t.host, Port: peer.port }] } : {}),
    };
  });
  const rule = endorsementRule(t);
  const implicit = (rule) => ({ Type: 'ImplicitMeta', Rule: rule });
  return {
    Profiles: {
      RuralCredit: {
        Policies: {
          Readers: implicit('ANY Readers'),
          Writers: implicit('ANY Writers'),
          Admins: implicit('MAJORITY Admins'),
        },
        Capabilities: { V3_0: true },
        Orderer: {
          BatchTimeout: profile.batchTimeout,
          BatchSize: {
            MaxMessageCount: profile.maxMessageCount,
            AbsoluteMaxBytes: '10 MB',
            PreferredMaxBytes: '2 MB',
          },
          ...(t.consensus === 'bft' ? smartBft(t, profile) : raft(t)),
          Organizations: [ordererOrganization],
          Policies: {
            Readers: implicit('ANY Readers'),
            Writers: implicit('ANY Writers'),
            Admins: implicit('MAJORITY Admins'),
            BlockValidation: implicit('ANY Writers'),
          },
          Capabilities: { V2_0: true },
        },
        Application: {
          Organizations: applicationOrganizations,
          Policies: {
            Readers: implicit('ANY Readers'),
            Writers: implicit('ANY Writers'),
            Admins: implicit('MAJORITY Admins'),
            LifecycleEndorsement: { Type: 'Signature', Rule: rule },
            Endorsement: { Type: 'Signature', Rule: rule },
          },
          Capabilities: { V2_5: true },
        },
      },
    },
  };
}

/** The etcdraft part of the orderer section. */
function raft(t) {
  return {
    OrdererType: 'etcdraft',
    EtcdRaft: {
      Consenters: t.orderers.map((o) => ({
        Host: t.host,
        Port: o.port,
        ClientTLSCert: path.join(o.tlsDir, 'server.crt'),
        ServerTLSCert: path.join(o.tlsDir, 'server.crt'),
      })),
      Options: {
        TickInterval: '500ms',
        ElectionTick: 10,
        HeartbeatTick: 1,
        MaxInflightBlocks: 5,
        SnapshotIntervalSize: '16 MB',
      },
    },
  };
}

/** The SmartBFT part of the orderer section: every orderer a consenter, identified by its signing certificate. */
function smartBft(t, profile) {
  return {
    OrdererType: 'BFT',
    ConsenterMapping: t.orderers.map((o, i) => ({
      ID: i + 1,
      Host: t.host,
      Port: o.port,
      MSPID: t.ordererOrg.mspId,
      Identity: path.join(o.mspDir, 'signcerts', `${o.hostname}-cert.pem`),
      ClientTLSCert: path.join(o.tlsDir, 'server.crt'),
      ServerTLSCert: path.join(o.tlsDir, 'server.crt'),
    })),
    SmartBFT: {
      RequestBatchMaxInterval: profile.batchTimeout,
      RequestForwardTimeout: '2s',
      RequestComplainTimeout: '20s',
      RequestAutoRemoveTimeout: '3m',
      ViewChangeResendInterval: '5s',
      ViewChangeTimeout: '20s',
      LeaderHeartbeatTimeout: '1m',
      CollectTimeout: '1s',
      IncomingMessageBufferSize: 200,
      RequestPoolSize: 100000,
      LeaderHeartbeatCount: 10,
    },
  };
}

/** Reads a PEM file as text. */
export function pem(file) {
  return readFileSync(file, 'utf8');
}
