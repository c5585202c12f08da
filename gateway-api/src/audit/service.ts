/**
 * The audit flow: who may see which accesses, subject pseudonymisation at the
 * boundary, and the tamper-evident export (running digest chain) with its
 * summary and verifier. Reads come from the shared off-chain index.
 */
import {
  AuditChain,
  formatAuditLine,
  verifyAuditExport,
  type AuditExportVerification,
} from '@ruralcredit/protocol';
import { hasAnyRole, type Principal } from '../auth/principal';
import type { Consortium } from '../consortium/definition';
import type { SubjectPseudonymiser } from '../consortium/subjects';
import { AppError } from '../http/errors';
import type { Page, PageRequest } from '../http/pagination';
import type { AccessEntry } from '../indexer/access-entry';
import type { AccessQuery } from '../indexer/access-index';
import type { Indexer } from '../indexer/indexer';
import { indexTime } from '../indexer/keys';

/** Filters of an access list, as the client gives them (clear subject ID, ISO times). */
export interface AccessFilter {
  readonly subjectId?: string | undefined;
  readonly accessor?: string | undefined;
  readonly outcome?: 'GRANTED' | 'DENIED' | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** Export count and last digest, to detect a truncated export. */
export interface ExportSummary {
  readonly count: number;
  readonly lastDigest: string;
}

/** Export summaries kept by {@link AuditService} (one per filter; the oldest is dropped first). */
const SUMMARY_CACHE_SIZE = 256;

/** A summary computed at one indexed block height, or being computed. */
interface CachedSummary {
  readonly block: number;
  readonly summary: Promise<ExportSummary>;
}

/** Options of {@link AuditService}. */
export interface AuditServiceOptions {
  readonly indexer: Indexer;
  readonly subjects: SubjectPseudonymiser;
  readonly consortium: Consortium;
  /** How long a query waits for the index to reach the ledger height (default 10,000 ms). */
  readonly catchUpTimeoutMs?: number;
}

/** Audit queries over the access index. */
export class AuditService {
  readonly #options: Readonly<AuditServiceOptions>;
  readonly #orgRoles: ReadonlyMap<string, string>;
  /** Summaries by filter, valid while the indexed height is the one they were computed at. */
  readonly #summaries = new Map<string, CachedSummary>();

  /** @param options the indexer, pseudonymiser and consortium. */
  constructor(options: Readonly<AuditServiceOptions>) {
    this.#options = options;
    this.#orgRoles = new Map(options.consortium.organisations.map((o) => [o.mspId, o.role]));
  }

  /**
   * One page of the accesses `principal` may see.
   *
   * @throws AppError 403 FORBIDDEN_ORG / FORBIDDEN_ROLE (see {@link scopeAccessor}),
   *   400 INVALID_SUBJECT_ID, 400 INVALID_TIME_RANGE, 400 INVALID_CURSOR, 503 INDEX_LAGGING.
   */
  async list(principal: Principal, filter: AccessFilter, page: PageRequest): Promise<Page<AccessEntry>> {
    const query = await this.#query(principal, filter);
    await this.#options.indexer.catchUp(this.#options.catchUpTimeoutMs ?? 10_000);
    return this.#options.indexer.accessIndex.page(query, page);
  }

  /**
   * Checks the caller and the filter, and waits for the index, so that an
   * export can start streaming with nothing left to refuse.
   *
   * @throws AppError as {@link list}.
   */
  async prepareExport(principal: Principal, filter: AccessFilter): Promise<AccessQuery> {
    const query = await this.#query(principal, filter);
    await this.#options.indexer.catchUp(this.#options.catchUpTimeoutMs ?? 10_000);
    return query;
  }

  /** The export's text lines (without newlines): each access plus `seq` and running `digest`. */
  async *exportLines(query: AccessQuery): AsyncIterable<string> {
    const chain = new AuditChain();
    for await (const entry of this.#options.indexer.accessIndex.scan(query)) {
      yield formatAuditLine(chain.append(entry));
    }
  }

