/**
 * Access tokens: a fixed one, or a username/password session that logs in
 * again before the token expires (the gateway issues no refresh tokens and
 * its tokens live at most 15 minutes).
 */
import { GatewayError } from './errors';
import { apiRoot, type TokenSource } from './http';
import type { TokenResponse } from './types';

/** A token source that always returns the same token (or none). */
export class FixedTokenSource implements TokenSource {
  readonly #token: string | undefined;

  constructor(token: string | undefined) {
    this.#token = token;
  }

  token(): Promise<string | undefined> {
    return Promise.resolve(this.#token);
  }

  invalidate(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/** Options of {@link PasswordSessionImpl}. */
export interface PasswordSessionOptions {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  /** The user's organisation (MSP ID); needed when the username exists in several organisations. */
  readonly org?: string;
  /** Log in again this many seconds before expiry (default: a fifth of the lifetime, at most 60). */
  readonly renewBeforeSeconds?: number;
  /** Clock in ms (tests). */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

/** A logged-in session: the current token and when it expires. */
export interface PasswordSession extends TokenSource {
  /** Logs in now (also done lazily by the first request). */
  login(): Promise<TokenResponse>;
  /** When the current token expires (ms since the epoch), or undefined before login. */
  readonly expiresAt: number | undefined;
}

/** Username/password {@link TokenSource} with automatic re-login before expiry. */
export class PasswordSessionImpl implements PasswordSession {
  readonly #options: Readonly<PasswordSessionOptions>;
  readonly #now: () => number;
  #current: { token: string; expiresAt: number; renewAt: number } | undefined;
  #pending: Promise<TokenResponse> | undefined;

  constructor(options: Readonly<PasswordSessionOptions>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get expiresAt(): number | undefined {
    return this.#current?.expiresAt;
  }

  /**
   * Logs in with the username and password.
   *
   * @throws GatewayError `UNAUTHENTICATED` (401), `RATE_LIMITED` (429), or status 0 when unreachable.
   */
  login(): Promise<TokenResponse> {
    // Concurrent requests share one login.
    this.#pending ??= this.#login().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async token(): Promise<string | undefined> {
    const current = this.#current;
    if (current !== undefined && this.#now() < current.renewAt) return current.token;
    return (await this.login()).accessToken;
  }

  invalidate(): Promise<boolean> {
    this.#current = undefined;
    return Promise.resolve(true);
  }

  async #login(): Promise<TokenResponse> {
    const doFetch = this.#options.fetch ?? fetch;
    const url = `${apiRoot(this.#options.baseUrl)}/auth/token`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          username: this.#options.username,
          password: this.#options.password,
          ...(this.#options.org === undefined ? {} : { org: this.#options.org }),
        }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new GatewayError(0, {
        code: 'UNREACHABLE',
        message: `cannot reach ${url}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
    if (!res.ok) throw GatewayError.fromResponse(res.status, await res.text());
    const body = (await res.json()) as TokenResponse;
    const issuedAt = this.#now();
    const lifetime = body.expiresIn * 1000;
    const margin = (this.#options.renewBeforeSeconds ?? Math.min(60, body.expiresIn / 5)) * 1000;
    this.#current = {
      token: body.accessToken,
      expiresAt: issuedAt + lifetime,
      renewAt: issuedAt + Math.max(0, lifetime - margin),
    };
    return body;
  }
}
