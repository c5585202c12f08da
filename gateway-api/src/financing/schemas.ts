/**
 * Financing payloads: one zod schema per request body (type, runtime check,
 * OpenAPI). Shape checks only: the chaincode decides every business rule
 * (counties served, the three-claim limit, states, grant coverage).
 */
import { z } from 'zod';
import {
  CatalogueCodeSchema,
  DigestSchema,
  LedgerTimeSchema,
  ObjectIdSchema,
  SignatureSchema,
  SubjectIdSchema,
} from '../http/fields';

/** An amount in fen (0.01 yuan). */
const Fen = z.number().int().min(1).max(100_000_000_000);
/** A term in months. */
const Months = z.number().int().min(1).max(360);
/** An annual rate in basis points. */
const Bps = z.number().int().min(0).max(10_000);
/** A 6-digit county-level administrative division code. */
export const CountyCodeSchema = z
  .string()
  .regex(/^[1-9]\d{5}$/, 'must be a 6-digit county code')
  .meta({ examples: ['350921'] });

/** Body of `POST /products`. */
export const PublishProductSchema = z
  .object({
    productId: ObjectIdSchema,
    version: z.number().int().min(1).describe('1 for a new product; above the current version for an update'),
    name: z.string().min(1).max(64),
    assetTypes: z.array(CatalogueCodeSchema).max(16).describe('Accepted collateral; empty for a credit loan'),
    minAmountFen: Fen,
    maxAmountFen: Fen,
    minTermMonths: Months,
    maxTermMonths: Months,
    minRateBps: Bps,
    maxRateBps: Bps,
    counties: z.array(CountyCodeSchema).min(1).max(64),
  })
  .strict()
  .meta({ id: 'PublishProductRequest' });
export type PublishProductInput = z.infer<typeof PublishProductSchema>;

/** Query of `GET /products`. */
export const ProductFilterShape = {
  countyCode: CountyCodeSchema.optional(),
  assetType: CatalogueCodeSchema.optional(),
  amountFen: z.coerce.number().int().min(1).max(100_000_000_000).optional(),
  termMonths: z.coerce.number().int().min(1).max(360).optional(),
  bank: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9.-]{0,63}$/)
    .optional(),
};

/** A product version. */
export const ProductSchema = z
  .looseObject({
    productId: z.string(),
    bank: z.string().describe('MSP ID of the offering bank'),
    version: z.number().int(),
    name: z.string(),
    assetTypes: z.array(z.string()),
    minAmountFen: z.number().int(),
    maxAmountFen: z.number().int(),
    minTermMonths: z.number().int(),
    maxTermMonths: z.number().int(),
    minRateBps: z.number().int(),
    maxRateBps: z.number().int(),
    counties: z.array(z.string()),
    status: z.enum(['ACTIVE', 'WITHDRAWN']),
    publishedAt: z.string(),
  })
  .meta({ id: 'Product' });

/** Evidence that the subject asked: its EIP-712 signature, or the digest of a signed form. */
export const DemandEvidenceSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('SUBJECT_SIGNATURE'), signature: SignatureSchema }).strict(),
    z.object({ type: z.literal('FORM_HASH'), formHash: DigestSchema }).strict(),
  ])
  .meta({ id: 'DemandEvidence' });

/** Body of `POST /demands`. */
export const FileDemandSchema = z
  .object({
    demandId: ObjectIdSchema.optional().describe('Generated (`dmd-<uuid>`) when omitted'),
    subjectId: SubjectIdSchema,
    amountFen: Fen,
    termMonths: Months,
    purpose: z.enum([
      'PLANTING',
      'BREEDING',
      'AQUACULTURE',
      'EQUIPMENT',
      'PROCESSING',
      'RURAL_TOURISM',
      'WORKING_CAPITAL',
      'OTHER',
    ]),
    countyCode: CountyCodeSchema,
    offeredAssets: z.array(ObjectIdSchema).max(10).default([]),
    datasets: z.array(CatalogueCodeSchema).min(1).max(32).describe('What a claiming bank may read'),
    expiresAt: LedgerTimeSchema.describe('At most 180 days ahead'),
    evidence: DemandEvidenceSchema,
  })
  .strict()
  .meta({ id: 'FileDemandRequest' });
