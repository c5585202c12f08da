/** Routes for tokens (`/auth/...`) and user administration (`/users/...`). */
import { z } from 'zod';
import type { FeatureModule } from '../feature';
import { AppError } from '../http/errors';
import { pageSchema } from '../http/pagination';
import { TokenBucketLimiter } from '../http/rate-limit';
import { PasswordSchema } from './password';
import { ADMIN_ROLES, MspIdSchema, RoleSchema } from './roles';
import { UserOverviewSchema, UserOverviewService } from './user-overview';
import { UserAdmin } from './user-admin';
import { UsernameSchema, UserViewSchema } from './users';

/** Body of `POST /auth/token`. Deliberately loose: every failure must look the same. */
export const TokenRequestSchema = z
  .object({
    username: z.string().min(1).max(128),
    password: z.string().min(1).max(256),
    org: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("The user's organisation (MSP ID): needed when the username exists in several organisations"),
  })
  .strict()
  .meta({ id: 'TokenRequest' });

/** Response of `POST /auth/token`. */
export const TokenResponseSchema = z
  .object({
    accessToken: z.string().describe('JWT signed ES256; send as `Authorization: Bearer <token>`'),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().describe('Lifetime in seconds'),
  })
  .meta({ id: 'TokenResponse' });

const JwksSchema = z.object({
  keys: z.array(
    z.object({
      kty: z.string(),
      crv: z.string(),
      x: z.string(),
      y: z.string(),
      kid: z.string(),
      alg: z.string(),
      use: z.string(),
    }),
  ),
});

/** Body of `POST /users`. */
export const CreateUserSchema = z
  .object({
    orgMspId: MspIdSchema.optional().describe('Target organisation; must be the caller’s own (default)'),
    username: UsernameSchema,
    password: PasswordSchema.optional().describe(
      'Initial password; generated and returned once when omitted',
    ),
    roles: z.array(RoleSchema).min(1).max(5),
  })
  .strict()
  .meta({ id: 'CreateUserRequest' });

const CreatedUserSchema = z.object({
  user: UserViewSchema,
  initialPassword: z.string().optional().describe('Only when the request gave no password'),
});

/** `POST /auth/token` and `GET /auth/jwks`. */
export const authModule: FeatureModule = {
  name: 'auth',
  register(router, deps) {
    // Separate from the general limit: each attempt costs one scrypt computation, and guessing must stay slow.
    const loginLimiter = new TokenBucketLimiter({ perMinute: deps.config.loginRateLimitPerMinute });
    // Per account too: guessing one account's password from many addresses stays slow.
    const accountLimiter = new TokenBucketLimiter({ perMinute: deps.config.loginAccountRateLimitPerMinute });
    router.route({
      method: 'post',
      path: '/auth/token',
      summary: 'Exchange username and password for a short-lived access token',
      tags: ['auth'],
      auth: 'public',
      body: TokenRequestSchema,
      responses: {
        200: { description: 'Access token', schema: TokenResponseSchema },
        401: { description: 'Wrong username or password (indistinguishable)' },
        429: { description: 'RATE_LIMITED: too many login attempts from this address, or for this account' },
        503: { description: 'BUSY: too many password checks in progress' },
      },
      async handler({ body, req }) {
        const attempt = loginLimiter.take(req.ip ?? req.socket.remoteAddress ?? '?');
        if (!attempt.allowed) throw AppError.tooManyRequests(attempt.retryAfterSeconds);
        const account = accountLimiter.take(body.username.trim().toLowerCase());
        if (!account.allowed) throw AppError.tooManyRequests(account.retryAfterSeconds);
        const user = await deps.users.authenticate(body.username, body.password, body.org);
        if (user === undefined) throw AppError.unauthorized('invalid username or password');
        deps.activity.recordLogin(user.id);
        return { body: deps.tokens.issue(user), headers: { 'Cache-Control': 'no-store' } };
      },
    });
    router.route({
      method: 'get',
      path: '/auth/jwks',
      summary: 'Public keys that verify access tokens (JWKS)',
      tags: ['auth'],
      auth: 'public',
      responses: { 200: { description: 'JSON Web Key Set', schema: JwksSchema } },
      handler: () => ({ body: deps.signingKeys.jwks() }),
    });
  },
};

/** `POST /users`, `GET /users`, `POST /users/{id}/disable`. */
export const usersModule: FeatureModule = {
  name: 'users',
  register(router, deps) {
    const admin = new UserAdmin({ users: deps.users, regulatorMspId: deps.config.regulatorMspId });
    router.route({
      method: 'post',
      path: '/users',
      summary: 'Create a user in the caller’s organisation',
      tags: ['users'],
      auth: ADMIN_ROLES,
      body: CreateUserSchema,
      responses: {
        201: { description: 'Created', schema: CreatedUserSchema },
        403: { description: 'FORBIDDEN_ROLE, or FORBIDDEN_ORG for another organisation' },
        409: { description: 'USERNAME_TAKEN' },
      },
      async handler({ body, principal }) {
        const created = await admin.create(principal, body);
        return {
          status: 201,
          body: created,
          headers: { Location: `${router.basePath}/users/${created.user.id}` },
        };
      },
    });
    router.route({
      method: 'get',
      path: '/users',
      summary: 'List the users of the caller’s organisation',
      tags: ['users'],
      auth: ADMIN_ROLES,
      query: z.object(deps.pageQuery).strict(),
      responses: { 200: { description: 'A page of users', schema: pageSchema(UserViewSchema) } },
      async handler({ query, principal }) {
        return { body: await admin.list(principal, query) };
      },
    });
    const overview = new UserOverviewService({
      users: deps.users,
      activity: deps.activity,
      regulatorMspId: deps.config.regulatorMspId,
    });
    router.route({
      method: 'get',
      path: '/admin/users',
      summary:
        'Every organisation’s users with role, status, last login and activity counts (the regulator, read only)',
      tags: ['users'],
      auth: ['REGULATOR_ADMIN'],
      query: z
        .object({ ...deps.pageQuery, org: MspIdSchema.optional().describe('Only this organisation’s users') })
        .strict(),
      responses: {
        200: {
          description: 'A page of users, by organisation and username',
          schema: pageSchema(UserOverviewSchema),
        },
        400: { description: 'INVALID_REQUEST, PAGE_SIZE_TOO_LARGE or INVALID_CURSOR' },
        403: { description: 'FORBIDDEN_ROLE (not a REGULATOR_ADMIN), or FORBIDDEN_ORG' },
      },
      async handler({ query, principal }) {
        return {
          body: await overview.list(principal, { limit: query.limit, cursor: query.cursor }, query.org),
        };
      },
    });
    router.route({
      method: 'post',
      path: '/users/{id}/disable',
      summary: 'Disable a user of the caller’s organisation',
      tags: ['users'],
      auth: ADMIN_ROLES,
      params: z.object({ id: z.uuid() }),
      responses: {
        200: { description: 'The disabled user', schema: UserViewSchema },
        404: { description: 'USER_NOT_FOUND (also for users of other organisations)' },
        409: { description: 'CANNOT_DISABLE_SELF' },
      },
      async handler({ params, principal }) {
        return { body: await admin.disable(principal, params.id) };
      },
    });
  },
};
