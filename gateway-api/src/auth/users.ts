/**
 * Gateway users in LevelDB: one record per user plus two indexes (username,
 * unique across the gateway; and organisation, for listing). The three are
 * written in one atomic batch.
 */
import { randomUUID } from 'node:crypto';
import type { AbstractSublevel } from 'abstract-level';
import { z } from 'zod';
import { AppError } from '../http/errors';
import { notFoundToUndefined, type GatewayDb } from '../store/db';
import { pageFromKeys, type Page, type PageRequest } from '../http/pagination';
import { PasswordHasher, PasswordHashSchema, type PasswordHash } from './password';
import { MspIdSchema, RoleSchema, type Role } from './roles';

/** Zod schema of a username: 3-64 of `[a-z0-9._-]`, starting with a letter or digit; input is lower-cased. */
export const UsernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'must be 3-64 characters of a-z, 0-9, dot, underscore, hyphen')
  .meta({ examples: ['bank1.loan-officer'] });

/** A user as stored (including the password hash). */
export interface UserRecord {
  /** Random user ID. */
  readonly id: string;
  /** MSP ID of the user's organisation. */
  readonly orgMspId: string;
  /** Unique login name (lower case). */
  readonly username: string;
  /** Non-empty set of roles. */
  readonly roles: readonly Role[];
  /** scrypt hash. */
  readonly password: PasswordHash;
  /** Disabled users cannot log in and their tokens stop working. */
  readonly disabled: boolean;
  /** ISO-8601 creation time. */
  readonly createdAt: string;
}

