/** Verification-report endpoints. */
import type { DomainModuleFactory } from '../domain';
import { OrgGatewayClientImpl } from '../organisation/client';
import { createRecordStore } from '../provenance/record-store';
import {
  IssuedReportSchema,
  ReportRequestSchema,
  ReportVerificationSchema,
  VerifyReportRequestSchema,
} from './schemas';
import { createIndexer } from '../indexer/indexer';
import { KeptReportSchema, ReportService } from './service';
import { openIssuedReports } from './pdf/module';

/** `/reports`: issue a consented verification report; verify a filed one. */
export const reportsModule: DomainModuleFactory = (ctx, deps) => {
  const indexer = createIndexer(ctx, deps);
  const issued = openIssuedReports(deps);
  const service = new ReportService(ctx, {
    records: createRecordStore(deps),
    kept: deps.sealedStore('kept-reports', KeptReportSchema),
    logger: deps.logger,
    onGranted: (institution, record) => issued.keep(institution, record),
    ...(deps.config.organisation === undefined || ctx.own === undefined
      ? {}
      : {
          remote: new OrgGatewayClientImpl({
            identity: ctx.own,
            gateways: deps.config.organisation.gateways,
          }),
        }),
    locate: async (txId) => {
      await indexer.catchUp(10_000);
      return (await indexer.locator.locate(txId))?.blockNumber;
    },
  });
  return {
    name: 'reports',
    register(router) {
      router.route({
        method: 'post',
        path: '/reports',
        summary: "Issue a subject's verification report (the access is recorded on the ledger first)",
        description:
          'Returns 201 only after the access committed as GRANTED; a denial is recorded on the ledger too and answers 403 ACCESS_DENIED with its access ID.',
        tags: ['reports'],
        auth: ['LOAN_OFFICER'],
        body: ReportRequestSchema,
        responses: {
          201: { description: 'Granted: the report', schema: IssuedReportSchema },
          200: {
            description:
              'A retry with the accessId of a granted request while its consent is still active: the same ' +
              'report, nothing new recorded',
            schema: IssuedReportSchema,
          },
          403: { description: 'ACCESS_DENIED (recorded) or FORBIDDEN_ROLE' },
          409: {
            description:
              "ACCESS_ID_TAKEN: the accessId names another request's access of the same bank; " +
              'CONSENT_NOT_ACTIVE: a retry after the consent was revoked or expired (details: accessId, outcome, ' +
              'releaseDigest, consentStatus; no report); REPORT_EXPIRED: recorded, but its report is no longer kept',
          },
        },
        async handler({ principal, body }) {
          const { replayed, ...issued } = await service.issue(principal, body);
          return { status: replayed ? 200 : 201, body: issued };
        },
      });
      router.route({
        method: 'post',
        path: '/reports/verify',
        summary: 'Check a filed report: digest, anchoring access, and every record proof',
        tags: ['reports'],
        auth: ['LOAN_OFFICER', 'ORG_ADMIN', 'AUDITOR', 'REGULATOR_ADMIN'],
        body: VerifyReportRequestSchema,
        bodyLimitBytes: 16 * 1024 * 1024,
        responses: { 200: { description: 'Verification result', schema: ReportVerificationSchema } },
        async handler({ principal, body }) {
          return { body: await service.verify(principal, body.report) };
        },
      });
    },
  };
};
