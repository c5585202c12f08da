/**
 * Financing matching: loan products, financing demands, bank claims on them
 * and the loans they end in. Amounts are fen, terms months, rates basis points.
 */
import { Object as DataType, Property } from 'fabric-contract-api';
import {
  CATALOGUE_CODE_PATTERN,
  COUNTY_CODE_PATTERN,
  OBJECT_ID_PATTERN,
  epochSecondsFromIso,
  isoFromEpochSeconds,
  type FinancingDemandMessage,
} from '@ruralcredit/protocol';
import { invalid } from '../lib/errors';
import { Fields } from '../lib/fields';

/** A 6-digit administrative division code (county level). */
export { COUNTY_CODE_PATTERN };
/** Largest amount a product, demand or loan may name: 1 billion yuan in fen. */
export const MAX_AMOUNT_FEN = 100_000_000_000;
/** Longest term in months (30 years). */
export const MAX_TERM_MONTHS = 360;
/** At most this many banks hold an active claim on one demand (Ningbo's rule). */
export const MAX_ACTIVE_CLAIMS = 3;
/** Days a bank has to contact the subject after claiming, unless the deployment sets another. */
export const DEFAULT_CONTACT_DAYS = 3;
/** Longest a demand stays open. */
export const MAX_DEMAND_DAYS = 180;

/** What a demand's money is for (codes, never free text: free text could carry personal data). */
export const DEMAND_PURPOSES = [
  'PLANTING',
  'BREEDING',
  'AQUACULTURE',
  'EQUIPMENT',
  'PROCESSING',
  'RURAL_TOURISM',
  'WORKING_CAPITAL',
  'OTHER',
] as const;
/** A demand purpose. */
export type DemandPurpose = (typeof DEMAND_PURPOSES)[number];

/** Status of a product version. */
export type ProductStatus = 'ACTIVE' | 'WITHDRAWN';
/** Status of a demand as stored (EXPIRED is judged at the transaction time). */
export type DemandStatus = 'OPEN' | 'CLOSED' | 'WITHDRAWN';
/** Claim states: CLAIMED -> CONTACTED -> APPROVED | DECLINED; APPROVED -> DISBURSED; CANCELLED and RELEASED end it early. */
export const CLAIM_STATUSES = [
  'CLAIMED',
  'CONTACTED',
  'APPROVED',
  'DECLINED',
  'DISBURSED',
  'CANCELLED',
  'RELEASED',
] as const;
/** A claim state. */
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];
/** Claim states during which the claim's LOAN_APPLICATION grant is valid. */
export const ACTIVE_CLAIM_STATUSES: readonly ClaimStatus[] = ['CLAIMED', 'CONTACTED', 'APPROVED'];

/** Loan states. */
export const LOAN_STATUSES = ['ACTIVE', 'OVERDUE', 'REPAID', 'WRITTEN_OFF'] as const;
/** A loan state. */
export type LoanStatus = (typeof LOAN_STATUSES)[number];
/** Days-past-due buckets of an OVERDUE loan. */
export const DPD_BUCKETS = ['DPD_1_30', 'DPD_31_90', 'DPD_91_PLUS'] as const;
/** A days-past-due bucket. */
export type DpdBucket = (typeof DPD_BUCKETS)[number];

const amount = (f: Fields, name: string): number => f.integer(name, 1, MAX_AMOUNT_FEN);
const term = (f: Fields, name: string): number => f.integer(name, 1, MAX_TERM_MONTHS);
const counties = (f: Fields, name: string): string[] =>
  f.stringSet(name, 64, (s) => COUNTY_CODE_PATTERN.test(s), 'must list 6-digit county codes');
const codes = (f: Fields, name: string, max: number): string[] =>
  f.stringSet(name, max, (s) => CATALOGUE_CODE_PATTERN.test(s), 'must list catalogue codes');

/** Fails unless `min <= max`. */
function range(what: string, min: number, max: number): void {
  if (min > max) throw invalid(`${what}: the minimum is above the maximum`);
}

