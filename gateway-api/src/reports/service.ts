/**
 * Verification reports: assemble a subject's latest records with their
 * proofs and collateral status, record the access on the ledger with the
 * report's digest, and release the report only when that access committed
 * as GRANTED ("audit before release").
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  leafHash,
  maskSubjectId,
  parseSubjectId,
  releaseRequestDigest,
  reportDigest,
  verifyInclusion,
} from '@ruralcredit/protocol';
import type { Principal } from '../auth/principal';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import type { OrgGatewayClient } from '../organisation/client';
import type { RecordStore, StoredRecord } from '../provenance/record-store';
import type { Logger } from '../http/logger';
import type { SealedStore } from '../store/sealed';
import { countyField } from '../supervision/county';
import type { Report } from './schemas';

interface LedgerAccess {
  accessId: string;
  grantId: string;
  accessor: string;
  operator: string;
  datasets: string[];
  purpose: string;
  subject: string;
  outcome: 'GRANTED' | 'DENIED';
  reason?: string;
  releaseDigest: string;
  accessedAt: string;
  txId: string;
}

/** Kept reports are per bank: another bank cannot overwrite one by naming the same access ID. */
function keptKey(orgMspId: string, accessId: string): string {
  return `${orgMspId}!${accessId}`;
}

function accessIdTaken(accessId: string): AppError {
  return AppError.conflict(`access ${accessId} was recorded for another request`, {
    code: 'ACCESS_ID_TAKEN',
  });
}

/** Whether a kept report answers this request of this operator. */
function sameRequest(
  report: Report,
  principal: Principal,
  pseudonym: string,
  request: ReportRequest,
  datasets: string[],
): boolean {
  return (
    report.requestedBy.institution === principal.orgMspId &&
    report.requestedBy.operator === principal.operator &&
    report.subject.pseudonym === pseudonym &&
    report.consentId === request.consentId &&
    report.purpose === request.purpose &&
    report.datasets.map((d) => d.datasetType).join() === datasets.join() &&
    report.historyWindow?.from === request.historyFrom &&
    report.historyWindow?.to === request.historyTo
  );
}

function denied(
  accessId: string,
  reason: string | undefined,
  txId: string,
  blockNumber: number | undefined,
): AppError {
  return AppError.forbidden(`access denied: ${reason ?? 'UNKNOWN'}`, {
    code: 'ACCESS_DENIED',
    details: { accessId, reason, ...(blockNumber === undefined ? {} : { blockNumber }) },
    txId,
  });
}

interface LedgerBatch {
  merkleRoot: string;
  recordCount: number;
}

/** Most assets listed in a report's collateral section. */
const MAX_ASSETS = 50;

/** How long an issued report is kept for a client's retry with the same access ID. */
export const REPORT_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** An issued report kept (encrypted) for retries of the same request. */
export const KeptReportSchema = z.object({
  issuedAt: z.number().int(),
  report: z.custom<Report>((v) => typeof v === 'object' && v !== null),
});
export type KeptReport = z.infer<typeof KeptReportSchema>;

/** A report request as validated. */
export interface ReportRequest {
  subjectId: string;
  consentId: string;
  datasets: string[];
  purpose: string;
  accessId?: string | undefined;
  historyFrom?: string | undefined;
  historyTo?: string | undefined;
}

/** An issued report; `replayed` when it answers a retry of an access already recorded. */
export interface IssuedReport {
  report: Report;
  accessId: string;
  txId: string;
  blockNumber: number;
  replayed: boolean;
}

/** What {@link ReportService} needs besides the domain context. */
export interface ReportServiceOptions {
  readonly records: RecordStore;
  /** Issued reports kept for retries, sealed at rest. */
  readonly kept: SealedStore<KeptReport>;
  /** Finds the block of a transaction (the indexer's locator). */
  readonly locate: (txId: string) => Promise<number | undefined>;
  /** Milliseconds since the epoch now (tests). */
  readonly now?: () => number;
  /** Where background failures (pruning) are logged. */
  readonly logger?: Logger;
  /** Called once an access committed as GRANTED, before the report is returned (keeps it for printing). */
  readonly onGranted?: (
    institution: string,
    issued: { report: Report; txId: string; blockNumber: number },
  ) => Promise<void>;
  /**
   * Per-organisation deployment: records come from each provider's gateway, released only
   * against the access this bank records first. Absent: the all-in-one demo's local store.
   */
  readonly remote?: OrgGatewayClient;
}

