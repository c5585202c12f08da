/** The authenticated caller of a request. */
import type { Role } from './roles';

/** Who is calling: a user of one member organisation, with roles inside it. */
export interface Principal {
  /** Gateway user ID (the token's `sub`). */
  readonly userId: string;
  /** Login name. */
  readonly username: string;
  /** MSP ID of the user's organisation; the gateway signs ledger calls with this org's identity. */
  readonly orgMspId: string;
  /** Roles inside the organisation. */
  readonly roles: readonly Role[];
  /** Operator pseudonym recorded on the ledger instead of the user ID (the token's `opr`). */
  readonly operator: string;
  /** When the caller's token expires, in epoch seconds (the token's `exp`); long responses end then. */
  readonly expiresAt?: number;
}

/** Whether `principal` holds at least one of `roles`. */
export function hasAnyRole(principal: Principal, roles: readonly Role[]): boolean {
  return principal.roles.some((r) => roles.includes(r));
}
