/** `GET /events`: the caller's organisation's alerts as server-sent events. */
import { z } from 'zod';
import { AppError } from '../http/errors';
import type { ApiRouter } from '../http/router';
import type { LedgerPosition } from '../indexer/types';
import { AlertIdSchema, INVALID_LAST_EVENT_ID, parseAlertId } from './alert-id';
import { DEFAULT_REPLAY_LIMIT, RESET_EVENT, type AlertHub } from './hub';
import { ALERT_EVENTS } from './rules';
import { SseStream } from './sse';
import { WATCH_ALERT_EVENT } from '../watches/feed';

/** How long a client should wait before reconnecting, sent as the stream's `retry:`. */
export const RETRY_MS = 5000;

const AlertDataSchema = z
  .object({
    name: z.enum([...ALERT_EVENTS, WATCH_ALERT_EVENT] as unknown as [string, ...string[]]),
    txId: z.string(),
    blockNumber: z.number().int(),
    txIndex: z.number().int(),
    timestamp: z.string(),
    payload: z
      .record(z.string(), z.unknown())
      .describe('The chaincode event: IDs, MSP IDs and pseudonyms only'),
  })
  .meta({ id: 'Alert' });

const EventsQuerySchema = z.object({
  lastEventId: AlertIdSchema.optional().meta({
    description:
      'Resume after this alert, for clients that cannot set the `Last-Event-ID` header (the header wins when both are given)',
  }),
});

/**
 * Where the caller resumes: the `Last-Event-ID` header (sent by SSE clients on
 * reconnect; empty means none, as in the SSE spec), else the query parameter.
 *
 * @throws AppError 400 INVALID_LAST_EVENT_ID when the header is not an alert ID.
 */
function resumePosition(header: string | undefined, query: string | undefined): LedgerPosition | undefined {
  if (header !== undefined && header !== '') return parseAlertId(header);
  return query === undefined ? undefined : parseAlertId(query);
}

/** Declares `GET /events`; without a hub (no indexer wired) it answers 503 EVENTS_UNAVAILABLE. */
export function registerAlertRoutes(router: ApiRouter, hub: AlertHub | undefined): void {
  router.route({
    method: 'get',
    path: '/events',
    summary: 'Alerts for the caller’s organisation, as server-sent events',
    description:
      'Liens, seizures, enforcements and transfers on assets where the organisation holds a lien; changes of the ' +
      'signing key of a subject it holds an ACTIVE consent from (`SubjectSignerRegistered`, `SubjectSignerReplaced`, ' +
      '`SubjectSignerRotated`); revocations of ' +
      'consents granted to it; disputes on datasets it provides; its own admission, suspension and reinstatement ' +
      '(`MemberAdmitted`, `MemberSuspended`, `MemberReinstated`, with the regulator’s reason); the alerts of its own ' +
      'post-loan watches (`WatchAlert`, payload `{type, alertId, alert, digest?, accessId?, txId?}` as its webhook ' +
      'receives it; an alert that discloses data only after its access is committed), which no other organisation ' +
      'receives. Once watch alerts were sent, message IDs are `<blockNumber>-<txIndex>-<watchSeq>`. ' +
      `The stream starts with \`retry: ${RETRY_MS}\`; each message ` +
      'has `id: <blockNumber>-<txIndex>`, `event: <name>` and `data: <Alert JSON>`, in ledger order; a `: heartbeat` ' +
      'comment keeps it alive.\n\n' +
      'Without `Last-Event-ID` the stream starts at the ledger height when it connects: alerts of blocks committed ' +
      'before then are never sent, even while the gateway is still indexing older blocks. Such a stream first sends ' +
      'an `id:` frame alone (no event) naming that start, so a client that drops before its first alert resumes ' +
      'from there.\n\n' +
      'With `Last-Event-ID: <id>` (the header every SSE client sends when it reconnects; or the `lastEventId` ' +
      'query parameter) the organisation’s alerts indexed after that position are replayed first, then live ' +
      `alerts follow with no gap and no duplicate. When more than ${DEFAULT_REPLAY_LIMIT} are pending, nothing is replayed: ` +
      `the stream sends one \`event: ${RESET_EVENT}\` with \`data: {"reason":"REPLAY_LIMIT","limit":${DEFAULT_REPLAY_LIMIT}}\` and an \`id\` to resume ` +
      'from, then continues live after it; the client should then reload the state it needs through the REST ' +
      'lists.\n\n' +
      'The stream ends when the access token it was opened with expires, and at once when its user is ' +
      'disabled: reconnect with a new token and `Last-Event-ID` to continue without a gap.',
    tags: ['alerts'],
    auth: 'authenticated',
    query: EventsQuerySchema,
    invalidCode: INVALID_LAST_EVENT_ID,
    responses: {
      200: {
        description: 'An endless event stream',
        contentType: 'text/event-stream',
        schema: AlertDataSchema,
      },
      400: {
        description:
          'INVALID_LAST_EVENT_ID: `Last-Event-ID` or `lastEventId` is not `<blockNumber>-<txIndex>`',
      },
      429: { description: 'RATE_LIMITED, or TOO_MANY_STREAMS: the user already holds the most open streams' },
      503: {
        description:
          'EVENTS_UNAVAILABLE: no block indexer is wired to this gateway; EVENT_REPLAY_UNAVAILABLE: it keeps no ' +
          'alert log to resume from',
      },
    },
    async handler({ principal, query, req, res }) {
      if (hub === undefined) {
        throw AppError.unavailable('the event feed is not available on this gateway', {
          code: 'EVENTS_UNAVAILABLE',
        });
      }
      const owner = { orgMspId: principal.orgMspId, userId: principal.userId };
      hub.admit(owner);
      const resumeAfter = resumePosition(req.get('last-event-id'), query.lastEventId);
      let stream: SseStream | undefined;
      let gone = false;
      let onClose = (): void => void (gone = true);
      req.on('close', () => onClose());
      const remove = await hub.connect(owner, resumeAfter, () => (stream = new SseStream(res, RETRY_MS)));
      // The stream ends when the token does: the client reconnects with a new one (and Last-Event-ID).
      const expiry =
        principal.expiresAt === undefined
          ? undefined
          : setTimeout(() => onClose(), Math.max(0, principal.expiresAt * 1000 - Date.now()));
      expiry?.unref();
      onClose = () => {
        clearTimeout(expiry);
        remove();
        stream?.end();
      };
      // The client may have left while the stream's start was being read.
      if (gone) onClose();
      return undefined;
    },
  });
}