/** A record as a report section needs it, from the local store or a provider's release. */
type SourceRecord = Omit<StoredRecord, 'datasetType'>;

/** Report use cases. */
export class ReportService {
  readonly #ctx: DomainContext;
  readonly #records: RecordStore;
  readonly #kept: SealedStore<KeptReport>;
  readonly #locate: (txId: string) => Promise<number | undefined>;
  readonly #now: () => number;
  readonly #inFlight = new Set<string>();
  readonly #logger: Logger | undefined;
  readonly #onGranted: ReportServiceOptions['onGranted'];
  readonly #remote: OrgGatewayClient | undefined;
  #lastPrune = 0;

  constructor(ctx: DomainContext, options: Readonly<ReportServiceOptions>) {
    this.#ctx = ctx;
    this.#records = options.records;
    this.#kept = options.kept;
    this.#locate = options.locate;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    this.#onGranted = options.onGranted;
    this.#remote = options.remote;
  }

  /**
   * Builds a report, records the access and returns the report when GRANTED.
   * The report is kept (encrypted) for {@link REPORT_RETRY_WINDOW_MS} so that a
   * client whose answer was lost can ask again with the same `accessId` and
   * get the same report, with nothing new recorded.
   *
   * @throws AppError 403 ACCESS_DENIED (with the access ID and reason: the
   *   denial is on the ledger too); 409 ACCESS_ID_TAKEN when `accessId` names
   *   another request's access of the same bank (access IDs are per bank: another
   *   bank's use of the same ID changes nothing); 409 CONSENT_NOT_ACTIVE when a
   *   retry comes after the consent was revoked or expired (the outcome and the
   *   digest, not the report); 409 REPORT_EXPIRED when the access was
   *   recorded but its report is no longer kept.
   */
  async issue(principal: Principal, request: ReportRequest): Promise<IssuedReport> {
    if (request.accessId === undefined) return this.#issue(principal, request);
    // One request per access ID at a time in this gateway: a retry racing its original waits its turn.
    const key = keptKey(principal.orgMspId, request.accessId);
    if (this.#inFlight.has(key)) {
      throw AppError.conflict(`a request with access ID ${request.accessId} is in progress; retry`, {
        code: 'REQUEST_IN_PROGRESS',
        headers: { 'Retry-After': '1' },
      });
    }
    this.#inFlight.add(key);
    try {
      return await this.#issue(principal, request);
    } finally {
      this.#inFlight.delete(key);
    }
  }