export type FileDemandInput = z.infer<typeof FileDemandSchema>;

/** Body of `POST /demands/{id}/withdraw`. */
export const WithdrawDemandSchema = z
  .object({ evidence: DemandEvidenceSchema })
  .strict()
  .meta({ id: 'WithdrawDemandRequest' });

/** Body of `POST /demands/{id}/claims`. */
export const ClaimDemandSchema = z
  .object({ claimId: ObjectIdSchema.optional().describe('Generated (`clm-<uuid>`) when omitted') })
  .strict()
  .meta({ id: 'ClaimDemandRequest' });

/** Loan terms of a disbursement. */
export const LoanTermsSchema = z
  .object({
    loanId: ObjectIdSchema.optional().describe('Generated (`loan-<uuid>`) when omitted'),
    amountFen: Fen,
    termMonths: Months,
    rateBps: Bps,
    lienIds: z.array(ObjectIdSchema).max(10).default([]),
    postLoanConsentId: ObjectIdSchema.optional().describe(
      'A POST_LOAN_MANAGEMENT consent that must last until the loan matures',
    ),
  })
  .strict()
  .meta({ id: 'LoanTerms' });
export type LoanTermsInput = z.infer<typeof LoanTermsSchema>;

/** Body of `POST /loans`: a loan made outside a financing claim. */
export const RecordLoanSchema = LoanTermsSchema.extend({
  subjectId: SubjectIdSchema,
  consentId: ObjectIdSchema.describe('An active LOAN_APPLICATION or POST_LOAN_MANAGEMENT consent'),
})
  .strict()
  .meta({ id: 'RecordLoanRequest' });
export type RecordLoanInput = z.infer<typeof RecordLoanSchema>;

/** Body of `POST /loans/{id}/status`. */
export const LoanStatusSchema = z
  .object({
    status: z.enum(['ACTIVE', 'OVERDUE', 'REPAID', 'WRITTEN_OFF']),
    dpdBucket: z.enum(['DPD_1_30', 'DPD_31_90', 'DPD_91_PLUS']).optional().describe('Required for OVERDUE'),
  })
  .strict()
  .meta({ id: 'LoanStatusRequest' });

/** Body of `POST /loans/{id}/post-loan-consent`. */
export const PostLoanConsentSchema = z
  .object({ consentId: ObjectIdSchema })
  .strict()
  .meta({ id: 'PostLoanConsentRequest' });

/** Body of `POST /multi-lender-signals`. */
export const SignalRequestSchema = z
  .object({
    subjectId: SubjectIdSchema,
    consentId: ObjectIdSchema.describe('An active consent from the subject to the calling bank'),
    signalId: ObjectIdSchema.optional(),
  })
  .strict()
  .meta({ id: 'MultiLenderSignalRequest' });

/** Body of `PUT /financing/policy`. */
export const PolicySchema = z
  .object({ contactDays: z.number().int().min(1).max(30) })
  .strict()
  .meta({ id: 'FinancingPolicy' });

/** The policy as read, with this gateway's own overdue sweep when it runs one. */
export const PolicyReadSchema = z
  .object({
    contactDays: z.number().int().min(1).max(30),
    updatedAt: z.string().optional(),
    overdueSweep: z
      .object({
        everySeconds: z.number().int().positive(),
        lastRunAt: z.string().optional().describe('When the last sweep ended; absent before the first'),
        lastFlagged: z.number().int().min(0).optional().describe('Claims the last sweep flagged'),
        lastError: z.string().optional().describe('Why the last sweep failed'),
      })
      .optional()
      .describe(
        'Present on the gateways that sweep for overdue claims themselves (the all-in-one demo, the regulator’s)',
      ),
  })
  .meta({ id: 'FinancingPolicyRead' });

