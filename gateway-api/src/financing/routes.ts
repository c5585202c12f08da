/**
 * Financing routes: parse, validate, call the {@link FinancingService}. The
 * product catalogue is public (rate-limited per client address); everything
 * else needs a member's token and the chaincode decides who may do what.
 */
import { z } from 'zod';
import type { Role } from '../auth/roles';
import type { GatewayDeps } from '../feature';
import { pageSchema } from '../http/pagination';
import type { ApiRouter } from '../http/router';
import {
  ClaimDemandSchema,
  ClaimSchema,
  DemandSchema,
  FileDemandSchema,
  FinancingStatsSchema,
  IdParamsSchema,
  LoanSchema,
  LoanStatusSchema,
  LoanTermsSchema,
  PolicyReadSchema,
  PolicySchema,
  PostLoanConsentSchema,
  ProductFilterShape,
  ProductSchema,
  PublishProductSchema,
  RangeShape,
  RecordLoanSchema,
  SignalRequestSchema,
  SignalSchema,
  WithdrawDemandSchema,
  type OverdueSweepReport,
  changeSchema,
} from './schemas';
import type { ClaimAction, FinancingService } from './service';

const TAGS = ['financing'];
const BANK: readonly [Role, ...Role[]] = ['LOAN_OFFICER'];
const DESK: readonly [Role, ...Role[]] = ['LOAN_OFFICER', 'REGULATOR_ADMIN'];
const READERS: readonly [Role, ...Role[]] = ['LOAN_OFFICER', 'REGULATOR_ADMIN', 'AUDITOR'];
const SUPERVISORS: readonly [Role, ...Role[]] = ['REGULATOR_ADMIN', 'AUDITOR'];
const REGULATOR: readonly [Role, ...Role[]] = ['REGULATOR_ADMIN'];

const COMMON = {
  400: { description: 'INVALID_REQUEST (malformed), INVALID_SUBJECT_ID, or INVALID (refused by the ledger)' },
  403: { description: 'FORBIDDEN_ROLE, or FORBIDDEN (the ledger refused this organisation)' },
  404: { description: 'NOT_FOUND' },
  409: { description: 'CONFLICT: the state does not allow it (see the message)' },
};

const BankQuery = {
  bank: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9.-]{0,63}$/)
    .optional(),
};

