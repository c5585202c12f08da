/** Roles a gateway user can hold inside their organisation. */
import { z } from 'zod';

/** Every role, in display order. */
export const ROLES = ['ORG_ADMIN', 'LOAN_OFFICER', 'DATA_OFFICER', 'AUDITOR', 'REGULATOR_ADMIN'] as const;

/** A role inside the user's organisation. */
export type Role = (typeof ROLES)[number];

/** Zod schema for one {@link Role}. */
export const RoleSchema = z
  .enum(ROLES)
  .meta({ id: 'Role', description: 'Role inside the user’s organisation' });

/** Roles that may manage users of their own organisation. */
export const ADMIN_ROLES: readonly [Role, ...Role[]] = ['ORG_ADMIN', 'REGULATOR_ADMIN'];

/** Zod schema for an MSP ID (the organisation's Fabric membership service provider ID). */
export const MspIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/, 'must be an MSP ID (letters, digits, dot, hyphen; up to 64)')
  .meta({ description: 'Organisation MSP ID', examples: ['Bank1MSP'] });