/** What {@link PolicyReadSchema}'s `overdueSweep` says. */
export type OverdueSweepReport = NonNullable<z.infer<typeof PolicyReadSchema>['overdueSweep']>;

/** A time range query. */
export const RangeShape = { from: LedgerTimeSchema.optional(), to: LedgerTimeSchema.optional() };

/** Path parameters naming a product, demand, claim or loan. */
export const IdParamsSchema = z.object({ id: ObjectIdSchema });

/** A demand as the ledger returns it. */
export const DemandSchema = z
  .looseObject({
    demandId: z.string(),
    subject: z.string().describe('Subject pseudonym'),
    amountFen: z.number().int(),
    termMonths: z.number().int(),
    purpose: z.string(),
    countyCode: z.string(),
    datasets: z.array(z.string()),
    expiresAt: z.string(),
    status: z.enum(['OPEN', 'CLOSED', 'WITHDRAWN', 'EXPIRED']),
    activeClaims: z.array(z.string()),
    claims: z.array(z.string()),
    filedBy: z.string(),
    filedAt: z.string(),
  })
  .meta({ id: 'Demand' });

/** A claim as the ledger returns it. */
export const ClaimSchema = z
  .looseObject({
    claimId: z.string(),
    demandId: z.string(),
    bank: z.string(),
    status: z.enum(['CLAIMED', 'CONTACTED', 'APPROVED', 'DECLINED', 'DISBURSED', 'CANCELLED', 'RELEASED']),
    grantId: z.string().describe('The LOAN_APPLICATION consent the claim created'),
    claimedAt: z.string(),
    contactBy: z.string(),
    overdue: z.boolean().describe('CLAIMED and past contactBy at the moment of the read'),
  })
  .meta({ id: 'Claim' });

/** A loan. */
export const LoanSchema = z
  .looseObject({
    loanId: z.string(),
    bank: z.string(),
    subject: z.string(),
    amountFen: z.number().int(),
    termMonths: z.number().int(),
    rateBps: z.number().int(),
    startDate: z.string(),
    maturityDate: z.string(),
    status: z.enum(['ACTIVE', 'OVERDUE', 'REPAID', 'WRITTEN_OFF']),
  })
  .meta({ id: 'Loan' });

/** The multi-lender signal: counts only, no bank named. */
export const SignalSchema = z
  .looseObject({
    signalId: z.string(),
    subject: z.string(),
    computedAt: z.string(),
    applyingInstitutions: z.number().int(),
    accessingInstitutions: z.object({
      last30Days: z.number().int(),
      last90Days: z.number().int(),
      last180Days: z.number().int(),
    }),
    otherLiens: z.object({ count: z.number().int(), totalSecuredFen: z.number().int() }),
    otherLoans: z.object({
      count: z.number().int(),
      totalFen: z.number().int(),
      worstDelinquency: z.enum(['NONE', 'DPD_1_30', 'DPD_31_90', 'DPD_91_PLUS']),
    }),
    digest: z.string(),
  })
  .meta({ id: 'MultiLenderSignal' });

/** A committed change: the record and where it is on the ledger. */
export function changeSchema<S extends z.ZodType>(name: string, record: S) {
  return z.object({ [name]: record, txId: z.string(), blockNumber: z.number().int() });
}

/** Financing statistics. */
export const FinancingStatsSchema = z
  .looseObject({
    scope: z.string().describe('ALL, or the calling bank’s MSP ID'),
    banks: z.array(z.looseObject({ bank: z.string() })),
    counties: z.array(z.looseObject({ countyCode: z.string() })),
  })
  .meta({ id: 'FinancingStatistics' });
