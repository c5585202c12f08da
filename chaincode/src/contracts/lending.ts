import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import {
  DAY_SECONDS,
  canonicalJson,
  epochSecondsFromIso,
  isoFromEpochSeconds,
  sha256Hex,
} from '@ruralcredit/protocol';
import { conflict, forbidden, invalid, notFound } from '../lib/errors';
import { Fields } from '../lib/fields';
import { KeyType, key } from '../lib/keys';
import { recordLending } from '../lib/lending';
import { marshal, parseArgument } from '../lib/marshal';
import { requireCaller, seesAll } from '../lib/members';
import {
  emit,
  exists,
  pageSizeOf,
  putIndex,
  readIndexPage,
  readRecord,
  readRecords,
  txEpochSeconds,
  txTime,
  writeRecord,
} from '../lib/state';
import type { AccessRecord } from '../model/access';
import type { Asset, Lien } from '../model/asset';
import {
  type Claim,
  DPD_BUCKETS,
  type Demand,
  type DpdBucket,
  LOAN_STATUSES,
  Loan,
  addMonths,
  COUNTY_CODE_PATTERN,
} from '../model/financing';
import { Grant } from '../model/grant';
import type { Member } from '../model/member';
import { readGrant } from './consent';
import { financingKey, readLoan, scanIds, scanIndex } from './financing-records';

/** Windows of the multi-lender signal's access counts, in days. */
export const SIGNAL_WINDOWS_DAYS = [30, 90, 180] as const;

/** Worst-first order of delinquency of active loans. */
const DELINQUENCY_ORDER = ['NONE', ...DPD_BUCKETS] as const;
/** A delinquency level: NONE or a days-past-due bucket. */
type Delinquency = (typeof DELINQUENCY_ORDER)[number];

/** The multi-lender (多头借贷) signal for one subject at one transaction time: counts only, no bank named. */
export interface MultiLenderSignal {
  signalId: string;
  subject: string;
  /** The bank that asked: every count is of institutions other than it. */
  requestedBy: string;
  grantId: string;
  computedAt: string;
  /** Other institutions holding an active LOAN_APPLICATION grant or an active financing claim. */
  applyingInstitutions: number;
  /** Other institutions with a GRANTED access to the subject's data in the last 30, 90 and 180 days. */
  accessingInstitutions: { last30Days: number; last90Days: number; last180Days: number };
  /** Other institutions' active liens on the subject's assets. */
  otherLiens: { count: number; totalSecuredFen: number };
  /** Other institutions' active (ACTIVE or OVERDUE) loans to the subject. */
  otherLoans: { count: number; totalFen: number; worstDelinquency: Delinquency };
  /** SHA-256 of the canonical JSON of every other field: what a report quotes. */
  digest: string;
  txId: string;
}

/** Where a loan comes from: an approved claim of its demand, or a grant named directly. */
type LoanOrigin = { claim: Claim; demand: Demand } | { bank: Member };

/**
 * Checks that a POST_LOAN_MANAGEMENT grant lets `loan`'s bank manage it for
 * its whole term (the authorisation period covers the life of the credit).
 *
 * @throws FORBIDDEN when the grant is another bank's or subject's, or not active;
 * INVALID when it is for another purpose or ends before the loan matures.
 */
export async function checkPostLoanGrant(ctx: Context, loan: Loan, grantId: string): Promise<Grant> {
  const grant = await readGrant(ctx, grantId);
  if (!grant || grant.grantee !== loan.bank || grant.subject !== loan.subject) {
    throw forbidden(`no grant ${grantId} from the borrower to ${loan.bank}`);
  }
  if (grant.purpose !== 'POST_LOAN_MANAGEMENT') {
    throw invalid(`grant ${grantId} is for ${grant.purpose}, not POST_LOAN_MANAGEMENT`);
  }
  const status = Grant.statusAt(grant, txEpochSeconds(ctx));
  if (status !== 'ACTIVE') throw forbidden(`grant ${grantId} is ${status}`);
  if (epochSecondsFromIso(grant.validUntil) < epochSecondsFromIso(loan.maturityDate)) {
    throw invalid(
      `grant ${grantId} ends ${grant.validUntil}, before the loan matures ${loan.maturityDate}: it must cover the loan's term`,
    );
  }
  return grant;
}

