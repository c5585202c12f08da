/**
 * The provider's side of "release against the ledger": a bank's gateway asks for a subject's
 * records under its access; this gateway reads that access from its own peer and releases only
 * when the ledger holds it as GRANTED for this requester, this subject and these datasets, under
 * a grant still ACTIVE and within the release window. Every release and every refusal goes into
 * the release log with a stable code; a release's log line holds the digest of what was sent.
 */
import { canonicalJson, sha256Hex } from '@ruralcredit/protocol';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';
import type { Logger } from '../http/logger';
import type { RecordStore } from '../provenance/record-store';
import type { GatewayDb } from '../store/db';
import { OrgNonceStore } from './nonces';
import type { Release, ReleaseLogEntry, ReleaseRequest } from './schemas';
import { MAX_CLOCK_SKEW_MS } from './signed-request';

/** Stable codes of a refused release. */
export type RefusalCode =
  | 'ORG_SIGNATURE_INVALID'
  | 'REQUEST_STALE'
  | 'REQUEST_REPLAYED'
  | 'NOT_A_BANK'
  | 'NO_ACCESS'
  | 'ACCESS_NOT_GRANTED'
  | 'SUBJECT_NOT_COVERED'
  | 'DATASET_NOT_COVERED'
  | 'GRANT_NOT_ACTIVE'
  | 'RELEASE_WINDOW_CLOSED';

interface AccessForRelease {
  access: {
    accessId: string;
    accessor: string;
    subject: string;
    datasets: string[];
    outcome: string;
    accessedAt: string;
    txId: string;
  };
  providedDatasets: string[];
  grantStatus: string;
}

/** What {@link ReleaseService} needs. */
export interface ReleaseServiceOptions {
  readonly mspId: string;
  readonly records: RecordStore;
  readonly db: GatewayDb;
  readonly releaseWindowSeconds: number;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/** Releases records to banks against their committed accesses, and keeps the release log. */
export class ReleaseService {
  readonly #ctx: DomainContext;
  readonly #options: Readonly<ReleaseServiceOptions>;
  readonly #log;
  readonly #nonces: OrgNonceStore;
  #seq: number | undefined;
  #append: Promise<unknown> = Promise.resolve();

  constructor(ctx: DomainContext, options: Readonly<ReleaseServiceOptions>) {
    this.#ctx = ctx;
    this.#options = options;
    this.#log = options.db.sublevel<string, ReleaseLogEntry>('release-log', { valueEncoding: 'json' });
    this.#nonces = new OrgNonceStore(options.db);
  }

  /** Claims a request nonce once; false when it was seen before (a replay). */
  claimNonce(org: string, nonce: string, timestamp: string): Promise<boolean> {
    return this.#nonces.claim(org, nonce, timestamp, this.#options.now?.() ?? new Date());
  }

