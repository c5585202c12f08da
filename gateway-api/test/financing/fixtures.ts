/** Financing test data shared by the gateway's and the SDK's tests. */

/** A loan product body (`POST /products`): land-contract rights, 10,000-500,000 yuan, 6-36 months, 3.80-6.20 %. */
export function loanProduct(
  productId: string,
  name: string,
  counties: readonly string[],
): Record<string, unknown> {
  return {
    productId,
    version: 1,
    name,
    assetTypes: ['LAND_CONTRACT_RIGHT'],
    minAmountFen: 1_000_000,
    maxAmountFen: 50_000_000,
    minTermMonths: 6,
    maxTermMonths: 36,
    minRateBps: 380,
    maxRateBps: 620,
    counties: [...counties],
  };
}