/**
 * Validates and writes a loan for its origin (see {@link LoanOrigin}); the
 * caller emits the event.
 *
 * @throws CONFLICT on a duplicate loan ID; FORBIDDEN without an active grant from the
 * subject; INVALID on malformed terms, a lien not the bank's on the subject, or a
 * post-loan grant that does not cover the term.
 */
export async function createLoan(
  ctx: Context,
  raw: Record<string, unknown>,
  origin: LoanOrigin,
): Promise<Loan> {
  const direct = 'bank' in origin;
  const loan = Loan.newInstance(raw, direct);
  const k = financingKey.loan(ctx, loan.loanId);
  if (await exists(ctx, k)) throw conflict(`loan ${loan.loanId} already exists`);
  const now = txEpochSeconds(ctx);
  if (direct) {
    loan.bank = origin.bank.mspId;
    const grant = await readGrant(ctx, loan.grantId);
    if (!grant || grant.grantee !== loan.bank || grant.subject !== loan.subject) {
      throw forbidden(`no grant ${loan.grantId} from the borrower to ${loan.bank}`);
    }
    if (grant.purpose === 'COLLATERAL_REGISTRATION') {
      throw forbidden('a loan is recorded under a loan-application or post-loan grant');
    }
    const status = Grant.statusAt(grant, now);
    if (status !== 'ACTIVE') throw forbidden(`grant ${loan.grantId} is ${status}`);
  } else {
    loan.bank = origin.claim.bank;
    loan.subject = origin.claim.subject;
    loan.grantId = origin.claim.grantId;
    loan.claimId = origin.claim.claimId;
    loan.demandId = origin.demand.demandId;
  }
  for (const lienId of loan.lienIds) {
    const lien = await readRecord<Lien>(ctx, key(ctx, KeyType.lien, [lienId]));
    if (
      !lien ||
      lien.mortgagee !== loan.bank ||
      lien.mortgagor !== loan.subject ||
      lien.status !== 'ACTIVE'
    ) {
      throw invalid(`loan.lienIds: ${lienId} is not an active lien of ${loan.bank} on the borrower`);
    }
  }
  const at = txTime(ctx);
  loan.startDate = at;
  loan.maturityDate = addMonths(at, loan.termMonths);
  if (loan.postLoanGrantId !== undefined) await checkPostLoanGrant(ctx, loan, loan.postLoanGrantId);
  loan.createdAt = at;
  loan.updatedAt = at;
  loan.txId = ctx.stub.getTxID();
  await writeRecord(ctx, k, loan);
  await putIndex(ctx, KeyType.loanByBank, [loan.bank, loan.loanId]);
  await putIndex(ctx, KeyType.loanBySubject, [loan.subject, loan.loanId]);
  await recordLending(ctx, loan.subject, loan.bank);
  return loan;
}

/** Counts the distinct institutions other than `except` in `values`. */
const others = (values: Iterable<string>, except: string): number =>
  new Set([...values].filter((v) => v !== except)).size;

/**
 * Computes the multi-lender signal of `subject` for `bank` from the ledger's
 * indexes at the transaction time.
 */
export async function computeSignal(
  ctx: Context,
  subject: string,
  bank: string,
): Promise<
  Omit<MultiLenderSignal, 'signalId' | 'grantId' | 'digest' | 'txId' | 'requestedBy' | 'computedAt'>
