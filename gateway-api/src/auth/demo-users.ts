/**
 * Demo-mode accounts: one user per role per organisation, with fresh random
 * passwords on every start (returned so they can be printed). Never used
 * outside demo mode; there are no passwords in code.
 */
import { generatePassword } from './password';
import { ROLES, type Role } from './roles';
import type { UserStore } from './users';

/** An organisation to create demo users for. */
export interface DemoOrg {
  /** MSP ID. */
  readonly mspId: string;
  /** Roles to create one user each for; every role except REGULATOR_ADMIN by default (plus it for the regulator). */
  readonly roles?: readonly Role[];
}

/** A demo login to print. */
export interface DemoLogin {
  /** Organisation MSP ID. */
  readonly orgMspId: string;
  /** Username. */
  readonly username: string;
  /** Password, valid until the next start. */
  readonly password: string;
  /** The user's roles. */
  readonly roles: readonly Role[];
}

/** The demo username for a role in an organisation, e.g. `bank1.loan-officer` for Bank1MSP. */
export function demoUsername(mspId: string, role: Role): string {
  const org = mspId
    .replace(/msp$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
  return `${org}.${role.toLowerCase().replace(/_/g, '-')}`;
}

/**
 * Creates (or, on restart, re-keys) one user per role for each organisation.
 *
 * @param users the user store.
 * @param orgs the demo organisations.
 * @param regulatorMspId the regulator's MSP ID (it alone gets a REGULATOR_ADMIN user by default).
 * @returns the logins, to print at start.
 * @throws Error when a demo username is held by a user of another organisation.
 */
export async function ensureDemoUsers(
  users: UserStore,
  orgs: readonly DemoOrg[],
  regulatorMspId: string,
): Promise<DemoLogin[]> {
  const logins: DemoLogin[] = [];
  for (const org of orgs) {
    const roles = org.roles ?? ROLES.filter((r) => r !== 'REGULATOR_ADMIN' || org.mspId === regulatorMspId);
    for (const role of roles) {
      const username = demoUsername(org.mspId, role);
      const password = generatePassword();
      const existing = await users.findByUsername(username);
      if (existing === undefined) {
        await users.create({ orgMspId: org.mspId, username, password, roles: [role] });
      } else if (existing.orgMspId !== org.mspId) {
        throw new Error(`demo username ${username} belongs to ${existing.orgMspId}`);
      } else {
        await users.setPassword(existing.id, password);
      }
      logins.push({ orgMspId: org.mspId, username, password, roles: [role] });
    }
  }
  return logins;
}
