/**
 * Demo financing data for `npm start`: every bank's products (one withdrawn,
 * so a version history shows), demands in four counties, claims in each state
 * (claimed, contacted, approved, declined, released, disbursed with the others
 * cancelled) and loans (active, overdue, repaid). Written through the
 * chaincode as the organisations themselves; a resumed seeding skips what exists.
 */
import { isoFromEpochSeconds, sha256Hex } from '@ruralcredit/protocol';
import type { DomainContext } from '../domain';
import { AppError } from '../http/errors';

const DAY = 86_400;
/** Ningde counties: Jiaocheng, Xiapu, Gutian, Fu'an. */
const COUNTIES = ['350902', '350921', '350922', '350981'] as const;

/** What the financing seed created. */
export interface FinancingSeedSummary {
  products: number;
  demands: number;
  claims: number;
  loans: number;
}

/**
 * Seeds financing for demo farmers `firstFarmer`.. using `farmerId(n)` for their IDs.
 *
 * @throws AppError for anything but a CONFLICT (already there) from the ledger.
 */
export async function seedFinancing(
  ctx: DomainContext,
  farmerId: (n: number) => string,
  firstFarmer: number,
): Promise<FinancingSeedSummary> {
  const banks = ctx.consortium.organisations.filter((o) => o.role === 'BANK').map((o) => o.mspId);
  const regulator = ctx.consortium.organisations.find((o) => o.role === 'REGULATOR')?.mspId;
  if (banks.length === 0 || regulator === undefined) return { products: 0, demands: 0, claims: 0, loans: 0 };
  const submit = async (mspId: string, fn: string, ...args: string[]): Promise<void> => {
    try {
      await ctx.ledger.submit(mspId, fn, args);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
    }
  };
  const now = Math.floor(Date.now() / 1000);
  const bank = (i: number): string => banks[i % banks.length]!;
  let products = 0;
  for (const [i, mspId] of banks.entries()) {
    const product = {
      productId: `demo-product-${i + 1}`,
      name: ['Spring planting loan', 'Tea garden loan', 'Aquaculture raft loan', 'Homestay upgrade loan'][
        i % 4
      ]!,
      assetTypes: i % 2 === 0 ? ['LAND_CONTRACT_RIGHT'] : [],
      minAmountFen: 1_000_000,
      maxAmountFen: 50_000_000 * (1 + (i % 3)),
      minTermMonths: 6,
      maxTermMonths: 36,
      minRateBps: 345 + i * 10,
      maxRateBps: 620 + i * 10,
      counties: [...COUNTIES],
    };
    await submit(mspId, 'Financing:PublishProduct', JSON.stringify({ ...product, version: 1 }));
    await submit(
      mspId,
      'Financing:PublishProduct',
      JSON.stringify({ ...product, version: 2, minRateBps: 330 + i * 10 }),
    );
    products += 1;
  }
  await submit(
    bank(0),
    'Financing:PublishProduct',
    JSON.stringify({
      productId: 'demo-product-retired',
      version: 1,
      name: 'Winter stock loan (retired)',
      assetTypes: [],
      minAmountFen: 500_000,
      maxAmountFen: 5_000_000,
      minTermMonths: 3,
      maxTermMonths: 12,
      minRateBps: 500,
      maxRateBps: 800,
      counties: [COUNTIES[0]],
    }),
  );
  await submit(bank(0), 'Financing:WithdrawProduct', 'demo-product-retired');
  const datasets = ctx.consortium.datasetTypes.map((d) => d.code).slice(0, 2);
  /** Claim paths: each demand's claims, by bank index, and where the first one ends. */
  const plans: { claims: number; path: string[] }[] = [
    { claims: 0, path: [] },
    { claims: 1, path: [] },
    { claims: 2, path: ['contact'] },
    { claims: 3, path: ['contact', 'approve'] },
    { claims: 1, path: ['contact', 'decline'] },
    { claims: 2, path: ['release'] },
    { claims: 3, path: ['contact', 'approve', 'disburse'] },
    { claims: 2, path: ['contact', 'approve', 'disburse'] },
    { claims: 1, path: ['contact', 'approve', 'disburse'] },
    { claims: 0, path: [] },
    { claims: 1, path: [] },
    { claims: 3, path: ['contact'] },
  ];
  const moves: Record<string, string> = {
    contact: 'Financing:ContactClaim',
    approve: 'Financing:ApproveClaim',
    decline: 'Financing:DeclineClaim',
    release: 'Financing:ReleaseClaim',
  };
  let claims = 0;
  let loans = 0;
  for (const [d, plan] of plans.entries()) {
    const n = firstFarmer + d;
    const demandId = `demo-demand-${d + 1}`;
    await submit(
      regulator,
      'Financing:FileDemand',
      JSON.stringify({
        demandId,
        subject: await ctx.subjects.pseudonym(farmerId(n)),
        amountFen: 5_000_000 + d * 1_500_000,
        termMonths: [12, 24, 36][d % 3],
        purpose: ['PLANTING', 'BREEDING', 'AQUACULTURE', 'RURAL_TOURISM'][d % 4],
        countyCode: COUNTIES[d % COUNTIES.length],
        offeredAssets: [],
        datasets,
        expiresAt: isoFromEpochSeconds(now + 60 * DAY),
        evidence: { type: 'FORM_HASH', formHash: sha256Hex(`demo signed financing demand ${d + 1}`) },
      }),
    );
    for (let c = 0; c < plan.claims; c++) {
      await submit(bank(d + c), 'Financing:ClaimDemand', `demo-claim-${d + 1}-${c + 1}`, demandId);
      claims += 1;
    }
    const first = `demo-claim-${d + 1}-1`;
    for (const step of plan.path) {
      if (step === 'disburse') {
        const loan = {
          loanId: `demo-loan-${d + 1}`,
          amountFen: 5_000_000 + d * 1_500_000,
          termMonths: 12,
          rateBps: 430,
          lienIds: [],
        };
        await submit(bank(d), 'Financing:DisburseClaim', first, JSON.stringify(loan));
        loans += 1;
      } else {
        await submit(bank(d), moves[step]!, first);
      }
    }
  }
  await submit(bank(6), 'Lending:UpdateLoanStatus', 'demo-loan-7', 'OVERDUE', 'DPD_1_30');
  await submit(bank(8), 'Lending:UpdateLoanStatus', 'demo-loan-9', 'REPAID', '');
  return { products: products + 1, demands: plans.length, claims, loans };
}
