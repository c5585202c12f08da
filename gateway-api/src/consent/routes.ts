/** Consent endpoints: thin routes over {@link ConsentService}. */
import { z } from 'zod';
import type { DomainModuleFactory } from '../domain';
import type { Readable } from 'node:stream';
import { checkDeclaredLength } from '../http/body';
import { AppError } from '../http/errors';
import { pageSchema } from '../http/pagination';
import { validate } from '../http/validate';
import {
  ConsentRequestSchema,
  ConsentViewSchema,
  ObjectIdSchema,
  RevokeRequestSchema,
  SubjectIdSchema,
  committedSchema,
} from './schemas';
import { readConsentUpload } from './multipart';
import { ConsentService, StoredEvidenceSchema } from './service';

const BANK_READERS = ['LOAN_OFFICER', 'ORG_ADMIN', 'AUDITOR', 'REGULATOR_ADMIN'] as const;
const Params = z.object({ id: ObjectIdSchema });
const CommittedConsent = committedSchema(ConsentViewSchema, 'CommittedConsent');

/** `/consents`: record, read, list and revoke subjects' consents. */
export const consentModule: DomainModuleFactory = (ctx, deps) => {
  const service = new ConsentService(ctx, deps.sealedStore('consent-evidence', StoredEvidenceSchema));
  const parseRequest = validate(ConsentRequestSchema, { location: 'body' });
  return {
    name: 'consent',
    register(router) {
      router.route({
        method: 'post',
        path: '/consents',
        summary: "Record a subject's consent to the caller's bank",
        description:
          "JSON with `subjectSignature` (the subject's EIP-712 ConsentGrant signature), or multipart/form-data with a `consent` JSON field and the signed form as file `evidence` (stored encrypted off-chain; its SHA-256 is anchored).",
        tags: ['consent'],
        auth: ['LOAN_OFFICER'],
        rawBody: {
          contentTypes: ['application/json', 'multipart/form-data'],
          limitBytes: deps.config.uploadLimitBytes,
          schema: ConsentRequestSchema,
        },
        responses: { 201: { description: 'Recorded', schema: CommittedConsent } },
        async handler(ctx) {
          const { req, principal } = ctx;
          const multipart = (req.headers['content-type'] ?? '')
            .toLowerCase()
            .startsWith('multipart/form-data');
          if (multipart) {
            const upload = await readConsentUpload(ctx.bodyStream(), req.headers);
            const body = await service.record(principal, parseRequest(upload.consent), upload.form);
            return { status: 201, body };
          }
          checkDeclaredLength(req, deps.config.jsonBodyLimitBytes);
          return {
            status: 201,
            body: await service.record(
              principal,
              parseRequest(await readJson(ctx.bodyStream(), deps.config.jsonBodyLimitBytes)),
              undefined,
            ),
          };
        },
      });
      router.route({
        method: 'get',
        path: '/consents',
        summary: 'List consents (a bank its own; regulator and auditors all)',
        tags: ['consent'],
        auth: [...BANK_READERS],
        query: z.object({ ...deps.pageQuery, subjectId: SubjectIdSchema.optional() }),
        responses: { 200: { description: 'A page of consents', schema: pageSchema(ConsentViewSchema) } },
        async handler({ principal, query }) {
          return { body: await service.list(principal, query.subjectId, query) };
        },
      });
      router.route({
        method: 'get',
        path: '/consents/{id}',
        summary: 'Read a consent with its status at this moment',
        tags: ['consent'],
        auth: [...BANK_READERS],
        params: Params,
        responses: {
          200: { description: 'The consent', schema: ConsentViewSchema },
          404: { description: "NOT_FOUND: no such consent, or another bank's (answered alike)" },
        },
        async handler({ principal, params }) {
          return { body: await service.get(principal, params.id) };
        },
      });
      router.route({
        method: 'get',
        path: '/consents/{id}/form',
        summary: 'Download the signed consent form',
        tags: ['consent'],
        auth: [...BANK_READERS],
        params: Params,
        responses: { 200: { description: 'The form as uploaded', contentType: 'application/octet-stream' } },
        async handler({ principal, params, res }) {
          const form = await service.form(principal, params.id);
          res.setHeader('Content-Type', form.contentType || 'application/octet-stream');
          res.setHeader('X-Content-SHA256', form.sha256);
          res.status(200).end(Buffer.from(form.content, 'base64'));
          return undefined;
        },
      });
      router.route({
        method: 'post',
        path: '/consents/{id}/revoke',
        summary:
          "Revoke a consent (grantee bank or regulator with a reason; any bank or the regulator with the subject's signature)",
        tags: ['consent'],
        auth: ['LOAN_OFFICER', 'REGULATOR_ADMIN'],
        params: Params,
        body: RevokeRequestSchema,
        responses: { 200: { description: 'Revoked', schema: CommittedConsent } },
        async handler({ principal, params, body }) {
          return { body: await service.revoke(principal, params.id, body) };
        },
      });
    },
  };
};

async function readJson(stream: Readable, limitBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    // The raw stream is capped at the upload limit; a JSON consent has the smaller JSON limit.
    if (size > limitBytes) throw AppError.payloadTooLarge(limitBytes);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw AppError.badRequest('request body is not valid JSON', { code: 'MALFORMED_JSON' });
  }
}
