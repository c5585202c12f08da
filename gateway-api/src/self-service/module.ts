/**
 * `/subjects/self/...`: a data subject's self-service with no account, each
 * request an EIP-712 `SubjectSelfServiceRequest` signed by the key bound to
 * its pseudonym, at most five minutes old and answered once.
 */
import type { DomainModuleFactory } from '../domain';
import { createRecordStore } from '../provenance/record-store';
import { findCjkFont } from '../reports/pdf/font';
import {
  SelfConsentListSchema,
  SelfDisputeListSchema,
  SelfDisputeSchema,
  SelfRecordsSchema,
  SelfServiceRequestSchema,
} from './schemas';
import { SelfService } from './service';

const REFUSALS = {
  400: {
    description: 'STALE_REQUEST (more than 5 minutes off), WRONG_ACTION, INVALID_TARGET, INVALID_REQUEST',
  },
  401: { description: "SIGNATURE_REJECTED: no key bound to the subject, or not the subject's key" },
  409: { description: 'REPLAYED_REQUEST: this signed request was already answered' },
} as const;

/** The subject's own consents, records, report and disputes. */
export const selfServiceModule: DomainModuleFactory = (ctx, deps) => {
  const service = new SelfService({
    context: ctx,
    db: deps.db,
    records: createRecordStore(deps),
    font: findCjkFont(),
  });
  return {
    name: 'self-service',
    register(router) {
      router.route({
        method: 'post',
        path: '/subjects/self/consents',
        summary: "A data subject lists its own consents, every bank's, with their status (LIST_CONSENTS)",
        description:
          'Revoke one with `POST /subjects/revocations` (a `ConsentRevocation` signed by the same key); ' +
          'the next access under it is DENIED REVOKED.',
        tags: ['subjects'],
        auth: 'public',
        body: SelfServiceRequestSchema,
        responses: { 200: { description: 'The consents', schema: SelfConsentListSchema }, ...REFUSALS },
        async handler({ body }) {
          return { body: await service.consents(body) };
        },
      });
      router.route({
        method: 'post',
        path: '/subjects/self/records',
        summary:
          'A data subject reads its own latest records (READ_RECORDS), recorded first as a SELF access',
        description:
          'The access (purpose SELF, the digest of what is released) commits on the ledger before the ' +
          "records are returned; the chaincode checks the subject's signature and refuses a replay.",
        tags: ['subjects'],
        auth: 'public',
        body: SelfServiceRequestSchema,
        responses: { 200: { description: 'The records', schema: SelfRecordsSchema }, ...REFUSALS },
        async handler({ body }) {
          return { body: await service.records(body) };
        },
      });
      router.route({
        method: 'post',
        path: '/subjects/self/report.pdf',
        summary: 'A data subject downloads its own verification report as PDF (REPORT_PDF), a SELF access',
        description:
          'The report JSON is embedded as in a bank copy; its digest is the release digest of the SELF access.',
        tags: ['subjects'],
        auth: 'public',
        body: SelfServiceRequestSchema,
        responses: {
          200: { description: 'The PDF', contentType: 'application/pdf' },
          ...REFUSALS,
          503: { description: 'PDF_FONT_MISSING' },
        },
        async handler({ body, req, res }) {
          const verifyUrl = `${req.protocol}://${req.get('host') ?? 'localhost'}/api/v1/reports/verify`;
          const { pdf, accessId } = await service.report(body, verifyUrl);
          res.setHeader('Content-Type', 'application/pdf');
          res.setHeader('Content-Disposition', `attachment; filename="report-${accessId}.pdf"`);
          res.setHeader('Cache-Control', 'no-store');
          res.status(200).end(pdf);
          return undefined;
        },
      });
      router.route({
        method: 'post',
        path: '/subjects/self/disputes',
        summary: 'A data subject disputes one of its own records (FILE_DISPUTE): marked disputed at once',
        tags: ['subjects'],
        auth: 'public',
        body: SelfServiceRequestSchema,
        responses: {
          201: { description: 'Filed', schema: SelfDisputeSchema },
          ...REFUSALS,
          403: { description: 'NOT_YOUR_RECORD' },
          404: { description: 'RECORD_NOT_FOUND' },
        },
        async handler({ body }) {
          return { status: 201, body: await service.fileDispute(body) };
        },
      });
      router.route({
        method: 'post',
        path: '/subjects/self/disputes/list',
        summary: 'A data subject follows the disputes it filed: status and resolution (LIST_DISPUTES)',
        tags: ['subjects'],
        auth: 'public',
        body: SelfServiceRequestSchema,
        responses: { 200: { description: 'The disputes', schema: SelfDisputeListSchema }, ...REFUSALS },
        async handler({ body }) {
          return { body: await service.disputes(body) };
        },
      });
    },
  };
};
