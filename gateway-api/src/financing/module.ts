/** The financing business module: products, demands, claims, loans and the multi-lender signal. */
import type { GatewayConfig } from '../config';
import type { DomainModuleFactory } from '../domain';
import { OverdueSweeper, type OverdueSweepStatus } from './overdue-sweep';
import { registerFinancingRoutes } from './routes';
import type { OverdueSweepReport } from './schemas';
import { FinancingServiceImpl } from './service';

/**
 * Whether a gateway sweeps for overdue claims itself: one holding the regulator's identity
 * (the all-in-one demo, or `GATEWAY_ORG` = the regulator) with a positive interval.
 */
export function sweepsOverdueClaims(
  config: Pick<GatewayConfig, 'organisation' | 'overdueSweepSeconds'>,
  regulatorMspId: string,
): boolean {
  const holdsRegulator = config.organisation === undefined || config.organisation.mspId === regulatorMspId;
  return holdsRegulator && config.overdueSweepSeconds > 0;
}

/**
 * Builds the financing module; public catalogue reads are evaluated as the consortium's regulator.
 * The gateways that hold the regulator's identity (the all-in-one demo and the regulator's own)
 * also sweep for overdue claims every `GATEWAY_OVERDUE_SWEEP_SECONDS`; the banks' do not.
 */
export const financingModule: DomainModuleFactory = function financing(ctx, deps) {
  const regulator = ctx.consortium.organisations.find((o) => o.role === 'REGULATOR');
  if (!regulator) throw new Error('the consortium has no regulator to read the public product catalogue as');
  const service = new FinancingServiceImpl({
    ledger: ctx.ledger,
    subjects: ctx.subjects,
    publicReader: regulator.mspId,
  });
  let report: (() => OverdueSweepReport) | undefined;
  if (sweepsOverdueClaims(deps.config, regulator.mspId)) {
    const sweeper = new OverdueSweeper({
      ledger: ctx.ledger,
      regulator: regulator.mspId,
      intervalMs: deps.config.overdueSweepSeconds * 1000,
      logger: deps.logger.child({ component: 'overdue-sweep' }),
      metrics: deps.metrics,
    });
    deps.onShutdown(() => sweeper.stop());
    sweeper.start();
    report = () => sweepReport(deps.config.overdueSweepSeconds, sweeper.status());
  }
  return {
    name: 'financing',
    register: (router) => registerFinancingRoutes(router, deps, service, report),
  };
};

/** The last sweep as `GET /financing/policy` shows it: counts only, no claim of another bank named. */
function sweepReport(everySeconds: number, last: OverdueSweepStatus | undefined): OverdueSweepReport {
  return {
    everySeconds,
    ...(last === undefined
      ? {}
      : {
          lastRunAt: last.at,
          lastFlagged: last.flagged.length,
          ...(last.error === undefined ? {} : { lastError: last.error }),
        }),
  };
}
