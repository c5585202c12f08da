/**
 * Watches: a bank holding an ACTIVE POST_LOAN_MANAGEMENT consent sets rules on
 * a subject; rules are evaluated when a batch is anchored (once its records are
 * stored here) and when the indexer publishes the block events they concern.
 * An alert that discloses the subject's data is first recorded on the ledger as
 * an access (GRANTED, POST_LOAN_MANAGEMENT, digest of the alert body) and only
 * then kept and delivered; a DENIED access, a revoked or an expired consent
 * stops the watch and the bank is told why.
 */
import { randomUUID } from 'node:crypto';
import { canonicalJson, maskSubjectId, parseSubjectId, sha256Hex } from '@ruralcredit/protocol';
import { z } from 'zod';
import type { Principal } from '../auth/principal';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import type { Logger } from '../http/logger';
import type { IndexedEvent, LedgerPosition } from '../indexer/types';
import type { RecordStore } from '../provenance/record-store';
import type { SealedStore } from '../store/sealed';
import { WatchEngine, type BatchAlert, type EventRule, type WatchRule } from './engine';
import type { WatchAlert, WatchRequest } from './schemas';
import type { WatchFeed } from './feed';
import type { WebhookDispatcher } from './webhook';

/** Access IDs of alert accesses start with this (the `/events` feed routes them to the bank). */
export const ALERT_ACCESS_PREFIX = 'wal-';

/** A watch as stored (sealed). */
export const StoredWatchSchema = z.object({
  watchId: z.string(),
  orgMspId: z.string(),
  userId: z.string(),
  operator: z.string(),
  subject: z.string(),
  maskedSubjectId: z.string(),
  consentId: z.string(),
  scope: z.array(z.string()),
  rules: z.array(z.custom<WatchRule>((v) => typeof v === 'object' && v !== null)),
  until: z.string(),
  grantValidUntil: z.string(),
  assetIds: z.array(z.string()),
  /** The multi-lender count when last computed (watches with a MULTI_LENDER rule). */
  multiLenderCount: z.number().int().optional(),
  status: z.enum(['ACTIVE', 'STOPPED']),
  stoppedReason: z.string().optional(),
  stoppedAt: z.string().optional(),
  createdAt: z.string(),
});
/** A stored watch. */
export type StoredWatch = z.infer<typeof StoredWatchSchema>;

/** A kept alert (sealed). */
export const StoredAlertSchema = z.custom<WatchAlert>((v) => typeof v === 'object' && v !== null);

interface LedgerGrant {
  grantId: string;
  subject: string;
  grantee: string;
  scope: string[];
  purpose: string;
  validUntil: string;
  status: string;
}

interface LedgerAccess {
  accessId: string;
  outcome: 'GRANTED' | 'DENIED';
  reason?: string;
  txId: string;
}

/** What {@link WatchService} needs besides the domain context. */
export interface WatchServiceOptions {
  readonly records: RecordStore;
  readonly watches: SealedStore<StoredWatch>;
  readonly alerts: SealedStore<WatchAlert>;
  readonly webhooks: WebhookDispatcher;
  /** Where alerts go for the bank's `/events` streams. */
  readonly feed: WatchFeed;
  /** The position of the last ledger event handled (kept across restarts). */
  readonly checkpoint: SealedStore<LedgerPosition>;
  readonly logger: Logger;
  /** How long a batch's evaluation waits for its records to be stored here (ms, default 60,000). */
  readonly batchWaitMs?: number;
}