> {
  const now = txEpochSeconds(ctx);
  const applying = new Set<string>();
  const grantIds = await scanIds(ctx, KeyType.grantBySubject, [subject]);
  for (const g of await readRecords<Grant>(ctx, KeyType.grant, grantIds)) {
    if (g.purpose === 'LOAN_APPLICATION' && Grant.statusAt(g, now) === 'ACTIVE') applying.add(g.grantee);
  }
  const claimIds = await scanIds(ctx, KeyType.claimBySubject, [subject]);
  for (const c of await readRecords<Claim>(ctx, KeyType.claim, claimIds)) {
    if (['CLAIMED', 'CONTACTED', 'APPROVED'].includes(c.status)) applying.add(c.bank);
  }
  const since = isoFromEpochSeconds(now - SIGNAL_WINDOWS_DAYS[2] * DAY_SECONDS);
  const lastAccess = new Map<string, number>();
  for (const attributes of await scanIndex(ctx, KeyType.accessBySubject, [subject], { from: since })) {
    // [subject, time, accessor, accessId]; entries from before per-institution IDs lack the accessor.
    const [, time, accessor, accessId] = attributes;
    if (attributes.length !== 4 || accessor === bank || time === undefined) continue;
    const access = await readRecord<AccessRecord>(ctx, key(ctx, KeyType.access, [accessor!, accessId!]));
    if (access?.outcome !== 'GRANTED') continue;
    const t = epochSecondsFromIso(time);
    lastAccess.set(accessor!, Math.max(lastAccess.get(accessor!) ?? 0, t));
  }
  const within = (daysBack: number): number =>
    [...lastAccess.values()].filter((t) => t > now - daysBack * DAY_SECONDS).length;
  let lienCount = 0;
  let secured = 0;
  const assetIds = await scanIds(ctx, KeyType.assetByOwner, [subject]);
  for (const asset of await readRecords<Asset>(ctx, KeyType.asset, assetIds)) {
    for (const l of asset.liens) {
      if (l.mortgagee === bank) continue;
      lienCount += 1;
      secured += l.securedAmountFen;
    }
  }
  let loanCount = 0;
  let loanTotal = 0;
  let worst: Delinquency = 'NONE';
  const loanIds = await scanIds(ctx, KeyType.loanBySubject, [subject]);
  for (const loan of await readRecords<Loan>(ctx, KeyType.loan, loanIds)) {
    if (loan.bank === bank || (loan.status !== 'ACTIVE' && loan.status !== 'OVERDUE')) continue;
    loanCount += 1;
    loanTotal += loan.amountFen;
    const level: Delinquency = loan.status === 'OVERDUE' && loan.dpdBucket ? loan.dpdBucket : 'NONE';
    if (DELINQUENCY_ORDER.indexOf(level) > DELINQUENCY_ORDER.indexOf(worst)) worst = level;
  }
  return {
    subject,
    applyingInstitutions: others(applying, bank),
    accessingInstitutions: {
      last30Days: within(30),
      last90Days: within(90),
      last180Days: within(180),
    },
    otherLiens: { count: lienCount, totalSecuredFen: secured },
    otherLoans: { count: loanCount, totalFen: loanTotal, worstDelinquency: worst },
  };
}

/** Median of a list of numbers (mean of the middle two for an even count), or null when empty. */
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One row of the financing statistics (a bank, or a county). */
interface StatsRow {
  demands: number;
  demandedAmountFen: number;
  claims: number;
  contacted: number;
  contactedWithinDeadline: number;
  overdueNotContacted: number;
  approved: number;
  declined: number;
  disbursed: number;
  disbursedAmountFen: number;
  medianDaysDemandToDisbursement: number | null;
}

/** A statistics row being built: durations kept until the median is taken. */
type Tally = Omit<StatsRow, 'medianDaysDemandToDisbursement'> & { days: number[]; demandIds: Set<string> };

const emptyTally = (): Tally => ({
  demands: 0,
  demandedAmountFen: 0,
  claims: 0,
  contacted: 0,
  contactedWithinDeadline: 0,
  overdueNotContacted: 0,
  approved: 0,
  declined: 0,
  disbursed: 0,
  disbursedAmountFen: 0,
  days: [],
  demandIds: new Set(),
});

function rowOf(t: Tally): StatsRow {
  const { days, demandIds: _ids, ...counts } = t;
  const m = median(days);
  return { ...counts, medianDaysDemandToDisbursement: m === null ? null : Math.round(m * 100) / 100 };
}

/**
 * Loans, the multi-lender signal, supervision's multi-lender list and the
 * financing statistics.
 */
@Info({ title: 'Lending', description: 'Loans, the multi-lender signal and financing statistics' })
export class LendingContract extends Contract {
  constructor() {
    super('Lending');
  }

