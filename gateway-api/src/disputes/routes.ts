/** Dispute routes: parse, validate, call the {@link DisputeService}. */
import type { Role } from '../auth/roles';
import type { GatewayDeps } from '../feature';
import { pageSchema } from '../http/pagination';
import type { ApiRouter } from '../http/router';
import {
  DisputeChangeSchema,
  DisputeDetailSchema,
  DisputeIdParamsSchema,
  DisputeSchema,
  FileDisputeSchema,
  ResolveDisputeSchema,
  listDisputesQuery,
} from './schemas';
import type { DisputeService } from './service';

const TAGS = ['disputes'];
const FILERS: readonly [Role, ...Role[]] = ['LOAN_OFFICER', 'REGULATOR_ADMIN'];
const PROVIDERS: readonly [Role, ...Role[]] = ['DATA_OFFICER'];

/** Declares the dispute routes on `router`. */
export function registerDisputeRoutes(router: ApiRouter, deps: GatewayDeps, service: DisputeService): void {
  router.route({
    method: 'post',
    path: '/disputes',
    summary:
      'File a dispute (异议) on an anchored record: a bank under the subject’s consent, or the regulator',
    tags: TAGS,
    auth: FILERS,
    body: FileDisputeSchema,
    responses: {
      201: { description: 'Filed; the record is marked disputed at once', schema: DisputeChangeSchema },
      400: { description: 'INVALID_REQUEST, INVALID_SUBJECT_ID, or INVALID (batch of another dataset type)' },
      403: { description: 'FORBIDDEN_ROLE, or FORBIDDEN (no active consent covering the dataset)' },
      404: { description: 'NOT_FOUND: unknown batch' },
      409: { description: 'CONFLICT: dispute ID taken, or the record already has an open dispute' },
    },
    async handler({ body, principal }) {
      const change = await service.file(principal, body);
      return {
        status: 201,
        body: change,
        headers: { Location: `${router.basePath}/disputes/${encodeURIComponent(change.dispute.disputeId)}` },
      };
    },
  });

  router.route({
    method: 'post',
    path: '/disputes/{id}/resolution',
    summary: 'Resolve a dispute as the dataset’s provider; the note is sealed and its SHA-256 anchored',
    tags: TAGS,
    auth: PROVIDERS,
    params: DisputeIdParamsSchema,
    body: ResolveDisputeSchema,
    responses: {
      200: { description: 'Resolved', schema: DisputeChangeSchema },
      400: { description: 'INVALID_REQUEST, or INVALID (outcome, correcting batch)' },
      403: { description: 'FORBIDDEN_ROLE, or FORBIDDEN (not the dataset’s provider)' },
      404: { description: 'NOT_FOUND: unknown dispute or correcting batch' },
      409: { description: 'CONFLICT: already resolved' },
    },
    async handler({ params, body, principal }) {
      return { body: await service.resolve(principal, params.id, body) };
    },
  });

  router.route({
    method: 'get',
    path: '/disputes',
    summary: 'List disputes (parties theirs; the regulator and auditors all), or only the overdue ones',
    tags: TAGS,
    auth: 'authenticated',
    query: listDisputesQuery(deps.pageQuery),
    responses: {
      200: { description: 'A page of disputes', schema: pageSchema(DisputeSchema) },
      400: { description: 'INVALID_REQUEST, PAGE_SIZE_TOO_LARGE or INVALID_CURSOR' },
    },
    async handler({ query, principal }) {
      return {
        body: await service.list(principal, query.overdue === 'true', {
          limit: query.limit,
          cursor: query.cursor,
        }),
      };
    },
  });

  router.route({
    method: 'get',
    path: '/disputes/{id}',
    summary: 'Read a dispute with its notes (parties, the regulator and auditors)',
    tags: TAGS,
    auth: 'authenticated',
    params: DisputeIdParamsSchema,
    responses: {
      200: { description: 'The dispute', schema: DisputeDetailSchema },
      400: { description: 'INVALID_REQUEST: malformed ID' },
      403: { description: 'FORBIDDEN: not a party, the regulator or an auditor' },
      404: { description: 'NOT_FOUND' },
    },
    async handler({ params, principal }) {
      return { body: await service.get(principal, params.id) };
    },
  });
}