  /**
   * Releases the subject's latest records of the requested datasets to `requester`.
   *
   * @throws AppError 403 with a {@link RefusalCode} (logged in the release log) when the ledger
   *   does not hold a matching GRANTED access within its window under an ACTIVE grant.
   */
  async release(requester: string, request: ReleaseRequest): Promise<Release> {
    const datasets = [...new Set(request.datasets)].sort();
    const refuse = async (code: RefusalCode, message: string, accessTxId?: string): Promise<never> => {
      await this.logRefusal(requester, request, code, accessTxId);
      throw AppError.forbidden(message, { code, details: { accessId: request.accessId } });
    };
    const requesterMember = this.#ctx.consortium.organisations.find((o) => o.mspId === requester);
    if (requesterMember?.role !== 'BANK') return refuse('NOT_A_BANK', `${requester} is not a member bank`);
    const own = new Set(
      this.#ctx.consortium.datasetTypes.filter((d) => d.provider === this.#options.mspId).map((d) => d.code),
    );
    const foreign = datasets.filter((d) => !own.has(d));
    if (foreign.length > 0) {
      return refuse('DATASET_NOT_COVERED', `${this.#options.mspId} does not provide ${foreign.join(', ')}`);
    }
    let seen: AccessForRelease;
    try {
      // From this organisation's own (trusted) peer, as committed: never the requester's word.
      seen = await this.#ctx.ledger.evaluate<AccessForRelease>(
        this.#options.mspId,
        'Access:GetAccessForRelease',
        [requester, request.accessId],
      );
    } catch (err) {
      if (err instanceof AppError && err.status === 404) {
        return refuse('NO_ACCESS', `the ledger holds no access ${request.accessId} of ${requester}`);
      }
      if (err instanceof AppError && err.status === 403) {
        return refuse(
          'DATASET_NOT_COVERED',
          `access ${request.accessId} names none of ${this.#options.mspId}'s datasets`,
        );
      }
      throw err;
    }
    const { access } = seen;
    if (access.outcome !== 'GRANTED') {
      return refuse(
        'ACCESS_NOT_GRANTED',
        `access ${access.accessId} was ${access.outcome} on the ledger`,
        access.txId,
      );
    }
    if (access.subject !== request.subject) {
      return refuse('SUBJECT_NOT_COVERED', `access ${access.accessId} names another subject`, access.txId);
    }
    const uncovered = datasets.filter((d) => !seen.providedDatasets.includes(d));
    if (uncovered.length > 0) {
      return refuse(
        'DATASET_NOT_COVERED',
        `access ${access.accessId} does not name ${uncovered.join(', ')}`,
        access.txId,
      );
    }
    if (seen.grantStatus !== 'ACTIVE') {
      return refuse(
        'GRANT_NOT_ACTIVE',
        `the consent of access ${access.accessId} is ${seen.grantStatus}`,
        access.txId,
      );
    }
    const now = (this.#options.now ?? (() => new Date()))();
    const ageSeconds = (now.getTime() - Date.parse(access.accessedAt)) / 1000;
    // The access time is the bank's proposal time: one set in the future would stretch the window.
    if (ageSeconds > this.#options.releaseWindowSeconds || ageSeconds < -MAX_CLOCK_SKEW_MS / 1000) {
      return refuse(
        'RELEASE_WINDOW_CLOSED',
        `access ${access.accessId} was committed ${Math.round(ageSeconds)} s ago; releases end ${this.#options.releaseWindowSeconds} s after it`,
        access.txId,
      );
    }
    const sections: Release['datasets'] = [];
    for (const datasetType of datasets) {
      const stored = await this.#options.records.latestForSubject(request.subject, datasetType);
      sections.push({
        datasetType,
        records: stored.map((r) => ({
          batchId: r.batchId,
          index: r.index,
          record: r.record,
          leafHash: r.leafHash,
          proof: { leafIndex: r.proof.leafIndex, treeSize: r.proof.treeSize, path: [...r.proof.path] },
          merkleRoot: r.merkleRoot,
          anchoredAt: r.anchoredAt,
        })),
      });
    }
    const body = {
      accessId: access.accessId,
      accessor: requester,
      provider: this.#options.mspId,
      subject: request.subject,
      datasets: sections,
      releasedAt: now.toISOString(),
    };
    const releaseDigest = releaseDigestOf(body);
    await this.#appendLog({
      at: body.releasedAt,
      requester,
      accessId: access.accessId,
      subject: request.subject,
      datasets,
      outcome: 'RELEASED',
      releaseDigest,
      accessTxId: access.txId,
    });
    return { ...body, releaseDigest };
  }

  /** Logs a refused request (also one refused before its signature was checked). */
  async logRefusal(
    requester: string,
    request: Partial<ReleaseRequest>,
    code: string,
    accessTxId?: string,
  ): Promise<void> {
    this.#options.logger.warn('release refused', { requester, accessId: request.accessId, code });
    await this.#appendLog({
      at: new Date().toISOString(),
      requester,
      accessId: typeof request.accessId === 'string' ? request.accessId.slice(0, 128) : '',
      subject: typeof request.subject === 'string' ? request.subject.slice(0, 64) : '',
      datasets: Array.isArray(request.datasets) ? request.datasets.slice(0, 32).map(String) : [],
      outcome: 'REFUSED',
      code,
      ...(accessTxId === undefined ? {} : { accessTxId }),
    });
  }

  /** The release log from `afterSeq`, oldest first, at most `limit` lines. */
  async entries(afterSeq: number, limit: number): Promise<ReleaseLogEntry[]> {
    const out: ReleaseLogEntry[] = [];
    for await (const value of this.#log.values({ gt: seqKey(afterSeq), limit })) out.push(value);
    return out;
  }

  #appendLog(entry: Omit<ReleaseLogEntry, 'seq'>): Promise<void> {
    const next = this.#append.then(async () => {
      if (this.#seq === undefined) {
        const last = await this.#log.keys({ reverse: true, limit: 1 }).all();
        this.#seq = last[0] === undefined ? 0 : Number(last[0]);
      }
      const seq = this.#seq + 1;
      await this.#log.put(seqKey(seq), { seq, ...entry });
      this.#seq = seq;
    });
    this.#append = next.catch(() => undefined);
    return next;
  }
}

function seqKey(seq: number): string {
  return String(seq).padStart(16, '0');
}

/** SHA-256 of the RFC 8785 JSON of a release without its digest. */
export function releaseDigestOf(release: Omit<Release, 'releaseDigest'>): string {
  return sha256Hex(canonicalJson({ kind: 'rcl:release:v1', ...release }));
}
