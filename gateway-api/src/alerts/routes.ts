/** `GET /events`: the caller's organisation's alerts as server-sent events. */
import { z } from 'zod';
import { AppError } from '../http/errors';
import type { ApiRouter } from '../http/router';
import type { AlertHub } from './hub';
import { ALERT_EVENTS } from './rules';
import { SseStream } from './sse';

/** How long a client should wait before reconnecting, sent as the stream's `retry:`. */
export const RETRY_MS = 5000;

const AlertDataSchema = z
  .object({
    name: z.enum(ALERT_EVENTS as [string, ...string[]]),
    txId: z.string(),
    blockNumber: z.number().int(),
    txIndex: z.number().int(),
    timestamp: z.string(),
    payload: z
      .record(z.string(), z.unknown())
      .describe('The chaincode event: IDs, MSP IDs and pseudonyms only'),
  })
  .meta({ id: 'Alert' });

/** Declares `GET /events`; without a hub (no indexer wired) it answers 503 EVENTS_UNAVAILABLE. */
export function registerAlertRoutes(router: ApiRouter, hub: AlertHub | undefined): void {
  router.route({
    method: 'get',
    path: '/events',
    summary: 'Alerts for the caller’s organisation, as server-sent events',
    description:
      'Liens, seizures, enforcements and transfers on assets where the organisation holds a lien; revocations of ' +
      'consents granted to it; disputes on datasets it provides. Each message has `id: <blockNumber>-<txIndex>`, ' +
      '`event: <name>` and `data: <Alert JSON>`; a `: heartbeat` comment keeps the stream alive. Events committed ' +
      'while disconnected are not replayed (`Last-Event-ID` is ignored).',
    tags: ['alerts'],
    auth: 'authenticated',
    responses: {
      200: {
        description: 'An endless event stream',
        contentType: 'text/event-stream',
        schema: AlertDataSchema,
      },
      429: { description: 'RATE_LIMITED, or TOO_MANY_STREAMS: the user already holds the most open streams' },
      503: { description: 'EVENTS_UNAVAILABLE: no block indexer is wired to this gateway' },
    },
    handler({ principal, req, res }) {
      if (hub === undefined) {
        throw AppError.unavailable('the event feed is not available on this gateway', {
          code: 'EVENTS_UNAVAILABLE',
        });
      }
      const owner = { orgMspId: principal.orgMspId, userId: principal.userId };
      hub.admit(owner);
      const stream = new SseStream(res, RETRY_MS);
      const remove = hub.add(owner, stream);
      req.on('close', () => {
        remove();
        stream.end();
      });
      return undefined;
    },
  });
}