  /**
   * Records a loan made outside a financing claim, under an active
   * LOAN_APPLICATION or POST_LOAN_MANAGEMENT grant from the borrower to the
   * calling bank (`{ loanId, subject, grantId, amountFen, termMonths, rateBps, lienIds?, postLoanGrantId? }`).
   *
   * @throws FORBIDDEN without such a grant; CONFLICT on a duplicate ID; INVALID on
   * malformed terms, a foreign lien, or a post-loan grant that does not cover the term.
   */
  @Transaction()
  @Returns('string')
  async RecordLoan(ctx: Context, loanJson: string): Promise<string> {
    const bank = await requireCaller(ctx, 'BANK');
    const loan = await createLoan(ctx, parseArgument(loanJson, 'loan'), { bank });
    emit(ctx, 'LoanRecorded', { loanId: loan.loanId, bank: loan.bank, subject: loan.subject });
    return marshal(loan);
  }

  /**
   * Attaches the POST_LOAN_MANAGEMENT grant under which the lending bank
   * manages the loan; the grant must be active and last until the loan matures.
   *
   * @throws FORBIDDEN for another bank or a grant not from the borrower; INVALID when
   * the grant is for another purpose or ends before maturity; CONFLICT when the loan has ended.
   */
  @Transaction()
  @Returns('string')
  async AttachPostLoanGrant(ctx: Context, loanId: string, grantId: string): Promise<string> {
    const loan = await this.#ownLoan(ctx, loanId);
    if (loan.status === 'REPAID' || loan.status === 'WRITTEN_OFF')
      throw conflict(`loan ${loan.loanId} is ${loan.status}`);
    const grant = await checkPostLoanGrant(ctx, loan, new Fields({ grantId }, 'loan').id('grantId'));
    loan.postLoanGrantId = grant.grantId;
    return this.#save(ctx, loan, 'LoanUpdated');
  }

  /**
   * Updates a loan's status, by the lending bank only: ACTIVE, OVERDUE (with a
   * days-past-due bucket DPD_1_30, DPD_31_90 or DPD_91_PLUS), REPAID or
   * WRITTEN_OFF; REPAID and WRITTEN_OFF are final.
   *
   * @throws FORBIDDEN for anyone else; CONFLICT when the loan has ended; INVALID on a
   * bucket missing for OVERDUE or given for another status.
   */
  @Transaction()
  @Returns('string')
  async UpdateLoanStatus(ctx: Context, loanId: string, status: string, dpdBucket: string): Promise<string> {
    const loan = await this.#ownLoan(ctx, loanId);
    const f = new Fields({ status, dpdBucket }, 'loan');
    const next = f.oneOf('status', LOAN_STATUSES);
    if (loan.status === 'REPAID' || loan.status === 'WRITTEN_OFF')
      throw conflict(`loan ${loan.loanId} is ${loan.status}`);
    if (next === 'OVERDUE') {
      loan.dpdBucket = f.oneOf<DpdBucket>('dpdBucket', DPD_BUCKETS);
    } else {
      if (dpdBucket !== '') throw invalid('loan.dpdBucket is given for OVERDUE only');
      delete loan.dpdBucket;
    }
    loan.status = next;
    return this.#save(ctx, loan, 'LoanUpdated');
  }

  /** Reads a loan: its bank, the regulator and auditors. */
  @Transaction(false)
  @Returns('string')
  async GetLoan(ctx: Context, loanId: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const id = new Fields({ loanId }, 'query').id('loanId');
    const loan = await readRecord<Loan>(ctx, financingKey.loan(ctx, id));
    if (!loan || (!seesAll(caller) && loan.bank !== caller.mspId))
      throw notFound(`loan ${id} does not exist`);
    return marshal(loan);
  }

  /** Lists loans: a bank its own; the regulator and auditors a bank's (`bank`) or all (''). */
  @Transaction(false)
  @Returns('string')
  async ListLoans(ctx: Context, bank: string, pageSize: string, bookmark: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const who = bank === '' ? '' : new Fields({ bank }, 'query').mspId('bank');
    if (!seesAll(caller) && who !== '' && who !== caller.mspId)
      throw forbidden('a bank lists its own loans only');
    const owner = seesAll(caller) ? who : caller.mspId;
    const page = await readIndexPage(ctx, {
      type: owner === '' ? KeyType.loan : KeyType.loanByBank,
      prefix: owner === '' ? [] : [owner],
      pageSize: pageSizeOf(pageSize),
      bookmark,
    });
    return marshal({
      records: await readRecords<Loan>(ctx, KeyType.loan, page.records),
      bookmark: page.bookmark,
    });
  }