  async #issue(principal: Principal, request: ReportRequest): Promise<IssuedReport> {
    const pseudonym = await this.#ctx.subjects.pseudonym(request.subjectId);
    const datasets = [...request.datasets].sort();
    const accessId = request.accessId ?? `acc-${randomUUID()}`;
    const key = keptKey(principal.orgMspId, accessId);
    if (this.#remote !== undefined) {
      return this.#issueAfterAccess(principal, request, accessId, pseudonym, datasets, this.#remote);
    }
    let report: Report | undefined;
    if (request.accessId !== undefined) {
      const earlier = await this.#earlier(principal, { ...request, accessId }, pseudonym, datasets);
      if (earlier !== undefined) return earlier;
      // Not on the ledger (yet): an earlier attempt whose outcome was unclear may still commit,
      // so a retry records the very same report (same digest), never a second one.
      const kept = await this.#kept.get(key);
      if (kept !== undefined && sameRequest(kept.report, principal, pseudonym, request, datasets)) {
        report = kept.report;
      }
    }
    if (report === undefined) {
      report = await this.#assemble(principal, request, accessId, pseudonym, datasets, (datasetType) =>
        this.#records.latestForSubject(pseudonym, datasetType),
      );
      // Kept before the access is recorded: if the answer is lost, a retry finds it.
      await this.#kept.put(key, { issuedAt: this.#now(), report });
    }
    this.#pruneSoon();
    let committed;
    try {
      committed = await this.#recordAccess(principal, request, accessId, pseudonym, datasets, report.digest);
    } catch (err) {
      // A conflict may be this request's own earlier attempt committing meanwhile: answer as a retry.
      if (request.accessId !== undefined && err instanceof AppError && err.status === 409) {
        const earlier = await this.#earlier(principal, { ...request, accessId }, pseudonym, datasets);
        if (earlier !== undefined) return earlier;
      }
      // Refused for sure: nothing to retry. An unclear outcome (5xx) keeps the report for a retry.
      if (err instanceof AppError && err.status < 500 && err.status !== 409) await this.#kept.del(key);
      throw err;
    }
    if (committed.result.outcome !== 'GRANTED') {
      await this.#kept.del(key);
      throw denied(accessId, committed.result.reason, committed.txId, committed.blockNumber);
    }
    await this.#onGranted?.(principal.orgMspId, {
      report,
      txId: committed.txId,
      blockNumber: committed.blockNumber,
    });
    return { report, accessId, txId: committed.txId, blockNumber: committed.blockNumber, replayed: false };
  }

  /** Records the access on the ledger with `releaseDigest`; the chaincode decides the outcome. */
  #recordAccess(
    principal: Principal,
    request: ReportRequest,
    accessId: string,
    pseudonym: string,
    datasets: string[],
    releaseDigest: string,
  ) {
    return this.#ctx.ledger.submit<LedgerAccess>(principal.orgMspId, 'Access:RecordAccess', [
      JSON.stringify({
        accessId,
        grantId: request.consentId,
        subject: pseudonym,
        datasets,
        purpose: request.purpose,
        operator: principal.operator,
        releaseDigest,
        // The county (6 digits), never the ID: statistics by county on the ledger.
        ...countyField(request.subjectId),
      }),
    ]);
  }

  /**
   * The per-organisation flow: the access is recorded first (its digest is the request's, see
   * `releaseRequestDigest`), then each provider's gateway releases against it, then the report is
   * assembled. No record reaches this bank before the ledger holds the GRANTED access.
   */
  async #issueAfterAccess(
    principal: Principal,
    request: ReportRequest,
    accessId: string,
    pseudonym: string,
    datasets: string[],
    remote: OrgGatewayClient,
  ): Promise<IssuedReport> {
    const digest = releaseRequestDigest({
      accessId,
      accessor: principal.orgMspId,
      operator: principal.operator,
      subject: pseudonym,
      grantId: request.consentId,
      purpose: request.purpose,
      datasets,
    });
    const retry = { ...request, accessId };
    let committed: { txId: string; blockNumber: number | undefined };
    let replayed = false;
    const earlier =
      request.accessId === undefined
        ? undefined
        : await this.#recordedAccess(principal, retry, pseudonym, datasets);
    if (earlier !== undefined) {
      // A retry of a request whose access is on the ledger (its answer was lost, or a provider
      // failed): nothing new is recorded; the report kept, or the providers asked again.
      if (earlier.access.releaseDigest !== digest) throw accessIdTaken(accessId);
      committed = { txId: earlier.access.txId, blockNumber: earlier.blockNumber };
      replayed = true;
      const kept = await this.#kept.get(keptKey(principal.orgMspId, accessId));
      if (kept !== undefined && sameRequest(kept.report, principal, pseudonym, request, datasets)) {
        return this.#answer(kept.report, accessId, committed, true);
      }
    } else {
      try {
        const result = await this.#recordAccess(principal, request, accessId, pseudonym, datasets, digest);
        if (result.result.outcome !== 'GRANTED') {
          throw denied(accessId, result.result.reason, result.txId, result.blockNumber);
        }
        committed = result;
      } catch (err) {
        // A conflict may be this request's own earlier attempt committing meanwhile: answer as a retry.
        if (request.accessId === undefined || !(err instanceof AppError && err.status === 409)) throw err;
        const raced = await this.#recordedAccess(principal, retry, pseudonym, datasets);
        if (raced === undefined || raced.access.releaseDigest !== digest) throw err;
        committed = { txId: raced.access.txId, blockNumber: raced.blockNumber };
        replayed = true;
      }
    }
    const byProvider = new Map<string, string[]>();
    for (const code of datasets) {
      const provider = this.#ctx.consortium.datasetTypes.find((d) => d.code === code)?.provider;
      if (provider === undefined) continue;
      byProvider.set(provider, [...(byProvider.get(provider) ?? []), code]);
    }
    const released = new Map<string, SourceRecord[]>();
    for (const [provider, codes] of byProvider) {
      const release = await remote.release(provider, { accessId, subject: pseudonym, datasets: codes });
      for (const section of release.datasets) released.set(section.datasetType, section.records);
    }
    const report = await this.#assemble(principal, request, accessId, pseudonym, datasets, (datasetType) =>
      Promise.resolve(released.get(datasetType) ?? []),
    );
    await this.#kept.put(keptKey(principal.orgMspId, accessId), { issuedAt: this.#now(), report });
    if (!replayed && committed.blockNumber !== undefined) {
      await this.#onGranted?.(principal.orgMspId, {
        report,
        txId: committed.txId,
        blockNumber: committed.blockNumber,
      });
    }
    return this.#answer(report, accessId, committed, replayed);
  }

  /** A report's answer; the block is the index's (503 INDEX_LAGGING until it has the transaction). */
  #answer(
    report: Report,
    accessId: string,
    committed: { txId: string; blockNumber: number | undefined },
    replayed: boolean,
  ): IssuedReport {
    if (committed.blockNumber === undefined) {
      throw AppError.unavailable('the index has not caught up with the ledger; retry', {
        code: 'INDEX_LAGGING',
      });
    }
    return { report, accessId, txId: committed.txId, blockNumber: committed.blockNumber, replayed };
  }

  /** Builds the report: the subject's latest records with proofs and disputes, and its collateral. */
  async #assemble(
    principal: Principal,
    request: ReportRequest,
    accessId: string,
    pseudonym: string,
    datasets: string[],
    recordsOf: (datasetType: string) => Promise<readonly SourceRecord[]>,
  ): Promise<Report> {
    // Every record of every section first, then their open disputes in as few ledger calls as possible.
    const found: {
      datasetType: string;
      records: readonly SourceRecord[];
      history?: readonly SourceRecord[];
    }[] = [];
    for (const datasetType of datasets) {
      const records = await recordsOf(datasetType);
      found.push(
        request.historyFrom === undefined
          ? { datasetType, records }
          : {
              datasetType,
              records,
              history: await this.#records.historyForSubject(
                pseudonym,
                datasetType,
                { from: request.historyFrom, to: request.historyTo },
                MAX_HISTORY_RECORDS,
              ),
            },
      );
    }
    const disputes = await this.#openDisputes(
      principal,
      found.flatMap((f) => [...f.records, ...(f.history ?? [])]),
    );
    const section = (stored: readonly SourceRecord[]): ReportRecord[] =>
      stored.map((r) => {
        const dispute = disputes.get(disputeKey(r.batchId, r.leafHash));
        return {
          batchId: r.batchId,
          index: r.index,
          record: r.record,
          leafHash: r.leafHash,
          proof: r.proof,
          merkleRoot: r.merkleRoot,
          anchoredAt: r.anchoredAt,
          disputed: dispute !== undefined,
          ...(dispute === undefined ? {} : { disputeId: dispute }),
        };
      });
    const sections: Report['datasets'] = found.map(({ datasetType, records, history }) => {
      if (history === undefined) return { datasetType, records: section(records) };
      const shown = section(history);
      return { datasetType, records: section(records), history: shown, changes: changesOf(shown) };
    });
    const assets = await this.#ctx.ledger.evaluate<{ records: Record<string, unknown>[] }>(
      principal.orgMspId,
      'Collateral:ListAssetsByOwner',
      [pseudonym, String(MAX_ASSETS), ''],
    );
    const signal = await this.#multiLenderSignal(principal, accessId, pseudonym, request.consentId);
    const body: Omit<Report, 'digest'> = {
      reportId: `rpt-${randomUUID()}`,
      version: 1,
      accessId,
      subject: { pseudonym, maskedId: maskSubjectId(parseSubjectId(request.subjectId).id) },
      requestedBy: { institution: principal.orgMspId, operator: principal.operator },
      consentId: request.consentId,
      purpose: request.purpose,
      generatedAt: new Date().toISOString(),
      ...(request.historyFrom === undefined
        ? {}
        : {
            historyWindow: {
              from: request.historyFrom,
              ...(request.historyTo === undefined ? {} : { to: request.historyTo }),
            },
          }),
      datasets: sections,
      collateral: assets.records.map(collateralView),
      ...(signal === undefined ? {} : { multiLenderSignal: signal }),
    };
    return { ...body, digest: reportDigest(body) };
  }

  /**
   * The multi-lender signal for this report: `Lending:RecordMultiLenderSignal`
   * evaluated by the chaincode at this proposal's time (counts of other
   * institutions only, with their own digest). The report's digest covers it,
   * and that digest goes on the ledger with the access, so it is audited like
   * the rest without a second transaction. Undefined when the consent is not
   * active: the access is then recorded DENIED and no report is released anyway.
   */
  async #multiLenderSignal(
    principal: Principal,
    accessId: string,
    pseudonym: string,
    consentId: string,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const { txId: _proposal, ...signal } = await this.#ctx.ledger.evaluate<Record<string, unknown>>(
        principal.orgMspId,
        'Lending:RecordMultiLenderSignal',
        [`sig-${accessId}`, pseudonym, consentId],
      );
      return signal;
    } catch (err) {
      if (err instanceof AppError && (err.status === 403 || err.status === 404)) return undefined;
      throw err;
    }
  }

  /**
   * This bank's access `request.accessId` as the ledger holds it, when it is the same request by
   * the same operator, GRANTED, under a consent still ACTIVE; undefined when there is none.
   *
   * @throws AppError 409 ACCESS_ID_TAKEN (another request's access), 403 ACCESS_DENIED (it was
   *   denied), 409 CONSENT_NOT_ACTIVE (the consent ended since).
   */
  async #recordedAccess(
    principal: Principal,
    request: ReportRequest & { accessId: string },
    pseudonym: string,
    datasets: string[],
  ): Promise<{ access: LedgerAccess; blockNumber: number | undefined } | undefined> {
    let access: LedgerAccess;
    try {
      access = await this.#ctx.ledger.evaluate<LedgerAccess>(principal.orgMspId, 'Access:GetAccess', [
        request.accessId,
      ]);
    } catch (err) {
      // Access IDs are per institution: another bank's use of the same ID is not found here.
      if (err instanceof AppError && err.status === 404) return undefined;
      throw err;
    }
    // The same request by the same operator: another operator's retry would release data unrecorded.
    const same =
      access.accessor === principal.orgMspId &&
      access.operator === principal.operator &&
      access.subject === pseudonym &&
      access.grantId === request.consentId &&
      access.purpose === request.purpose &&
      [...access.datasets].sort().join() === datasets.join();
    if (!same) throw accessIdTaken(request.accessId);
    const blockNumber = await this.#locate(access.txId);
    if (access.outcome !== 'GRANTED') throw denied(access.accessId, access.reason, access.txId, blockNumber);
    // No data after the consent ends: a retry then learns the outcome and the digest, not the report.
    const consentStatus = await this.#consentStatus(principal, access.grantId);
    if (consentStatus !== 'ACTIVE') {
      await this.#kept.del(keptKey(principal.orgMspId, request.accessId));
      throw AppError.conflict(
        `access ${access.accessId} was GRANTED, but consent ${access.grantId} is now ${consentStatus}: ` +
          'the report is no longer handed out',
        {
          code: 'CONSENT_NOT_ACTIVE',
          details: {
            accessId: access.accessId,
            outcome: access.outcome,
            releaseDigest: access.releaseDigest,
            consentStatus,
            ...(blockNumber === undefined ? {} : { blockNumber }),
          },
          txId: access.txId,
        },
      );
    }
    return { access, blockNumber };
  }

  /**
   * The answer to a retry: the access `request.accessId` as recorded earlier by
   * this request, or undefined when no such access exists yet.
   */
  async #earlier(
    principal: Principal,
    request: ReportRequest & { accessId: string },
    pseudonym: string,
    datasets: string[],
  ): Promise<IssuedReport | undefined> {
    const found = await this.#recordedAccess(principal, request, pseudonym, datasets);
    if (found === undefined) return undefined;
    const { access, blockNumber } = found;
    const kept = await this.#kept.get(keptKey(principal.orgMspId, request.accessId));
    if (kept === undefined || kept.report.digest !== access.releaseDigest) {
      throw AppError.conflict(
        `access ${request.accessId} was recorded, but its report is no longer kept; request a new one`,
        { code: 'REPORT_EXPIRED', txId: access.txId },
      );
    }
    if (blockNumber === undefined) {
      throw AppError.unavailable('the index has not caught up with the ledger; retry', {
        code: 'INDEX_LAGGING',
      });
    }
    return { report: kept.report, accessId: access.accessId, txId: access.txId, blockNumber, replayed: true };
  }

  /** The status of the bank's own consent now, as the ledger judges it (NOT_FOUND when it cannot read it). */
  async #consentStatus(principal: Principal, consentId: string): Promise<string> {
    try {
      const grant = await this.#ctx.ledger.evaluate<{ status: string }>(
        principal.orgMspId,
        'Consent:GetGrant',
        [consentId],
      );
      return grant.status;
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return 'NOT_FOUND';
      throw err;
    }
  }

  /** Starts dropping kept reports older than the retry window, at most every ten minutes, off the request path. */
  #pruneSoon(): void {
    const now = this.#now();
    if (now - this.#lastPrune < 10 * 60 * 1000) return;
    this.#lastPrune = now;
    void this.#prune(now).catch((err: unknown) => {
      this.#logger?.error('could not drop expired kept reports; retried in ten minutes', {
        err: String(err),
      });
    });
  }

  async #prune(now: number): Promise<void> {
    const expired: string[] = [];
    for await (const [key, kept] of this.#kept.iterate()) {
      if (now - kept.issuedAt > REPORT_RETRY_WINDOW_MS) expired.push(key);
    }
    for (const key of expired) await this.#kept.del(key);
  }

  /** Checks a filed report: its digest, the access anchoring it, and every record's proof. */
  async verify(principal: Principal, report: Report) {
    const digestMatches = reportDigest(report) === report.digest;
    let access: LedgerAccess | undefined;
    try {
      // Access IDs are per institution: the report names the bank that requested it.
      access = await this.#ctx.ledger.evaluate<LedgerAccess>(principal.orgMspId, 'Access:GetAccessOf', [
        report.requestedBy.institution,
        report.accessId,
      ]);
    } catch (err) {
      // No such access, or one of an institution the caller may not read (the report may name
      // another bank, or a tampered one): not anchored as far as this caller can tell.
      if (!(err instanceof AppError) || ![400, 403, 404].includes(err.status)) throw err;
    }
    // The ledger holds the report's digest (all-in-one demo: recorded after assembly) or, in the
    // per-organisation deployment, the digest of the request the report answers (recorded before).
    const anchored =
      access !== undefined &&
      access.outcome === 'GRANTED' &&
      (access.releaseDigest === report.digest || access.releaseDigest === requestDigestOf(report)) &&
      access.subject === report.subject.pseudonym;
    const batches = new Map<string, LedgerBatch | undefined>();
    const records: { batchId: string; index: number; valid: boolean }[] = [];
    for (const section of report.datasets) {
      for (const r of [...section.records, ...(section.history ?? [])]) {
        if (!batches.has(r.batchId)) batches.set(r.batchId, await this.#batch(principal, r.batchId));
        const batch = batches.get(r.batchId);
        const leaf = leafHash(r.record).toString('hex');
        const valid =
          batch !== undefined &&
          leaf === r.leafHash &&
          r.merkleRoot === batch.merkleRoot &&
          r.proof.leafIndex === r.index &&
          verifyInclusion(leaf, r.proof, batch.merkleRoot, batch.recordCount);
        records.push({ batchId: r.batchId, index: r.index, valid });
      }
    }
    return {
      valid: digestMatches && anchored && records.every((r) => r.valid),
      digestMatches,
      anchored,
      ...(access === undefined
        ? {}
        : {
            access: {
              accessId: access.accessId,
              txId: access.txId,
              accessedAt: access.accessedAt,
              outcome: access.outcome,
            },
          }),
      records,
    };
  }

  async #batch(principal: Principal, batchId: string): Promise<LedgerBatch | undefined> {
    try {
      return await this.#ctx.ledger.evaluate<LedgerBatch>(principal.orgMspId, 'Provenance:GetBatch', [
        batchId,
      ]);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * The open disputes on `records`, by {@link disputeKey}: `Dispute:GetOpenDisputes` over up to
   * {@link DISPUTE_CHECKS_PER_CALL} distinct records a call (one call for a report without history).
   */
  async #openDisputes(principal: Principal, records: readonly SourceRecord[]): Promise<Map<string, string>> {
    const distinct = new Map<string, { batchId: string; recordHash: string }>();
    for (const r of records)
      distinct.set(disputeKey(r.batchId, r.leafHash), { batchId: r.batchId, recordHash: r.leafHash });
    const checks = [...distinct.values()];
    const open = new Map<string, string>();
    for (let first = 0; first < checks.length; first += DISPUTE_CHECKS_PER_CALL) {
      const answers = await this.#ctx.ledger.evaluate<
        { batchId: string; recordHash: string; disputeId?: string }[]
      >(principal.orgMspId, 'Dispute:GetOpenDisputes', [
        JSON.stringify({ records: checks.slice(first, first + DISPUTE_CHECKS_PER_CALL) }),
      ]);
      for (const a of answers) {
        if (a.disputeId !== undefined) open.set(disputeKey(a.batchId, a.recordHash), a.disputeId);
      }
    }
    return open;
  }
}

