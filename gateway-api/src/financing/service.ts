/**
 * The financing flow: subject IDs become pseudonyms at this boundary; every
 * change is a `Financing:*` or `Lending:*` transaction submitted as the
 * caller's organisation, and the chaincode decides every rule (its errors
 * arrive already mapped to AppError by the ledger layer).
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/principal';
import type { SubjectPseudonymiser } from '../consortium/subjects';
import type { Page, PageRequest } from '../http/pagination';
import { ledgerPage } from '../ledger/pages';
import type { LedgerClient } from '../ledger/types';
import type { FileDemandInput, LoanTermsInput, PublishProductInput, RecordLoanInput } from './schemas';

/** A ledger record as returned (already free of anything the caller may not see). */
export type LedgerRecord = Record<string, unknown>;

/** A committed change: the record under its name, and where it is on the ledger. */
export type Change<K extends string> = { [P in K]: LedgerRecord } & { txId: string; blockNumber: number };

/** Product filters of the public catalogue. */
export interface ProductFilter {
  countyCode?: string | undefined;
  assetType?: string | undefined;
  amountFen?: number | undefined;
  termMonths?: number | undefined;
  bank?: string | undefined;
}

/** A claim transition without a body. */
export type ClaimAction = 'contact' | 'approve' | 'decline' | 'release';

const CLAIM_TRANSACTIONS: Record<ClaimAction, string> = {
  contact: 'Financing:ContactClaim',
  approve: 'Financing:ApproveClaim',
  decline: 'Financing:DeclineClaim',
  release: 'Financing:ReleaseClaim',
};

/** Drops undefined members (the chaincode refuses unknown or null fields). */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Financing operations, each as the calling organisation. */
export interface FinancingService {
  /** Lists active products (public: evaluated as the consortium's regulator, no personal data). */
  listProducts(filter: ProductFilter, page: PageRequest): Promise<Page<LedgerRecord>>;
  /** Reads a product with every version. @throws AppError 404. */
  getProduct(productId: string): Promise<LedgerRecord>;
  /** Publishes a product version. @throws AppError 409 when the version does not increase; 403 for another bank's. */
  publishProduct(principal: Principal, input: PublishProductInput): Promise<Change<'product'>>;
  /** Withdraws a product (a new version). @throws AppError 403, 404, 409. */
  withdrawProduct(principal: Principal, productId: string): Promise<Change<'product'>>;
  /** Files a demand for a subject. @throws AppError 400 INVALID_SUBJECT_ID; chaincode errors as mapped. */
  fileDemand(principal: Principal, input: FileDemandInput): Promise<Change<'demand'>>;
  /** Withdraws a demand on the subject's signature or a signed form. @throws AppError 400, 403, 409. */
  withdrawDemand(principal: Principal, demandId: string, evidence: LedgerRecord): Promise<Change<'demand'>>;
  /** Reads a demand the caller may see. @throws AppError 404. */
  getDemand(principal: Principal, demandId: string): Promise<LedgerRecord>;
  /** Lists demands the caller may see, filed in [from, to). */
  listDemands(principal: Principal, from: string, to: string, page: PageRequest): Promise<Page<LedgerRecord>>;
  /** Claims a demand for the caller's bank. @throws AppError 409 when 3 claims are active; 403 outside its counties. */
  claim(principal: Principal, demandId: string, claimId: string | undefined): Promise<Change<'claim'>>;
  /** Moves a claim of the caller's bank. @throws AppError 403, 404, 409. */
  moveClaim(principal: Principal, claimId: string, action: ClaimAction): Promise<Change<'claim'>>;
  /** Disburses an approved claim: the loan, the closed demand. @throws AppError 400, 403, 409. */
  disburse(
    principal: Principal,
    claimId: string,
    terms: LoanTermsInput,
  ): Promise<{
    claim: LedgerRecord;
    loan: LedgerRecord;
    demand: LedgerRecord;
    txId: string;
    blockNumber: number;
  }>;
  /** Flags overdue claims (regulator). */
  flagOverdue(principal: Principal): Promise<Change<'result'>>;
  /** Reads a claim. @throws AppError 404. */
  getClaim(principal: Principal, claimId: string): Promise<LedgerRecord>;
  /** Lists claims: a bank its own; the regulator and auditors all or one bank's. */
  listClaims(principal: Principal, bank: string, page: PageRequest): Promise<Page<LedgerRecord>>;
  /** Records a loan made outside a claim. @throws AppError 400, 403, 409. */
  recordLoan(principal: Principal, input: RecordLoanInput): Promise<Change<'loan'>>;
  /** Updates a loan's status (lending bank only). @throws AppError 400, 403, 409. */
  updateLoanStatus(
    principal: Principal,
    loanId: string,
    status: string,
    dpdBucket: string | undefined,
  ): Promise<Change<'loan'>>;
  /** Attaches the post-loan consent, which must cover the loan's term. @throws AppError 400, 403. */
  attachPostLoanConsent(principal: Principal, loanId: string, consentId: string): Promise<Change<'loan'>>;
  /** Reads a loan. @throws AppError 404. */
  getLoan(principal: Principal, loanId: string): Promise<LedgerRecord>;
  /** Lists loans: a bank its own; the regulator and auditors all or one bank's. */
  listLoans(principal: Principal, bank: string, page: PageRequest): Promise<Page<LedgerRecord>>;
  /** Computes and records the multi-lender signal. @throws AppError 403 without an active consent. */
  signal(
    principal: Principal,
    subjectId: string,
    consentId: string,
    signalId?: string,
  ): Promise<Change<'signal'>>;
  /** Supervision: subjects with more than k lenders in [from, to). */
  multiLenderSubjects(principal: Principal, k: number, from: string, to: string): Promise<LedgerRecord>;
  /** Financing statistics: the regulator and auditors all, a bank its own. */
  statistics(principal: Principal, from: string, to: string): Promise<LedgerRecord>;
  /** Sets the deployment's contact deadline (regulator). */
  setPolicy(principal: Principal, contactDays: number): Promise<Change<'policy'>>;
  /** Reads the deployment's financing policy. */
  getPolicy(principal: Principal): Promise<LedgerRecord>;
}

