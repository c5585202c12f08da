/** `GET /reports/{accessId}.pdf`: the printable verification report. */
import { z } from 'zod';
import { MspIdSchema } from '../../auth/roles';
import { ObjectIdSchema } from '../../consent/schemas';
import type { DomainModuleFactory } from '../../domain';
import { IssuedRecordSchema, IssuedReportArchive, ISSUED_REPORTS_STORE } from './archive';
import { findCjkFont } from './font';
import { ReportPdfService } from './service';

const ParamsSchema = z.object({ accessId: ObjectIdSchema });
const QuerySchema = z
  .object({
    institution: MspIdSchema.optional().describe(
      'The bank that requested the report (auditors and the regulator; a bank prints its own)',
    ),
  })
  .strict();

/** The kept-report archive of a gateway (opened by the reports module, which fills it, and by this one). */
export function openIssuedReports(deps: Parameters<DomainModuleFactory>[1]): IssuedReportArchive {
  return new IssuedReportArchive(deps.sealedStore(ISSUED_REPORTS_STORE, IssuedRecordSchema));
}

/** Printable reports. */
export const reportPdfModule: DomainModuleFactory = (ctx, deps) => {
  const service = new ReportPdfService(ctx, { archive: openIssuedReports(deps), font: findCjkFont() });
  return {
    name: 'report-pdf',
    register(router) {
      router.route({
        method: 'get',
        path: '/reports/{accessId}.pdf',
        summary: 'The printable verification report (PDF) of a GRANTED access',
        description:
          'For the requesting bank: masked subject ID, institution and operator, purpose, consent, each ' +
          "dataset's records with batch, anchor time and dispute marks, collateral and liens, access and " +
          'transaction IDs, the digest and a QR code with the digest and the verify URL; the canonical JSON ' +
          'report is embedded as the attachment `verification-report.json` (`ruralcredit report verify ' +
          '--offline report.pdf`). Auditors and the regulator (`?institution=`) get an audit copy with the ' +
          'same metadata and no record values, collateral details or JSON.',
        tags: ['reports'],
        auth: ['LOAN_OFFICER', 'ORG_ADMIN', 'AUDITOR', 'REGULATOR_ADMIN'],
        params: ParamsSchema,
        query: QuerySchema,
        responses: {
          200: { description: 'The PDF', contentType: 'application/pdf' },
          400: { description: 'INSTITUTION_REQUIRED: an auditor or the regulator named no institution' },
          403: { description: "FORBIDDEN: a bank named another bank's report" },
          404: { description: 'REPORT_NOT_FOUND: no GRANTED access with a kept report under that ID' },
          409: { description: "REPORT_MISMATCH: the kept report's digest is not the ledger's" },
          503: { description: 'PDF_FONT_MISSING: no CJK font installed' },
        },
        async handler({ principal, params, query, req, res }) {
          const verifyUrl = `${req.protocol}://${req.get('host') ?? 'localhost'}/api/v1/reports/verify`;
          const printed = await service.print(principal, params.accessId, query.institution, verifyUrl);
          res.setHeader('Content-Type', 'application/pdf');
          res.setHeader('Content-Disposition', `attachment; filename="${printed.filename}"`);
          res.setHeader('X-Report-View', printed.view);
          res.setHeader('Cache-Control', 'no-store');
          res.status(200).end(printed.pdf);
          return undefined;
        },
      });
    },
  };
};
