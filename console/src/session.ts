/**
 * A signed-in session: the SDK client over a password session that logs in
 * again before each token expires (the gateway issues no refresh tokens), and
 * the claims of the current token. The password lives only in this object, in memory; ending
 * the session drops it and aborts every open stream.
 */
import { createClient, PasswordSessionImpl, type RuralCreditClient } from '@ruralcredit/client-sdk';

export type Role = 'REGULATOR_ADMIN' | 'ORG_ADMIN' | 'LOAN_OFFICER' | 'DATA_OFFICER' | 'AUDITOR';

/** The token's claims the console uses. */
export interface Claims {
  readonly sub: string;
  readonly org: string;
  readonly roles: readonly Role[];
  readonly exp: number;
}

export interface Session {
  readonly username: string;
  readonly claims: Claims;
  readonly client: RuralCreditClient;
  /** Aborted when the session ends: streams and long calls listen to it. */
  readonly signal: AbortSignal;
  /** Ends the session: forgets the password and aborts streams. */
  end(): void;
}

function decodeClaims(token: string): Claims {
  const payload = token.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Claims;
}

/**
 * Signs in and returns the session.
 *
 * @throws GatewayError 401 `UNAUTHENTICATED`, 429 `RATE_LIMITED`, status 0 when unreachable.
 */
export async function signIn(username: string, password: string, org: string | undefined): Promise<Session> {
  const url = window.location.origin;
  const tokens = new PasswordSessionImpl({ baseUrl: url, username, password, ...(org ? { org } : {}) });
  const first = await tokens.login();
  const controller = new AbortController();
  return {
    username,
    claims: decodeClaims(first.accessToken),
    client: createClient({ url, tokens }),
    signal: controller.signal,
    end: () => {
      void tokens.invalidate();
      controller.abort();
    },
  };
}