/** What {@link FinancingServiceImpl} needs. */
export interface FinancingServiceOptions {
  readonly ledger: LedgerClient;
  readonly subjects: SubjectPseudonymiser;
  /** The organisation public catalogue reads are evaluated as (the regulator's). */
  readonly publicReader: string;
}

/** {@link FinancingService} over the `Financing` and `Lending` contracts. */
export class FinancingServiceImpl implements FinancingService {
  readonly #ledger: LedgerClient;
  readonly #subjects: SubjectPseudonymiser;
  readonly #publicReader: string;

  /** @param options ledger, pseudonymiser, public reader. */
  constructor(options: Readonly<FinancingServiceOptions>) {
    this.#ledger = options.ledger;
    this.#subjects = options.subjects;
    this.#publicReader = options.publicReader;
  }

  listProducts(filter: ProductFilter, page: PageRequest): Promise<Page<LedgerRecord>> {
    return ledgerPage(
      this.#ledger,
      this.#publicReader,
      'Financing:ListProducts',
      [JSON.stringify(defined({ ...filter }))],
      page,
    );
  }

  getProduct(productId: string): Promise<LedgerRecord> {
    return this.#ledger.evaluate(this.#publicReader, 'Financing:GetProduct', [productId]);
  }

  publishProduct(principal: Principal, input: PublishProductInput): Promise<Change<'product'>> {
    return this.#change(principal, 'product', 'Financing:PublishProduct', [JSON.stringify(input)]);
  }

  withdrawProduct(principal: Principal, productId: string): Promise<Change<'product'>> {
    return this.#change(principal, 'product', 'Financing:WithdrawProduct', [productId]);
  }

  async fileDemand(principal: Principal, input: FileDemandInput): Promise<Change<'demand'>> {
    const { subjectId, demandId, ...rest } = input;
    const demand = {
      ...rest,
      demandId: demandId ?? `dmd-${randomUUID()}`,
      subject: await this.#subjects.pseudonym(subjectId),
    };
    return this.#change(principal, 'demand', 'Financing:FileDemand', [JSON.stringify(demand)]);
  }

