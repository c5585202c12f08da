/**
 * Webhook delivery per bank: the bank's admin registers one HTTPS URL; every
 * delivery is a JSON POST signed with the gateway's active ES256 key (verify
 * with `GET /auth/jwks`), retried with exponential backoff, and logged with
 * its status so it can be inspected and redelivered.
 *
 * Headers: `X-RuralCredit-Delivery` (delivery ID), `X-RuralCredit-Timestamp`
 * (epoch seconds), `X-RuralCredit-Signature: keyid=<kid>,sig=<base64url>`: the
 * IEEE P1363 ECDSA P-256 SHA-256 signature of `<timestamp>.<body>`.
 */
import { randomUUID, sign } from 'node:crypto';
import type { AbstractSublevel } from 'abstract-level';
import { z } from 'zod';
import type { SigningKeys } from '../auth/keys';
import { AppError } from '../http/errors';
import type { Logger } from '../http/logger';
import { notFoundToUndefined, type GatewayDb } from '../store/db';
import type { SealedStore } from '../store/sealed';

/** A bank's registered endpoint. */
export interface WebhookEndpoint {
  readonly url: string;
  readonly registeredAt: string;
  readonly registeredBy: string;
}

/** One delivery as logged (no alert content: that is kept sealed for redelivery). */
export interface Delivery {
  readonly deliveryId: string;
  readonly orgMspId: string;
  readonly eventType: string;
  readonly alertId: string;
  readonly url: string;
  readonly status: 'PENDING' | 'DELIVERED' | 'FAILED';
  readonly attempts: number;
  readonly createdAt: string;
  readonly lastAttemptAt?: string;
  readonly lastStatusCode?: number;
  readonly lastError?: string;
  readonly deliveredAt?: string;
}

/** The sealed body of a delivery. */
export const DeliveryBodySchema = z.object({ body: z.string() });

/** What {@link WebhookDispatcher} needs. */
export interface WebhookDispatcherOptions {
  readonly db: GatewayDb;
  readonly bodies: SealedStore<z.infer<typeof DeliveryBodySchema>>;
  readonly signingKeys: SigningKeys;
  readonly logger: Logger;
  /** Allow `http://127.0.0.1` URLs (demo and test gateways only). */
  readonly allowLoopbackHttp: boolean;
  /** Attempts before a delivery is FAILED (default 6). */
  readonly maxAttempts?: number;
  /** First retry delay in ms (default 1000), doubled per attempt. */
  readonly backoffMs?: number;
  /** Per-attempt timeout in ms (default 10,000). */
  readonly timeoutMs?: number;
}

type Plain<V> = AbstractSublevel<GatewayDb, string | Buffer | Uint8Array, string, V>;

/** Checks a webhook URL: HTTPS, or loopback HTTP when allowed. */
export function checkWebhookUrl(raw: string, allowLoopbackHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw AppError.badRequest('url is not a URL', { code: 'INVALID_WEBHOOK_URL' });
  }
  const loopback = url.protocol === 'http:' && url.hostname === '127.0.0.1';
  if (url.protocol !== 'https:' && !(allowLoopbackHttp && loopback)) {
    throw AppError.badRequest(
      allowLoopbackHttp ? 'url must be https:// or http://127.0.0.1' : 'url must be https://',
      { code: 'INVALID_WEBHOOK_URL' },
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw AppError.badRequest('url may not carry credentials', { code: 'INVALID_WEBHOOK_URL' });
  }
  return url.toString();
}

