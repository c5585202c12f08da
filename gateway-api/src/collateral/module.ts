/** The collateral business module: assets, liens, seizures and transfers. */
import type { DomainContext, DomainModuleFactory } from '../domain';
import type { GatewayDeps } from '../feature';
import type { TxLocator } from '../indexer/types';
import { registerCollateralRoutes } from './routes';
import { CollateralServiceImpl } from './service';

/** Options of {@link createCollateralModule}. */
export interface CollateralModuleOptions {
  /**
   * The block indexer's transaction locator (a singleton per gateway), used to
   * prove an asset's latest change by block number. Without it, only changes
   * this gateway committed itself carry a block number; others show null.
   */
  readonly locator?: (ctx: DomainContext, deps: GatewayDeps) => TxLocator;
}

/** Builds the collateral module factory. */
export function createCollateralModule(options: Readonly<CollateralModuleOptions> = {}): DomainModuleFactory {
  return function collateral(ctx, deps) {
    const locator = options.locator?.(ctx, deps);
    const service = new CollateralServiceImpl({
      ledger: ctx.ledger,
      subjects: ctx.subjects,
      ...(locator === undefined ? {} : { locator }),
    });
    return { name: 'collateral', register: (router) => registerCollateralRoutes(router, deps, service) };
  };
}

/** The collateral module without an indexer (proofs from this gateway's own commits only). */
export const collateralModule: DomainModuleFactory = createCollateralModule();