  withdrawDemand(principal: Principal, demandId: string, evidence: LedgerRecord): Promise<Change<'demand'>> {
    return this.#change(principal, 'demand', 'Financing:WithdrawDemand', [
      demandId,
      JSON.stringify(evidence),
    ]);
  }

  getDemand(principal: Principal, demandId: string): Promise<LedgerRecord> {
    return this.#ledger.evaluate(principal.orgMspId, 'Financing:GetDemand', [demandId]);
  }

  listDemands(
    principal: Principal,
    from: string,
    to: string,
    page: PageRequest,
  ): Promise<Page<LedgerRecord>> {
    return ledgerPage(this.#ledger, principal.orgMspId, 'Financing:ListDemands', [from, to], page);
  }

  claim(principal: Principal, demandId: string, claimId: string | undefined): Promise<Change<'claim'>> {
    return this.#change(principal, 'claim', 'Financing:ClaimDemand', [
      claimId ?? `clm-${randomUUID()}`,
      demandId,
    ]);
  }

  moveClaim(principal: Principal, claimId: string, action: ClaimAction): Promise<Change<'claim'>> {
    return this.#change(principal, 'claim', CLAIM_TRANSACTIONS[action], [claimId]);
  }

  async disburse(principal: Principal, claimId: string, terms: LoanTermsInput) {
    const committed = await this.#ledger.submit<{
      claim: LedgerRecord;
      loan: LedgerRecord;
      demand: LedgerRecord;
    }>(principal.orgMspId, 'Financing:DisburseClaim', [claimId, JSON.stringify(loanTerms(terms))]);
    return { ...committed.result, txId: committed.txId, blockNumber: committed.blockNumber };
  }

  flagOverdue(principal: Principal): Promise<Change<'result'>> {
    return this.#change(principal, 'result', 'Financing:FlagOverdueClaims', []);
  }

  getClaim(principal: Principal, claimId: string): Promise<LedgerRecord> {
    return this.#ledger.evaluate(principal.orgMspId, 'Financing:GetClaim', [claimId]);
  }

  listClaims(principal: Principal, bank: string, page: PageRequest): Promise<Page<LedgerRecord>> {
    return ledgerPage(this.#ledger, principal.orgMspId, 'Financing:ListClaims', [bank], page);
  }

  async recordLoan(principal: Principal, input: RecordLoanInput): Promise<Change<'loan'>> {
    const { subjectId, consentId, ...terms } = input;
    const loan = {
      ...loanTerms(terms),
      subject: await this.#subjects.pseudonym(subjectId),
      grantId: consentId,
    };
    return this.#change(principal, 'loan', 'Lending:RecordLoan', [JSON.stringify(loan)]);
  }

  updateLoanStatus(principal: Principal, loanId: string, status: string, dpdBucket: string | undefined) {
    return this.#change(principal, 'loan', 'Lending:UpdateLoanStatus', [loanId, status, dpdBucket ?? '']);
  }

  attachPostLoanConsent(principal: Principal, loanId: string, consentId: string): Promise<Change<'loan'>> {
    return this.#change(principal, 'loan', 'Lending:AttachPostLoanGrant', [loanId, consentId]);
  }

  getLoan(principal: Principal, loanId: string): Promise<LedgerRecord> {
    return this.#ledger.evaluate(principal.orgMspId, 'Lending:GetLoan', [loanId]);
  }

  listLoans(principal: Principal, bank: string, page: PageRequest): Promise<Page<LedgerRecord>> {
    return ledgerPage(this.#ledger, principal.orgMspId, 'Lending:ListLoans', [bank], page);
  }

  async signal(principal: Principal, subjectId: string, consentId: string, signalId?: string) {
    return this.#change(principal, 'signal', 'Lending:RecordMultiLenderSignal', [
      signalId ?? `sig-${randomUUID()}`,
      await this.#subjects.pseudonym(subjectId),
      consentId,
    ]);
  }

  multiLenderSubjects(principal: Principal, k: number, from: string, to: string): Promise<LedgerRecord> {
    return this.#ledger.evaluate(principal.orgMspId, 'Lending:ListMultiLenderSubjects', [
      String(k),
      from,
      to,
    ]);
  }

  statistics(principal: Principal, from: string, to: string): Promise<LedgerRecord> {
    return this.#ledger.evaluate(principal.orgMspId, 'Lending:FinancingStatistics', [from, to]);
  }

  setPolicy(principal: Principal, contactDays: number): Promise<Change<'policy'>> {
    return this.#change(principal, 'policy', 'Financing:SetPolicy', [String(contactDays)]);
  }

  getPolicy(principal: Principal): Promise<LedgerRecord> {
    return this.#ledger.evaluate(principal.orgMspId, 'Financing:GetPolicy', []);
  }

  async #change<K extends string>(
    principal: Principal,
    name: K,
    fn: string,
    args: readonly string[],
  ): Promise<Change<K>> {
    const committed = await this.#ledger.submit<LedgerRecord>(principal.orgMspId, fn, args);
    return {
      [name]: committed.result,
      txId: committed.txId,
      blockNumber: committed.blockNumber,
    } as Change<K>;
  }
}

/** Loan terms as the chaincode takes them (the API's consent is the ledger's grant). */
function loanTerms(terms: LoanTermsInput): Record<string, unknown> {
  const { postLoanConsentId, loanId, lienIds, ...rest } = terms;
  return defined({
    ...rest,
    loanId: loanId ?? `loan-${randomUUID()}`,
    lienIds,
    postLoanGrantId: postLoanConsentId,
  });
}
