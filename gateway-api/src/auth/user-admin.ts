/**
 * User administration rules: organisation admins manage users of their own
 * organisation only, and REGULATOR_ADMIN exists only in the regulator's
 * organisation.
 */
import { AppError } from '../http/errors';
import type { Page, PageRequest } from '../http/pagination';
import { generatePassword } from './password';
import type { Principal } from './principal';
import type { Role } from './roles';
import type { UserStore, UserView } from './users';

/** A request to create a user. */
export interface CreateUserRequest {
  /** Target organisation; the caller's when omitted. */
  readonly orgMspId?: string | undefined;
  /** Login name. */
  readonly username: string;
  /** Initial password; generated (and returned once) when omitted. */
  readonly password?: string | undefined;
  /** Roles to grant. */
  readonly roles: readonly Role[];
}

/** Result of {@link UserAdmin.create}. */
export interface CreatedUser {
  /** The new user. */
  readonly user: UserView;
  /** The generated password, present only when none was supplied. */
  readonly initialPassword?: string;
}

/** Options for {@link UserAdmin}. */
export interface UserAdminOptions {
  /** User storage. */
  readonly users: UserStore;
  /** MSP ID of the regulator's organisation. */
  readonly regulatorMspId: string;
}

/** User administration on behalf of an authenticated admin. */
export class UserAdmin {
  readonly #options: Readonly<UserAdminOptions>;

  /** @param options user store and the regulator's MSP ID. */
  constructor(options: Readonly<UserAdminOptions>) {
    this.#options = options;
  }

  /**
   * Creates a user in the admin's own organisation.
   * @throws AppError 403 FORBIDDEN_ORG for another organisation; 400 INVALID_ROLE for
   *   REGULATOR_ADMIN outside the regulator's organisation; 409 USERNAME_TAKEN.
   */
  async create(admin: Principal, request: CreateUserRequest): Promise<CreatedUser> {
    const orgMspId = request.orgMspId ?? admin.orgMspId;
    if (orgMspId !== admin.orgMspId) {
      throw AppError.forbidden('administrators can only create users in their own organisation', {
        code: 'FORBIDDEN_ORG',
      });
    }
    if (request.roles.includes('REGULATOR_ADMIN') && orgMspId !== this.#options.regulatorMspId) {
      throw AppError.invalid('REGULATOR_ADMIN can only be granted in the regulator organisation', {
        code: 'INVALID_ROLE',
        details: [{ path: 'body.roles', message: 'REGULATOR_ADMIN not allowed for this organisation' }],
      });
    }
    const initialPassword = request.password === undefined ? generatePassword() : undefined;
    const user = await this.#options.users.create({
      orgMspId,
      username: request.username,
      password: request.password ?? initialPassword ?? '',
      roles: request.roles,
    });
    return initialPassword === undefined ? { user } : { user, initialPassword };
  }

  /** One page of the admin's organisation's users. */
  list(admin: Principal, page: PageRequest): Promise<Page<UserView>> {
    return this.#options.users.listByOrg(admin.orgMspId, page);
  }

  /**
   * Disables a user of the admin's organisation. Users of other
   * organisations are reported as not found, so their IDs are not confirmed.
   * @throws AppError 404 USER_NOT_FOUND; 409 CANNOT_DISABLE_SELF.
   */
  async disable(admin: Principal, userId: string): Promise<UserView> {
    const user = await this.#options.users.get(userId);
    if (user === undefined || user.orgMspId !== admin.orgMspId) {
      throw AppError.notFound('user not found', { code: 'USER_NOT_FOUND' });
    }
    if (user.id === admin.userId) {
      throw AppError.conflict('administrators cannot disable themselves', { code: 'CANNOT_DISABLE_SELF' });
    }
    return this.#options.users.disable(user.id);
  }
}