/** Signs and delivers webhook calls, with retries and a delivery log. */
export class WebhookDispatcher {
  readonly #endpoints: Plain<WebhookEndpoint>;
  readonly #log: Plain<Delivery>;
  readonly #bodies: SealedStore<z.infer<typeof DeliveryBodySchema>>;
  readonly #keys: SigningKeys;
  readonly #logger: Logger;
  readonly #allowLoopbackHttp: boolean;
  readonly #maxAttempts: number;
  readonly #backoffMs: number;
  readonly #timeoutMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(options: Readonly<WebhookDispatcherOptions>) {
    this.#endpoints = options.db.sublevel<string, WebhookEndpoint>('webhook-endpoints', {
      valueEncoding: 'json',
    });
    this.#log = options.db.sublevel<string, Delivery>('webhook-deliveries', { valueEncoding: 'json' });
    this.#bodies = options.bodies;
    this.#keys = options.signingKeys;
    this.#logger = options.logger;
    this.#allowLoopbackHttp = options.allowLoopbackHttp;
    this.#maxAttempts = options.maxAttempts ?? 6;
    this.#backoffMs = options.backoffMs ?? 1000;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Registers (or replaces) `orgMspId`'s endpoint. @throws AppError 400 INVALID_WEBHOOK_URL. */
  async register(orgMspId: string, url: string, registeredBy: string): Promise<WebhookEndpoint> {
    const endpoint = {
      url: checkWebhookUrl(url, this.#allowLoopbackHttp),
      registeredAt: new Date().toISOString(),
      registeredBy,
    };
    await this.#endpoints.put(orgMspId, endpoint);
    return endpoint;
  }

  /** The organisation's endpoint, if any. */
  endpoint(orgMspId: string): Promise<WebhookEndpoint | undefined> {
    return this.#endpoints.get(orgMspId).catch(notFoundToUndefined);
  }

  /** Removes the organisation's endpoint (pending retries still run to their end). */
  async unregister(orgMspId: string): Promise<void> {
    await this.#endpoints.del(orgMspId);
  }

  /**
   * Queues `payload` for the organisation's endpoint; undefined when it has none.
   * The first attempt starts at once, in the background.
   */
  async enqueue(
    orgMspId: string,
    eventType: string,
    alertId: string,
    payload: Record<string, unknown>,
  ): Promise<Delivery | undefined> {
    const endpoint = await this.endpoint(orgMspId);
    if (endpoint === undefined) return undefined;
    // Time-ordered IDs, so the log lists the newest first.
    const deliveryId = `dlv-${String(Date.now()).padStart(14, '0')}-${randomUUID().slice(0, 8)}`;
    const body = JSON.stringify({ deliveryId, type: eventType, ...payload });
    const delivery: Delivery = {
      deliveryId,
      orgMspId,
      eventType,
      alertId,
      url: endpoint.url,
      status: 'PENDING',
      attempts: 0,
      createdAt: new Date().toISOString(),
    };
    await this.#bodies.put(this.#logKey(orgMspId, deliveryId), { body });
    await this.#log.put(this.#logKey(orgMspId, deliveryId), delivery);
    this.#schedule(delivery, 0);
    return delivery;
  }

  /** The organisation's deliveries, newest first, at most `limit`. */
  async list(orgMspId: string, limit: number): Promise<Delivery[]> {
    const out: Delivery[] = [];
    for await (const d of this.#log.values({
      gte: `${orgMspId}!`,
      lt: `${orgMspId}"`,
      limit,
      reverse: true,
    })) {
      out.push(d);
    }
    return out;
  }

  /** Sends a delivery again (any status). @throws AppError 404 DELIVERY_NOT_FOUND. */
  async redeliver(orgMspId: string, deliveryId: string): Promise<Delivery> {
    const key = this.#logKey(orgMspId, deliveryId);
    const delivery = await this.#log.get(key).catch(notFoundToUndefined);
    if (delivery === undefined) {
      throw AppError.notFound(`delivery ${deliveryId} not found`, { code: 'DELIVERY_NOT_FOUND' });
    }
    const pending: Delivery = { ...delivery, status: 'PENDING' };
    await this.#log.put(key, pending);
    this.#schedule(pending, 0);
    return pending;
  }

  /** Stops retrying and waits for attempts in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.allSettled([...this.#inFlight]);
  }

  #logKey(orgMspId: string, deliveryId: string): string {
    return `${orgMspId}!${deliveryId}`;
  }

  #schedule(delivery: Delivery, delayMs: number): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      const attempt = this.#attempt(delivery.orgMspId, delivery.deliveryId).catch((err: unknown) =>
        this.#logger.error('webhook attempt failed to run', {
          deliveryId: delivery.deliveryId,
          err: String(err),
        }),
      );
      this.#inFlight.add(attempt);
      void attempt.finally(() => this.#inFlight.delete(attempt));
    }, delayMs);
    timer.unref();
    this.#timers.add(timer);
  }

  async #attempt(orgMspId: string, deliveryId: string): Promise<void> {
    const key = this.#logKey(orgMspId, deliveryId);
    const delivery = await this.#log.get(key).catch(notFoundToUndefined);
    const sealed = await this.#bodies.get(key);
    if (delivery === undefined || sealed === undefined || delivery.status !== 'PENDING') return;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const { kid, privateKey } = this.#keys.active();
    const signature = sign('sha256', Buffer.from(`${timestamp}.${sealed.body}`), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url');
    let statusCode: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-ruralcredit-delivery': deliveryId,
          'x-ruralcredit-timestamp': timestamp,
          'x-ruralcredit-signature': `keyid=${kid},sig=${signature}`,
        },
        body: sealed.body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      statusCode = res.status;
      await res.body?.cancel();
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    }
    const attempts = delivery.attempts + 1;
    const now = new Date().toISOString();
    const delivered = error === undefined;
    const next: Delivery = {
      ...delivery,
      attempts,
      lastAttemptAt: now,
      ...(statusCode === undefined ? {} : { lastStatusCode: statusCode }),
      ...(error === undefined ? {} : { lastError: error }),
      ...(delivered ? { deliveredAt: now } : {}),
      status: delivered ? 'DELIVERED' : attempts >= this.#maxAttempts ? 'FAILED' : 'PENDING',
    };
    await this.#log.put(key, next);
    if (next.status === 'PENDING') this.#schedule(next, this.#backoffMs * 2 ** (attempts - 1));
  }
}
