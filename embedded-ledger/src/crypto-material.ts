/**
 * Local crypto material for the embedded ledger: an ECDSA P-256 certificate
 * authority per organisation and X.509 client/admin certificates issued by
 * it, shaped like Fabric's (subject `O=<organisation>, OU=client|admin,
 * CN=<name>` as with NodeOUs; optional Fabric CA attribute extension), so
 * that fabric-shim's `ClientIdentity` reads them as on a peer.
 *
 * Files are PEM certificates and PKCS#8 keys, reused when present:
 *
 *     <directory>/<mspId>/ca/cert.pem, key.pem
 *     <directory>/<mspId>/users/<name>/cert.pem, key.pem
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomBytes, webcrypto } from 'node:crypto';
import * as path from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Identity } from './types';

/** OID of the Fabric CA attribute extension that `ClientIdentity.getAttributeValue` reads. */
export const FABRIC_ATTRIBUTE_EXTENSION_OID = '1.2.3.4.5.6.7.8.1';

/** An organisation: its MSP ID and the organisation name put in certificate subjects. */
export interface OrganizationSpec {
  /** MSP ID, e.g. `Org1MSP`; also the directory name. */
  readonly mspId: string;
  /** Organisation name (subject `O`), e.g. `org1.example.com`. */
  readonly organization: string;
}

/** An identity to load or issue. */
export interface IdentitySpec extends OrganizationSpec {
  /** Common name (subject `CN`); also the directory name. */
  readonly name: string;
  /** NodeOU role (subject `OU`); defaults to `client`. */
  readonly role?: 'client' | 'admin';
  /** Attributes for the Fabric CA attribute extension; no extension when absent. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** An organisation's certificate authority. */
export interface CertificateAuthority extends OrganizationSpec {
  /** CA certificate, PEM. */
  readonly certificate: string;
  /** CA private key, PKCS#8 PEM. */
  readonly privateKey: string;
}

/** Loads or creates certificate authorities and identities under one directory. */
export interface CryptoMaterial {
  /** Directory holding the material. */
  readonly directory: string;

  /**
   * The organisation's CA, created on first use.
   *
   * @throws Error when a name is unsafe as a directory name or a file cannot be read or written.
   */
  certificateAuthority(organization: OrganizationSpec): Promise<CertificateAuthority>;

  /**
   * An identity issued by the organisation's CA, created on first use. An
   * existing certificate is returned as stored, whatever `role` and
   * `attributes` now say.
   *
   * @throws Error when a name is unsafe as a directory name or a file cannot be read or written.
   */
  identity(spec: IdentitySpec): Promise<Identity & { readonly privateKey: string }>;
}

/** Options of {@link newCryptoMaterial}. */
export interface CryptoMaterialOptions {
  /** Directory to keep the material in (created if needed). */
  readonly directory: string;
  /** Validity of new certificates in days; default 3650. */
  readonly validityDays?: number;
}

/** Creates a {@link CryptoMaterial} over a directory. */
export function newCryptoMaterial(options: Readonly<CryptoMaterialOptions>): CryptoMaterial {
  return new CryptoMaterialImpl(options);
}

const ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
const crypto = webcrypto;

interface StoredPair {
  readonly certificate: string;
  readonly privateKey: string;
}

/** File-backed {@link CryptoMaterial}. */
export class CryptoMaterialImpl implements CryptoMaterial {
  readonly #directory: string;
  readonly #validityDays: number;
  /** Creations in progress, so concurrent calls for the same files create them once. */
  readonly #pending = new Map<string, Promise<StoredPair>>();

  /** @param options - directory and certificate validity. */
  constructor(options: Readonly<CryptoMaterialOptions>) {
    this.#directory = options.directory;
    this.#validityDays = options.validityDays ?? 3650;
  }

  get directory(): string {
    return this.#directory;
  }