/** Declares the financing routes on `router`. */
export function registerFinancingRoutes(
  router: ApiRouter,
  deps: GatewayDeps,
  service: FinancingService,
  overdueSweep?: () => OverdueSweepReport,
): void {
  router.route({
    method: 'get',
    path: '/products',
    summary:
      'Browse active loan products (public, no account needed, rate-limited): filter by county, asset type, ' +
      'amount and term',
    tags: TAGS,
    auth: 'public',
    query: z.object({ ...deps.pageQuery, ...ProductFilterShape }),
    responses: {
      200: {
        description: 'A page of products (a page may hold fewer than `limit`)',
        schema: pageSchema(ProductSchema),
      },
      400: { description: 'INVALID_REQUEST' },
      429: { description: 'RATE_LIMITED' },
    },
    async handler({ query }) {
      const { limit, cursor, ...filter } = query;
      return { body: await service.listProducts(filter, { limit, cursor }) };
    },
  });

  router.route({
    method: 'get',
    path: '/products/{id}',
    summary: 'Read a product with every version (public, rate-limited)',
    tags: TAGS,
    auth: 'public',
    params: IdParamsSchema,
    responses: {
      200: { description: 'The product and its versions', schema: ProductSchema },
      404: { description: 'NOT_FOUND' },
    },
    async handler({ params }) {
      return { body: await service.getProduct(params.id) };
    },
  });

  router.route({
    method: 'post',
    path: '/products',
    summary: 'Publish a loan product or a new version of one (versions only increase)',
    tags: TAGS,
    auth: BANK,
    body: PublishProductSchema,
    responses: {
      201: { description: 'Published', schema: changeSchema('product', ProductSchema) },
      ...COMMON,
    },
    async handler({ body, principal }) {
      return { status: 201, body: await service.publishProduct(principal, body) };
    },
  });

  router.route({
    method: 'post',
    path: '/products/{id}/withdraw',
    summary: 'Withdraw a product (a new WITHDRAWN version; the history stays)',
    tags: TAGS,
    auth: BANK,
    params: IdParamsSchema,
    responses: {
      200: { description: 'Withdrawn', schema: changeSchema('product', ProductSchema) },
      ...COMMON,
    },
    async handler({ params, principal }) {
      return { body: await service.withdrawProduct(principal, params.id) };
    },
  });

  router.route({
    method: 'post',
    path: '/demands',
    summary:
      'File a financing demand for a subject: with its EIP-712 FinancingDemand signature, or a signed form’s ' +
      'digest (a bank or the regulator’s service desk)',
    tags: TAGS,
    auth: DESK,
    body: FileDemandSchema,
    responses: { 201: { description: 'Filed', schema: changeSchema('demand', DemandSchema) }, ...COMMON },
    async handler({ body, principal }) {
      return { status: 201, body: await service.fileDemand(principal, body) };
    },
  });

  router.route({
    method: 'get',
    path: '/demands',
    summary:
      'List demands filed in [from, to): the regulator and auditors all; a bank those open in its counties or claimed by it',
    tags: TAGS,
    auth: READERS,
    query: z.object({ ...deps.pageQuery, ...RangeShape }),
    responses: { 200: { description: 'A page of demands', schema: pageSchema(DemandSchema) } },
    async handler({ principal, query }) {
      const { from, to, ...page } = query;
      return { body: await service.listDemands(principal, from ?? '', to ?? '', page) };
    },
  });

  router.route({
    method: 'get',
    path: '/demands/{id}',
    summary: 'Read a demand with its status at this moment',
    tags: TAGS,
    auth: READERS,
    params: IdParamsSchema,
    responses: {
      200: { description: 'The demand', schema: DemandSchema },
      404: { description: 'NOT_FOUND' },
    },
    async handler({ principal, params }) {
      return { body: await service.getDemand(principal, params.id) };
    },
  });

  router.route({
    method: 'post',
    path: '/demands/{id}/withdraw',
    summary:
      'Withdraw an open demand at the subject’s request (its signature, or a signed form); claims are cancelled',
    tags: TAGS,
    auth: DESK,
    params: IdParamsSchema,
    body: WithdrawDemandSchema,
    responses: { 200: { description: 'Withdrawn', schema: changeSchema('demand', DemandSchema) }, ...COMMON },
    async handler({ principal, params, body }) {
      return { body: await service.withdrawDemand(principal, params.id, body.evidence) };
    },
  });

  router.route({
    method: 'post',
    path: '/demands/{id}/claims',
    summary:
      'Claim (抢单) a demand for the caller’s bank: at most 3 active claims per demand; creates a LOAN_APPLICATION ' +
      'consent over the demand’s datasets, valid while the claim is active',
    tags: TAGS,
    auth: BANK,
    params: IdParamsSchema,
    body: ClaimDemandSchema,
    responses: {
      201: { description: 'Claimed', schema: changeSchema('claim', ClaimSchema) },
      ...COMMON,
      409: { description: 'CONFLICT: demand not open, 3 claims active, already claimed by this bank' },
    },
    async handler({ principal, params, body }) {
      return { status: 201, body: await service.claim(principal, params.id, body.claimId) };
    },
  });

  router.route({
    method: 'get',
    path: '/claims',
    summary: 'List claims: a bank its own; the regulator and auditors all or one bank’s',
    tags: TAGS,
    auth: READERS,
    query: z.object({ ...deps.pageQuery, ...BankQuery }),
    responses: { 200: { description: 'A page of claims', schema: pageSchema(ClaimSchema) } },
    async handler({ principal, query }) {
      const { bank, ...page } = query;
      return { body: await service.listClaims(principal, bank ?? '', page) };
    },
  });

  router.route({
    method: 'get',
    path: '/claims/{id}',
    summary: 'Read a claim, with whether it is overdue at this moment',
    tags: TAGS,
    auth: READERS,
    params: IdParamsSchema,
    responses: { 200: { description: 'The claim', schema: ClaimSchema }, 404: { description: 'NOT_FOUND' } },
    async handler({ principal, params }) {
      return { body: await service.getClaim(principal, params.id) };
    },
  });

  const actions: [ClaimAction, string][] = [
    ['contact', 'Record that the bank contacted the subject (CLAIMED -> CONTACTED)'],
    ['approve', 'Approve the application (CONTACTED -> APPROVED)'],
    ['decline', 'Decline the application (CONTACTED -> DECLINED; the claim’s consent ends)'],
    ['release', 'Give the claim up (the claim’s consent ends, the slot frees)'],
  ];
  for (const [action, summary] of actions) {
    router.route({
      method: 'post',
      path: `/claims/{id}/${action}`,
      summary,
      tags: TAGS,
      auth: BANK,
      params: IdParamsSchema,
      responses: { 200: { description: 'Moved', schema: changeSchema('claim', ClaimSchema) }, ...COMMON },
      async handler({ principal, params }) {
        return { body: await service.moveClaim(principal, params.id, action) };
      },
    });
  }

  router.route({
    method: 'post',
    path: '/claims/{id}/disburse',
    summary:
      'Disburse an approved claim: records the loan, closes the demand, cancels the other claims and ends their consents',
    tags: TAGS,
    auth: BANK,
    params: IdParamsSchema,
    body: LoanTermsSchema,
    responses: {
      200: {
        description: 'Disbursed',
        schema: z.object({
          claim: ClaimSchema,
          loan: LoanSchema,
          demand: DemandSchema,
          txId: z.string(),
          blockNumber: z.number().int(),
        }),
      },
      ...COMMON,
    },
    async handler({ principal, params, body }) {
      return { body: await service.disburse(principal, params.id, body) };
    },
  });

  router.route({
    method: 'post',
    path: '/claims/overdue-sweep',
    summary: 'Flag claims not contacted within the deadline (once each) and alert their banks (body `{}`)',
    tags: TAGS,
    auth: REGULATOR,
    body: z.object({}).strict().meta({ id: 'OverdueSweepRequest' }),
    responses: {
      400: { description: 'INVALID_REQUEST: a body other than `{}`' },
      200: {
        description: 'The claims flagged now',
        schema: changeSchema(
          'result',
          z.object({ flagged: z.array(z.looseObject({ claimId: z.string() })) }),
        ),
      },
      403: COMMON[403],
    },
    async handler({ principal }) {
      return { body: await service.flagOverdue(principal) };
    },
  });

  router.route({
    method: 'post',
    path: '/loans',
    summary: 'Record a loan made outside a financing claim, under the borrower’s active consent',
    tags: TAGS,
    auth: BANK,
    body: RecordLoanSchema,
    responses: { 201: { description: 'Recorded', schema: changeSchema('loan', LoanSchema) }, ...COMMON },
    async handler({ principal, body }) {
      return { status: 201, body: await service.recordLoan(principal, body) };
    },
  });

  router.route({
    method: 'get',
    path: '/loans',
    summary: 'List loans: a bank its own; the regulator and auditors all or one bank’s',
    tags: TAGS,
    auth: READERS,
    query: z.object({ ...deps.pageQuery, ...BankQuery }),
    responses: { 200: { description: 'A page of loans', schema: pageSchema(LoanSchema) } },
    async handler({ principal, query }) {
      const { bank, ...page } = query;
      return { body: await service.listLoans(principal, bank ?? '', page) };
    },
  });

  router.route({
    method: 'get',
    path: '/loans/{id}',
    summary: 'Read a loan',
    tags: TAGS,
    auth: READERS,
    params: IdParamsSchema,
    responses: { 200: { description: 'The loan', schema: LoanSchema }, 404: { description: 'NOT_FOUND' } },
    async handler({ principal, params }) {
      return { body: await service.getLoan(principal, params.id) };
    },
  });

  router.route({
    method: 'post',
    path: '/loans/{id}/status',
    summary:
      'Update a loan’s status (lending bank only): ACTIVE, OVERDUE with a DPD bucket, REPAID, WRITTEN_OFF',
    tags: TAGS,
    auth: BANK,
    params: IdParamsSchema,
    body: LoanStatusSchema,
    responses: { 200: { description: 'Updated', schema: changeSchema('loan', LoanSchema) }, ...COMMON },
    async handler({ principal, params, body }) {
      return { body: await service.updateLoanStatus(principal, params.id, body.status, body.dpdBucket) };
    },
  });

  router.route({
    method: 'post',
    path: '/loans/{id}/post-loan-consent',
    summary: 'Attach the POST_LOAN_MANAGEMENT consent; it must be active and last until the loan matures',
    tags: TAGS,
    auth: BANK,
    params: IdParamsSchema,
    body: PostLoanConsentSchema,
    responses: {
      200: { description: 'Attached', schema: changeSchema('loan', LoanSchema) },
      ...COMMON,
      400: { description: "INVALID: another purpose, or the consent ends before the loan's maturity" },
    },
    async handler({ principal, params, body }) {
      return { body: await service.attachPostLoanConsent(principal, params.id, body.consentId) };
    },
  });

  router.route({
    method: 'post',
    path: '/multi-lender-signals',
    summary:
      'Compute and record the multi-lender (多头借贷) signal for a subject under the caller’s active consent: ' +
      'counts of other institutions only, no bank named',
    tags: TAGS,
    auth: BANK,
    body: SignalRequestSchema,
    responses: { 201: { description: 'Recorded', schema: changeSchema('signal', SignalSchema) }, ...COMMON },
    async handler({ principal, body }) {
      return {
        status: 201,
        body: await service.signal(principal, body.subjectId, body.consentId, body.signalId),
      };
    },
  });

  router.route({
    method: 'get',
    path: '/supervision/multi-lender-subjects',
    summary:
      'Subjects approached by more than k lenders (claims, loan consents, loans) in [from, to), by pseudonym',
    tags: TAGS,
    auth: SUPERVISORS,
    query: z.object({ k: z.coerce.number().int().min(0).max(1000), ...RangeShape }),
    responses: {
      200: {
        description: 'Subjects, most lenders first',
        schema: z.object({
          records: z.array(
            z.object({ subject: z.string(), lenders: z.number().int(), events: z.number().int() }),
          ),
        }),
      },
      403: COMMON[403],
    },
    async handler({ principal, query }) {
      return {
        body: await service.multiLenderSubjects(principal, query.k, query.from ?? '', query.to ?? ''),
      };
    },
  });

  router.route({
    method: 'get',
    path: '/stats/financing',
    summary:
      'Financing statistics per bank and county: demands, claims, contacts within the deadline, approvals, ' +
      'disbursements, amounts, median days from demand to disbursement (the regulator all; a bank its own)',
    tags: TAGS,
    auth: READERS,
    query: z.object(RangeShape),
    responses: { 200: { description: 'Statistics', schema: FinancingStatsSchema } },
    async handler({ principal, query }) {
      return { body: await service.statistics(principal, query.from ?? '', query.to ?? '') };
    },
  });

  router.route({
    method: 'get',
    path: '/financing/policy',
    summary:
      'Read the deployment’s financing policy (days to contact a subject after claiming), and this gateway’s own overdue sweep when it runs one',
    tags: TAGS,
    auth: 'authenticated',
    responses: { 200: { description: 'The policy', schema: PolicyReadSchema } },
    async handler({ principal }) {
      const policy = await service.getPolicy(principal);
      return { body: overdueSweep === undefined ? policy : { ...policy, overdueSweep: overdueSweep() } };
    },
  });

  router.route({
    method: 'put',
    path: '/financing/policy',
    summary: 'Set the days a bank has to contact a subject after claiming (regulator)',
    tags: TAGS,
    auth: REGULATOR,
    body: PolicySchema,
    responses: {
      200: { description: 'Set', schema: changeSchema('policy', PolicySchema) },
      403: COMMON[403],
    },
    async handler({ principal, body }) {
      return { body: await service.setPolicy(principal, body.contactDays) };
    },
  });
}
