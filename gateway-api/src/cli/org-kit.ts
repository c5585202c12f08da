/**
 * Writes one deployment kit per organisation from a network the project's scripts started:
 * what each member's operator hands its own gateway (`GATEWAY_ORG`), and nothing of the others.
 *
 *   node gateway-api/dist/src/cli/org-kit.js --network <dir with .generated> --out <dir>
 *
 * For each organisation `<out>/<MSP ID>/` gets `keys/` (its Fabric client certificate and key,
 * a new EIP-712 key; files 0600, folder 0700) and `connection.json` (the peers it trusts, no
 * keys); `<out>/msp-roots.json` holds the channel's MSP root certificates, read from the
 * channel's configuration block (public; every kit refers to it). A test and operator tool: in
 * production each organisation makes its own keys and receives only public material.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ConnectionProfile, OrganisationProfile } from '../ledger/fabric';
import { KEY_FILES } from '../organisation/identity';
import { mspRootsFromConfigBlock, mspRootsToJson } from '../organisation/msp';

/** Where a kit puts things. */
export interface OrgKit {
  readonly mspId: string;
  readonly keyDir: string;
  readonly connectionProfile: string;
}

/** The result of {@link writeOrgKits}. */
export interface OrgKits {
  readonly mspRootsFile: string;
  readonly kits: readonly OrgKit[];
}

interface NodesFile {
  readonly channel: string;
  readonly organisations: readonly { mspId: string; clientMspDir: string }[];
}

/**
 * Writes the kits of every organisation of the network in `networkDir` (its `.generated` folder).
 *
 * @throws Error when the network's generated files are missing.
 */
export function writeOrgKits(networkDir: string, outDir: string): OrgKits {
  const generated = path.join(networkDir, '.generated');
  const nodes = JSON.parse(readFileSync(path.join(generated, 'nodes.json'), 'utf8')) as NodesFile;
  const profile = JSON.parse(
    readFileSync(path.join(generated, 'connection.json'), 'utf8'),
  ) as ConnectionProfile;
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const roots = mspRootsFromConfigBlock(readFileSync(path.join(generated, `${nodes.channel}.block`)));
  const mspRootsFile = path.join(outDir, 'msp-roots.json');
  writeFileSync(mspRootsFile, mspRootsToJson(roots));
  const kits: OrgKit[] = [];
  for (const org of nodes.organisations) {
    const dir = path.join(outDir, org.mspId);
    const keyDir = path.join(dir, 'keys');
    mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    const signcerts = path.join(org.clientMspDir, 'signcerts');
    const cert = readdirSync(signcerts).find((f) => f.endsWith('.pem'));
    if (cert === undefined) throw new Error(`${signcerts}: no certificate`);
    copyFileSync(path.join(signcerts, cert), path.join(keyDir, KEY_FILES.fabricCertificate));
    copyFileSync(path.join(org.clientMspDir, 'keystore', 'priv_sk'), path.join(keyDir, KEY_FILES.fabricKey));
    writeFileSync(path.join(keyDir, KEY_FILES.eip712Key), `0x${randomBytes(32).toString('hex')}\n`, {
      flag: 'wx',
    });
    for (const f of Object.values(KEY_FILES)) chmodSync(path.join(keyDir, f), 0o600);
    const entry = profile.organisations.find((o) => o.mspId === org.mspId);
    const peers = entry?.peers ?? (entry?.peer === undefined ? [] : [entry.peer]);
    const own: OrganisationProfile = {
      channel: profile.channel,
      chaincode: profile.chaincode,
      peers: profile.peers
        .filter((p) => peers.includes(p.name))
        .map((p) => ({ ...p, tlsRootCertPath: path.resolve(generated, p.tlsRootCertPath) })),
      organisations: [{ mspId: org.mspId, peers }],
    };
    const connectionProfile = path.join(dir, 'connection.json');
    writeFileSync(connectionProfile, `${JSON.stringify(own, null, 2)}\n`);
    kits.push({ mspId: org.mspId, keyDir, connectionProfile });
  }
  return { mspRootsFile, kits };
}

if (require.main === module) {
  const { values } = parseArgs({ options: { network: { type: 'string' }, out: { type: 'string' } } });
  if (values.network === undefined || values.out === undefined) {
    process.stderr.write('usage: org-kit --network <network dir> --out <dir>\n');
    process.exit(2);
  }
  const kits = writeOrgKits(path.resolve(values.network), path.resolve(values.out));
  process.stdout.write(`${JSON.stringify(kits, null, 2)}\n`);
}