/** The request digest a report answers, recomputed from the report's own fields. */
function requestDigestOf(report: Report): string {
  return releaseRequestDigest({
    accessId: report.accessId,
    accessor: report.requestedBy.institution,
    operator: report.requestedBy.operator,
    subject: report.subject.pseudonym,
    grantId: report.consentId,
    purpose: report.purpose,
    datasets: report.datasets.map((d) => d.datasetType),
  });
}

type ReportRecord = Report['datasets'][number]['records'][number];

/** Most history records of one dataset in a report. */
const MAX_HISTORY_RECORDS = 1000;

/** Records checked for open disputes per ledger call (the chaincode's limit, MAX_DISPUTE_CHECKS). */
const DISPUTE_CHECKS_PER_CALL = 100;

/** A record's key in the map of open disputes. */
function disputeKey(batchId: string, recordHash: string): string {
  return `${batchId}\n${recordHash}`;
}

/**
 * Each numeric field's change between the subject's last record of the latest batch
 * and of the batch before it in `history` (oldest first); empty with fewer than two batches.
 */
function changesOf(history: readonly ReportRecord[]): NonNullable<Report['datasets'][number]['changes']> {
  const lastByBatch = new Map<string, ReportRecord>();
  for (const r of history) {
    lastByBatch.delete(r.batchId);
    lastByBatch.set(r.batchId, r);
  }
  const [previous, latest] = [...lastByBatch.values()].slice(-2);
  if (previous === undefined || latest === undefined) return [];
  const changes: NonNullable<Report['datasets'][number]['changes']> = [];
  for (const field of Object.keys(latest.record).sort()) {
    const a = previous.record[field];
    const b = latest.record[field];
    if (typeof a !== 'number' || typeof b !== 'number') continue;
    changes.push({
      field,
      previous: a,
      latest: b,
      changePercent: a === 0 ? null : Math.round(((b - a) / Math.abs(a)) * 10_000) / 100,
      previousBatchId: previous.batchId,
      latestBatchId: latest.batchId,
    });
  }
  return changes;
}

/** What a report shows of an asset (exported for the subject's own report): status, term, the bank's own liens, the others' total, seizure; no owner data. */
export function collateralView(asset: Record<string, unknown>): Record<string, unknown> {
  const {
    assetId,
    assetType,
    status,
    liens,
    otherLiens,
    seizure,
    rightExpiry,
    appraisedValueFen,
    appraisalDate,
    areaValue,
    areaUnit,
  } = asset;
  return {
    assetId,
    assetType,
    status,
    liens,
    rightExpiry,
    areaValue,
    areaUnit,
    // The chaincode shows the appraisal only under a consent covering COLLATERAL, and other banks' liens as a total.
    ...(appraisedValueFen === undefined ? {} : { appraisedValueFen, appraisalDate }),
    ...(otherLiens === undefined ? {} : { otherLiens }),
    ...(seizure === undefined ? {} : { seizure }),
  };
}
