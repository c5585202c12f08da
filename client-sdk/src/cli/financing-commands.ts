/**
 * `ruralcredit product|demand|claim|loan ...`: financing matching from the
 * command line. Request bodies too rich for flags (a product, a demand, a
 * direct loan) are read from a JSON file shaped as the API's request.
 */
import { createClient } from '../client';
import type { FinancingApi } from '../financing';
import type { RequestBody } from '../types';
import {
  type Command,
  type Invocation,
  UsageError,
  integer,
  list,
  oneArg,
  readJsonFile,
  required,
  str,
} from './commands';
import { fields, table } from './output';

type Rec = Record<string, unknown>;

const text = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

function txLine(result: { txId: string; blockNumber: number }): [string, string] {
  return ['transaction', `${result.txId} (block ${result.blockNumber})`];
}

async function financing(inv: Invocation): Promise<FinancingApi> {
  return (await inv.client()).financing;
}

async function collect<T>(items: AsyncIterable<T>, max = 1000): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    if (out.length >= max) break;
  }
  return out;
}

function claimFields(claim: Rec, result?: { txId: string; blockNumber: number }): string {
  return fields([
    ['claim', text(claim.claimId)],
    ['demand', text(claim.demandId)],
    ['bank', text(claim.bank)],
    ['status', `${text(claim.status)}${claim.overdue === true ? ' (OVERDUE: not contacted in time)' : ''}`],
    ['contact by', text(claim.contactBy)],
    ...(result === undefined ? [] : [txLine(result)]),
  ]);
}

function loanFields(loan: Rec, result?: { txId: string; blockNumber: number }): string {
  return fields([
    ['loan', text(loan.loanId)],
    ['bank', text(loan.bank)],
    ['amount (fen)', text(loan.amountFen)],
    ['term', `${text(loan.termMonths)} months, ${text(loan.startDate)} to ${text(loan.maturityDate)}`],
    ['rate (bps)', text(loan.rateBps)],
    ['claim', text(loan.claimId) || '(direct loan)'],
    ['liens', Array.isArray(loan.lienIds) && loan.lienIds.length > 0 ? loan.lienIds.join(', ') : '(none)'],
    ['status', `${text(loan.status)}${loan.dpdBucket === undefined ? '' : ` ${text(loan.dpdBucket)}`}`],
    ['post-loan consent', text(loan.postLoanGrantId) || '(none)'],
    ...(result === undefined ? [] : [txLine(result)]),
  ]);
}

const CLAIM_MOVES = [
  ['contact', 'Record that your bank contacted the subject (CLAIMED -> CONTACTED)'],
  ['approve', 'Approve the application (CONTACTED -> APPROVED)'],
  ['decline', 'Decline the application (the claim and its consent end)'],
  ['release', 'Give a claim up (the claim and its consent end)'],
] as const;

