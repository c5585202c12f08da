/**
 * A data subject's self-service, with no account: the key bound to its
 * pseudonym signs each request. It lists its consents (revoking one is
 * `POST /subjects/revocations`), reads its own records and prints its own
 * report (each recorded first on the ledger as a SELF access, whose digest is
 * what is released), and files and follows disputes on its own records.
 * Subjects' requests reach the ledger under the regulator's identity, as the
 * subject's revocations do; the chaincode checks the subject's signature on
 * the reads itself.
 */
import {
  canonicalJson,
  idFromNonce,
  maskSubjectId,
  parseSubjectId,
  reportDigest,
  sha256Hex,
  SELF_PURPOSE,
  type SubjectSelfServiceRequestMessage,
} from '@ruralcredit/protocol';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import type { RecordStore } from '../provenance/record-store';
import { type CjkFont } from '../reports/pdf/font';
import { printReport, requireFont } from '../reports/pdf/service';
import type { Report } from '../reports/schemas';
import { collateralView } from '../reports/service';
import type { GatewayDb } from '../store/db';
import type { z } from 'zod';
import type { SelfConsentSchema, SelfDisputeSchema, SelfRecordsSchema } from './schemas';
import { SelfRequestGuard, type SignedSelfRequest } from './signed-request';

type SelfConsent = z.infer<typeof SelfConsentSchema>;
type SelfDispute = z.infer<typeof SelfDisputeSchema>;
type SelfRecords = z.infer<typeof SelfRecordsSchema>;

/** Most consents and disputes listed. */
const MAX_LISTED = 200;

interface LedgerGrant {
  grantId: string;
  grantee: string;
  scope: string[];
  purpose: string;
  validFrom: string;
  validUntil: string;
  status: string;
  revocation?: { at: string };
}

interface LedgerDispute extends Omit<SelfDispute, 'resolution'> {
  subject: string;
  resolution?: { outcome: string; correctingBatchId?: string; resolvedAt: string; late: boolean };
}

/** Options of {@link SelfService}. */
export interface SelfServiceOptions {
  readonly context: DomainContext;
  readonly db: GatewayDb;
  readonly records: RecordStore;
  readonly font: CjkFont | undefined;
  /** Seconds since the epoch now (tests move it). */
  readonly now?: () => number;
}

/** What a data subject does with its own data. */

export class SelfService {
  readonly #ctx: DomainContext;
  readonly #records: RecordStore;
  readonly #font: CjkFont | undefined;
  readonly #guard: SelfRequestGuard;
  readonly #relay: string;
  readonly #disputes;

