/** Supervision routes: the regulator's statistics. */
import { z } from 'zod';
import type { DomainModuleFactory } from '../domain';
import { createIndexer } from '../indexer/indexer';
import { evaluationCounters } from '../pseudonyms/counters';
import { SupervisionService } from './service';

const count = z.number().int().nonnegative();

/** Response of `GET /stats`. */
export const StatsSchema = z
  .object({
    institutions: z.array(
      z.object({
        mspId: z.string(),
        accessesGranted: count,
        accessesDenied: count,
        consentsRecorded: count,
        consentsRevoked: count,
        liensRegistered: count,
        liensReleased: count,
      }),
    ),
    overdueDatasets: z.object({
      count,
      datasets: z.array(
        z.object({
          datasetType: z.string(),
          provider: z.string(),
          frequency: z.string(),
          maxAgeSeconds: z.number().int(),
          ageSeconds: z.number().int(),
          lastAnchoredAt: z.string().describe('Last anchored batch time; empty when none yet'),
        }),
      ),
    }),
    overdueDisputes: z.object({ count, disputeIds: z.array(z.string()) }),
    byCounty: z
      .array(
        z.object({
          county: z.string().describe('6-digit county code of the subjects, or `unknown` (no code recorded)'),
          accesses: count.describe('granted + denied'),
          granted: count,
          denied: count,
        }),
      )
      .describe('Accesses by subject county, by county code (`unknown` last); counties with none absent'),
    indexedThroughBlock: z.number().int().describe('Highest block the counters include'),
    pseudonymEvaluations: z
      .array(
        z.object({
          mspId: z.string(),
          requests: count.describe('Evaluation requests answered'),
          elements: count.describe('Blinded subject IDs evaluated'),
          rateLimited: count.describe('Requests refused with PSEUDONYM_RATE_LIMITED'),
        }),
      )
      .describe(
        "Use of this gateway's OPRF evaluation endpoint, per organisation (empty where it holds no key)",
      ),
  })
  .meta({ id: 'SupervisionStats' });

/** `GET /stats`. */
export const supervisionModule: DomainModuleFactory = (ctx, deps) => {
  const supervision = new SupervisionService({
    ledger: ctx.ledger,
    indexer: createIndexer(ctx, deps),
    consortium: ctx.consortium,
    evaluations: evaluationCounters(deps),
  });
  return {
    name: 'supervision',
    register(router) {
      router.route({
        method: 'get',
        path: '/stats',
        summary: 'Per-institution and per-county use of the platform, overdue datasets and overdue disputes',
        tags: ['supervision'],
        auth: ['REGULATOR_ADMIN', 'AUDITOR'],
        responses: {
          200: { description: 'Statistics', schema: StatsSchema },
          403: { description: 'FORBIDDEN_ROLE; FORBIDDEN_ORG for any organisation but the regulator' },
          503: { description: 'INDEX_LAGGING' },
        },
        async handler({ principal }) {
          return { body: await supervision.stats(principal) };
        },
      });
    },
  };
};
