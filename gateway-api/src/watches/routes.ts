/** Watch and webhook routes: parse, validate, call the {@link WatchService} and {@link WebhookDispatcher}. */
import { z } from 'zod';
import type { Role } from '../auth/roles';
import { AppError } from '../http/errors';
import type { ApiRouter } from '../http/router';
import {
  DeliveryParamsSchema,
  DeliverySchema,
  WatchAlertSchema,
  WatchParamsSchema,
  WatchRequestSchema,
  WatchViewSchema,
  WebhookEndpointSchema,
  WebhookRequestSchema,
} from './schemas';
import { watchView, type WatchService } from './service';
import type { WebhookDispatcher } from './webhook';

const TAGS = ['watches'];
const BANK: readonly [Role, ...Role[]] = ['LOAN_OFFICER'];
const BANK_READERS: readonly [Role, ...Role[]] = ['LOAN_OFFICER', 'ORG_ADMIN'];
const ADMIN: readonly [Role, ...Role[]] = ['ORG_ADMIN'];

/** Declares the watch and webhook routes on `router`. */
export function registerWatchRoutes(
  router: ApiRouter,
  service: WatchService,
  webhooks: WebhookDispatcher,
  receivesConsent: (mspId: string) => boolean,
): void {
  /** Webhooks deliver watch alerts: only institutions that receive consent (banks and the like) have them. */
  const requireGranteeOrg = (mspId: string): void => {
    if (!receivesConsent(mspId)) {
      throw AppError.forbidden(`${mspId} does not receive consent and has no watch alerts to deliver`, {
        code: 'FORBIDDEN_ROLE',
      });
    }
  };
  router.route({
    method: 'post',
    path: '/watches',
    summary: 'Set a post-loan watch on a subject under an ACTIVE POST_LOAN_MANAGEMENT consent',
    description:
      'Rules are evaluated when a batch is anchored and when blocks are indexed. An alert disclosing the ' +
      "subject's data is recorded on the ledger as a GRANTED POST_LOAN_MANAGEMENT access (its releaseDigest is the " +
      'alert digest) before it is kept and delivered; a denial, a revocation or the consent ending stops the watch ' +
      'with a WATCH_STOPPED notice giving the reason.',
    tags: TAGS,
    auth: BANK,
    body: WatchRequestSchema,
    responses: {
      201: { description: 'The watch', schema: WatchViewSchema },
      400: { description: 'INVALID_REQUEST, INVALID_SUBJECT_ID, OUT_OF_SCOPE' },
      404: { description: 'CONSENT_NOT_FOUND' },
      409: {
        description:
          'CONSENT_NOT_USABLE (details.reason: OTHER_BANK, WRONG_SUBJECT, WRONG_PURPOSE, NOT_ACTIVE)',
      },
    },
    async handler({ principal, body }) {
      return { status: 201, body: watchView(await service.create(principal, body)) };
    },
  });
  router.route({
    method: 'get',
    path: '/watches',
    summary: "Your bank's watches",
    tags: TAGS,
    auth: BANK_READERS,
    responses: { 200: { description: 'Watches', schema: z.object({ watches: z.array(WatchViewSchema) }) } },
    async handler({ principal }) {
      return { body: { watches: (await service.list(principal)).map(watchView) } };
    },
  });
  router.route({
    method: 'get',
    path: '/watches/{watchId}',
    summary: 'A watch, with why it stopped',
    tags: TAGS,
    auth: BANK_READERS,
    params: WatchParamsSchema,
    responses: {
      200: { description: 'The watch', schema: WatchViewSchema },
      404: { description: 'WATCH_NOT_FOUND' },
    },
    async handler({ principal, params }) {
      return { body: watchView(await service.get(principal, params.watchId)) };
    },
  });
  router.route({
    method: 'delete',
    path: '/watches/{watchId}',
    summary: 'Stop a watch (reason CANCELLED)',
    tags: TAGS,
    auth: BANK,
    params: WatchParamsSchema,
    responses: {
      200: { description: 'The stopped watch', schema: WatchViewSchema },
      404: { description: 'WATCH_NOT_FOUND' },
    },
    async handler({ principal, params }) {
      return { body: watchView(await service.cancel(principal, params.watchId)) };
    },
  });
  router.route({
    method: 'get',
    path: '/watches/{watchId}/alerts',
    summary: "A watch's alerts, oldest first, each data alert with its access and digest",
    tags: TAGS,
    auth: BANK_READERS,
    params: WatchParamsSchema,
    responses: {
      200: { description: 'Alerts', schema: z.object({ alerts: z.array(WatchAlertSchema) }) },
      404: { description: 'WATCH_NOT_FOUND' },
    },
    async handler({ principal, params }) {
      return { body: { alerts: await service.alerts(principal, params.watchId) } };
    },
  });
  router.route({
    method: 'put',
    path: '/webhooks/endpoint',
    summary: "Register your bank's webhook URL (HTTPS)",
    description:
      'Deliveries are JSON POSTs signed with the gateway key (`GET /auth/jwks`): header `X-RuralCredit-Signature: ' +
      'keyid=<kid>,sig=<base64url P1363 ECDSA P-256 SHA-256 of "<X-RuralCredit-Timestamp>.<body>">`; retried with ' +
      'exponential backoff until a 2xx or the last attempt.',
    tags: TAGS,
    auth: ADMIN,
    body: WebhookRequestSchema,
    responses: {
      200: { description: 'Registered', schema: WebhookEndpointSchema },
      400: { description: 'INVALID_WEBHOOK_URL (http://127.0.0.1 only on demo and test gateways)' },
    },
    async handler({ principal, body }) {
      requireGranteeOrg(principal.orgMspId);
      return { body: await webhooks.register(principal.orgMspId, body.url, principal.username) };
    },
  });
  router.route({
    method: 'get',
    path: '/webhooks/deliveries',
    summary: "Your bank's webhook deliveries, newest first, with status",
    tags: TAGS,
    auth: BANK_READERS,
    responses: {
      200: { description: 'Deliveries', schema: z.object({ deliveries: z.array(DeliverySchema) }) },
    },
    async handler({ principal }) {
      return { body: { deliveries: await webhooks.list(principal.orgMspId, 500) } };
    },
  });
  router.route({
    method: 'post',
    path: '/webhooks/deliveries/{deliveryId}/redeliver',
    summary: 'Send a delivery again',
    tags: TAGS,
    auth: ADMIN,
    params: DeliveryParamsSchema,
    responses: {
      202: { description: 'Queued', schema: DeliverySchema },
      404: { description: 'DELIVERY_NOT_FOUND' },
    },
    async handler({ principal, params }) {
      requireGranteeOrg(principal.orgMspId);
      return { status: 202, body: await webhooks.redeliver(principal.orgMspId, params.deliveryId) };
    },
  });
}
