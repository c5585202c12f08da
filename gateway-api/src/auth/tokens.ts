/**
 * Access tokens: short-lived JWTs signed ES256 with a `kid` header.
 *
 * Verification trusts nothing in the token before the signature checks out:
 * the algorithm is pinned to ES256 (so `alg: none` and HS256, including
 * HS256 keyed with our public key, fail), the `kid` must be one this gateway
 * issued, and `iss`, `aud` and a present `exp` are required. Tokens carry
 * the explicit type `typ: at+jwt` (RFC 8725 section 3.11, RFC 9068), and a
 * JWT of any other type (an ID token, a signed document) is refused even
 * when the signature checks out.
 */
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { AppError } from '../http/errors';
import type { SigningKeys } from './keys';
import { operatorPseudonym } from './pseudonym';
import { RoleSchema, type Role } from './roles';

/** The claims the gateway puts in every access token. */
export interface AccessClaims {
  /** User ID. */
  readonly sub: string;
  /** MSP ID of the user's organisation. */
  readonly org: string;
  /** The user's roles when the token was issued. */
  readonly roles: readonly Role[];
  /** Operator pseudonym (see {@link operatorPseudonym}). */
  readonly opr: string;
  /** Issuer. */
  readonly iss: string;
  /** Audience. */
  readonly aud: string;
  /** Issued at (seconds since the epoch). */
  readonly iat: number;
  /** Expiry (seconds since the epoch). */
  readonly exp: number;
  /** Token ID. */
  readonly jti: string;
}

const ClaimsSchema = z.object({
  sub: z.string().min(1),
  org: z.string().min(1),
  roles: z.array(RoleSchema),
  opr: z.string().regex(/^[0-9a-f]{64}$/),
  iss: z.string(),
  aud: z.string(),
  iat: z.number().int(),
  exp: z.number().int(),
  jti: z.string().min(1),
});

/** What `POST /api/v1/auth/token` returns. */
export interface IssuedToken {
  /** The JWT. */
  readonly accessToken: string;
  /** Always `Bearer`. */
  readonly tokenType: 'Bearer';
  /** Lifetime in seconds. */
  readonly expiresIn: number;
}

/** Who a token is issued to. */
export interface TokenSubject {
  /** User ID. */
  readonly id: string;
  /** MSP ID of the user's organisation. */
  readonly orgMspId: string;
  /** Roles to put in the token. */
  readonly roles: readonly Role[];
}

/** Issues and verifies access tokens. */
export interface TokenService {
  /** Signs a token for `user` with the active key. */
  issue(user: TokenSubject): IssuedToken;
  /**
   * Verifies a token and returns its claims.
   * @throws AppError 401 UNAUTHENTICATED for any token that is not a valid, unexpired token of this gateway.
   */
  verify(token: string): AccessClaims;
}

/** Options for {@link TokenServiceImpl}. */
export interface TokenServiceOptions {
  /** Signing key set. */
  readonly keys: SigningKeys;
  /** `iss` claim. */
  readonly issuer: string;
  /** `aud` claim. */
  readonly audience: string;
  /** Lifetime in seconds. */
  readonly ttlSeconds: number;
  /** Secret for operator pseudonyms. */
  readonly pseudonymSecret: Buffer;
  /** Allowed clock skew when checking `exp`/`iat`, in seconds; 5 by default. */
  readonly clockToleranceSeconds?: number;
}

/** Verified tokens kept by {@link TokenServiceImpl} (the oldest is dropped first). */
const VERIFIED_CACHE_SIZE = 10_000;

/** Longest JWT accepted, in characters; ours are well under 1 KiB. */
const MAX_TOKEN_LENGTH = 4096;

/** The `typ` header of access tokens (RFC 9068). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Whether a `typ` header names an access token: `at+jwt` or `application/at+jwt`, any case (RFC 8725 3.11). */
function isAccessTokenType(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return t === ACCESS_TOKEN_TYPE || t === `application/${ACCESS_TOKEN_TYPE}`;
}

function invalidToken(message = 'invalid access token'): AppError {
  return AppError.unauthorized(message, {
    headers: { 'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"' },
  });
}

/** {@link TokenService} over jsonwebtoken with ES256 keys from {@link SigningKeys}. */
export class TokenServiceImpl implements TokenService {
  readonly #options: Readonly<TokenServiceOptions>;
  /** Tokens already verified, until they expire: the signature is checked once, not per request. */
  readonly #verified = new Map<string, { readonly claims: AccessClaims; readonly kid: string }>();

  /** @param options keys, issuer, audience, lifetime, pseudonym secret. */
  constructor(options: Readonly<TokenServiceOptions>) {
    this.#options = options;
  }

  issue(user: TokenSubject): IssuedToken {
    const { kid, privateKey } = this.#options.keys.active();
    const payload = {
      sub: user.id,
      org: user.orgMspId,
      roles: [...user.roles],
      opr: operatorPseudonym(this.#options.pseudonymSecret, user.id),
    };
    const accessToken = jwt.sign(payload, privateKey, {
      algorithm: 'ES256',
      keyid: kid,
      header: { alg: 'ES256', typ: ACCESS_TOKEN_TYPE, kid },
      issuer: this.#options.issuer,
      audience: this.#options.audience,
      expiresIn: this.#options.ttlSeconds,
      jwtid: randomUUID(),
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.#options.ttlSeconds };
  }

  verify(token: string): AccessClaims {
    const tolerance = this.#options.clockToleranceSeconds ?? 5;
    const known = this.#verified.get(token);
    if (known !== undefined) {
      // The same checks jsonwebtoken makes of a token it has verified: expiry (with the
      // tolerance) and a key still in the set.
      const unexpired = Math.floor(Date.now() / 1000) < known.claims.exp + tolerance;
      if (unexpired && this.#options.keys.publicKey(known.kid) !== undefined) return known.claims;
      this.#verified.delete(token);
      if (!unexpired) throw invalidToken('access token expired');
      throw invalidToken();
    }
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalidToken();
    let decoded: jwt.Jwt | null;
    try {
      // decode throws on a payload that claims to be JSON and is not.
      decoded = jwt.decode(token, { complete: true });
    } catch {
      throw invalidToken();
    }
    if (decoded === null || typeof decoded.payload === 'string') throw invalidToken();
    const { alg, kid } = decoded.header;
    if (alg !== 'ES256' || typeof kid !== 'string' || !isAccessTokenType(decoded.header.typ))
      throw invalidToken();
    const publicKey = this.#options.keys.publicKey(kid);
    if (publicKey === undefined) throw invalidToken();
    let payload: unknown;
    try {
      payload = jwt.verify(token, publicKey, {
        algorithms: ['ES256'],
        issuer: this.#options.issuer,
        audience: this.#options.audience,
        clockTolerance: tolerance,
      });
    } catch (err) {
      throw err instanceof jwt.TokenExpiredError ? invalidToken('access token expired') : invalidToken();
    }
    // jsonwebtoken accepts tokens without exp; ours always have one.
    const claims = ClaimsSchema.safeParse(payload);
    if (!claims.success) throw invalidToken();
    // Tokens longer-lived than our own TTL were not minted by this gateway's policy.
    if (claims.data.exp - claims.data.iat > this.#options.ttlSeconds) throw invalidToken();
    this.#verified.set(token, { claims: claims.data, kid });
    if (this.#verified.size > VERIFIED_CACHE_SIZE) {
      this.#verified.delete(this.#verified.keys().next().value as string);
    }
    return claims.data;
  }
}
