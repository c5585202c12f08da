/**
 * Verification reports: assemble a subject's latest records with their
 * proofs and collateral status, record the access on the ledger with the
 * report's digest, and release the report only when that access committed
 * as GRANTED ("audit before release").
 */
import { randomUUID } from 'node:crypto';
import {
  leafHash,
  maskSubjectId,
  parseSubjectId,
  reportDigest,
  verifyInclusion,
} from '@ruralcredit/protocol';
import type { Principal } from '../auth/principal';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import type { RecordStore } from '../provenance/record-store';
import type { Report } from './schemas';

interface LedgerAccess {
  accessId: string;
  subject: string;
  outcome: 'GRANTED' | 'DENIED';
  reason?: string;
  releaseDigest: string;
  accessedAt: string;
  txId: string;
}

interface LedgerBatch {
  merkleRoot: string;
  recordCount: number;
}

/** Most assets listed in a report's collateral section. */
const MAX_ASSETS = 50;

/** Report use cases. */
export class ReportService {
  readonly #ctx: DomainContext;
  readonly #records: RecordStore;

  constructor(ctx: DomainContext, records: RecordStore) {
    this.#ctx = ctx;
    this.#records = records;
  }

  /**
   * Builds a report, records the access and returns the report when GRANTED.
   *
   * @throws AppError 403 ACCESS_DENIED (with the access ID and reason: the denial is on the ledger too).
   */
  async issue(
    principal: Principal,
    request: { subjectId: string; consentId: string; datasets: string[]; purpose: string },
  ): Promise<{ report: Report; accessId: string; txId: string; blockNumber: number }> {
    const pseudonym = this.#ctx.subjects.pseudonym(request.subjectId);
    const datasets = [...request.datasets].sort();
    const accessId = `acc-${randomUUID()}`;
    const sections: Report['datasets'] = [];
    for (const datasetType of datasets) {
      const stored = await this.#records.latestForSubject(pseudonym, datasetType);
      const records: Report['datasets'][number]['records'] = [];
      for (const r of stored) {
        const dispute = await this.#openDispute(principal, r.batchId, r.leafHash);
        records.push({
          batchId: r.batchId,
          index: r.index,
          record: r.record,
          leafHash: r.leafHash,
          proof: r.proof,
          merkleRoot: r.merkleRoot,
          anchoredAt: r.anchoredAt,
          disputed: dispute !== undefined,
          ...(dispute === undefined ? {} : { disputeId: dispute }),
        });
      }
      sections.push({ datasetType, records });
    }
    const assets = await this.#ctx.ledger.evaluate<{ records: Record<string, unknown>[] }>(
      principal.orgMspId,
      'Collateral:ListAssetsByOwner',
      [pseudonym, String(MAX_ASSETS), ''],
    );
    const body: Omit<Report, 'digest'> = {
      reportId: `rpt-${randomUUID()}`,
      version: 1,
      accessId,
      subject: { pseudonym, maskedId: maskSubjectId(parseSubjectId(request.subjectId).id) },
      requestedBy: { institution: principal.orgMspId, operator: principal.operator },
      consentId: request.consentId,
      purpose: request.purpose,
      generatedAt: new Date().toISOString(),
      datasets: sections,
      collateral: assets.records.map(collateralView),
    };
    const digest = reportDigest(body);
    const committed = await this.#ctx.ledger.submit<LedgerAccess>(principal.orgMspId, 'Access:RecordAccess', [
      JSON.stringify({
        accessId,
        grantId: request.consentId,
        subject: pseudonym,
        datasets,
        purpose: request.purpose,
        operator: principal.operator,
        releaseDigest: digest,
      }),
    ]);
    if (committed.result.outcome !== 'GRANTED') {
      throw AppError.forbidden(`access denied: ${committed.result.reason ?? 'UNKNOWN'}`, {
        code: 'ACCESS_DENIED',
        details: { accessId, reason: committed.result.reason, blockNumber: committed.blockNumber },
        txId: committed.txId,
      });
    }
    return {
      report: { ...body, digest },
      accessId,
      txId: committed.txId,
      blockNumber: committed.blockNumber,
    };
  }

  /** Checks a filed report: its digest, the access anchoring it, and every record's proof. */
  async verify(principal: Principal, report: Report) {
    const digestMatches = reportDigest(report) === report.digest;
    let access: LedgerAccess | undefined;
    try {
      access = await this.#ctx.ledger.evaluate<LedgerAccess>(principal.orgMspId, 'Access:GetAccess', [
        report.accessId,
      ]);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 404) throw err;
    }
    const anchored =
      access !== undefined &&
      access.outcome === 'GRANTED' &&
      access.releaseDigest === report.digest &&
      access.subject === report.subject.pseudonym;
    const batches = new Map<string, LedgerBatch | undefined>();
    const records: { batchId: string; index: number; valid: boolean }[] = [];
    for (const section of report.datasets) {
      for (const r of section.records) {
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

  async #openDispute(principal: Principal, batchId: string, recordHash: string): Promise<string | undefined> {
    try {
      const d = await this.#ctx.ledger.evaluate<{ disputeId: string }>(
        principal.orgMspId,
        'Dispute:GetOpenDispute',
        [batchId, recordHash],
      );
      return d.disputeId;
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return undefined;
      throw err;
    }
  }
}

/** What a report shows of an asset: status, term, active liens and seizure, no owner data beyond the pseudonym. */
function collateralView(asset: Record<string, unknown>): Record<string, unknown> {
  const {
    assetId,
    assetType,
    status,
    liens,
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
    appraisedValueFen,
    appraisalDate,
    areaValue,
    areaUnit,
    ...(seizure === undefined ? {} : { seizure }),
  };
}