  /**
   * Computes and records the multi-lender signal of a subject for the calling
   * bank, which must hold the active grant `grantId` from the subject. The
   * record (counts and digest) stays on the ledger for audit; a report quotes it.
   *
   * @throws FORBIDDEN without an active grant from the subject; CONFLICT on a duplicate ID.
   */
  @Transaction()
  @Returns('string')
  async RecordMultiLenderSignal(
    ctx: Context,
    signalId: string,
    subject: string,
    grantId: string,
  ): Promise<string> {
    const bank = await requireCaller(ctx, 'BANK');
    const f = new Fields({ signalId, subject, grantId }, 'signal');
    const id = f.id('signalId');
    const pseudonym = f.pseudonym('subject');
    const grant = await readGrant(ctx, f.id('grantId'));
    if (!grant || grant.grantee !== bank.mspId || grant.subject !== pseudonym) {
      throw forbidden('the multi-lender signal needs a grant from the subject to this bank');
    }
    const status = Grant.statusAt(grant, txEpochSeconds(ctx));
    if (status !== 'ACTIVE') throw forbidden(`grant ${grant.grantId} is ${status}`);
    const k = key(ctx, KeyType.multiLenderSignal, [bank.mspId, id]);
    if (await exists(ctx, k)) throw conflict(`signal ${id} already exists`);
    const body = {
      signalId: id,
      requestedBy: bank.mspId,
      grantId: grant.grantId,
      computedAt: txTime(ctx),
      ...(await computeSignal(ctx, pseudonym, bank.mspId)),
    };
    const signal: MultiLenderSignal = {
      ...body,
      digest: sha256Hex(canonicalJson(body)),
      txId: ctx.stub.getTxID(),
    };
    await writeRecord(ctx, k, signal);
    emit(ctx, 'MultiLenderSignalRecorded', {
      signalId: id,
      subject: pseudonym,
      requestedBy: bank.mspId,
      digest: signal.digest,
    });
    return marshal(signal);
  }

  /** Reads a recorded signal: the bank that asked, the regulator and auditors. */
  @Transaction(false)
  @Returns('string')
  async GetMultiLenderSignal(ctx: Context, bank: string, signalId: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const f = new Fields({ bank, signalId }, 'query');
    const owner = f.mspId('bank');
    const id = f.id('signalId');
    const signal = await readRecord<MultiLenderSignal>(ctx, key(ctx, KeyType.multiLenderSignal, [owner, id]));
    if (!signal || (!seesAll(caller) && owner !== caller.mspId))
      throw notFound(`signal ${id} does not exist`);
    return marshal(signal);
  }

  /**
   * Lists, for supervision, the subjects approached by more than `k` distinct
   * lenders (claims, loan-application grants, loans) in [from, to), most first,
   * by pseudonym: the regulator and auditors.
   *
   * @throws FORBIDDEN for banks; INVALID on a bad k or range.
   */
  @Transaction(false)
  @Returns('string')
  async ListMultiLenderSubjects(ctx: Context, k: string, from: string, to: string): Promise<string> {
    await requireCaller(ctx, 'REGULATOR', 'AUDITOR');
    const f = new Fields({ k: Number(k), from, to }, 'query');
    const threshold = f.integer('k', 0, 1000);
    const range = this.#range(f, from, to);
    const lenders = new Map<string, Set<string>>();
    const events = new Map<string, number>();
    for (const [, subject, lender] of await scanIndex(ctx, KeyType.lendingByTime, [], range)) {
      if (subject === undefined || lender === undefined) continue;
      lenders.set(subject, (lenders.get(subject) ?? new Set()).add(lender));
      events.set(subject, (events.get(subject) ?? 0) + 1);
    }
    const records = [...lenders.entries()]
      .filter(([, set]) => set.size > threshold)
      .map(([subject, set]) => ({ subject, lenders: set.size, events: events.get(subject) ?? 0 }))
      .sort((a, b) => b.lenders - a.lenders || (a.subject < b.subject ? -1 : 1));
    return marshal({ k: threshold, from, to, records });
  }