  /** @throws Error when the consortium names no regulator (its gateway relays subjects' requests). */
  constructor(options: Readonly<SelfServiceOptions>) {
    this.#ctx = options.context;
    this.#records = options.records;
    this.#font = options.font;
    const regulator = options.context.consortium.organisations.find((o) => o.role === 'REGULATOR');
    if (!regulator) throw new Error('the consortium definition names no regulator');
    this.#relay = regulator.mspId;
    this.#guard = new SelfRequestGuard(
      options.context,
      options.db,
      options.now ?? (() => Math.floor(Date.now() / 1000)),
      this.#relay,
    );
    this.#disputes = options.db.sublevel<string, string>('self-disputes', {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
    });
  }

  /** The subject's consents, every bank's, with their status now. */
  async consents(request: SignedSelfRequest): Promise<{ consents: SelfConsent[] }> {
    const message = await this.#guard.accept(request, 'LIST_CONSENTS');
    const consents: SelfConsent[] = [];
    let bookmark = '';
    do {
      const page = await this.#ctx.ledger.evaluate<{ records: LedgerGrant[]; bookmark: string }>(
        this.#relay,
        'Consent:ListGrantsBySubject',
        [message.subject, '100', bookmark],
      );
      for (const g of page.records) {
        consents.push({
          consentId: g.grantId,
          grantee: g.grantee,
          scope: g.scope,
          purpose: g.purpose,
          validFrom: g.validFrom,
          validUntil: g.validUntil,
          status: g.status,
          ...(g.revocation === undefined ? {} : { revokedAt: g.revocation.at }),
        });
      }
      bookmark = page.records.length === 0 ? '' : page.bookmark;
    } while (bookmark !== '' && consents.length < MAX_LISTED);
    return { consents };
  }

  /**
   * The subject's latest records of each dataset, released after the SELF
   * access committed with their digest.
   *
   * @throws AppError as {@link SelfRequestGuard.accept}; 400 INVALID_TARGET for bad dataset types.
   */
  async records(request: SignedSelfRequest): Promise<SelfRecords> {
    const message = await this.#guard.accept(request, 'READ_RECORDS');
    const datasets = await this.#sections(message);
    const releaseDigest = sha256Hex(canonicalJson(datasets));
    const committed = await this.#recordSelfAccess(request, releaseDigest);
    return { ...committed, releaseDigest, datasets };
  }

  /**
   * The subject's own verification report as PDF (with the JSON embedded),
   * recorded first as a SELF access whose digest is the report's.
   */
  async report(request: SignedSelfRequest, verifyUrl: string): Promise<{ pdf: Buffer; accessId: string }> {
    const message = await this.#guard.accept(request, 'REPORT_PDF');
    const font = requireFont(this.#font);
    const datasets = await this.#sections(message);
    const assets = await this.#ctx.ledger.evaluate<{ records: Record<string, unknown>[] }>(
      this.#relay,
      'Collateral:ListAssetsByOwner',
      [message.subject, '50', ''],
    );
    const accessId = idFromNonce('self', message.nonce);
    const body: Omit<Report, 'digest'> = {
      reportId: `rpt-${accessId}`,
      version: 1,
      accessId,
      subject: { pseudonym: message.subject, maskedId: await this.#maskedId(message.subject, datasets) },
      requestedBy: { institution: SELF_PURPOSE, operator: message.subject },
      consentId: SELF_PURPOSE,
      purpose: SELF_PURPOSE,
      generatedAt: new Date().toISOString(),
      datasets,
      collateral: assets.records.map(collateralView),
    };
    const report: Report = { ...body, digest: reportDigest(body) };
    const committed = await this.#recordSelfAccess(request, report.digest);
    const pdf = await printReport(this.#ctx.consortium, font, report, {
      txId: committed.txId,
      blockNumber: committed.blockNumber,
      verifyUrl,
      view: 'full',
    });
    return { pdf, accessId };
  }

  /**
   * Files a dispute on one of the subject's own records (`target` is `<batchId>#<index>`,
   * `detail` the reason code); the record is marked disputed at once.
   *
   * @throws AppError 404 RECORD_NOT_FOUND; 403 NOT_YOUR_RECORD when the record names another subject;
   *   409 CONFLICT when the record is already disputed.
   */
  async fileDispute(request: SignedSelfRequest): Promise<SelfDispute> {
    const message = await this.#guard.accept(request, 'FILE_DISPUTE');
    const match = /^([A-Za-z0-9][A-Za-z0-9._:-]{0,127})#(\d{1,9})$/.exec(message.target);
    if (match === null) {
      throw AppError.invalid('target must be <batchId>#<index>', { code: 'INVALID_TARGET' });
    }
    const stored = await this.#records.recordAt(match[1]!, Number(match[2]));
    if (stored === undefined) {
      throw AppError.notFound(`no record ${message.target} is stored here`, { code: 'RECORD_NOT_FOUND' });
    }
    if (!(await this.#owns(message.subject, stored.datasetType, stored.record))) {
      throw AppError.forbidden('the record is not about the signing subject', { code: 'NOT_YOUR_RECORD' });
    }
    const disputeId = idFromNonce('sd', message.nonce);
    const committed = await this.#ctx.ledger.submit<LedgerDispute>(this.#relay, 'Dispute:FileDispute', [
      JSON.stringify({
        disputeId,
        datasetType: stored.datasetType,
        batchId: stored.batchId,
        recordHash: stored.leafHash,
        subject: message.subject,
        reason: message.detail,
      }),
    ]);
    await this.#disputes.put(`${message.subject}!${disputeId}`, disputeId);
    return view(committed.result);
  }

  /** The disputes the subject filed, with their status and resolution now. */
  async disputes(request: SignedSelfRequest): Promise<{ disputes: SelfDispute[] }> {
    const message = await this.#guard.accept(request, 'LIST_DISPUTES');
    const disputes: SelfDispute[] = [];
    for await (const disputeId of this.#disputes.values({
      gt: `${message.subject}!`,
      lt: `${message.subject}!~`,
      limit: MAX_LISTED,
    })) {
      const d = await this.#ctx.ledger.evaluate<LedgerDispute>(this.#relay, 'Dispute:GetDispute', [
        disputeId,
      ]);
      disputes.push(view(d));
    }
    return { disputes };
  }

  async #sections(message: SubjectSelfServiceRequestMessage): Promise<Report['datasets']> {
    const known = new Set(this.#ctx.consortium.datasetTypes.map((d) => d.code));
    const datasets = [...new Set(message.target.split(','))].sort();
    const unknown = datasets.filter((d) => !known.has(d));
    if (message.target === '' || unknown.length > 0) {
      throw AppError.invalid(
        `target must list dataset types; unknown: ${unknown.join(',') || '(none given)'}`,
        {
          code: 'INVALID_TARGET',
        },
      );
    }
    const sections: Report['datasets'] = [];
    for (const datasetType of datasets) {
      const records: Report['datasets'][number]['records'] = [];
      for (const r of await this.#records.latestForSubject(message.subject, datasetType)) {
        const disputeId = await this.#openDispute(r.batchId, r.leafHash);
        records.push({
          batchId: r.batchId,
          index: r.index,
          record: r.record,
          leafHash: r.leafHash,
          proof: r.proof,
          merkleRoot: r.merkleRoot,
          anchoredAt: r.anchoredAt,
          disputed: disputeId !== undefined,
          ...(disputeId === undefined ? {} : { disputeId }),
        });
      }
      sections.push({ datasetType, records });
    }
    return sections;
  }

  /** Records the SELF access on the ledger (the chaincode checks the signature again). */
  async #recordSelfAccess(
    request: SignedSelfRequest,
    releaseDigest: string,
  ): Promise<{ accessId: string; txId: string; blockNumber: number }> {
    const { signature, ...message } = request;
    const committed = await this.#ctx.ledger.submit<{ accessId: string }>(
      this.#relay,
      'Access:RecordSelfAccess',
      [JSON.stringify(message), signature, releaseDigest],
    );
    return { accessId: committed.result.accessId, txId: committed.txId, blockNumber: committed.blockNumber };
  }

  /** Whether a record's subject field pseudonymises to `pseudonym`. */
  async #owns(pseudonym: string, datasetType: string, record: Record<string, unknown>): Promise<boolean> {
    const field = this.#ctx.consortium.datasetTypes.find((d) => d.code === datasetType)?.subjectField;
    const id = field === undefined ? undefined : record[field];
    if (typeof id !== 'string') return false;
    try {
      return (await this.#ctx.subjects.pseudonym(id)) === pseudonym;
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_SUBJECT_ID') return false;
      throw err;
    }
  }

  /** The masked subject ID, from the subject's own records (the gateway keeps no ID by pseudonym). */
  async #maskedId(pseudonym: string, datasets: Report['datasets']): Promise<string> {
    for (const section of datasets) {
      const field = this.#ctx.consortium.datasetTypes.find(
        (d) => d.code === section.datasetType,
      )?.subjectField;
      for (const r of section.records) {
        const id = field === undefined ? undefined : r.record[field];
        if (typeof id === 'string' && (await this.#owns(pseudonym, section.datasetType, r.record))) {
          return maskSubjectId(parseSubjectId(id).id);
        }
      }
    }
    return `${pseudonym.slice(0, 8)}…`;
  }

  async #openDispute(batchId: string, recordHash: string): Promise<string | undefined> {
    try {
      const d = await this.#ctx.ledger.evaluate<{ disputeId: string }>(
        this.#relay,
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

function view(d: LedgerDispute): SelfDispute {
  return {
    disputeId: d.disputeId,
    datasetType: d.datasetType,
    batchId: d.batchId,
    recordHash: d.recordHash,
    reason: d.reason,
    status: d.status,
    filedAt: d.filedAt,
    dueBy: d.dueBy,
    overdue: d.overdue,
    ...(d.resolution === undefined
      ? {}
      : {
          resolution: {
            outcome: d.resolution.outcome,
            ...(d.resolution.correctingBatchId ? { correctingBatchId: d.resolution.correctingBatchId } : {}),
            resolvedAt: d.resolution.resolvedAt,
            late: d.resolution.late,
          },
        }),
    txId: d.txId,
  };
}
