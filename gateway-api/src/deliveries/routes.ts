/** Delivery routes: batches by dataset type and period, a provider's freshness. */
import type { DomainModuleFactory } from '../domain';
import { pageSchema } from '../http/pagination';
import {
  ListedBatchSchema,
  ProviderFreshnessSchema,
  ProviderParamsSchema,
  listBatchesQuery,
} from './schemas';
import { DeliveryServiceImpl } from './service';

const TAGS = ['provenance'];
const SUSPENDED = { description: 'MEMBER_SUSPENDED' };

/** `GET /batches`, `GET /providers/{mspId}/freshness`. */
export const deliveriesModule: DomainModuleFactory = function deliveries(ctx, deps) {
  const service = new DeliveryServiceImpl({ ledger: ctx.ledger });
  return {
    name: 'deliveries',
    register(router) {
      router.route({
        method: 'get',
        path: '/batches',
        summary: 'Batches of a dataset type anchored in a period [from, to), oldest first (any member)',
        tags: TAGS,
        auth: 'authenticated',
        query: listBatchesQuery(deps.pageQuery),
        responses: {
          200: { description: 'A page of anchored batches', schema: pageSchema(ListedBatchSchema) },
          400: {
            description:
              'INVALID_REQUEST, PAGE_SIZE_TOO_LARGE, INVALID_CURSOR, or INVALID (to not after from)',
          },
          403: SUSPENDED,
        },
        async handler({ query, principal }) {
          return {
            body: await service.batches(
              principal,
              query.datasetType,
              { from: query.from, to: query.to },
              { limit: query.limit, cursor: query.cursor },
            ),
          };
        },
      });

      router.route({
        method: 'get',
        path: '/providers/{mspId}/freshness',
        summary:
          'A provider’s freshness per dataset type: last batch time, declared frequency and whether it is overdue ' +
          '(any member)',
        tags: TAGS,
        auth: 'authenticated',
        params: ProviderParamsSchema,
        responses: {
          200: { description: 'Freshness, by dataset type', schema: ProviderFreshnessSchema },
          400: { description: 'INVALID_REQUEST: malformed MSP ID' },
          403: SUSPENDED,
          404: { description: 'NOT_FOUND: not a member' },
        },
        async handler({ params, principal }) {
          return { body: await service.freshness(principal, params.mspId) };
        },
      });
    },
  };
};