/** One version of a bank's loan product. */
@DataType()
export class Product {
  @Property('productId', 'string') productId = '';
  @Property('bank', 'string') bank = '';
  @Property('version', 'number') version = 1;
  @Property('name', 'string') name = '';
  /** Asset types the product accepts as collateral; empty for a credit (unsecured) loan. */
  @Property('assetTypes', 'string[]') assetTypes: string[] = [];
  @Property('minAmountFen', 'number') minAmountFen = 0;
  @Property('maxAmountFen', 'number') maxAmountFen = 0;
  @Property('minTermMonths', 'number') minTermMonths = 0;
  @Property('maxTermMonths', 'number') maxTermMonths = 0;
  @Property('minRateBps', 'number') minRateBps = 0;
  @Property('maxRateBps', 'number') maxRateBps = 0;
  @Property('counties', 'string[]') counties: string[] = [];
  @Property('status', 'string') status: ProductStatus = 'ACTIVE';
  @Property('publishedAt', 'string') publishedAt = '';
  @Property('txId', 'string') txId = '';

  /**
   * Validates a product version published by `bank`.
   *
   * @throws INVALID on a malformed field or an inverted range.
   */
  static newInstance(raw: Record<string, unknown>, bank: string): Product {
    const f = new Fields(raw, 'product', [
      'productId',
      'version',
      'name',
      'assetTypes',
      'minAmountFen',
      'maxAmountFen',
      'minTermMonths',
      'maxTermMonths',
      'minRateBps',
      'maxRateBps',
      'counties',
    ]);
    const p = new Product();
    p.productId = f.id('productId');
    p.bank = bank;
    p.version = f.integer('version', 1, 1_000_000);
    p.name = f.text('name', 64);
    const types = f.has('assetTypes') ? (raw.assetTypes as unknown[]) : [];
    p.assetTypes = Array.isArray(types) && types.length === 0 ? [] : codes(f, 'assetTypes', 16);
    p.minAmountFen = amount(f, 'minAmountFen');
    p.maxAmountFen = amount(f, 'maxAmountFen');
    range('product amount', p.minAmountFen, p.maxAmountFen);
    p.minTermMonths = term(f, 'minTermMonths');
    p.maxTermMonths = term(f, 'maxTermMonths');
    range('product term', p.minTermMonths, p.maxTermMonths);
    p.minRateBps = f.integer('minRateBps', 0, 10_000);
    p.maxRateBps = f.integer('maxRateBps', 0, 10_000);
    range('product rate', p.minRateBps, p.maxRateBps);
    p.counties = counties(f, 'counties');
    return p;
  }
}

/** Evidence that the subject asked for financing: its own signature or a signed form's digest. */
@DataType()
export class DemandEvidence {
  @Property('type', 'string') type: 'FORM_HASH' | 'SUBJECT_SIGNATURE' = 'FORM_HASH';
  @Property('formHash', 'string') formHash?: string;
  @Property('signature', 'string') signature?: string;
  @Property('signer', 'string') signer?: string;

  /**
   * Reads `{ type, formHash | signature }`.
   *
   * @throws INVALID on a malformed or mixed evidence object.
   */
  static read(f: Fields): DemandEvidence {
    const e = new DemandEvidence();
    e.type = f.oneOf('type', ['FORM_HASH', 'SUBJECT_SIGNATURE'] as const);
    if (e.type === 'FORM_HASH') {
      if (f.has('signature')) throw invalid('evidence: FORM_HASH takes formHash only');
      e.formHash = f.digest('formHash');
    } else {
      if (f.has('formHash')) throw invalid('evidence: SUBJECT_SIGNATURE takes signature only');
      e.signature = f.signature('signature');
    }
    return e;
  }
}