  /**
   * Count and last digest of the export of the same filter, computed once per
   * filter and indexed block height.
   * @throws AppError as {@link list}.
   */
  async summary(principal: Principal, filter: AccessFilter): Promise<ExportSummary> {
    const query = await this.prepareExport(principal, filter);
    // The index changes only when a block is indexed: one scan per filter and indexed height,
    // shared by concurrent callers, instead of a scan of every access per call.
    const indexer = this.#options.indexer;
    const key = JSON.stringify([query.subject, query.accessor, query.outcome, query.from, query.to]);
    const block = indexer.processedBlock();
    const cached = this.#summaries.get(key);
    if (cached !== undefined && cached.block === block) return cached.summary;
    const summary = this.#scanSummary(query);
    const entry: CachedSummary = { block, summary };
    this.#summaries.delete(key);
    this.#summaries.set(key, entry);
    if (this.#summaries.size > SUMMARY_CACHE_SIZE) {
      this.#summaries.delete(this.#summaries.keys().next().value as string);
    }
    try {
      const result = await summary;
      // A block indexed during the scan may or may not be in it: do not keep it for either height.
      if (indexer.processedBlock() !== block && this.#summaries.get(key) === entry)
        this.#summaries.delete(key);
      return result;
    } catch (err) {
      if (this.#summaries.get(key) === entry) this.#summaries.delete(key);
      throw err;
    }
  }

  async #scanSummary(query: AccessQuery): Promise<ExportSummary> {
    const chain = new AuditChain();
    for await (const entry of this.#options.indexer.accessIndex.scan(query)) chain.append(entry);
    // An empty export's "last digest" is the chain's starting point, GENESIS_DIGEST.
    const { nextSeq, prevDigest } = chain.position;
    return { count: nextSeq, lastDigest: prevDigest };
  }

  /**
   * Verifies export lines; truncation is detected only with the expected count or last digest.
   * @throws TypeError when an expectation is malformed (the route schema prevents it).
   */
  verify(
    lines: AsyncIterable<string>,
    expected: {
      readonly expectedCount?: number | undefined;
      readonly expectedLastDigest?: string | undefined;
    },
  ): Promise<AuditExportVerification> {
    return verifyAuditExport(lines, {
      ...(expected.expectedCount === undefined ? {} : { expectedCount: expected.expectedCount }),
      ...(expected.expectedLastDigest === undefined
        ? {}
        : { expectedLastDigest: expected.expectedLastDigest }),
    });
  }

  /**
   * The accessor a caller's query is limited to: the regulator's and the
   * auditors' AUDITOR / REGULATOR_ADMIN users see every institution (or the
   * one they name); a bank's users see their own only; nobody else sees any.
   *
   * @throws AppError 403 FORBIDDEN_ORG for a data provider or a bank naming another
   *   accessor; 403 FORBIDDEN_ROLE for a supervisor org's user without an audit role.
   */
  scopeAccessor(principal: Principal, requested: string | undefined): string | undefined {
    const role = this.#orgRoles.get(principal.orgMspId);
    if (role === 'REGULATOR' || role === 'AUDITOR') {
      if (!hasAnyRole(principal, ['AUDITOR', 'REGULATOR_ADMIN'])) {
        throw AppError.forbidden('the audit trail needs the AUDITOR or REGULATOR_ADMIN role', {
          code: 'FORBIDDEN_ROLE',
        });
      }
      return requested;
    }
    if (role === 'BANK') {
      if (requested !== undefined && requested !== principal.orgMspId) {
        throw AppError.forbidden('a bank sees its own accesses only', { code: 'FORBIDDEN_ORG' });
      }
      return principal.orgMspId;
    }
    throw AppError.forbidden('only banks, auditors and the regulator read the audit trail', {
      code: 'FORBIDDEN_ORG',
    });
  }

  async #query(principal: Principal, filter: AccessFilter): Promise<AccessQuery> {
    const accessor = this.scopeAccessor(principal, filter.accessor);
    const subject =
      filter.subjectId === undefined ? undefined : await this.#options.subjects.pseudonym(filter.subjectId);
    const from = filter.from === undefined ? undefined : toIndexTime(filter.from, 'from');
    const to = filter.to === undefined ? undefined : toIndexTime(filter.to, 'to');
    if (from !== undefined && to !== undefined && to <= from) {
      throw AppError.invalid('to must be after from', { code: 'INVALID_TIME_RANGE' });
    }
    return { subject, accessor, outcome: filter.outcome, from, to };
  }
}

function toIndexTime(value: string, name: string): string {
  try {
    return indexTime(value);
  } catch {
    throw AppError.invalid(`${name} is not a time between 1970 and 9999`, { code: 'INVALID_TIME_RANGE' });
  }
}
