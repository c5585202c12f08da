/**
 * Per-user activity the regulator supervises (last login, logins, requests),
 * kept in the gateway's own store. Counting happens in memory and is written
 * in one batch a second (and at shutdown), so a busy gateway does not write
 * LevelDB once per request.
 */
import type { AbstractSublevel } from 'abstract-level';
import { z } from 'zod';
import type { GatewayDb } from '../store/db';

/** What the store keeps per user. */
export interface UserActivity {
  /** ISO-8601 time of the last successful login, or null when never. */
  readonly lastLoginAt: string | null;
  /** Successful logins. */
  readonly loginCount: number;
  /** Authenticated API requests. */
  readonly requestCount: number;
  /** ISO-8601 time of the last authenticated request, or null when never. */
  readonly lastRequestAt: string | null;
}

const ActivitySchema = z
  .object({
    lastLoginAt: z.string().nullable(),
    loginCount: z.number().int().nonnegative(),
    requestCount: z.number().int().nonnegative(),
    lastRequestAt: z.string().nullable(),
  })
  .strict();

const NONE: UserActivity = { lastLoginAt: null, loginCount: 0, requestCount: 0, lastRequestAt: null };

/** Records and reads users' activity. */
export interface UserActivityStore {
  /** Counts a successful login of `userId` now. */
  recordLogin(userId: string): void;
  /** Counts an authenticated request of `userId` now. */
  recordRequest(userId: string): void;
  /** Activity of each of `userIds` (written and pending), in order. */
  getMany(userIds: readonly string[]): Promise<UserActivity[]>;
  /** Writes what is pending. */
  flush(): Promise<void>;
  /** Stops the flush timer and writes what is pending. */
  close(): Promise<void>;
}

/** Options of {@link UserActivityStoreImpl}. */
export interface UserActivityStoreOptions {
  /** How often pending counts are written, in milliseconds (default 1000). */
  readonly flushMs?: number;
  /** The clock (tests). */
  readonly now?: () => Date;
}

/** {@link UserActivityStore} over the `user-activity` sublevel. */
export class UserActivityStoreImpl implements UserActivityStore {
  readonly #level: AbstractSublevel<GatewayDb, string | Buffer | Uint8Array, string, UserActivity>;
  readonly #pending = new Map<
    string,
    { logins: number; requests: number; login?: string; request?: string }
  >();
  readonly #now: () => Date;
  readonly #timer: NodeJS.Timeout;
  #writing: Promise<void> = Promise.resolve();

  constructor(db: GatewayDb, options: Readonly<UserActivityStoreOptions> = {}) {
    this.#level = db.sublevel<string, UserActivity>('user-activity', { valueEncoding: 'json' });
    this.#now = options.now ?? (() => new Date());
    this.#timer = setInterval(() => void this.flush().catch(() => undefined), options.flushMs ?? 1000);
    this.#timer.unref();
  }

  recordLogin(userId: string): void {
    const p = this.#entry(userId);
    p.logins += 1;
    p.login = this.#now().toISOString();
  }

  recordRequest(userId: string): void {
    const p = this.#entry(userId);
    p.requests += 1;
    p.request = this.#now().toISOString();
  }

  async getMany(userIds: readonly string[]): Promise<UserActivity[]> {
    await this.#writing;
    const stored = userIds.length === 0 ? [] : await this.#level.getMany([...userIds]);
    return userIds.map((id, i) => this.#merge(this.#stored(stored[i]), this.#pending.get(id)));
  }

  flush(): Promise<void> {
    const run = this.#writing.then(async () => {
      if (this.#pending.size === 0) return;
      const entries = [...this.#pending];
      this.#pending.clear();
      const current = await this.#level.getMany(entries.map(([id]) => id));
      await this.#level.batch(
        entries.map(([id, p], i) => ({
          type: 'put' as const,
          key: id,
          value: this.#merge(this.#stored(current[i]), p),
        })),
      );
    });
    this.#writing = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  #entry(userId: string): { logins: number; requests: number; login?: string; request?: string } {
    let p = this.#pending.get(userId);
    if (p === undefined) {
      p = { logins: 0, requests: 0 };
      this.#pending.set(userId, p);
    }
    return p;
  }

  #stored(raw: unknown): UserActivity {
    const parsed = ActivitySchema.safeParse(raw);
    return parsed.success ? parsed.data : NONE;
  }

  #merge(
    base: UserActivity,
    p: { logins: number; requests: number; login?: string; request?: string } | undefined,
  ): UserActivity {
    if (p === undefined) return base;
    return {
      lastLoginAt: p.login ?? base.lastLoginAt,
      loginCount: base.loginCount + p.logins,
      requestCount: base.requestCount + p.requests,
      lastRequestAt: p.request ?? base.lastRequestAt,
    };
  }
}