/** A subject's financing request, open to claims by banks serving its county. */
@DataType()
export class Demand {
  @Property('demandId', 'string') demandId = '';
  @Property('subject', 'string') subject = '';
  @Property('amountFen', 'number') amountFen = 0;
  @Property('termMonths', 'number') termMonths = 0;
  @Property('purpose', 'string') purpose: DemandPurpose = 'OTHER';
  @Property('countyCode', 'string') countyCode = '';
  @Property('offeredAssets', 'string[]') offeredAssets: string[] = [];
  /** Dataset types a claiming bank may read under its claim's LOAN_APPLICATION grant. */
  @Property('datasets', 'string[]') datasets: string[] = [];
  @Property('expiresAt', 'string') expiresAt = '';
  @Property('evidence', 'DemandEvidence') evidence: DemandEvidence = new DemandEvidence();
  @Property('filedBy', 'string') filedBy = '';
  @Property('filedAt', 'string') filedAt = '';
  @Property('status', 'string') status: DemandStatus = 'OPEN';
  /** IDs of the claims now active (at most {@link MAX_ACTIVE_CLAIMS}). */
  @Property('activeClaims', 'string[]') activeClaims: string[] = [];
  /** IDs of every claim ever made on the demand, in order. */
  @Property('claims', 'string[]') claims: string[] = [];
  @Property('closedAt', 'string') closedAt?: string;
  /** The claim whose disbursement closed the demand. */
  @Property('disbursedBy', 'string') disbursedBy?: string;
  @Property('txId', 'string') txId = '';

  /**
   * Validates a demand.
   *
   * @throws INVALID on a malformed field.
   */
  static newInstance(raw: Record<string, unknown>): Demand {
    const f = new Fields(raw, 'demand', [
      'demandId',
      'subject',
      'amountFen',
      'termMonths',
      'purpose',
      'countyCode',
      'offeredAssets',
      'datasets',
      'expiresAt',
      'evidence',
    ]);
    const d = new Demand();
    d.demandId = f.id('demandId');
    if (d.demandId.length > 100) throw invalid('demand.demandId may have at most 100 characters');
    d.subject = f.pseudonym('subject');
    d.amountFen = amount(f, 'amountFen');
    d.termMonths = term(f, 'termMonths');
    d.purpose = f.oneOf('purpose', DEMAND_PURPOSES);
    d.countyCode = f.string('countyCode', COUNTY_CODE_PATTERN, 'must be a 6-digit county code');
    const offered = raw.offeredAssets;
    d.offeredAssets =
      offered === undefined || (Array.isArray(offered) && offered.length === 0)
        ? []
        : f.stringSet('offeredAssets', 10, (s) => OBJECT_ID_PATTERN.test(s), 'must list asset IDs');
    d.datasets = codes(f, 'datasets', 32);
    d.expiresAt = f.time('expiresAt');
    d.evidence = DemandEvidence.read(f.object('evidence', ['type', 'formHash', 'signature']));
    return d;
  }

  /** The EIP-712 message a subject signs to file this demand. */
  static message(d: Demand): FinancingDemandMessage {
    return {
      demandId: d.demandId,
      subject: d.subject,
      amountFen: d.amountFen,
      termMonths: d.termMonths,
      purpose: d.purpose,
      countyCode: d.countyCode,
      offeredAssets: [...d.offeredAssets],
      datasets: [...d.datasets],
      expiresAt: d.expiresAt,
    };
  }

  /** The demand's status at `atSeconds`: an OPEN demand past its expiry is EXPIRED. */
  static statusAt(d: Demand, atSeconds: number): DemandStatus | 'EXPIRED' {
    if (d.status === 'OPEN' && atSeconds >= epochSecondsFromIso(d.expiresAt)) return 'EXPIRED';
    return d.status;
  }
}

/** A bank's take-up (抢单) of a demand. */
@DataType()
export class Claim {
  @Property('claimId', 'string') claimId = '';
  @Property('demandId', 'string') demandId = '';
  @Property('bank', 'string') bank = '';
  @Property('subject', 'string') subject = '';
  @Property('countyCode', 'string') countyCode = '';
  /** The LOAN_APPLICATION grant the claim created, valid while the claim is active. */
  @Property('grantId', 'string') grantId = '';
  @Property('status', 'string') status: ClaimStatus = 'CLAIMED';
  @Property('claimedAt', 'string') claimedAt = '';
  /** When the subject must have been contacted (claim time plus the deployment's deadline). */
  @Property('contactBy', 'string') contactBy = '';
  @Property('contactedAt', 'string') contactedAt?: string;
  @Property('contactedWithinDeadline', 'boolean') contactedWithinDeadline?: boolean;
  @Property('decidedAt', 'string') decidedAt?: string;
  @Property('disbursedAt', 'string') disbursedAt?: string;
  @Property('loanId', 'string') loanId?: string;
  @Property('endedAt', 'string') endedAt?: string;
  @Property('endReason', 'string') endReason?: string;
  /** When the overdue alert was raised (once). */
  @Property('overdueFlaggedAt', 'string') overdueFlaggedAt?: string;
  @Property('updatedAt', 'string') updatedAt = '';
  @Property('txId', 'string') txId = '';

