/**
 * `/org/*`: the organisation-to-organisation API of a per-organisation gateway. Callers are other
 * organisations' gateways, authenticated by requests signed with their Fabric identity (no user
 * token); registered only when the gateway runs for one organisation (`GATEWAY_ORG`).
 */
import { z } from 'zod';
import type { DomainModuleFactory } from '../domain';
import { AppError } from '../http/errors';
import { createRecordStore } from '../provenance/record-store';
import type { MspRoots } from './msp';
import { RELEASE_PATH } from './client';
import { ReleaseService } from './release-service';
import { ReleaseLogPageSchema, ReleaseRequestSchema, ReleaseSchema } from './schemas';
import { ORG_HEADERS, verifyOrgRequest } from './signed-request';

/** Builds the module for the organisation `mspId`, checking callers against `roots`. */
export function createOrganisationModule(
  options: Readonly<{ mspId: string; roots: MspRoots }>,
): DomainModuleFactory {
  return (ctx, deps) => {
    const settings = deps.config.organisation;
    const service = new ReleaseService(ctx, {
      mspId: options.mspId,
      records: createRecordStore(deps),
      db: deps.db,
      releaseWindowSeconds: settings?.releaseWindowSeconds ?? 600,
      logger: deps.logger,
    });
    const verify = async (
      headers: Record<string, string | string[] | undefined>,
      method: string,
      path: string,
      body: unknown,
    ) => {
      try {
        return await verifyOrgRequest(headers, { method, path, body }, options.roots, (org, nonce, at) =>
          service.claimNonce(org, nonce, at),
        );
      } catch (err) {
        if (err instanceof AppError) {
          const claimed = headers[ORG_HEADERS.org];
          await service.logRefusal(
            typeof claimed === 'string' ? claimed.slice(0, 64) : '(none)',
            body ?? {},
            err.code,
          );
        }
        throw err;
      }
    };
    return {
      name: 'organisation',
      register(router) {
        router.route({
          method: 'post',
          path: '/org/releases',
          summary: "Release a subject's records to a bank's gateway under its committed access",
          description:
            'Called by a bank gateway, signed with its Fabric identity (headers x-rcl-org, x-rcl-certificate, ' +
            'x-rcl-timestamp, x-rcl-nonce, x-rcl-signature). Released only when this gateway reads from its own ' +
            'peer a GRANTED access of the requester naming this subject and these datasets, under an ACTIVE ' +
            'grant, within the release window. Every release and refusal is in the release log.',
          tags: ['organisation'],
          auth: 'public',
          body: ReleaseRequestSchema,
          responses: {
            200: {
              description: 'The records with their proofs, and the digest logged',
              schema: ReleaseSchema,
            },
            401: { description: 'ORG_SIGNATURE_INVALID, REQUEST_STALE, REQUEST_REPLAYED' },
            403: {
              description:
                'NOT_A_BANK, NO_ACCESS, ACCESS_NOT_GRANTED, SUBJECT_NOT_COVERED, DATASET_NOT_COVERED, ' +
                'GRANT_NOT_ACTIVE, RELEASE_WINDOW_CLOSED',
            },
          },
          async handler({ req, body }) {
            const caller = await verify(req.headers, 'POST', RELEASE_PATH, body);
            return { body: await service.release(caller.mspId, body) };
          },
        });
        router.route({
          method: 'get',
          path: '/org/release-log',
          summary: "This provider's release log (auditor and regulator organisations, signed requests)",
          tags: ['organisation'],
          auth: 'public',
          query: z.object({
            after: z.coerce.number().int().nonnegative().default(0),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
          responses: { 200: { description: 'Log lines, oldest first', schema: ReleaseLogPageSchema } },
          async handler({ req, query }) {
            const caller = await verify(req.headers, 'GET', req.originalUrl, null);
            const role = ctx.consortium.organisations.find((o) => o.mspId === caller.mspId)?.role;
            if (role !== 'AUDITOR' && role !== 'REGULATOR') {
              throw AppError.forbidden('the release log is for the auditor and the regulator', {
                code: 'FORBIDDEN',
              });
            }
            return { body: { entries: await service.entries(query.after, query.limit) } };
          },
        });
      },
    };
  };
}
