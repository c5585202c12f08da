/** The financing business module: products, demands, claims, loans and the multi-lender signal. */
import type { DomainModuleFactory } from '../domain';
import { registerFinancingRoutes } from './routes';
import { FinancingServiceImpl } from './service';

/** Builds the financing module; public catalogue reads are evaluated as the consortium's regulator. */
export const financingModule: DomainModuleFactory = function financing(ctx, deps) {
  const regulator = ctx.consortium.organisations.find((o) => o.role === 'REGULATOR');
  if (!regulator) throw new Error('the consortium has no regulator to read the public product catalogue as');
  const service = new FinancingServiceImpl({
    ledger: ctx.ledger,
    subjects: ctx.subjects,
    publicReader: regulator.mspId,
  });
  return { name: 'financing', register: (router) => registerFinancingRoutes(router, deps, service) };
};