  /** Whether the claim is CLAIMED and past its contact deadline at `atSeconds`. */
  static overdueAt(c: Claim, atSeconds: number): boolean {
    return c.status === 'CLAIMED' && atSeconds > epochSecondsFromIso(c.contactBy);
  }
}

/** A minimal loan record, kept by the lending bank. */
@DataType()
export class Loan {
  @Property('loanId', 'string') loanId = '';
  @Property('bank', 'string') bank = '';
  @Property('subject', 'string') subject = '';
  @Property('amountFen', 'number') amountFen = 0;
  @Property('termMonths', 'number') termMonths = 0;
  @Property('rateBps', 'number') rateBps = 0;
  @Property('startDate', 'string') startDate = '';
  @Property('maturityDate', 'string') maturityDate = '';
  @Property('demandId', 'string') demandId?: string;
  @Property('claimId', 'string') claimId?: string;
  /** The grant under which the loan was recorded (the claim's, or the one named directly). */
  @Property('grantId', 'string') grantId = '';
  @Property('lienIds', 'string[]') lienIds: string[] = [];
  /** The POST_LOAN_MANAGEMENT grant covering the loan's term, once attached. */
  @Property('postLoanGrantId', 'string') postLoanGrantId?: string;
  @Property('status', 'string') status: LoanStatus = 'ACTIVE';
  @Property('dpdBucket', 'string') dpdBucket?: DpdBucket;
  @Property('createdAt', 'string') createdAt = '';
  @Property('updatedAt', 'string') updatedAt = '';
  @Property('txId', 'string') txId = '';

  /**
   * Validates the loan terms `{ loanId, amountFen, termMonths, rateBps, lienIds?, postLoanGrantId? }`
   * plus `subject` and `grantId` when recorded directly.
   *
   * @throws INVALID on a malformed field.
   */
  static newInstance(raw: Record<string, unknown>, direct: boolean): Loan {
    const allowed = ['loanId', 'amountFen', 'termMonths', 'rateBps', 'lienIds', 'postLoanGrantId'];
    const f = new Fields(raw, 'loan', direct ? [...allowed, 'subject', 'grantId'] : allowed);
    const l = new Loan();
    l.loanId = f.id('loanId');
    l.amountFen = amount(f, 'amountFen');
    l.termMonths = term(f, 'termMonths');
    l.rateBps = f.integer('rateBps', 0, 10_000);
    const liens = raw.lienIds;
    l.lienIds =
      liens === undefined || (Array.isArray(liens) && liens.length === 0)
        ? []
        : f.stringSet('lienIds', 10, (s) => OBJECT_ID_PATTERN.test(s), 'must list lien IDs');
    if (f.has('postLoanGrantId')) l.postLoanGrantId = f.id('postLoanGrantId');
    if (direct) {
      l.subject = f.pseudonym('subject');
      l.grantId = f.id('grantId');
    }
    return l;
  }
}

/** Days since 1970-01-01 of a civil date (proleptic Gregorian). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * `iso` plus `months` calendar months, the day clamped to the month's end
 * (2026-01-31 plus one month is 2026-02-28), the time of day kept.
 */
export function addMonths(iso: string, months: number): string {
  const year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  const secondsOfDay = epochSecondsFromIso(iso) - daysFromCivil(year, month, day) * 86_400;
  const total = year * 12 + (month - 1) + months;
  const y = Math.floor(total / 12);
  const m = (total % 12) + 1;
  const lastDay = daysFromCivil(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1) - daysFromCivil(y, m, 1);
  return isoFromEpochSeconds(daysFromCivil(y, m, Math.min(day, lastDay)) * 86_400 + secondsOfDay);
}
