/**
 * The regulator's read-only view of every organisation's users: who they
 * are, whether they may log in, when they last did, and how much they use the
 * gateway. Passwords, tokens and operator pseudonyms never appear.
 */
import { z } from 'zod';
import { AppError } from '../http/errors';
import type { Page, PageRequest } from '../http/pagination';
import type { UserActivityStore } from './activity';
import type { Principal } from './principal';
import { RoleSchema } from './roles';
import type { UserStore } from './users';

/** One user as the regulator sees it. */
export const UserOverviewSchema = z
  .object({
    userId: z.string(),
    username: z.string(),
    org: z.string().describe('MSP ID of the user’s organisation'),
    roles: z.array(RoleSchema),
    status: z.enum(['ACTIVE', 'DISABLED']),
    createdAt: z.string(),
    lastLoginAt: z.string().nullable().describe('Last successful login at this gateway; null when never'),
    loginCount: z.number().int(),
    requestCount: z.number().int().describe('Authenticated API requests'),
    lastRequestAt: z.string().nullable(),
  })
  .meta({ id: 'UserOverview' });

/** A user as the regulator sees it. */
export type UserOverview = z.output<typeof UserOverviewSchema>;

/** Options of {@link UserOverviewService}. */
export interface UserOverviewOptions {
  readonly users: UserStore;
  readonly activity: UserActivityStore;
  /** MSP ID of the regulator's organisation: the only one that may read this. */
  readonly regulatorMspId: string;
}

/** Every organisation's users with their activity, for the regulator. */
export class UserOverviewService {
  readonly #options: Readonly<UserOverviewOptions>;

  constructor(options: Readonly<UserOverviewOptions>) {
    this.#options = options;
  }

  /**
   * One page of users (of one organisation when `org` is given), with activity.
   * @throws AppError 403 FORBIDDEN_ORG outside the regulator's organisation; 400 INVALID_CURSOR.
   */
  async list(caller: Principal, page: PageRequest, org?: string): Promise<Page<UserOverview>> {
    if (caller.orgMspId !== this.#options.regulatorMspId) {
      throw AppError.forbidden('only the regulator’s organisation may list every organisation’s users', {
        code: 'FORBIDDEN_ORG',
      });
    }
    const { users, activity } = this.#options;
    const result = await users.listAll(page, org);
    const activities = await activity.getMany(result.items.map((u) => u.id));
    return {
      items: result.items.map((u, i) => {
        const a = activities[i]!;
        return {
          userId: u.id,
          username: u.username,
          org: u.orgMspId,
          roles: [...u.roles],
          status: u.disabled ? 'DISABLED' : 'ACTIVE',
          createdAt: u.createdAt,
          lastLoginAt: a.lastLoginAt,
          loginCount: a.loginCount,
          requestCount: a.requestCount,
          lastRequestAt: a.lastRequestAt,
        };
      }),
      nextCursor: result.nextCursor,
    };
  }
}
