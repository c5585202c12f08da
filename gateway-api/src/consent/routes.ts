/** Consent endpoints: thin routes over {@link ConsentService}. */
import { z } from 'zod';
import type { DomainModuleFactory } from '../domain';
import { createIndexer } from '../indexer/indexer';
import type { Readable } from 'node:stream';
import { checkDeclaredLength, parseJsonText } from '../http/body';
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
import { formResponseHeaders } from './form-type';
import { readConsentUpload } from './multipart';
import { ConsentIntentSchema, ConsentService, StoredEvidenceSchema } from './service';

const BANK_READERS = ['LOAN_OFFICER', 'ORG_ADMIN', 'AUDITOR', 'REGULATOR_ADMIN'] as const;
const Params = z.object({ id: ObjectIdSchema });
const CommittedConsent = committedSchema(ConsentViewSchema, 'CommittedConsent');

/** `/consents`: record, read, list and revoke subjects' consents. */
export const consentModule: DomainModuleFactory = (ctx, deps) => {
  const indexer = createIndexer(ctx, deps);
  const service = new ConsentService(ctx, {
    evidence: deps.sealedStore('consent-evidence', StoredEvidenceSchema),
    intents: deps.sealedStore('consent-intents', ConsentIntentSchema),
    db: deps.db,
    locate: async (txId) => {
      await indexer.catchUp(10_000);
      return (await indexer.locator.locate(txId))?.blockNumber;
    },
  });
  // Forms a stopped process left half-way: stored if their grant committed, removed if not.
  const recovery = service.recoverIntents().then(
    (outcome) => {
      if (outcome.finished + outcome.discarded + outcome.pending > 0)
        deps.logger.warn('settled consent forms left by a stopped process', { ...outcome });
    },
    (err: unknown) =>
      deps.logger.error('could not settle consent forms left by a stopped process', {
        err: err instanceof Error ? err.message : String(err),
      }),
  );
  deps.onShutdown(() => recovery);
  const parseRequest = validate(ConsentRequestSchema, { location: 'body' });
  return {
    name: 'consent',
    register(router) {
      router.route({
        method: 'post',
        path: '/consents',
        summary: "Record a subject's consent to the caller's bank",
        description:
          "JSON with `subjectSignature` (the subject's EIP-712 ConsentGrant signature), or multipart/form-data with a `consent` JSON field and the signed form as file `evidence` (stored encrypted off-chain; its SHA-256 is anchored). The form must be a PDF, JPEG or PNG, recognised by its first bytes (415 `UNSUPPORTED_FORM_TYPE` otherwise, or when its declared type names another one).",
        tags: ['consent'],
        auth: ['LOAN_OFFICER'],
        rawBody: {
          contentTypes: ['application/json', 'multipart/form-data'],
          limitBytes: deps.config.uploadLimitBytes,
          schema: ConsentRequestSchema,
        },
        responses: {
          200: {
            description:
              'A repeat of a recorded request (same bank, consent ID and evidence): the recorded consent, nothing new written',
            schema: CommittedConsent,
          },
          201: { description: 'Recorded', schema: CommittedConsent },
          409: {
            description:
              'CONFLICT: the consent ID holds another consent (another bank’s, or other evidence), read from the ledger',
          },
          415: {
            description: 'UNSUPPORTED_FORM_TYPE: the form is not a PDF, JPEG or PNG; UNSUPPORTED_MEDIA_TYPE',
          },
        },
        async handler(ctx) {
          const { req, principal } = ctx;
          const multipart = (req.headers['content-type'] ?? '')
            .toLowerCase()
            .startsWith('multipart/form-data');
          if (multipart) {
            const upload = await readConsentUpload(ctx.bodyStream(), req.headers);
            const { replayed, ...body } = await service.record(
              principal,
              parseRequest(upload.consent),
              upload.form,
            );
            return { status: replayed ? 200 : 201, body };
          }
          checkDeclaredLength(req, deps.config.jsonBodyLimitBytes);
          const { replayed, ...body } = await service.record(
            principal,
            parseRequest(await readJson(ctx.bodyStream(), deps.config.jsonBodyLimitBytes)),
            undefined,
          );
          return { status: replayed ? 200 : 201, body };
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
        description:
          'The form as uploaded, as a download (`Content-Disposition: attachment`) with ' +
          '`Content-Security-Policy: sandbox` and `X-Content-Type-Options: nosniff`; its ' +
          '`Content-Type` is the one recognised from its content at upload (PDF, JPEG or PNG).',
        responses: { 200: { description: 'The form as uploaded', contentType: 'application/octet-stream' } },
        async handler({ principal, params, res }) {
          const form = await service.form(principal, params.id);
          for (const [name, value] of Object.entries(formResponseHeaders(form, params.id))) {
            res.setHeader(name, value);
          }
          res.setHeader('X-Content-SHA256', form.sha256);
          res.status(200).end(Buffer.from(form.content, 'base64'));
          return undefined;
        },
      });
      router.route({
        method: 'post',
        path: '/consents/{id}/revoke',
        summary:
          "Revoke a consent (grantee bank or regulator, with a reason or the subject's signature; another bank gets 403 FORBIDDEN)",
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
  return parseJsonText(Buffer.concat(chunks).toString('utf8'), () =>
    AppError.badRequest('request body is not valid JSON', { code: 'MALFORMED_JSON' }),
  );
}
