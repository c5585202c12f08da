/** Provenance endpoints: thin routes over {@link ProvenanceService}. */
import type { DomainModuleFactory } from '../domain';
import { mediaTypeOf } from '../http/body';
import { provenanceSublevels } from './record-store';
import {
  BatchParamsSchema,
  BatchViewSchema,
  DatasetParamsSchema,
  RecordProofParamsSchema,
  RecordProofQuerySchema,
  RecordProofSchema,
  UploadQuerySchema,
  UploadResultSchema,
  VerifyRequestSchema,
  VerifyResultSchema,
} from './schemas';
import { recoverInBackground, type BackgroundRecovery } from './recovery';
import { MAX_BATCH_RECORDS, MAX_RECORD_BYTES, ProvenanceServiceImpl } from './service';

/**
 * `POST /datasets/{type}/batches`, `GET /batches/{id}`, `POST /provenance/verify`;
 * settles in the background the uploads a stopped process left unfinished
 * (the shutdown hook waits for that, so a stop never cuts it mid-write).
 */
export const provenanceModule: DomainModuleFactory = (ctx, deps) => {
  // The service tells recovery when an upload leaves work behind; recovery needs the service.
  const late: { recovery?: BackgroundRecovery } = {};
  const service = new ProvenanceServiceImpl({
    context: ctx,
    db: deps.db,
    levels: provenanceSublevels(deps),
    logger: deps.logger,
    onUnsettled: () => late.recovery?.schedule(),
  });
  const recovery = recoverInBackground((signal) => service.recoverPendingBatches(signal), deps.logger);
  late.recovery = recovery;
  deps.onShutdown(() => recovery.stop());
  return {
    name: 'provenance',
    register(router) {
      router.route({
        method: 'post',
        path: '/datasets/{type}/batches',
        summary: 'Upload, anchor and store a batch of records of a dataset the caller provides',
        description:
          `A JSON array or an NDJSON stream of up to ${MAX_BATCH_RECORDS} records (each at most ` +
          `${MAX_RECORD_BYTES} bytes), read as a stream. Every record is checked against the dataset's ` +
          'fields; the first invalid one rejects the whole batch and nothing is stored or anchored. ' +
          'The records are canonicalised (RFC 8785), hashed into an RFC 6962 Merkle tree, the manifest ' +
          "is signed with the provider's EIP-712 key and anchored, and the records are stored encrypted " +
          'with their proofs.',
        tags: ['provenance'],
        auth: ['DATA_OFFICER'],
        params: DatasetParamsSchema,
        query: UploadQuerySchema,
        rawBody: {
          contentTypes: ['application/json', 'application/x-ndjson'],
          limitBytes: deps.config.batchBodyLimitBytes,
          description: 'A JSON array of records, or one JSON record per line (NDJSON)',
        },
        responses: {
          201: { description: 'Anchored and stored', schema: UploadResultSchema },
          400: {
            description:
              'INVALID_RECORD (details: index, line, field, rule; rule DUPLICATE_KEY for a key repeated in one ' +
              'object), MALFORMED_JSON, TOO_MANY_RECORDS, EMPTY_BATCH, INVALID_REQUEST, ' +
              'PERSONAL_IDENTIFIER_IN_FIELD, or INVALID from the ledger (e.g. a period starting in the future)',
          },
          403: {
            description: 'FORBIDDEN_ROLE, or FORBIDDEN_ORG when the caller does not provide the dataset',
          },
          404: { description: 'NOT_FOUND: unknown dataset type' },
          409: { description: 'CONFLICT: the batch ID is already anchored' },
          413: { description: 'PAYLOAD_TOO_LARGE' },
        },
        async handler(ctx) {
          const { params, query, principal, req } = ctx;
          const format = mediaTypeOf(req) === 'application/x-ndjson' ? 'ndjson' : 'json';
          const result = await service.upload(principal, params.type, query, format, ctx.bodyStream());
          return {
            status: 201,
            body: result,
            headers: { Location: `${router.basePath}/batches/${result.batchId}` },
          };
        },
      });
      router.route({
        method: 'get',
        path: '/batches/{id}',
        summary: 'An anchored batch manifest and how many of its records are stored here',
        tags: ['provenance'],
        auth: 'authenticated',
        params: BatchParamsSchema,
        responses: {
          200: { description: 'The batch', schema: BatchViewSchema },
          404: { description: 'NOT_FOUND: the batch is not anchored' },
        },
        async handler({ params, principal }) {
          return { body: await service.get(principal, params.id) };
        },
      });
      router.route({
        method: 'get',
        path: '/batches/{id}/records/{index}/proof',
        summary: 'The inclusion proof of one stored record, for its provider or a bank it was released to',
        description:
          'The batch’s provider gets the proof of any of its records; a bank names (`accessId`) its ' +
          'GRANTED access that released the record: same subject, the record’s dataset among the ' +
          'access’s, the batch anchored before the access. Check it with `POST /provenance/verify` or ' +
          'offline against the anchored root.',
        tags: ['provenance'],
        auth: ['DATA_OFFICER', 'LOAN_OFFICER'],
        params: RecordProofParamsSchema,
        query: RecordProofQuerySchema,
        responses: {
          200: { description: 'The proof', schema: RecordProofSchema },
          403: {
            description: 'NOT_RELEASED: neither the provider nor an access of the caller that released it',
          },
          404: { description: 'RECORD_NOT_FOUND: no such record stored at this gateway' },
        },
        async handler({ params, query, principal }) {
          return { body: await service.recordProof(principal, params.id, params.index, query.accessId) };
        },
      });
      router.route({
        method: 'post',
        path: '/provenance/verify',
        summary: 'Check a record and its inclusion proof against an anchored batch root',
        description:
          'A proof that does not lead to the anchored root is `valid: false`, not an error. ' +
          'Without `batchId` the batch is found by the record’s leaf hash.',
        tags: ['provenance'],
        auth: 'authenticated',
        body: VerifyRequestSchema,
        responses: {
          200: { description: 'Verification outcome', schema: VerifyResultSchema },
          404: { description: 'NOT_FOUND: the named batch is not anchored' },
        },
        async handler({ body, principal }) {
          return { body: await service.verify(principal, body) };
        },
      });
    },
  };
};