  async certificateAuthority(organization: OrganizationSpec): Promise<CertificateAuthority> {
    const folder = path.join(this.#directory, safeName(organization.mspId), 'ca');
    const pair = await this.#loadOrCreate(folder, () => this.#createCa(organization));
    return { mspId: organization.mspId, organization: organization.organization, ...pair };
  }

  async identity(spec: IdentitySpec): Promise<Identity & { readonly privateKey: string }> {
    const folder = path.join(this.#directory, safeName(spec.mspId), 'users', safeName(spec.name));
    const pair = await this.#loadOrCreate(folder, async () =>
      this.#createIdentity(spec, await this.certificateAuthority(spec)),
    );
    return { mspId: spec.mspId, ...pair };
  }

  #loadOrCreate(folder: string, create: () => Promise<StoredPair>): Promise<StoredPair> {
    const pending = this.#pending.get(folder);
    if (pending) return pending;
    const result = (async () => {
      const stored = await readPair(folder);
      if (stored) return stored;
      const created = await create();
      await writePair(folder, created);
      return created;
    })();
    this.#pending.set(folder, result);
    result.catch(() => this.#pending.delete(folder));
    return result;
  }

  async #createCa(organization: OrganizationSpec): Promise<StoredPair> {
    const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const name: x509.JsonName = [
      { O: [organization.organization] },
      { CN: [`ca.${organization.organization}`] },
    ];
    const certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serialNumber(),
        subject: name,
        issuer: name,
        ...this.#validity(),
        signingAlgorithm: SIGNING_ALGORITHM,
        publicKey: keys.publicKey,
        signingKey: keys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
            true,
          ),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        ],
      },
      crypto,
    );
    return { certificate: certificate.toString('pem'), privateKey: await exportPrivateKey(keys.privateKey) };
  }

  async #createIdentity(spec: IdentitySpec, ca: CertificateAuthority): Promise<StoredPair> {
    const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const caCertificate = new x509.X509Certificate(ca.certificate);
    const caKey = await crypto.subtle.importKey(
      'pkcs8',
      x509.PemConverter.decodeFirst(ca.privateKey),
      ALGORITHM,
      false,
      ['sign'],
    );
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate, false, crypto),
    ];
    if (spec.attributes !== undefined) {
      const value = Buffer.from(JSON.stringify({ attrs: spec.attributes }), 'utf8');
      extensions.push(new x509.Extension(FABRIC_ATTRIBUTE_EXTENSION_OID, false, value));
    }
    const certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serialNumber(),
        subject: [{ O: [spec.organization] }, { OU: [spec.role ?? 'client'] }, { CN: [spec.name] }],
        issuer: caCertificate.subjectName,
        ...this.#validity(),
        signingAlgorithm: SIGNING_ALGORITHM,
        publicKey: keys.publicKey,
        signingKey: caKey,
        extensions,
      },
      crypto,
    );
    return { certificate: certificate.toString('pem'), privateKey: await exportPrivateKey(keys.privateKey) };
  }

  #validity(): { notBefore: Date; notAfter: Date } {
    const now = Date.now();
    // Back-dated a little so a certificate is valid on machines whose clocks lag.
    return {
      notBefore: new Date(now - 5 * 60 * 1000),
      notAfter: new Date(now + this.#validityDays * 24 * 60 * 60 * 1000),
    };
  }
}

function safeName(name: string): string {
  if (!SAFE_NAME.test(name)) throw new Error(`"${name}" cannot be used as a crypto material directory name`);
  return name;
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive INTEGER
  return bytes.toString('hex');
}

async function exportPrivateKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function readPair(folder: string): Promise<StoredPair | undefined> {
  const [certificate, privateKey] = await Promise.all([
    readOptional(path.join(folder, 'cert.pem')),
    readOptional(path.join(folder, 'key.pem')),
  ]);
  // A key without a certificate is a creation that was interrupted: nobody holds it, create afresh.
  if (certificate === undefined) return undefined;
  if (privateKey === undefined) throw new Error(`${folder} holds cert.pem without key.pem`);
  return { certificate, privateKey };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writePair(folder: string, pair: StoredPair): Promise<void> {
  await mkdir(folder, { recursive: true });
  // Key first, so that a crash never leaves a certificate without its key.
  await writeAtomically(path.join(folder, 'key.pem'), pair.privateKey, 0o600);
  await writeAtomically(path.join(folder, 'cert.pem'), pair.certificate, 0o644);
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, file);
}

/** Options of {@link createOrganisationIdentity}. */
export interface OrganisationIdentityOptions {
  /** Directory of the crypto material. */
  readonly directory: string;
  /** MSP ID of the organisation. */
  readonly mspId: string;
  /** Common name of the identity. */
  readonly name: string;
  /** Organisation name for subjects; defaults to the MSP ID. */
  readonly organisation?: string;
  /** NodeOU role; defaults to `client`. */
  readonly role?: 'client' | 'admin';
  /** Fabric CA attributes; none by default. */
  readonly attributes?: Readonly<Record<string, string>>;
}

const materialByDirectory = new Map<string, CryptoMaterialImpl>();

/**
 * Loads or creates an identity (and its organisation's CA) under
 * `directory`: a shortcut for {@link CryptoMaterial.identity}.
 *
 * @throws Error when a name is unsafe as a directory name or a file cannot be read or written.
 */
export function createOrganisationIdentity(
  options: Readonly<OrganisationIdentityOptions>,
): Promise<Identity & { readonly privateKey: string }> {
  const directory = path.resolve(options.directory);
  let material = materialByDirectory.get(directory);
  if (material === undefined) {
    material = new CryptoMaterialImpl({ directory });
    materialByDirectory.set(directory, material);
  }
  return material.identity({
    mspId: options.mspId,
    organization: options.organisation ?? options.mspId,
    name: options.name,
    ...(options.role === undefined ? {} : { role: options.role }),
    ...(options.attributes === undefined ? {} : { attributes: options.attributes }),
  });
}