/** Watch use cases and the rule evaluation loop. */
export class WatchService {
  readonly #ctx: DomainContext;
  readonly #records: RecordStore;
  readonly #watches: SealedStore<StoredWatch>;
  readonly #alerts: SealedStore<WatchAlert>;
  readonly #webhooks: WebhookDispatcher;
  readonly #feed: WatchFeed;
  readonly #checkpoint: SealedStore<LedgerPosition>;
  /** The last event handled, once read. */
  #handled: LedgerPosition | undefined;
  readonly #logger: Logger;
  readonly #batchWaitMs: number;
  readonly #engine = new WatchEngine();
  /** Watches by ID (ACTIVE ones; the engine holds their data rules). */
  readonly #active = new Map<string, StoredWatch>();
  #loaded: Promise<void> | undefined;
  /** Events are handled one after another, in ledger order. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  /** The ledger event being (or last) handled: alerts are placed after it in the `/events` order. */
  #at: Pick<IndexedEvent, 'txId' | 'timestamp'> & LedgerPosition = {
    txId: '',
    blockNumber: 0,
    txIndex: 0,
    timestamp: new Date(0).toISOString(),
  };

  constructor(ctx: DomainContext, options: Readonly<WatchServiceOptions>) {
    this.#ctx = ctx;
    this.#records = options.records;
    this.#watches = options.watches;
    this.#alerts = options.alerts;
    this.#webhooks = options.webhooks;
    this.#feed = options.feed;
    this.#checkpoint = options.checkpoint;
    this.#logger = options.logger;
    this.#batchWaitMs = options.batchWaitMs ?? 60_000;
  }

  /** Loads the stored ACTIVE watches into the engine and the last position handled (once). */
  #load(): Promise<void> {
    this.#loaded ??= (async () => {
      this.#handled = await this.#checkpoint.get(CHECKPOINT_KEY);
      for await (const [, watch] of this.#watches.iterate()) {
        if (watch.status === 'ACTIVE') await this.#activate(watch);
      }
    })();
    return this.#loaded;
  }

  async #activate(watch: StoredWatch): Promise<void> {
    const baselines = new Map<string, { batchId: string; record: Record<string, unknown> }>();
    for (const rule of watch.rules) {
      if (!('datasetType' in rule) || baselines.has(rule.datasetType)) continue;
      const latest = await this.#records.latestForSubject(watch.subject, rule.datasetType);
      const last = latest.at(-1);
      if (last !== undefined) baselines.set(rule.datasetType, { batchId: last.batchId, record: last.record });
    }
    this.#engine.add({ watchId: watch.watchId, subject: watch.subject, rules: watch.rules }, baselines);
    this.#active.set(watch.watchId, watch);
  }

  /**
   * Sets a watch.
   *
   * @throws AppError 404 CONSENT_NOT_FOUND; 409 CONSENT_NOT_USABLE (details.reason: NOT_ACTIVE,
   *   WRONG_PURPOSE, OTHER_BANK, WRONG_SUBJECT); 400 OUT_OF_SCOPE when a rule's dataset is not in
   *   the consent's scope; 400 INVALID_SUBJECT_ID.
   */
  async create(principal: Principal, request: WatchRequest): Promise<StoredWatch> {
    await this.#load();
    const subject = await this.#ctx.subjects.pseudonym(request.subjectId);
    const grant = await this.#grant(principal.orgMspId, request.consentId);
    if (grant === undefined) {
      throw AppError.notFound(`consent ${request.consentId} not found`, { code: 'CONSENT_NOT_FOUND' });
    }
    const unusable =
      grant.grantee !== principal.orgMspId
        ? 'OTHER_BANK'
        : grant.subject !== subject
          ? 'WRONG_SUBJECT'
          : grant.purpose !== 'POST_LOAN_MANAGEMENT'
            ? 'WRONG_PURPOSE'
            : grant.status !== 'ACTIVE'
              ? 'NOT_ACTIVE'
              : undefined;
    if (unusable !== undefined) {
      throw AppError.conflict(`consent ${request.consentId} cannot carry a watch: ${unusable}`, {
        code: 'CONSENT_NOT_USABLE',
        details: { reason: unusable, status: grant.status },
      });
    }
    const outside = request.rules.filter((r) => 'datasetType' in r && !grant.scope.includes(r.datasetType));
    if (outside.length > 0) {
      throw AppError.badRequest('a rule names a dataset outside the consent scope', {
        code: 'OUT_OF_SCOPE',
        details: { datasets: outside.map((r) => ('datasetType' in r ? r.datasetType : '')) },
      });
    }
    const assets = await this.#ctx.ledger.evaluate<{ records: { assetId: string; rightExpiry?: string }[] }>(
      principal.orgMspId,
      'Collateral:ListAssetsByOwner',
      [subject, '50', ''],
    );
    const watchId = `wat-${randomUUID()}`;
    const watch: StoredWatch = {
      watchId,
      orgMspId: principal.orgMspId,
      userId: principal.userId,
      operator: principal.operator,
      subject,
      maskedSubjectId: maskSubjectId(parseSubjectId(request.subjectId).id),
      consentId: grant.grantId,
      scope: grant.scope,
      rules: request.rules,
      until: request.until ?? grant.validUntil,
      grantValidUntil: grant.validUntil,
      assetIds: assets.records.map((a) => a.assetId),
      ...(has({ rules: request.rules }, 'MULTI_LENDER')
        ? { multiLenderCount: lenderCount(await this.#signal(principal.orgMspId, subject, grant.grantId)) }
        : {}),
      status: 'ACTIVE',
      createdAt: new Date().toISOString(),
    };
    await this.#watches.put(key(watch), watch);
    await this.#activate(watch);
    // Ends known now: the consent or a right ending before the watch does.
    if (has(watch, 'GRANT_EXPIRES') && grant.validUntil < watch.until) {
      await this.#event(watch, {
        kind: 'GRANT_EXPIRES',
        consentId: grant.grantId,
        validUntil: grant.validUntil,
      });
    }
    if (has(watch, 'RIGHT_EXPIRES')) {
      for (const a of assets.records) {
        if (a.rightExpiry !== undefined && a.rightExpiry < watch.until) {
          await this.#event(watch, { kind: 'RIGHT_EXPIRES', assetId: a.assetId, rightExpiry: a.rightExpiry });
        }
      }
    }
    return watch;
  }

  /** The bank's watches (this user's organisation), newest last. */
  async list(principal: Principal): Promise<StoredWatch[]> {
    const out: StoredWatch[] = [];
    for await (const [, w] of this.#watches.iterate({ prefix: `${principal.orgMspId}!` })) out.push(w);
    return out;
  }

  /** @throws AppError 404 WATCH_NOT_FOUND (another bank's watch too). */
  async get(principal: Principal, watchId: string): Promise<StoredWatch> {
    const watch = await this.#watches.get(`${principal.orgMspId}!${watchId}`);
    if (watch === undefined)
      throw AppError.notFound(`watch ${watchId} not found`, { code: 'WATCH_NOT_FOUND' });
    return watch;
  }

  /** Stops a watch at the bank's request. @throws AppError 404 WATCH_NOT_FOUND. */
  async cancel(principal: Principal, watchId: string): Promise<StoredWatch> {
    await this.#load();
    const watch = await this.get(principal, watchId);
    return watch.status === 'ACTIVE' ? this.#stop(watch, 'CANCELLED') : watch;
  }

  /** A watch's alerts, oldest first. @throws AppError 404 WATCH_NOT_FOUND. */
  async alerts(principal: Principal, watchId: string): Promise<WatchAlert[]> {
    await this.get(principal, watchId);
    const out: WatchAlert[] = [];
    for await (const [, a] of this.#alerts.iterate({ prefix: `${principal.orgMspId}!${watchId}!` }))
      out.push(a);
    return out;
  }

  /** Handles an indexed event (queued: events are handled in ledger order). */
  onEvent(event: IndexedEvent): void {
    if (this.#closed) return;
    this.#queue = this.#queue
      .then(() => this.#handle(event))
      .catch((err: unknown) =>
        this.#logger.error('watch evaluation failed', {
          event: event.name,
          txId: event.txId,
          err: String(err),
        }),
      );
  }

  /** Resolves when every event received so far is handled (tests, shutdown). */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** Stops handling events. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
  }

  async #handle(event: IndexedEvent): Promise<void> {
    await this.#load();
    // An event handled before (an index rebuilt, a block indexed again after a restart) raises nothing twice.
    const handled = this.#handled;
    if (
      handled !== undefined &&
      (event.blockNumber < handled.blockNumber ||
        (event.blockNumber === handled.blockNumber && event.txIndex <= handled.txIndex))
    ) {
      return;
    }
    this.#at = event;
    await this.#rules(event);
    this.#handled = { blockNumber: event.blockNumber, txIndex: event.txIndex };
    await this.#checkpoint.put(CHECKPOINT_KEY, this.#handled);
  }

  async #rules(event: IndexedEvent): Promise<void> {
    const p = event.payload;
    const str = (f: string): string => {
      const v = p[f];
      return typeof v === 'string' ? v : '';
    };
    await this.#sweep(event.timestamp);
    switch (event.name) {
      case 'BatchAnchored':
        if (this.#engine.watches(str('datasetType'))) {
          await this.#evaluateBatch(str('batchId'), str('datasetType'), str('corrects'));
        }
        return;
      case 'ConsentRevoked':
        for (const w of this.#matching(
          (w) => w.consentId === str('grantId') && w.orgMspId === str('grantee'),
        )) {
          await this.#stop(w, 'REVOKED');
        }
        return;
      case 'LienRegistered':
        await this.#multiLender(str('owner'), str('mortgagee'), 'LIEN');
        for (const w of this.#matching(
          (w) => w.subject === str('owner') && w.orgMspId !== str('mortgagee') && has(w, 'OTHER_BANK_LIEN'),
        )) {
          await this.#event(w, {
            kind: 'OTHER_BANK_LIEN',
            assetId: str('assetId'),
            lienId: str('lienId'),
            mortgagee: str('mortgagee'),
          });
        }
        return;
      case 'AssetSeized':
        for (const w of this.#matching(
          (w) => w.assetIds.includes(str('assetId')) && has(w, 'ASSET_SEIZED'),
        )) {
          await this.#event(w, { kind: 'ASSET_SEIZED', assetId: str('assetId'), by: str('by') });
        }
        return;
      case 'DemandClaimed':
        await this.#multiLender(str('subject'), str('bank'), 'CLAIM');
        return;
      case 'DisputeFiled':
        for (const w of this.#matching(
          (w) =>
            w.subject === str('subject') && w.scope.includes(str('datasetType')) && has(w, 'DISPUTE_OPENED'),
        )) {
          await this.#event(w, {
            kind: 'DISPUTE_OPENED',
            disputeId: str('disputeId'),
            datasetType: str('datasetType'),
            batchId: str('batchId'),
            recordHash: str('recordHash'),
          });
        }
        return;
      default:
        return;
    }
  }

  /**
   * A new lien or claim by `by` on `subject`: recomputes the multi-lender signal for each
   * watching bank (recorded on the ledger as that bank's signal) and alerts when the count
   * goes from at most k to more than k. The alert carries counts only, no institution.
   */
  async #multiLender(subject: string, by: string, trigger: 'LIEN' | 'CLAIM'): Promise<void> {
    for (const w of this.#matching(
      (w) => w.subject === subject && w.orgMspId !== by && has(w, 'MULTI_LENDER'),
    )) {
      let signal: LedgerSignal;
      try {
        signal = await this.#signal(w.orgMspId, w.subject, w.consentId);
      } catch (err) {
        // The consent may have ended in this very block: the sweep stops the watch; other rules still run.
        this.#logger.warn('watch: multi-lender signal not computed', {
          watchId: w.watchId,
          err: String(err),
        });
        continue;
      }
      const count = lenderCount(signal);
      const previous = w.multiLenderCount ?? 0;
      const updated: StoredWatch = { ...w, multiLenderCount: count };
      await this.#watches.put(key(updated), updated);
      this.#active.set(w.watchId, updated);
      for (const rule of w.rules) {
        if (rule.kind !== 'MULTI_LENDER' || !(previous <= rule.k && count > rule.k)) continue;
        await this.#event(updated, {
          kind: 'MULTI_LENDER',
          trigger,
          k: rule.k,
          count,
          previous,
          applyingInstitutions: signal.applyingInstitutions,
          otherLiens: signal.otherLiens.count,
          otherLoans: signal.otherLoans.count,
          signalId: signal.signalId,
          signalDigest: signal.digest,
        });
      }
    }
  }

  /** Computes and records the multi-lender signal of `subject` for `bank` under its grant. */
  #signal(bank: string, subject: string, grantId: string): Promise<LedgerSignal> {
    return this.#ctx.ledger
      .submit<LedgerSignal>(bank, 'Lending:RecordMultiLenderSignal', [
        `sig-${randomUUID()}`,
        subject,
        grantId,
      ])
      .then((r) => r.result);
  }

  #matching(test: (w: StoredWatch) => boolean): StoredWatch[] {
    return [...this.#active.values()].filter(test);
  }

  /** Stops watches whose consent or end has passed at ledger time `at`. */
  async #sweep(at: string): Promise<void> {
    const now = at.slice(0, 19) + 'Z';
    for (const w of this.#matching((w) => w.grantValidUntil <= now || w.until <= now)) {
      await this.#stop(w, w.grantValidUntil <= now ? 'EXPIRED' : 'ENDED');
    }
  }

  /** Waits until the batch's records are stored here, then evaluates it. */
  async #evaluateBatch(batchId: string, datasetType: string, corrects: string): Promise<void> {
    const deadline = Date.now() + this.#batchWaitMs;
    while ((await this.#records.batch(batchId))?.state !== 'COMPLETE') {
      // Another gateway's batch (its records are not here) or one still being indexed.
      if (Date.now() > deadline || this.#closed) {
        this.#logger.warn('watch: batch records not stored here; not evaluated', { batchId });
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const anyOrg = this.#ctx.consortium.organisations[0]!.mspId;
    const dataset = await this.#ctx.ledger.evaluate<{ subjectField: string }>(
      anyOrg,
      'Catalogue:GetDatasetType',
      [datasetType],
    );
    const subjects = this.#ctx.subjects;
    const records = this.#records.recordsOf(batchId);
    async function* withSubjects(): AsyncGenerator<{ subject: string; record: Record<string, unknown> }> {
      for await (const { record } of records) {
        const id = record[dataset.subjectField];
        if (typeof id !== 'string') continue;
        let subject: string;
        try {
          subject = await subjects.pseudonym(id);
        } catch (err) {
          // A record without a valid subject ID cannot match a watch.
          if (err instanceof AppError && err.code === 'INVALID_SUBJECT_ID') continue;
          throw err;
        }
        yield { subject, record };
      }
    }
    const alerts = await this.#engine.evaluateBatch({ batchId, datasetType, corrects }, withSubjects());
    for (const alert of alerts) {
      const watch = this.#active.get(alert.watchId);
      if (watch !== undefined) await this.#dataAlert(watch, alert);
    }
  }

  /** Records the access for a data alert, then keeps and delivers it; a denial stops the watch. */
  async #dataAlert(watch: StoredWatch, alert: BatchAlert): Promise<void> {
    const alertId = `${ALERT_ACCESS_PREFIX}${randomUUID()}`;
    const body = {
      alertId,
      watchId: watch.watchId,
      consentId: watch.consentId,
      subject: watch.subject,
      maskedSubjectId: watch.maskedSubjectId,
      datasetType: alert.datasetType,
      batchId: alert.batchId,
      findings: alert.findings,
    };
    const digest = sha256Hex(canonicalJson(body));
    const committed = await this.#ctx.ledger.submit<LedgerAccess>(watch.orgMspId, 'Access:RecordAccess', [
      JSON.stringify({
        accessId: alertId,
        grantId: watch.consentId,
        subject: watch.subject,
        datasets: [alert.datasetType],
        purpose: 'POST_LOAN_MANAGEMENT',
        operator: watch.operator,
        releaseDigest: digest,
      }),
    ]);
    if (committed.result.outcome !== 'GRANTED') {
      await this.#stop(watch, committed.result.reason ?? 'DENIED', alertId);
      return;
    }
    await this.#keep(watch, {
      alertId,
      watchId: watch.watchId,
      type: 'WATCH_ALERT',
      createdAt: new Date().toISOString(),
      body,
      digest,
      accessId: alertId,
      txId: committed.txId,
    });
  }

  /** An alert on a ledger event about the subject (nothing from its records is disclosed). */
  async #event(
    watch: StoredWatch,
    finding: { kind: EventRule['kind'] } & Record<string, string | number>,
  ): Promise<void> {
    const alertId = `wev-${randomUUID()}`;
    await this.#keep(watch, {
      alertId,
      watchId: watch.watchId,
      type: 'WATCH_EVENT',
      createdAt: new Date().toISOString(),
      body: { alertId, watchId: watch.watchId, consentId: watch.consentId, subject: watch.subject, finding },
    });
  }

  async #stop(watch: StoredWatch, reason: string, deniedAccessId?: string): Promise<StoredWatch> {
    const stopped: StoredWatch = {
      ...watch,
      status: 'STOPPED',
      stoppedReason: reason,
      stoppedAt: new Date().toISOString(),
    };
    await this.#watches.put(key(stopped), stopped);
    this.#engine.remove(watch.watchId);
    this.#active.delete(watch.watchId);
    const alertId = `wst-${randomUUID()}`;
    await this.#keep(stopped, {
      alertId,
      watchId: watch.watchId,
      type: 'WATCH_STOPPED',
      createdAt: stopped.stoppedAt!,
      body: {
        alertId,
        watchId: watch.watchId,
        consentId: watch.consentId,
        reason,
        ...(deniedAccessId === undefined ? {} : { deniedAccessId }),
      },
    });
    return stopped;
  }

  /** Keeps an alert, then delivers it to the bank only: its `/events` streams and its webhook. */
  async #keep(watch: StoredWatch, alert: WatchAlert): Promise<void> {
    const seq = String(Date.now()).padStart(14, '0');
    await this.#alerts.put(`${watch.orgMspId}!${watch.watchId}!${seq}-${alert.alertId}`, alert);
    const delivered = {
      alert: alert.body,
      ...(alert.digest === undefined ? {} : { digest: alert.digest }),
      ...(alert.accessId === undefined ? {} : { accessId: alert.accessId, txId: alert.txId }),
    };
    await this.#feed.append(watch.orgMspId, this.#at, {
      type: alert.type,
      alertId: alert.alertId,
      ...delivered,
    });
    await this.#webhooks.enqueue(watch.orgMspId, alert.type, alert.alertId, delivered);
  }

  async #grant(orgMspId: string, consentId: string): Promise<LedgerGrant | undefined> {
    try {
      return await this.#ctx.ledger.evaluate<LedgerGrant>(orgMspId, 'Consent:GetGrant', [consentId]);
    } catch (err) {
      if (err instanceof AppError && (err.status === 404 || err.status === 403)) return undefined;
      throw err;
    }
  }
}