/** The financing commands. */
export const FINANCING_COMMANDS: readonly Command[] = [
  {
    name: 'product list',
    summary: 'Browse active loan products (no login needed)',
    options: {
      county: { type: 'string', description: '6-digit county code', placeholder: 'CODE' },
      'asset-type': { type: 'string', description: 'Accepted asset type', placeholder: 'CODE' },
      amount: { type: 'string', description: 'Amount in fen the product must cover', placeholder: 'FEN' },
      term: { type: 'string', description: 'Term in months the product must cover', placeholder: 'MONTHS' },
    },
    async run(inv) {
      const client = createClient({ url: await inv.url() });
      const amount = integer(inv.values, 'amount');
      const term = integer(inv.values, 'term');
      const county = str(inv.values, 'county');
      const assetType = str(inv.values, 'asset-type');
      const products = await collect(
        client.financing.products({
          ...(county === undefined ? {} : { countyCode: county }),
          ...(assetType === undefined ? {} : { assetType }),
          ...(amount === undefined ? {} : { amountFen: amount }),
          ...(term === undefined ? {} : { termMonths: term }),
        }),
      );
      inv.print(
        products,
        table(
          ['PRODUCT', 'BANK', 'NAME', 'AMOUNT (FEN)', 'MONTHS', 'RATE (BPS)', 'COUNTIES'],
          products.map((p) => [
            p.productId,
            p.bank,
            p.name,
            `${p.minAmountFen}-${p.maxAmountFen}`,
            `${p.minTermMonths}-${p.maxTermMonths}`,
            `${p.minRateBps}-${p.maxRateBps}`,
            p.counties.join(','),
          ]),
        ),
      );
    },
  },
  {
    name: 'product publish',
    summary: 'Publish a product or a new version of one, from a JSON file (POST /products body)',
    args: '<file.json>',
    options: {},
    async run(inv) {
      const body = (await readJsonFile(oneArg(inv, 'file'))) as RequestBody<'postProducts'>;
      const result = await (await financing(inv)).publishProduct(body);
      inv.print(
        result,
        fields([
          ['product', result.product.productId],
          ['version', String(result.product.version)],
          ['status', result.product.status],
          txLine(result),
        ]),
      );
    },
  },
  {
    name: 'product withdraw',
    summary: 'Withdraw a product of your bank (a new WITHDRAWN version; the history stays)',
    args: '<productId>',
    options: {},
    async run(inv) {
      const result = await (await financing(inv)).withdrawProduct(oneArg(inv, 'product ID'));
      inv.print(
        result,
        fields([
          ['product', result.product.productId],
          ['version', String(result.product.version)],
          txLine(result),
        ]),
      );
    },
  },
  {
    name: 'demand file',
    summary: "File a financing demand from a JSON file (POST /demands body, with the subject's evidence)",
    args: '<file.json>',
    options: {},
    async run(inv) {
      const body = (await readJsonFile(oneArg(inv, 'file'))) as RequestBody<'postDemands'>;
      const result = await (await financing(inv)).fileDemand(body);
      inv.print(
        result,
        fields([
          ['demand', result.demand.demandId],
          ['county', result.demand.countyCode],
          ['status', result.demand.status],
          txLine(result),
        ]),
      );
    },
  },
  {
    name: 'demand list',
    summary: 'List demands you may see (open in your counties, or claimed by your bank)',
    options: {},
    async run(inv) {
      const demands = await collect((await financing(inv)).demands());
      inv.print(
        demands,
        table(
          ['DEMAND', 'COUNTY', 'AMOUNT (FEN)', 'MONTHS', 'STATUS', 'ACTIVE CLAIMS', 'EXPIRES'],
          demands.map((d) => [
            d.demandId,
            d.countyCode,
            String(d.amountFen),
            String(d.termMonths),
            d.status,
            String(d.activeClaims.length),
            d.expiresAt,
          ]),
        ),
      );
    },
  },
  {
    name: 'demand show',
    summary: 'Show a demand with its claims',
    args: '<demandId>',
    options: {},
    async run(inv) {
      const d = await (await financing(inv)).demand(oneArg(inv, 'demand ID'));
      inv.print(
        d,
        fields([
          ['demand', d.demandId],
          ['subject', d.subject],
          ['amount (fen)', String(d.amountFen)],
          ['term', `${d.termMonths} months`],
          ['county', d.countyCode],
          ['status', d.status],
          ['active claims', d.activeClaims.join(', ') || '(none)'],
          ['expires', d.expiresAt],
        ]),
      );
    },
  },
  {
    name: 'demand withdraw',
    summary: "Withdraw a demand at the subject's request: its signature or a signed form's digest",
    args: '<demandId>',
    options: {
      signature: {
        type: 'string',
        description: "The subject's DemandWithdrawal signature",
        placeholder: 'SIG',
      },
      'form-hash': {
        type: 'string',
        description: 'SHA-256 of the signed withdrawal form',
        placeholder: 'HEX',
      },
    },
    async run(inv) {
      const signature = str(inv.values, 'signature');
      const formHash = str(inv.values, 'form-hash');
      if ((signature === undefined) === (formHash === undefined)) {
        throw new UsageError('give --signature or --form-hash');
      }
      const evidence =
        signature === undefined
          ? { type: 'FORM_HASH' as const, formHash: formHash! }
          : { type: 'SUBJECT_SIGNATURE' as const, signature };
      const result = await (await financing(inv)).withdrawDemand(oneArg(inv, 'demand ID'), { evidence });
      inv.print(
        result,
        fields([['demand', result.demand.demandId], ['status', result.demand.status], txLine(result)]),
      );
    },
  },
  {
    name: 'claim take',
    summary: 'Claim (抢单) a demand for your bank: at most 3 banks at once',
    args: '<demandId>',
    options: {
      'claim-id': { type: 'string', description: 'Claim ID (generated when absent)', placeholder: 'ID' },
    },
    async run(inv) {
      const result = await (
        await financing(inv)
      ).claim(oneArg(inv, 'demand ID'), str(inv.values, 'claim-id'));
      inv.print(result, claimFields(result.claim, result));
    },
  },
  {
    name: 'claim list',
    summary: "List your bank's claims (the regulator and auditors: all, or --bank)",
    options: { bank: { type: 'string', description: 'MSP ID of one bank', placeholder: 'MSP' } },
    async run(inv) {
      const bank = str(inv.values, 'bank');
      const claims = await collect((await financing(inv)).claims(bank === undefined ? {} : { bank }));
      inv.print(
        claims,
        table(
          ['CLAIM', 'DEMAND', 'BANK', 'STATUS', 'CONTACT BY', 'OVERDUE'],
          claims.map((c) => [c.claimId, c.demandId, c.bank, c.status, c.contactBy, c.overdue ? 'yes' : '']),
        ),
      );
    },
  },
  {
    name: 'claim show',
    summary: 'Show a claim and whether it is overdue now',
    args: '<claimId>',
    options: {},
    async run(inv) {
      const claim = await (await financing(inv)).getClaim(oneArg(inv, 'claim ID'));
      inv.print(claim, claimFields(claim));
    },
  },
  ...CLAIM_MOVES.map(([action, summary]): Command => ({
    name: `claim ${action}`,
    summary,
    args: '<claimId>',
    options: {},
    async run(inv) {
      const result = await (await financing(inv)).moveClaim(oneArg(inv, 'claim ID'), action);
      inv.print(result, claimFields(result.claim, result));
    },
  })),
  {
    name: 'claim disburse',
    summary: 'Disburse an approved claim: the loan; the demand closes and the other claims are cancelled',
    args: '<claimId>',
    options: {
      amount: { type: 'string', description: 'Amount in fen', required: true, placeholder: 'FEN' },
      term: { type: 'string', description: 'Term in months', required: true, placeholder: 'MONTHS' },
      rate: {
        type: 'string',
        description: 'Annual rate in basis points',
        required: true,
        placeholder: 'BPS',
      },
      'loan-id': { type: 'string', description: 'Loan ID (generated when absent)', placeholder: 'ID' },
      liens: {
        type: 'string',
        description: 'Comma-separated IDs of your active liens securing the loan',
        placeholder: 'ID,...',
      },
      'post-loan-consent': {
        type: 'string',
        description: 'POST_LOAN_MANAGEMENT consent lasting until maturity',
        placeholder: 'ID',
      },
    },
    async run(inv) {
      const amountFen = integer(inv.values, 'amount');
      const termMonths = integer(inv.values, 'term');
      const rateBps = integer(inv.values, 'rate');
      if (amountFen === undefined || termMonths === undefined || rateBps === undefined) {
        throw new UsageError('--amount, --term and --rate are required');
      }
      const loanId = str(inv.values, 'loan-id');
      const consent = str(inv.values, 'post-loan-consent');
      const result = await (
        await financing(inv)
      ).disburse(oneArg(inv, 'claim ID'), {
        amountFen,
        termMonths,
        rateBps,
        lienIds: list(str(inv.values, 'liens') ?? ''),
        ...(loanId === undefined ? {} : { loanId }),
        ...(consent === undefined ? {} : { postLoanConsentId: consent }),
      });
      inv.print(result, loanFields(result.loan, result));
    },
  },
  {
    name: 'loan record',
    summary: 'Record a loan made outside a claim, from a JSON file (POST /loans body)',
    args: '<file.json>',
    options: {},
    async run(inv) {
      const body = (await readJsonFile(oneArg(inv, 'file'))) as RequestBody<'postLoans'>;
      const result = await (await financing(inv)).recordLoan(body);
      inv.print(result, loanFields(result.loan, result));
    },
  },
  {
    name: 'loan list',
    summary: "List your bank's loans (the regulator and auditors: all, or --bank)",
    options: { bank: { type: 'string', description: 'MSP ID of one bank', placeholder: 'MSP' } },
    async run(inv) {
      const bank = str(inv.values, 'bank');
      const loans = await collect((await financing(inv)).loans(bank === undefined ? {} : { bank }));
      inv.print(
        loans,
        table(
          ['LOAN', 'BANK', 'AMOUNT (FEN)', 'MONTHS', 'MATURITY', 'STATUS'],
          loans.map((l) => [
            l.loanId,
            l.bank,
            String(l.amountFen),
            String(l.termMonths),
            l.maturityDate,
            l.status,
          ]),
        ),
      );
    },
  },
  {
    name: 'loan show',
    summary: 'Show a loan',
    args: '<loanId>',
    options: {},
    async run(inv) {
      const loan = await (await financing(inv)).loan(oneArg(inv, 'loan ID'));
      inv.print(loan, loanFields(loan));
    },
  },
  {
    name: 'loan status',
    summary: 'Update a loan of your bank: ACTIVE, OVERDUE (with --dpd), REPAID or WRITTEN_OFF',
    args: '<loanId>',
    options: {
      status: { type: 'string', description: 'ACTIVE, OVERDUE, REPAID or WRITTEN_OFF', required: true },
      dpd: { type: 'string', description: 'DPD_1_30, DPD_31_90 or DPD_91_PLUS (OVERDUE only)' },
    },
    async run(inv) {
      const dpd = str(inv.values, 'dpd');
      const result = await (
        await financing(inv)
      ).loanStatus(oneArg(inv, 'loan ID'), {
        status: required(inv.values, 'status') as RequestBody<'postLoansByIdStatus'>['status'],
        ...(dpd === undefined ? {} : { dpdBucket: dpd as 'DPD_1_30' }),
      });
      inv.print(result, loanFields(result.loan, result));
    },
  },
  {
    name: 'loan post-loan-consent',
    summary: "Attach the POST_LOAN_MANAGEMENT consent (it must last until the loan's maturity)",
    args: '<loanId>',
    options: { consent: { type: 'string', description: 'Consent ID', required: true, placeholder: 'ID' } },
    async run(inv) {
      const result = await (
        await financing(inv)
      ).postLoanConsent(oneArg(inv, 'loan ID'), required(inv.values, 'consent'));
      inv.print(result, loanFields(result.loan, result));
    },
  },
  {
    name: 'loan signal',
    summary: 'Compute and record the multi-lender signal of a subject (counts of other institutions only)',
    options: {
      subject: { type: 'string', description: 'Subject ID', required: true, placeholder: 'ID' },
      consent: { type: 'string', description: 'Your active consent from the subject', required: true },
    },
    async run(inv) {
      const result = await (
        await financing(inv)
      ).signal({ subjectId: required(inv.values, 'subject'), consentId: required(inv.values, 'consent') });
      const s = result.signal;
      inv.print(
        result,
        fields([
          ['other institutions applying', String(s.applyingInstitutions)],
          [
            'accessing (30/90/180 days)',
            `${s.accessingInstitutions.last30Days}/${s.accessingInstitutions.last90Days}/${s.accessingInstitutions.last180Days}`,
          ],
          ['other liens', `${s.otherLiens.count} (${s.otherLiens.totalSecuredFen} fen)`],
          [
            'other active loans',
            `${s.otherLoans.count} (${s.otherLoans.totalFen} fen, worst ${s.otherLoans.worstDelinquency})`,
          ],
          ['digest', s.digest],
          txLine(result),
        ]),
      );
    },
  },
];
