/**
 * ES256 signing keys for access tokens, kept in a JWKS-like file in the data
 * directory (mode 0600). Every key in the file verifies; the `active` one
 * signs. Key IDs are RFC 7638 JWK thumbprints.
 *
 * Rotation (`node gateway-api/dist/src/cli/rotate-signing-key.js`) adds a new
 * active key and marks the old one retired; a retired key stays in the set,
 * and in the JWKS, until every token it signed has expired (retirement plus
 * the longest token lifetime and the clock tolerance), and the rotation after
 * that removes it.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * How long a retired key keeps verifying by default: the longest token
 * lifetime (900 s) plus the clock tolerance, rounded up.
 */
export const DEFAULT_KEEP_RETIRED_SECONDS = 900 + 60;

/** File name of the key set inside the data directory. */
export const SIGNING_KEYS_FILE = 'jwt-signing-keys.json';

const PrivateJwkSchema = z
  .object({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: z.base64url(),
    y: z.base64url(),
    d: z.base64url(),
    kid: z.string().min(1),
    alg: z.literal('ES256'),
    use: z.literal('sig'),
    createdAt: z.iso.datetime(),
    retiredAt: z.iso.datetime().optional(),
  })
  .strict();

const KeyFileSchema = z
  .object({ active: z.string().min(1), keys: z.array(PrivateJwkSchema).min(1) })
  .strict();

type PrivateJwk = z.infer<typeof PrivateJwkSchema>;

/** A public key as published in a JWKS. */
export interface PublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: 'ES256';
  readonly use: 'sig';
}

/** The key set used to sign and verify access tokens. */
export interface SigningKeys {
  /** The key new tokens are signed with. */
  active(): { readonly kid: string; readonly privateKey: KeyObject };
  /** The public key for `kid`, or `undefined` if the gateway never issued that kid. */
  publicKey(kid: string): KeyObject | undefined;
  /** Public keys of every known kid. */
  jwks(): { readonly keys: readonly PublicJwk[] };
  /**
   * Generates a new active key and returns its kid. The previous active key
   * is marked retired and keeps verifying; keys retired more than
   * `keepRetiredSeconds` ago (no token they signed is still valid) are removed.
   * @throws Error when the key file cannot be written.
   */
  rotate(keepRetiredSeconds?: number): string;
}

/** RFC 7638 thumbprint of an EC public key. */
function thumbprint(jwk: { crv: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

function newKey(now: Date): PrivateJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.x === undefined || jwk.y === undefined || jwk.d === undefined)
    throw new Error('EC key export failed');
  return {
    kty: 'EC',
    crv: 'P-256',
    x: jwk.x,
    y: jwk.y,
    d: jwk.d,
    kid: thumbprint({ crv: 'P-256', x: jwk.x, y: jwk.y }),
    alg: 'ES256',
    use: 'sig',
    createdAt: now.toISOString(),
  };
}

interface LoadedKey {
  readonly jwk: PrivateJwk;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

class SigningKeysImpl implements SigningKeys {
  readonly #file: string;
  #activeKid: string;
  readonly #keys = new Map<string, LoadedKey>();

  constructor(file: string, content: z.infer<typeof KeyFileSchema>) {
    this.#file = file;
    for (const jwk of content.keys) this.#add(jwk);
    if (!this.#keys.has(content.active))
      throw new Error(`${file}: active key ${content.active} is not in the set`);
    this.#activeKid = content.active;
  }

  #add(jwk: PrivateJwk): void {
    const privateKey = createPrivateKey({ key: { ...jwk }, format: 'jwk' });
    this.#keys.set(jwk.kid, { jwk, privateKey, publicKey: createPublicKey(privateKey) });
  }

  active(): { readonly kid: string; readonly privateKey: KeyObject } {
    const key = this.#keys.get(this.#activeKid);
    if (key === undefined) throw new Error('no active signing key');
    return { kid: this.#activeKid, privateKey: key.privateKey };
  }

  publicKey(kid: string): KeyObject | undefined {
    return this.#keys.get(kid)?.publicKey;
  }

  jwks(): { readonly keys: readonly PublicJwk[] } {
    return {
      keys: [...this.#keys.values()].map(({ jwk }) => ({
        kty: jwk.kty,
        crv: jwk.crv,
        x: jwk.x,
        y: jwk.y,
        kid: jwk.kid,
        alg: jwk.alg,
        use: jwk.use,
      })),
    };
  }

  rotate(keepRetiredSeconds = DEFAULT_KEEP_RETIRED_SECONDS): string {
    const now = new Date();
    const jwk = newKey(now);
    const cutoff = now.getTime() - keepRetiredSeconds * 1000;
    const kept = [...this.#keys.values()]
      .map((k) =>
        k.jwk.kid === this.#activeKid && k.jwk.retiredAt === undefined
          ? { ...k.jwk, retiredAt: now.toISOString() }
          : k.jwk,
      )
      .filter((k) => k.retiredAt === undefined || Date.parse(k.retiredAt) >= cutoff);
    const content = { active: jwk.kid, keys: [...kept, jwk] };
    writeKeyFile(this.#file, content);
    this.#keys.clear();
    for (const k of content.keys) this.#add(k);
    this.#activeKid = jwk.kid;
    return jwk.kid;
  }
}

function writeKeyFile(file: string, content: z.infer<typeof KeyFileSchema>): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Write-then-rename so a crash never leaves a half-written key set.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * Loads the key set in `dataDir`, creating it with one fresh P-256 key when
 * absent. Synchronous: it runs once at start-up, before the server listens.
 *
 * @throws Error when the file exists but is unreadable or malformed.
 */
export function loadSigningKeys(dataDir: string): SigningKeys {
  const file = path.join(dataDir, SIGNING_KEYS_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    const jwk = newKey(new Date());
    const content = { active: jwk.kid, keys: [jwk] };
    writeKeyFile(file, content);
    return new SigningKeysImpl(file, content);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file}: signing key file is not JSON`);
  }
  const parsed = KeyFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: malformed signing key file`);
  for (const jwk of parsed.data.keys) {
    if (thumbprint(jwk) !== jwk.kid) throw new Error(`${file}: key ${jwk.kid} does not match its thumbprint`);
  }
  return new SigningKeysImpl(file, parsed.data);
}
