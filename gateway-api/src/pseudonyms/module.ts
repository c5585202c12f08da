/**
 * The pseudonyms module: on the gateway holding the regulator's OPRF key, the
 * evaluation endpoint members' gateways call with signed requests; elsewhere
 * nothing (their gateways are clients of it, see `client.ts`).
 */
import type { DomainModuleFactory } from '../domain';
import type { MspRoots } from '../organisation/msp';
import { OrgNonceStore } from '../organisation/nonces';
import { evaluationCounters } from './counters';
import { registerPseudonymRoutes } from './routes';
import { PseudonymEvaluationServiceImpl } from './service';

/**
 * Builds the module; callers' signatures are checked against `roots` (the channel's MSP
 * definitions of a per-organisation deployment; the all-in-one demo has none, so its endpoint
 * refuses every request: its members evaluate in-process).
 */
export function createPseudonymsModule(options: Readonly<{ roots: MspRoots }>): DomainModuleFactory {
  return (ctx, deps) => {
    const key = ctx.pseudonymKey;
    if (key === undefined) return { name: 'pseudonyms', register: () => undefined };
    const service = new PseudonymEvaluationServiceImpl({
      key,
      consortium: ctx.consortium,
      perMinute: deps.config.pseudonymRatePerMinute,
      counters: evaluationCounters(deps),
      logger: deps.logger.child({ component: 'pseudonyms' }),
    });
    const callers = { roots: options.roots, nonces: new OrgNonceStore(deps.db) };
    return { name: 'pseudonyms', register: (router) => registerPseudonymRoutes(router, service, callers) };
  };
}
