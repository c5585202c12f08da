/**
 * An organisation's own keys, for the per-organisation gateway (`GATEWAY_ORG`): its Fabric client
 * identity (X.509 certificate and P-256 key) and its EIP-712 signing key, read from the key
 * directory the operator provides. Nothing is generated here. The gateway refuses to start when
 * the directory (or the connection profile) holds a key of another organisation.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { mspOfCertificate, type MspRoots } from './msp';

/** Files of a key directory. */
export const KEY_FILES = {
  fabricCertificate: 'fabric-cert.pem',
  fabricKey: 'fabric-key.pem',
  eip712Key: 'eip712.key',
} as const;

/** Why an organisation's keys were refused; the gateway stops with this code. */
export type OrgKeyProblem = 'FOREIGN_ORG_KEY' | 'ORG_KEY_MISSING' | 'ORG_KEY_INVALID';

/** Raised when the keys given to a per-organisation gateway are unusable or not its own. */
export class OrgKeyError extends Error {
  readonly code: OrgKeyProblem;

  constructor(code: OrgKeyProblem, message: string) {
    super(`${code}: ${message}`);
    this.name = 'OrgKeyError';
    this.code = code;
  }
}

/** An organisation's own identity. */
export interface OrgIdentity {
  readonly mspId: string;
  /** PEM of the Fabric client certificate (issued by the organisation's CA). */
  readonly certificatePem: Buffer;
  readonly certificate: X509Certificate;
  /** The Fabric client identity's private key. */
  readonly fabricKey: KeyObject;
  /** The organisation's EIP-712 (secp256k1) signing key. */
  readonly wallet: Wallet;
}

function read(dir: string, name: string): Buffer {
  try {
    return readFileSync(path.join(dir, name));
  } catch (err) {
    throw new OrgKeyError('ORG_KEY_MISSING', `${path.join(dir, name)}: ${(err as Error).message}`);
  }
}

function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const der = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  return der(a).equals(der(b));
}

/**
 * Loads and checks the organisation's keys from `keyDir`.
 *
 * Every PEM certificate in the directory must be issued by `mspId`'s CA (a certificate of another
 * organisation of the channel is `FOREIGN_ORG_KEY`), and every private key in it must be the one
 * of the organisation's own certificate.
 *
 * @throws OrgKeyError FOREIGN_ORG_KEY, ORG_KEY_MISSING or ORG_KEY_INVALID.
 */
export function loadOrgIdentity(mspId: string, keyDir: string, roots: MspRoots): OrgIdentity {
  if (!roots.has(mspId)) {
    throw new OrgKeyError(
      'ORG_KEY_INVALID',
      `${mspId} is not an organisation of the channel's MSP definitions`,
    );
  }
  const certificatePem = read(keyDir, KEY_FILES.fabricCertificate);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch (err) {
    throw new OrgKeyError('ORG_KEY_INVALID', `${KEY_FILES.fabricCertificate}: ${(err as Error).message}`);
  }
  let fabricKey: KeyObject;
  try {
    fabricKey = createPrivateKey(read(keyDir, KEY_FILES.fabricKey));
  } catch (err) {
    if (err instanceof OrgKeyError) throw err;
    throw new OrgKeyError('ORG_KEY_INVALID', `${KEY_FILES.fabricKey}: ${(err as Error).message}`);
  }
  // Every file: a certificate of another organisation, or a key that is not ours, stops the start.
  for (const name of readdirSync(keyDir)) {
    const text = readFileSync(path.join(keyDir, name), 'utf8');
    for (const block of text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? []) {
      if (block.includes('CERTIFICATE')) {
        const owner = mspOfCertificate(new X509Certificate(block), roots);
        if (owner !== undefined && owner !== mspId) {
          throw new OrgKeyError(
            'FOREIGN_ORG_KEY',
            `${path.join(keyDir, name)} is a certificate of ${owner}; a gateway for ${mspId} holds ${mspId}'s keys only`,
          );
        }
      } else if (block.includes('PRIVATE KEY')) {
        const key = createPrivateKey(block);
        if (!samePublicKey(createPublicKey(key), certificate.publicKey)) {
          throw new OrgKeyError(
            'FOREIGN_ORG_KEY',
            `${path.join(keyDir, name)} holds a private key that is not the one of ${mspId}'s certificate`,
          );
        }
      }
    }
  }
  const owner = mspOfCertificate(certificate, roots);
  if (owner !== mspId) {
    throw new OrgKeyError(
      owner === undefined ? 'ORG_KEY_INVALID' : 'FOREIGN_ORG_KEY',
      owner === undefined
        ? `${KEY_FILES.fabricCertificate} is not issued by any organisation of the channel (or is expired)`
        : `${KEY_FILES.fabricCertificate} is ${owner}'s certificate; a gateway for ${mspId} holds ${mspId}'s keys only`,
    );
  }
  if (!samePublicKey(createPublicKey(fabricKey), certificate.publicKey)) {
    throw new OrgKeyError(
      'ORG_KEY_INVALID',
      `${KEY_FILES.fabricKey} does not match ${KEY_FILES.fabricCertificate}`,
    );
  }
  const eip712 = read(keyDir, KEY_FILES.eip712Key).toString('utf8').trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(eip712)) {
    throw new OrgKeyError(
      'ORG_KEY_INVALID',
      `${KEY_FILES.eip712Key} must hold one 0x-prefixed 32-byte hex key`,
    );
  }
  return { mspId, certificatePem, certificate, fabricKey, wallet: new Wallet(eip712) };
}