const UserRecordSchema = z
  .object({
    id: z.string().min(1),
    orgMspId: MspIdSchema,
    username: z.string().min(1),
    roles: z.array(RoleSchema).min(1),
    password: PasswordHashSchema,
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .strict();

/** A user as shown through the API: the record without its password hash. */
export type UserView = Omit<UserRecord, 'password'>;

/** Zod schema of {@link UserView}. */
export const UserViewSchema = z
  .object({
    id: z.string(),
    orgMspId: z.string(),
    username: z.string(),
    roles: z.array(RoleSchema),
    disabled: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'User' });

/** Drops the password hash. */
export function toUserView(user: UserRecord): UserView {
  return {
    id: user.id,
    orgMspId: user.orgMspId,
    username: user.username,
    roles: user.roles,
    disabled: user.disabled,
    createdAt: user.createdAt,
  };
}

/** Input to {@link UserStore.create}. */
export interface NewUser {
  /** MSP ID of the organisation. */
  readonly orgMspId: string;
  /** Login name; normalised to lower case. */
  readonly username: string;
  /** Plain-text password, hashed before storage. */
  readonly password: string;
  /** Roles; duplicates are dropped. */
  readonly roles: readonly Role[];
}

/** User storage and password checks. */
export interface UserStore {
  /**
   * Creates a user.
   * @throws AppError 409 USERNAME_TAKEN when the organisation has that username (usernames are unique
   *   per organisation: another organisation's users are neither seen nor blocked); 400 INVALID_REQUEST
   *   for a bad username or no roles.
   */
  create(user: NewUser): Promise<UserView>;
  /** The user with this ID, or `undefined`. */
  get(id: string): Promise<UserRecord | undefined>;
  /**
   * The user with this username (case-insensitive) in `orgMspId`, or, without an organisation,
   * the only user of any organisation with it; `undefined` when none (or several) match.
   */
  findByUsername(username: string, orgMspId?: string): Promise<UserRecord | undefined>;
  /**
   * One page of an organisation's users, ordered by username.
   * @throws AppError 400 INVALID_CURSOR.
   */
  listByOrg(orgMspId: string, page: PageRequest): Promise<Page<UserView>>;
  /**
   * One page of every organisation's users, ordered by organisation then
   * username, or of one organisation's when `orgMspId` is given.
   * @throws AppError 400 INVALID_CURSOR.
   */
  listAll(page: PageRequest, orgMspId?: string): Promise<Page<UserView>>;
  /** Whether the organisation has at least one enabled user holding `role`. */
  hasEnabledUserWithRole(orgMspId: string, role: Role): Promise<boolean>;
  /**
   * Disables a user (idempotent).
   * @throws AppError 404 USER_NOT_FOUND.
   */
  disable(id: string): Promise<UserView>;
  /**
   * Calls `listener` with the user ID each time a user is disabled (to end
   * what outlives a request, such as event streams).
   * @returns the function that removes the listener.
   */
  onDisabled?(listener: (userId: string) => void): () => void;
  /**
   * Replaces a user's password.
   * @throws AppError 404 USER_NOT_FOUND.
   */
  setPassword(id: string, password: string): Promise<void>;
  /**
   * Checks a username and password, in `orgMspId` when given. Unknown users, disabled users,
   * wrong passwords and a name held in several organisations without `orgMspId` all take one
   * scrypt computation and return `undefined`.
   */
  authenticate(username: string, password: string, orgMspId?: string): Promise<UserRecord | undefined>;
}

type Db = GatewayDb;
type Sub<V> = AbstractSublevel<Db, string | Buffer | Uint8Array, string, V>;

/** Separator between organisation and username in the org index; below every username character. */
const SEP = '\u0000';

/** Users kept in the read cache of {@link UserStoreImpl}. */
const USER_CACHE_SIZE = 10_000;

/** {@link UserStore} over three sublevels of one LevelDB database. */
export class UserStoreImpl implements UserStore {
  readonly #db: Db;
  readonly #users: Sub<UserRecord>;
  readonly #cache = new Map<string, UserRecord>();
  /** Writes so far, so that a read that overlapped one does not cache what it read. */
  #writeCount = 0;
  readonly #byName: Sub<string>;
  readonly #byOrg: Sub<string>;
  #writes: Promise<unknown> = Promise.resolve();
  #dummy: Promise<PasswordHash> | undefined;
  readonly #disabledListeners = new Set<(userId: string) => void>();
  readonly #hasher: PasswordHasher;

  /**
   * @param db an open LevelDB database; the store uses its `users`, `users-by-name` and `users-by-org` sublevels.
   * @param options the password hasher (OWASP's minimum cost, two at once, by default).
   */
  /**
   * @param options.organisation the one organisation whose users a per-organisation gateway keeps;
   *   creating a user of any other is refused (403 `NOT_THIS_ORGANISATION`).
   */
  readonly #organisation: string | undefined;

  constructor(db: Db, options: { readonly hasher?: PasswordHasher; readonly organisation?: string } = {}) {
    this.#organisation = options.organisation;
    this.#db = db;
    this.#hasher = options.hasher ?? new PasswordHasher();
    this.#users = db.sublevel<string, UserRecord>('users', { valueEncoding: 'json' });
    this.#byName = db.sublevel<string, string>('users-by-name', { valueEncoding: 'utf8' });
    this.#byOrg = db.sublevel<string, string>('users-by-org', { valueEncoding: 'utf8' });
  }

  /** Serialises writes so the username check and insert cannot interleave (one gateway process owns the DB). */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(work, work);
    this.#writes = run.catch(() => undefined);
    return run;
  }

  async create(input: NewUser): Promise<UserView> {
    if (this.#organisation !== undefined && input.orgMspId !== this.#organisation) {
      throw AppError.forbidden(
        `this gateway serves ${this.#organisation} only; ${input.orgMspId}'s users are kept by its own gateway`,
        { code: 'NOT_THIS_ORGANISATION' },
      );
    }
    const username = UsernameSchema.safeParse(input.username);
    if (!username.success)
      throw AppError.invalid('invalid username', {
        details: [{ path: 'username', message: username.error.issues[0]?.message ?? 'invalid' }],
      });
    const org = MspIdSchema.safeParse(input.orgMspId);
    if (!org.success) throw AppError.invalid('invalid organisation MSP ID');
    const roles = [...new Set(input.roles)];
    if (roles.length === 0) throw AppError.invalid('a user needs at least one role');
    const password = await this.#hasher.hash(input.password);
    return this.#exclusive(async () => {
      if ((await this.findByUsername(username.data, org.data)) !== undefined) {
        throw AppError.conflict(`username ${username.data} is taken`, { code: 'USERNAME_TAKEN' });
      }
      const user: UserRecord = {
        id: randomUUID(),
        orgMspId: org.data,
        username: username.data,
        roles,
        password,
        disabled: false,
        createdAt: new Date().toISOString(),
      };
      await this.#db.batch([
        { type: 'put', sublevel: this.#users, key: user.id, value: user },
        {
          type: 'put',
          sublevel: this.#byName,
          key: `${user.username}${SEP}${user.orgMspId}`,
          value: user.id,
        },
        { type: 'put', sublevel: this.#byOrg, key: `${user.orgMspId}${SEP}${user.username}`, value: user.id },
      ]);
      return toUserView(user);
    });
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const cached = this.#cache.get(id);
    if (cached !== undefined) return cached;
    const writes = this.#writeCount;
    const raw = await this.#users.get(id).catch(notFoundToUndefined);
    if (raw === undefined) return undefined;
    const user = UserRecordSchema.parse(raw);
    // A write during the read may have cached a newer record: never cache over it.
    if (writes === this.#writeCount) this.#remember(user);
    return user;
  }

  /**
   * Keeps a user in the read cache (every request looks its caller up). The
   * cache is write-through and exact: this process owns the database
   * (LevelDB takes one writer), and every change goes through this store.
   */
  #remember(user: UserRecord, written = false): void {
    if (written) this.#writeCount += 1;
    this.#cache.delete(user.id);
    this.#cache.set(user.id, Object.freeze(user));
    if (this.#cache.size > USER_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
  }

  async findByUsername(username: string, orgMspId?: string): Promise<UserRecord | undefined> {
    const candidates = await this.#candidates(username, orgMspId);
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  /** Users with this username: in one organisation, or in every organisation. */
  async #candidates(username: string, orgMspId?: string): Promise<UserRecord[]> {
    const name = UsernameSchema.safeParse(username);
    if (!name.success) return [];
    const ids = new Set<string>();
    if (orgMspId !== undefined) {
      const id = await this.#byOrg.get(`${orgMspId}${SEP}${name.data}`).catch(notFoundToUndefined);
      if (id !== undefined) ids.add(id);
    } else {
      for await (const id of this.#byName.values({
        gt: `${name.data}${SEP}`,
        lt: `${name.data}${SEP}\uffff`,
      })) {
        ids.add(id);
      }
      // Stores written before usernames were per organisation keyed the name alone.
      const legacy = await this.#byName.get(name.data).catch(notFoundToUndefined);
      if (legacy !== undefined) ids.add(legacy);
    }
    const users: UserRecord[] = [];
    for (const id of ids) {
      const user = await this.get(id);
      if (user !== undefined && (orgMspId === undefined || user.orgMspId === orgMspId)) users.push(user);
    }
    return users;
  }

  listByOrg(orgMspId: string, page: PageRequest): Promise<Page<UserView>> {
    return this.listAll(page, orgMspId);
  }

  async listAll(page: PageRequest, orgMspId?: string): Promise<Page<UserView>> {
    const prefix = orgMspId === undefined ? '' : `${orgMspId}${SEP}`;
    const ids = await pageFromKeys<string, string>(this.#byOrg, prefix, page, (_key, id) => id);
    const users = await this.#users.getMany([...ids.items]);
    return {
      items: users.flatMap((u) => (u === undefined ? [] : [toUserView(UserRecordSchema.parse(u))])),
      nextCursor: ids.nextCursor,
    };
  }

  async hasEnabledUserWithRole(orgMspId: string, role: Role): Promise<boolean> {
    const prefix = `${orgMspId}${SEP}`;
    for await (const id of this.#byOrg.values({ gte: prefix, lt: `${prefix}\u{10FFFF}` })) {
      const user = await this.get(id);
      if (user !== undefined && !user.disabled && user.roles.includes(role)) return true;
    }
    return false;
  }

  async disable(id: string): Promise<UserView> {
    return this.#exclusive(async () => {
      const user = await this.get(id);
      if (user === undefined) throw userNotFound();
      const updated: UserRecord = { ...user, disabled: true };
      this.#writeCount += 1;
      await this.#users.put(id, updated);
      this.#remember(updated, true);
      for (const listener of this.#disabledListeners) listener(id);
      return toUserView(updated);
    });
  }

  onDisabled(listener: (userId: string) => void): () => void {
    this.#disabledListeners.add(listener);
    return () => void this.#disabledListeners.delete(listener);
  }

  async setPassword(id: string, password: string): Promise<void> {
    const hash = await this.#hasher.hash(password);
    await this.#exclusive(async () => {
      const user = await this.get(id);
      if (user === undefined) throw userNotFound();
      const updated: UserRecord = { ...user, password: hash };
      this.#writeCount += 1;
      await this.#users.put(id, updated);
      this.#remember(updated, true);
    });
  }

  async authenticate(username: string, password: string, orgMspId?: string): Promise<UserRecord | undefined> {
    const candidates = await this.#candidates(username, orgMspId);
    // The same name in several organisations: the caller must say which (`org` at login).
    const user = candidates.length === 1 ? candidates[0] : undefined;
    if (user === undefined) {
      // Same work as a real check so response time does not reveal whether the username exists.
      this.#dummy ??= this.#hasher.hash('not-a-real-password');
      await this.#hasher.verify(password, await this.#dummy);
      return undefined;
    }
    const ok = await this.#hasher.verify(password, user.password);
    if (!ok || user.disabled) return undefined;
    // A hash made with older, cheaper parameters is replaced now that the password is known.
    // If that fails (busy), the login still succeeds and the next one tries again.
    if (this.#hasher.needsRehash(user.password))
      await this.setPassword(user.id, password).catch(() => undefined);
    return user;
  }
}

function userNotFound(): AppError {
  return AppError.notFound('user not found', { code: 'USER_NOT_FOUND' });
}
