/**
 * Financing matching in the client: the public product catalogue, demands,
 * claims (at most three banks per demand), loans, the multi-lender signal,
 * supervision's multi-lender list and the financing statistics.
 */
import type { HttpTransport } from './http';
import type { OperationId, QueryParams, RequestBody, ResponseBody } from './types';

/** Query of an operation without the cursor (the iterators handle it). */
type ListQuery<Op extends OperationId> = Omit<QueryParams<Op>, 'cursor'>;
/** One item of a paginated operation's answer. */
type Item<Op extends OperationId> = ResponseBody<Op> extends { items: (infer T)[] } ? T : never;

/** Financing operations. */
export interface FinancingApi {
  /** Active products matching the filters, page after page (public: no login needed). */
  products(query?: ListQuery<'getProducts'>): AsyncIterableIterator<Item<'getProducts'>>;
  /** A product with every version. @throws GatewayError 404 `NOT_FOUND`. */
  product(productId: string): Promise<ResponseBody<'getProductsById'>>;
  /** Publishes a product or a new version. @throws GatewayError 409 `CONFLICT` (version does not increase). */
  publishProduct(request: RequestBody<'postProducts'>): Promise<ResponseBody<'postProducts', 201>>;
  /** Withdraws a product (a new WITHDRAWN version). */
  withdrawProduct(productId: string): Promise<ResponseBody<'postProductsByIdWithdraw'>>;
  /** Files a demand for a subject (its signature or a signed form's digest). */
  fileDemand(request: RequestBody<'postDemands'>): Promise<ResponseBody<'postDemands', 201>>;
  /** Demands the caller may see, page after page. */
  demands(query?: ListQuery<'getDemands'>): AsyncIterableIterator<Item<'getDemands'>>;
  /** A demand with its status now. */
  demand(demandId: string): Promise<ResponseBody<'getDemandsById'>>;
  /** Withdraws a demand at the subject's request; its claims are cancelled. */
  withdrawDemand(
    demandId: string,
    request: RequestBody<'postDemandsByIdWithdraw'>,
  ): Promise<ResponseBody<'postDemandsByIdWithdraw'>>;
  /** Claims a demand for the caller's bank. @throws GatewayError 409 `CONFLICT` (3 claims active). */
  claim(demandId: string, claimId?: string): Promise<ResponseBody<'postDemandsByIdClaims', 201>>;
  /** Claims of the caller (a bank) or all (regulator, auditors), page after page. */
  claims(query?: ListQuery<'getClaims'>): AsyncIterableIterator<Item<'getClaims'>>;
  /** A claim with whether it is overdue now. */
  getClaim(claimId: string): Promise<ResponseBody<'getClaimsById'>>;
  /** Moves a claim: contact, approve, decline or release. */
  moveClaim(
    claimId: string,
    action: 'contact' | 'approve' | 'decline' | 'release',
  ): Promise<ResponseBody<'postClaimsByIdContact'>>;
  /** Disburses an approved claim: the loan; the demand closes, other claims are cancelled. */
  disburse(
    claimId: string,
    terms: RequestBody<'postClaimsByIdDisburse'>,
  ): Promise<ResponseBody<'postClaimsByIdDisburse'>>;
  /** Flags claims not contacted in time (regulator). */
  sweepOverdue(): Promise<ResponseBody<'postClaimsOverdueSweep'>>;
  /** Records a loan made outside a claim. */
  recordLoan(request: RequestBody<'postLoans'>): Promise<ResponseBody<'postLoans', 201>>;
  /** Loans of the caller (a bank) or all, page after page. */
  loans(query?: ListQuery<'getLoans'>): AsyncIterableIterator<Item<'getLoans'>>;
  /** A loan. */
  loan(loanId: string): Promise<ResponseBody<'getLoansById'>>;
  /** Updates a loan's status (lending bank only). */
  loanStatus(
    loanId: string,
    request: RequestBody<'postLoansByIdStatus'>,
  ): Promise<ResponseBody<'postLoansByIdStatus'>>;
  /** Attaches the post-loan consent, which must last until maturity. @throws GatewayError 400 `INVALID`. */
  postLoanConsent(loanId: string, consentId: string): Promise<ResponseBody<'postLoansByIdPostLoanConsent'>>;
  /** Computes and records the multi-lender signal of a subject. */
  signal(
    request: RequestBody<'postMultiLenderSignals'>,
  ): Promise<ResponseBody<'postMultiLenderSignals', 201>>;
  /** Subjects with more than k lenders in a period (regulator, auditors). */
  multiLenderSubjects(
    query: QueryParams<'getSupervisionMultiLenderSubjects'>,
  ): Promise<ResponseBody<'getSupervisionMultiLenderSubjects'>>;
  /** Financing statistics per bank and county. */
  statistics(query?: QueryParams<'getStatsFinancing'>): Promise<ResponseBody<'getStatsFinancing'>>;
}

const id = (value: string): string => encodeURIComponent(value);

/** Iterates a cursor-paginated list. */
async function* pages<T>(http: HttpTransport, path: string, query: object): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await http.json<{ items: T[]; nextCursor: string | null }>({
      method: 'GET',
      path,
      query: { ...(query as Record<string, string | number | undefined>), cursor },
    });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/** The {@link FinancingApi} over a transport. */
export function createFinancingApi(http: HttpTransport): FinancingApi {
  const post = <T>(path: string, json?: unknown): Promise<T> =>
    http.json<T>({ method: 'POST', path, ...(json === undefined ? {} : { json }) });
  const get = <T>(path: string, query?: object): Promise<T> =>
    http.json<T>({
      method: 'GET',
      path,
      ...(query === undefined ? {} : { query: query as Record<string, string | number | undefined> }),
    });
  return {
    products: (query = {}) => pages(http, '/products', query),
    product: (productId) => get(`/products/${id(productId)}`),
    publishProduct: (request) => post('/products', request),
    withdrawProduct: (productId) => post(`/products/${id(productId)}/withdraw`),
    fileDemand: (request) => post('/demands', request),
    demands: (query = {}) => pages(http, '/demands', query),
    demand: (demandId) => get(`/demands/${id(demandId)}`),
    withdrawDemand: (demandId, request) => post(`/demands/${id(demandId)}/withdraw`, request),
    claim: (demandId, claimId) =>
      post(`/demands/${id(demandId)}/claims`, claimId === undefined ? {} : { claimId }),
    claims: (query = {}) => pages(http, '/claims', query),
    getClaim: (claimId) => get(`/claims/${id(claimId)}`),
    moveClaim: (claimId, action) => post(`/claims/${id(claimId)}/${action}`),
    disburse: (claimId, terms) => post(`/claims/${id(claimId)}/disburse`, terms),
    sweepOverdue: () => post('/claims/overdue-sweep', {}),
    recordLoan: (request) => post('/loans', request),
    loans: (query = {}) => pages(http, '/loans', query),
    loan: (loanId) => get(`/loans/${id(loanId)}`),
    loanStatus: (loanId, request) => post(`/loans/${id(loanId)}/status`, request),
    postLoanConsent: (loanId, consentId) => post(`/loans/${id(loanId)}/post-loan-consent`, { consentId }),
    signal: (request) => post('/multi-lender-signals', request),
    multiLenderSubjects: (query) => get('/supervision/multi-lender-subjects', query),
    statistics: (query = {}) => get('/stats/financing', query),
  };
}