  /**
   * Financing statistics of the demands filed in [from, to): per bank and per
   * county, demands, claims, contacts (within the deadline or not), approvals,
   * declines, disbursements, amounts and the median days from demand to
   * disbursement. The regulator and auditors see every bank; a bank its own
   * claims only (its county rows count the demands it claimed).
   */
  @Transaction(false)
  @Returns('string')
  async FinancingStatistics(ctx: Context, from: string, to: string): Promise<string> {
    const caller = await requireCaller(ctx, 'BANK', 'REGULATOR', 'AUDITOR');
    const range = this.#range(new Fields({ from, to }, 'range'), from, to);
    const now = txEpochSeconds(ctx);
    const banks = new Map<string, Tally>();
    const counties = new Map<string, Tally>();
    const tally = (m: Map<string, Tally>, k: string): Tally => {
      const t = m.get(k) ?? emptyTally();
      m.set(k, t);
      return t;
    };
    const ids = (await scanIndex(ctx, KeyType.demandByTime, [], range)).map((a) => a[1]!);
    for (const demand of await readRecords<Demand>(ctx, KeyType.demand, ids)) {
      const claims = (await readRecords<Claim>(ctx, KeyType.claim, demand.claims)).filter(
        (c) => seesAll(caller) || c.bank === caller.mspId,
      );
      if (!seesAll(caller) && claims.length === 0) continue;
      const county = tally(counties, demand.countyCode);
      county.demands += 1;
      county.demandedAmountFen += demand.amountFen;
      for (const c of claims) {
        const loan = c.loanId ? await readRecord<Loan>(ctx, financingKey.loan(ctx, c.loanId)) : undefined;
        for (const t of [tally(banks, c.bank), county]) {
          if (t !== county && !t.demandIds.has(demand.demandId)) {
            t.demandIds.add(demand.demandId);
            t.demands += 1;
            t.demandedAmountFen += demand.amountFen;
          }
          t.claims += 1;
          if (c.contactedAt !== undefined) t.contacted += 1;
          if (c.contactedWithinDeadline === true) t.contactedWithinDeadline += 1;
          if (c.status === 'CLAIMED' && now > epochSecondsFromIso(c.contactBy)) t.overdueNotContacted += 1;
          if (c.status === 'APPROVED' || c.status === 'DISBURSED') t.approved += 1;
          if (c.status === 'DECLINED') t.declined += 1;
          if (c.status === 'DISBURSED' && c.disbursedAt !== undefined) {
            t.disbursed += 1;
            t.disbursedAmountFen += loan?.amountFen ?? 0;
            t.days.push(
              (epochSecondsFromIso(c.disbursedAt) - epochSecondsFromIso(demand.filedAt)) / DAY_SECONDS,
            );
          }
        }
      }
    }
    const rows = (m: Map<string, Tally>, name: string): object[] =>
      [...m.keys()].sort().map((k) => ({ [name]: k, ...rowOf(m.get(k)!) }));
    return marshal({
      from,
      to,
      computedAt: txTime(ctx),
      scope: seesAll(caller) ? 'ALL' : caller.mspId,
      banks: rows(banks, 'bank'),
      counties: rows(counties, 'countyCode'),
    });
  }

  #range(f: Fields, from: string, to: string): { from?: string; to?: string } {
    const range = {
      ...(from === '' ? {} : { from: f.time('from') }),
      ...(to === '' ? {} : { to: f.time('to') }),
    };
    if (range.from !== undefined && range.to !== undefined && range.to <= range.from) {
      throw invalid('range.to must be after range.from');
    }
    return range;
  }

  async #ownLoan(ctx: Context, loanId: string): Promise<Loan> {
    const bank = await requireCaller(ctx, 'BANK');
    const loan = await readLoan(ctx, new Fields({ loanId }, 'loan').id('loanId'));
    if (loan.bank !== bank.mspId) throw forbidden('only the lending bank may update its loan');
    return loan;
  }

  async #save(ctx: Context, loan: Loan, event: string): Promise<string> {
    loan.updatedAt = txTime(ctx);
    loan.txId = ctx.stub.getTxID();
    await writeRecord(ctx, financingKey.loan(ctx, loan.loanId), loan);
    emit(ctx, event, {
      loanId: loan.loanId,
      bank: loan.bank,
      subject: loan.subject,
      status: loan.status,
      ...(loan.dpdBucket ? { dpdBucket: loan.dpdBucket } : {}),
    });
    return marshal(loan);
  }
}

export { COUNTY_CODE_PATTERN };
