/** Membership routes: parse, validate, call the {@link MembershipService}. */
import type { Role } from '../auth/roles';
import type { DomainModuleFactory } from '../domain';
import { z } from 'zod';
import { pageSchema } from '../http/pagination';
import type { ApiRouter } from '../http/router';
import type { GatewayDeps } from '../feature';
import {
  AdmitMemberSchema,
  MemberChangeSchema,
  MemberDecisionSchema,
  MemberSchema,
  MspIdParamsSchema,
} from './schemas';
import { MembershipServiceImpl, type MembershipService } from './service';

const TAGS = ['members'];
const REGULATOR: readonly [Role, ...Role[]] = ['REGULATOR_ADMIN'];
const SUSPENDED = { description: 'MEMBER_SUSPENDED: the caller’s organisation is suspended' };
const DECISION_403 = {
  description:
    'FORBIDDEN_ROLE (not a REGULATOR_ADMIN), FORBIDDEN (the ledger refused: not the regulator’s organisation), ' +
    'or MEMBER_SUSPENDED',
};

/** Declares the membership routes on `router`. */
export function registerMembershipRoutes(
  router: ApiRouter,
  deps: GatewayDeps,
  service: MembershipService,
): void {
  const location = (mspId: string): string => `${router.basePath}/members/${encodeURIComponent(mspId)}`;

  router.route({
    method: 'get',
    path: '/members',
    summary: 'List the consortium’s members with role, status and since when (any member)',
    tags: TAGS,
    auth: 'authenticated',
    query: z.object(deps.pageQuery).strict(),
    responses: {
      200: { description: 'A page of members, by MSP ID', schema: pageSchema(MemberSchema) },
      400: { description: 'INVALID_REQUEST, PAGE_SIZE_TOO_LARGE or INVALID_CURSOR' },
      403: SUSPENDED,
    },
    async handler({ query, principal }) {
      return { body: await service.list(principal, { limit: query.limit, cursor: query.cursor }) };
    },
  });

  router.route({
    method: 'get',
    path: '/members/{mspId}',
    summary: 'Read one member (any member)',
    tags: TAGS,
    auth: 'authenticated',
    params: MspIdParamsSchema,
    responses: {
      200: { description: 'The member', schema: MemberSchema },
      400: { description: 'INVALID_REQUEST: malformed MSP ID' },
      403: SUSPENDED,
      404: { description: 'NOT_FOUND: not a member' },
    },
    async handler({ params, principal }) {
      return { body: await service.get(principal, params.mspId) };
    },
  });

  router.route({
    method: 'post',
    path: '/members',
    summary: 'Admit an organisation with a role, with a reason (the regulator); the member is alerted',
    tags: TAGS,
    auth: REGULATOR,
    body: AdmitMemberSchema,
    responses: {
      201: { description: 'Admitted', schema: MemberChangeSchema },
      400: {
        description: 'INVALID_REQUEST, PERSONAL_IDENTIFIER_IN_FIELD, or INVALID (refused by the ledger)',
      },
      403: DECISION_403,
      409: { description: 'CONFLICT: already a member' },
    },
    async handler({ body, principal }) {
      const change = await service.admit(principal, body);
      return { status: 201, body: change, headers: { Location: location(change.member.mspId) } };
    },
  });

  router.route({
    method: 'post',
    path: '/members/{mspId}/suspension',
    summary:
      'Suspend a member, with a reason (the regulator): its every call is then refused MEMBER_SUSPENDED; ' +
      'the member is alerted',
    tags: TAGS,
    auth: REGULATOR,
    params: MspIdParamsSchema,
    body: MemberDecisionSchema,
    responses: {
      200: { description: 'Suspended', schema: MemberChangeSchema },
      400: { description: 'INVALID_REQUEST, or INVALID (the regulator cannot suspend itself)' },
      403: DECISION_403,
      404: { description: 'NOT_FOUND: not a member' },
      409: { description: 'CONFLICT: already suspended' },
    },
    async handler({ params, body, principal }) {
      return { body: await service.suspend(principal, params.mspId, body.reason) };
    },
  });

  router.route({
    method: 'post',
    path: '/members/{mspId}/reinstatement',
    summary: 'Reinstate a suspended member, with a reason (the regulator); the member is alerted',
    tags: TAGS,
    auth: REGULATOR,
    params: MspIdParamsSchema,
    body: MemberDecisionSchema,
    responses: {
      200: { description: 'Reinstated', schema: MemberChangeSchema },
      400: { description: 'INVALID_REQUEST' },
      403: DECISION_403,
      404: { description: 'NOT_FOUND: not a member' },
      409: { description: 'CONFLICT: not suspended' },
    },
    async handler({ params, body, principal }) {
      return { body: await service.reinstate(principal, params.mspId, body.reason) };
    },
  });
}

/** Members: the registry read by every member, admission, suspension and reinstatement by the regulator. */
export const membershipModule: DomainModuleFactory = function membership(ctx, deps) {
  const service = new MembershipServiceImpl({ ledger: ctx.ledger });
  return { name: 'membership', register: (router) => registerMembershipRoutes(router, deps, service) };
};
