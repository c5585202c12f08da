/** Routes of the regulator's OPRF evaluation: declare, verify the caller, call. */
import type { ApiRouter } from '../http/router';
import type { MspRoots } from '../organisation/msp';
import type { OrgNonceStore } from '../organisation/nonces';
import { verifyOrgRequest } from '../organisation/signed-request';
import { EVALUATE_PATH } from './client';
import { EvaluateRequestSchema, EvaluateResponseSchema, OprfPublicKeySchema } from './schemas';
import type { PseudonymEvaluationService } from './service';

const TAGS = ['pseudonyms'];

/** Declares `GET /pseudonyms/key` and `POST /pseudonyms/evaluate`. */
export function registerPseudonymRoutes(
  router: ApiRouter,
  service: PseudonymEvaluationService,
  callers: Readonly<{ roots: MspRoots; nonces: OrgNonceStore }>,
): void {
  router.route({
    method: 'get',
    path: '/pseudonyms/key',
    summary: "The regulator's OPRF public key, which members pin to verify every evaluation",
    tags: TAGS,
    auth: 'public',
    responses: { 200: { description: 'The public key', schema: OprfPublicKeySchema } },
    handler() {
      return { body: service.publicKey() };
    },
  });

  router.route({
    method: 'post',
    path: '/pseudonyms/evaluate',
    summary:
      'Evaluate blinded subject IDs under the regulator’s OPRF key (RFC 9497 VOPRF, ristretto255-SHA512)',
    description:
      'Called by a member organisation’s gateway, signed with its Fabric identity (headers x-rcl-org, ' +
      'x-rcl-certificate, x-rcl-timestamp, x-rcl-nonce, x-rcl-signature; verified against the channel’s MSP ' +
      'definitions, each nonce once), never with a user token. The member blinds each subject ID, sends only ' +
      'the blinded elements, and unblinds the answer after checking the proof against the published key: the ' +
      'regulator never sees an ID, the member never holds the key. Charged to the calling organisation, one ' +
      'unit per element (GATEWAY_PSEUDONYM_RATE_PER_MINUTE), and counted in `/stats`.',
    tags: TAGS,
    auth: 'public',
    body: EvaluateRequestSchema,
    responses: {
      200: { description: 'The evaluated elements and the batch proof', schema: EvaluateResponseSchema },
      400: {
        description:
          'INVALID_REQUEST, INVALID_ELEMENT (not a valid or the identity element), BATCH_TOO_LARGE',
      },
      401: { description: 'ORG_SIGNATURE_INVALID, REQUEST_STALE, REQUEST_REPLAYED' },
      403: { description: 'FORBIDDEN_ORG: the caller’s organisation is not a consortium member' },
      429: { description: 'PSEUDONYM_RATE_LIMITED, with Retry-After' },
    },
    async handler({ req, body }) {
      const caller = await verifyOrgRequest(
        req.headers,
        { method: 'POST', path: EVALUATE_PATH, body },
        callers.roots,
        (org, nonce, at) => callers.nonces.claim(org, nonce, at),
      );
      return { body: await service.evaluate(caller.mspId, body.blinded) };
    },
  });
}
