/** Express middleware for bearer-token authentication and role checks. */
import type { RequestHandler } from 'express';
import { principalOf, setPrincipal } from '../http/context';
import { AppError } from '../http/errors';
import { hasAnyRole } from './principal';
import type { UserActivityStore } from './activity';
import type { Role } from './roles';
import type { TokenService } from './tokens';
import type { UserStore } from './users';

/** What {@link createAuthenticate} needs. */
export interface AuthenticateOptions {
  /** Verifies tokens. */
  readonly tokens: TokenService;
  /** Looks the user up so disabled users are refused even with an unexpired token. */
  readonly users: UserStore;
  /** Counts each authenticated request per user, when given. */
  readonly activity?: Pick<UserActivityStore, 'recordRequest'>;
  /** In a per-organisation gateway, the one organisation whose users it serves. */
  readonly organisation?: string;
}

/**
 * Requires `Authorization: Bearer <jwt>` with a valid token of an enabled
 * user whose organisation still matches the token, and records the caller's
 * {@link Principal} (roles as currently stored).
 *
 * Failures are 401 `UNAUTHENTICATED`.
 */
export function createAuthenticate(options: Readonly<AuthenticateOptions>): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    if (header === undefined) throw AppError.unauthorized('missing bearer token');
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
    if (match?.[1] === undefined)
      throw AppError.unauthorized('Authorization header must be "Bearer <token>"');
    const claims = options.tokens.verify(match[1]);
    const user = await options.users.get(claims.sub);
    const foreign = options.organisation !== undefined && user?.orgMspId !== options.organisation;
    if (user === undefined || user.disabled || user.orgMspId !== claims.org || foreign) {
      throw AppError.unauthorized('invalid access token');
    }
    setPrincipal(req, {
      userId: user.id,
      username: user.username,
      orgMspId: user.orgMspId,
      roles: user.roles,
      operator: claims.opr,
      expiresAt: claims.exp,
    });
    options.activity?.recordRequest(user.id);
    next();
  };
}

/**
 * Requires the authenticated caller to hold at least one of `roles`
 * (403 `FORBIDDEN_ROLE` otherwise; 401 when not authenticated at all).
 */
export function requireRole(...roles: Role[]): RequestHandler {
  if (roles.length === 0) throw new Error('requireRole needs at least one role');
  return (req, _res, next) => {
    const principal = principalOf(req);
    if (principal === undefined) throw AppError.unauthorized();
    if (!hasAnyRole(principal, roles)) {
      throw AppError.forbidden(`requires one of the roles: ${roles.join(', ')}`, {
        code: 'FORBIDDEN_ROLE',
        details: { required: roles },
      });
    }
    next();
  };
}