/** The one key of the checkpoint store. */
const CHECKPOINT_KEY = 'handled';

function key(watch: StoredWatch): string {
  return `${watch.orgMspId}!${watch.watchId}`;
}

/** The multi-lender signal, as much of it as a watch uses. */
interface LedgerSignal {
  signalId: string;
  digest: string;
  applyingInstitutions: number;
  otherLiens: { count: number };
  otherLoans: { count: number };
}

/** The multi-lender count: other institutions applying, other banks' active liens and active loans. */
function lenderCount(signal: LedgerSignal): number {
  return signal.applyingInstitutions + signal.otherLiens.count + signal.otherLoans.count;
}

function has(watch: Pick<StoredWatch, 'rules'>, kind: WatchRule['kind']): boolean {
  return watch.rules.some((r) => r.kind === kind);
}

/** The view of a watch its bank gets. */
export function watchView(w: StoredWatch): Record<string, unknown> {
  return {
    watchId: w.watchId,
    subject: w.subject,
    maskedSubjectId: w.maskedSubjectId,
    consentId: w.consentId,
    rules: w.rules,
    until: w.until,
    status: w.status,
    ...(w.stoppedReason === undefined ? {} : { stoppedReason: w.stoppedReason }),
    ...(w.stoppedAt === undefined ? {} : { stoppedAt: w.stoppedAt }),
    createdAt: w.createdAt,
  };
}
