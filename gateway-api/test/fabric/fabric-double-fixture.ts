/**
 * Test fixture: the consortium's organisations on an embedded ledger, a
 * gRPC double of the peer's Gateway service in front of it (see
 * peer-double.ts), and a connection profile in the `fabric` backend's shape
 * so that FabricLedgerClientImpl connects to the double as to a peer.
 *
 * The embedded client and the double share one ledger, so a test can make
 * the same call through both backends and compare what each gives.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { newCryptoMaterial } from '@ruralcredit/embedded-ledger';
import { loadConsortium, type Consortium } from '../../src/consortium/definition';
import type { Logger } from '../../src/http/logger';
import { EmbeddedLedgerClientImpl } from '../../src/ledger/embedded';
import { FabricLedgerClientImpl, type ConnectionProfile, type Deadlines } from '../../src/ledger/fabric';
import { PeerGatewayDoubleImpl, type PeerGatewayDouble } from './peer-double';

/** Host name of the double's TLS certificate; the profile connects to 127.0.0.1 with this name. */
export const PEER_HOSTNAME = 'peer0.banka.example';
/** The organisation whose peer the double plays. */
export const PEER_MSP_ID = 'BankAMSP';

/** A running double and both ways into its ledger. */
export interface FabricDouble {
  readonly consortium: Consortium;
  /** The embedded backend over the same ledger. */
  readonly embedded: EmbeddedLedgerClientImpl;
  readonly peer: PeerGatewayDouble;
  /** The connection profile (JSON file) pointing at the double. */
  readonly profilePath: string;
  /**
   * A new Fabric client connected through the profile (the caller closes it).
   *
   * @throws Error when the profile's files cannot be read.
   */
  connect(logger: Logger, deadlines?: Deadlines): Promise<FabricLedgerClientImpl>;
  /** Stops the double and closes the embedded ledger. */
  stop(): Promise<void>;
}

/**
 * Opens (or creates) the embedded ledger under `dataDir` with an identity per
 * consortium organisation, as the `embedded` backend lays it out, and starts
 * the double in front of it.
 *
 * @throws Error when openssl, the ledger or the server fails.
 */
export async function startFabricDouble(dataDir: string): Promise<FabricDouble> {
  const consortium = loadConsortium();
  const embedded = await EmbeddedLedgerClientImpl.open({
    dataDir,
    organisations: consortium.organisations.map((o) => ({ mspId: o.mspId, name: o.name })),
    channelName: consortium.channel,
    chaincodeName: consortium.chaincode,
  });
  // The same files EmbeddedLedgerClientImpl.open loaded or issued.
  const crypto = newCryptoMaterial({ directory: path.join(dataDir, 'crypto') });
  const msps = new Map<string, string>();
  for (const o of consortium.organisations) {
    msps.set(
      o.mspId,
      (await crypto.certificateAuthority({ mspId: o.mspId, organization: o.name })).certificate,
    );
  }
  const peerOrg = consortium.organisations.find((o) => o.mspId === PEER_MSP_ID);
  if (peerOrg === undefined) throw new Error(`the consortium has no ${PEER_MSP_ID}`);
  const peerIdentity = await crypto.identity({
    mspId: PEER_MSP_ID,
    organization: peerOrg.name,
    name: PEER_HOSTNAME,
  });

  const directory = path.join(dataDir, 'fabric-double');
  const tls = await tlsMaterial(path.join(directory, 'tls'), PEER_HOSTNAME);
  const peer = await PeerGatewayDoubleImpl.start({
    ledger: embedded.ledger,
    hostname: PEER_HOSTNAME,
    tls: { certificate: tls.certificate, privateKey: tls.privateKey },
    peer: peerIdentity,
    msps,
  });

  const profile: ConnectionProfile = {
    channel: consortium.channel,
    chaincode: consortium.chaincode,
    peers: [
      {
        name: PEER_HOSTNAME,
        mspId: PEER_MSP_ID,
        endpoint: peer.endpoint,
        hostnameOverride: PEER_HOSTNAME,
        tlsRootCertPath: path.relative(directory, tls.caPath),
      },
    ],
    organisations: consortium.organisations.map((o) => {
      const user = path.join(dataDir, 'crypto', o.mspId, 'users', `gateway.${o.mspId}`);
      return {
        mspId: o.mspId,
        peer: PEER_HOSTNAME,
        certPath: path.relative(directory, path.join(user, 'cert.pem')),
        keyPath: path.relative(directory, path.join(user, 'key.pem')),
      };
    }),
  };
  const profilePath = path.join(directory, 'connection.json');
  await writeFile(profilePath, `${JSON.stringify(profile, null, 2)}\n`);

  return {
    consortium,
    embedded,
    peer,
    profilePath,
    connect: (logger, deadlines) => FabricLedgerClientImpl.connect(profilePath, logger, deadlines),
    async stop() {
      await peer.stop();
      await embedded.close();
    },
  };
}

/**
 * A TLS CA and a server certificate for `hostname` (P-256, SAN DNS), made
 * with openssl; reused when present.
 */
async function tlsMaterial(
  directory: string,
  hostname: string,
): Promise<{ caPath: string; certificate: string; privateKey: string }> {
  const file = (name: string): string => path.join(directory, name);
  try {
    return {
      caPath: file('ca.pem'),
      certificate: await readFile(file('server.pem'), 'utf8'),
      privateKey: await readFile(file('server.key'), 'utf8'),
    };
  } catch {
    // Not made yet.
  }
  await mkdir(directory, { recursive: true });
  const openssl = (args: string[]): Promise<unknown> => promisify(execFile)('openssl', args);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2'].concat([
      '-subj',
      `/O=peer gateway double/CN=tlsca.${hostname}`,
    ]),
  );
  await openssl(
    ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr')].concat([
      '-subj',
      `/O=peer gateway double/CN=${hostname}`,
    ]),
  );
  await writeFile(
    file('server.ext'),
    `subjectAltName=DNS:${hostname}\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n`,
  );
  await openssl(
    ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key')].concat([
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file('server.ext'),
      '-out',
      file('server.pem'),
    ]),
  );
  return {
    caPath: file('ca.pem'),
    certificate: await readFile(file('server.pem'), 'utf8'),
    privateKey: await readFile(file('server.key'), 'utf8'),
  };
}
