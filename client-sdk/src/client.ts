/**
 * The typed client of the gateway: one method per endpoint, grouped by
 * business area, with request and answer types generated from the gateway's
 * OpenAPI document.
 */
import { GatewayError } from './errors';
import { followAlerts } from './alerts';
import { bulkApi, type BulkApi } from './bulk';
import { createFinancingApi, type FinancingApi } from './financing';
import { HttpTransportImpl, type HttpTransport, type TokenSource } from './http';
import { FixedTokenSource, PasswordSessionImpl, type PasswordSession } from './session';
import {
  blobUploadBody,
  recordsUploadBody,
  type FileOpener,
  textLines,
  type ProgressCallback,
  type UploadBody,
} from './streams';
import type {
  AdmitMemberRequest,
  AnchoredBatch,
  AssetType,
  AssetTypeChange,
  AssetTypeVersion,
  DatasetType,
  DatasetTypeChange,
  DatasetTypeVersion,
  DefineAssetTypeRequest,
  DefineDatasetTypeRequest,
  Lien,
  LienRecord,
  ListAllUsersQuery,
  ListBatchesQuery,
  Member,
  MemberChange,
  ProviderFreshness,
  UserOverview,
  AccessEntry,
  AccessQuery,
  Alert,
  AssetChange,
  AssetDetail,
  AuditExportQuery,
  AuditExportSummary,
  AuditExportVerificationResult,
  AuditExportVerifyQuery,
  Batch,
  BatchUploadQuery,
  BatchUploadResult,
  CommittedConsent,
  Consent,
  ConsentRequest,
  CreatedUser,
  CreateUserRequest,
  Dispute,
  DisputeChange,
  DisputeDetail,
  FileDisputeRequest,
  IssuedReport,
  LienChange,
  ListConsentsQuery,
  ListDisputesQuery,
  ListUsersQuery,
  Page,
  ProvenanceVerifyRequest,
  RecordProof,
  ProvenanceVerifyResult,
  RegisterAssetRequest,
  RegisterLienRequest,
  ReportRequest,
  ReportVerification,
  ResolveDisputeRequest,
  ResponseBody,
  RevokeRequest,
  SeizureRequest,
  SubjectPseudonym,
  SubjectSigner,
  SigningDomain,
  SubjectSignerReplacement,
  SubjectSignerRequest,
  SupervisionStats,
  TokenResponse,
  TransferRequest,
  User,
  VerificationReport,
} from './types';

/** Options of {@link createClient}. */
export interface RuralCreditClientOptions {
  /** Gateway URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Log in with these and log in again before each token expires. */
  readonly credentials?: { readonly username: string; readonly password: string; readonly org?: string };
  /** A fixed access token (e.g. one saved by `ruralcredit login`); not renewed. */
  readonly token?: string;
  /** A token source of the caller's (e.g. a {@link PasswordSessionImpl} shared with other transports). */
  readonly tokens?: TokenSource;
  /** Per-request timeout in ms (default 30 000; streams have none). */
  readonly timeoutMs?: number;
  /** A fetch implementation (default: the global one). */
  readonly fetch?: typeof fetch;
  /** Opens `{ file }` batch sources; the Node entry point's `createClient` sets it (none in a browser). */
  readonly openFile?: FileOpener;
}

/** Options of calls that can be cancelled. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** Options of a batch upload. */
export interface UploadOptions extends CallOptions {
  /** Called as records and bytes are sent. */
  readonly onProgress?: ProgressCallback;
}

/** Options of {@link AlertsApi.events}. */
export interface EventsOptions extends CallOptions {
  /** Called once the gateway has accepted the subscription (alerts from then on are delivered). */
  readonly onOpen?: () => void;
  /**
   * Reconnect when the stream drops or the gateway is unreachable or
   * answers 5xx/429, resuming after the last alert yielded (`Last-Event-ID`),
   * with a pause doubling from `retryMs` up to `maxRetryMs`; other 4xx
   * answers still throw. Off by default: the iterator ends with the stream.
   */
  readonly reconnect?: boolean;
  /** First pause before reconnecting, in milliseconds (default 1,000). */
  readonly retryMs?: number;
  /** Longest pause between reconnections, in milliseconds (default 30,000). */
  readonly maxRetryMs?: number;
  /** Called before each reconnection with the error (or undefined when the stream just ended). */
  readonly onReconnect?: (attempt: number, error: GatewayError | undefined) => void;
  /**
   * Resume after this alert: `<blockNumber>-<txIndex>` of the last alert
   * handled. Alerts committed since are replayed first, then live ones follow.
   * Without it, only alerts committed after the subscription opens arrive.
   */
  readonly lastEventId?: string;
  /**
   * Called when the gateway had more alerts pending than it replays: reload
   * what you need through the REST lists; alerts after `resumeId` follow (resume
   * from `resumeId` if the stream drops before the next alert).
   */
  readonly onReset?: (resumeId: string) => void;
}

/** Where a batch's records come from. */
export type BatchSource =
  /** A file on disk: a JSON array or NDJSON (detected from its first byte), streamed (Node only). */
  | { readonly file: string }
  /** A Blob or browser `File`: a JSON array or NDJSON (detected from its first byte), streamed. */
  | { readonly blob: Blob }
  /** Records produced one by one, sent as NDJSON as they are produced. */
  | { readonly records: AsyncIterable<unknown> | Iterable<unknown> };

/** A signed consent form to upload as the consent's evidence. */
export interface ConsentEvidence {
  readonly content: Uint8Array | Blob;
  readonly filename: string;
  /** MIME type (default `application/octet-stream`). */
  readonly type?: string;
}

/** `/auth`: tokens and the keys that verify them. */
export interface AuthApi {
  /**
   * Exchanges a username and password for an access token (the client's own
   * session does this by itself when built with `credentials`).
   *
   * @throws GatewayError 401 `UNAUTHENTICATED`, 429 `RATE_LIMITED`.
   */
  token(username: string, password: string, org?: string): Promise<TokenResponse>;
  /** The gateway's JSON Web Key Set. */
  jwks(): Promise<ResponseBody<'getAuthJwks'>>;
}

/** `/users`: the organisation's users (ORG_ADMIN, REGULATOR_ADMIN). */
export interface UsersApi {
  /** @throws GatewayError 403 `FORBIDDEN_ROLE`, 409 `CONFLICT` (username taken). */
  create(request: CreateUserRequest): Promise<CreatedUser>;
  /** Every user visible to the caller, page after page. */
  list(query?: ListUsersQuery, options?: CallOptions): AsyncIterableIterator<User>;
  /** @throws GatewayError 404 `NOT_FOUND`. */
  disable(userId: string): Promise<ResponseBody<'postUsersByIdDisable'>>;
  /**
   * Every organisation's users with last login and activity counts (the regulator, read only), page after page.
   * @throws GatewayError 403 `FORBIDDEN_ROLE`, `FORBIDDEN_ORG`.
   */
  listAll(query?: ListAllUsersQuery, options?: CallOptions): AsyncIterableIterator<UserOverview>;
}

/** Batches and their provenance. */
export interface ProvenanceApi {
  /**
   * Streams a batch to the gateway, which validates, hashes, anchors and stores it.
   *
   * @example
   * const result = await client.provenance.uploadBatch(
   *   'HOMESTEAD',
   *   { file: 'homestead-2026-11.ndjson' },
   *   { periodStart: '2026-11-01T00:00:00Z', periodEnd: '2026-11-30T23:59:59Z' },
   *   { onProgress: ({ records, bytes }) => console.error(records, bytes) },
   * );
   * console.log(result.merkleRoot, result.txId);
   * @throws GatewayError 400 `INVALID_RECORD` (details: index, line, field, rule), 403 `FORBIDDEN_ORG`,
   *   404 `NOT_FOUND` (dataset type), 409 `CONFLICT` (batch ID taken), 413 `PAYLOAD_TOO_LARGE`.
   */
  uploadBatch(
    datasetType: string,
    source: BatchSource,
    query: BatchUploadQuery,
    options?: UploadOptions,
  ): Promise<BatchUploadResult>;
  /** @throws GatewayError 404 `NOT_FOUND`. */
  getBatch(batchId: string): Promise<Batch>;
  /** Asks the gateway whether a record and proof lead to an anchored root. */
  verifyRecord(request: ProvenanceVerifyRequest): Promise<ProvenanceVerifyResult>;
  /**
   * The inclusion proof of record `index` of a batch: for the batch's provider,
   * or for a bank naming (`accessId`) its GRANTED access that released the record.
   * @throws GatewayError 403 `NOT_RELEASED`, 404 `RECORD_NOT_FOUND`.
   */
  recordProof(batchId: string, index: number, options?: { readonly accessId?: string }): Promise<RecordProof>;
  /**
   * Batches of a dataset type anchored in [from, to), oldest first, page after page.
   * @throws GatewayError 400 `INVALID` (to not after from).
   */
  listBatches(query: ListBatchesQuery, options?: CallOptions): AsyncIterableIterator<AnchoredBatch>;
  /** A provider's freshness per dataset type (last batch, frequency, overdue). @throws GatewayError 404 `NOT_FOUND`. */
  providerFreshness(mspId: string): Promise<ProviderFreshness>;
}

/** Consents (authorisations) of data subjects to banks. */
export interface ConsentsApi {
  /**
   * Records a consent: with the subject's EIP-712 `subjectSignature` in the
   * request, or with the signed form uploaded as `evidence`.
   *
   * @example
   * const { consent } = await client.consents.create(
   *   { subjectId, scope: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION', validFrom, validUntil },
   *   { content: await readFile('consent-form.pdf'), filename: 'consent-form.pdf' },
   * );
   * @throws GatewayError 400 `INVALID_REQUEST` / `INVALID_SUBJECT_ID`, 403 `FORBIDDEN_ROLE`, 409 `CONFLICT`.
   */
  create(request: ConsentRequest, evidence?: ConsentEvidence): Promise<CommittedConsent>;
  /** @throws GatewayError 404 `NOT_FOUND`, 403 when the caller may not see it. */
  get(consentId: string): Promise<Consent>;
  /** Consents visible to the caller, page after page. */
  list(query?: ListConsentsQuery, options?: CallOptions): AsyncIterableIterator<Consent>;
  /** The signed consent form as uploaded. */
  form(consentId: string): Promise<Uint8Array>;
  /** @throws GatewayError 403 `FORBIDDEN`, 409 `CONFLICT` (already revoked). */
  revoke(consentId: string, request?: RevokeRequest): Promise<CommittedConsent>;
}

/** Verification reports. */
export interface ReportsApi {
  /**
   * Issues a verification report under a consent; the access is on the ledger
   * before the data is released.
   *
   * @example
   * const { report } = await client.reports.issue({
   *   subjectId, consentId: 'c-1', datasets: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION',
   * });
   * @throws GatewayError 403 `ACCESS_DENIED` (details: accessId, reason; the denial is recorded).
   */
  issue(request: ReportRequest): Promise<IssuedReport>;
  /** Checks a filed report's digest, its anchoring on the ledger and every record proof. */
  verify(report: VerificationReport): Promise<ReportVerification>;
  /**
   * The printable report (PDF) of a GRANTED access: a bank's own (with the JSON report
   * embedded), or for auditors and the regulator the audit copy of `institution`'s.
   *
   * @throws GatewayError 404 `REPORT_NOT_FOUND`, 403 `FORBIDDEN`, 400 `INSTITUTION_REQUIRED`.
   */
  pdf(accessId: string, institution?: string): Promise<Uint8Array>;
}

/** Rural assets used as collateral. */
export interface AssetsApi {
  /** @throws GatewayError 403 `FORBIDDEN` (not the issuer), 409 `CONFLICT` (registered already). */
  register(request: RegisterAssetRequest): Promise<AssetChange>;
  /** The asset with its active liens, history and the proof of its latest change. */
  get(assetId: string): Promise<AssetDetail>;
  /** Seizes (查封) the asset. */
  seize(assetId: string, request: SeizureRequest): Promise<AssetChange>;
  /** Lifts a seizure. */
  liftSeizure(assetId: string): Promise<AssetChange>;
  /** Transfers an asset under enforcement to a new owner. */
  transfer(assetId: string, request: TransferRequest): Promise<AssetChange>;
}

/** Liens (mortgage registrations). */
export interface LiensApi {
  /**
   * Registers a lien under the owner's COLLATERAL_REGISTRATION consent.
   *
   * @example
   * const { lien } = await client.liens.register({
   *   assetId: 'LAND_CONTRACT_RIGHT:LC-001', consentId: 'col-1', securedAmountFen: 2_000_000,
   *   loanEnd: '2028-12-31T00:00:00Z',
   * });
   * @throws GatewayError 403 `FORBIDDEN`, 404 `NOT_FOUND`, 409 `CONFLICT` (exclusive asset pledged, seized, over LTV).
   */
  register(request: RegisterLienRequest): Promise<LienChange>;
  /** @throws GatewayError 403 `FORBIDDEN` (not the mortgagee), 409 `CONFLICT` (not active). */
  release(lienId: string): Promise<LienChange>;
  /** Starts enforcement: the asset is marked ENFORCEMENT. */
  enforce(lienId: string): Promise<AssetChange>;
  /** A lien: FULL for its mortgagee, the asset's issuer and the regulator, PUBLIC otherwise. @throws GatewayError 404 `NOT_FOUND`. */
  get(lienId: string): Promise<LienRecord>;
  /** A bank's own liens (the regulator and auditors: all), page after page. @throws GatewayError 403 `FORBIDDEN`. */
  list(options?: CallOptions): AsyncIterableIterator<Lien>;
}

/** The consortium's member registry. */
export interface MembersApi {
  /** Every member with role, status and since when, page after page. @throws GatewayError 403 `MEMBER_SUSPENDED`. */
  list(options?: CallOptions): AsyncIterableIterator<Member>;
  /** One member. @throws GatewayError 404 `NOT_FOUND`. */
  get(mspId: string): Promise<Member>;
  /**
   * Admits an organisation (the regulator); the member is alerted.
   * @throws GatewayError 403 `FORBIDDEN_ROLE`/`FORBIDDEN`, 409 `CONFLICT` (already a member).
   */
  admit(request: AdmitMemberRequest): Promise<MemberChange>;
  /**
   * Suspends a member (the regulator): its every call is then refused 403 `MEMBER_SUSPENDED`.
   * @throws GatewayError 404 `NOT_FOUND`, 409 `CONFLICT` (already suspended), 400 `INVALID` (the regulator itself).
   */
  suspend(mspId: string, reason: string): Promise<MemberChange>;
  /** Reinstates a suspended member (the regulator). @throws GatewayError 409 `CONFLICT` (not suspended). */
  reinstate(mspId: string, reason: string): Promise<MemberChange>;
}

/** The catalogue of dataset types and asset types. */
export interface CatalogueApi {
  /** Dataset types, page after page. */
  datasetTypes(options?: CallOptions): AsyncIterableIterator<DatasetType>;
  /** One dataset type. @throws GatewayError 404 `NOT_FOUND`. */
  datasetType(code: string): Promise<DatasetType>;
  /** Defines a dataset type (the regulator). @throws GatewayError 409 `CONFLICT`, 400 `INVALID`. */
  defineDatasetType(request: DefineDatasetTypeRequest): Promise<DatasetTypeChange>;
  /** Publishes a new schema version (the regulator). @throws GatewayError 409 `CONFLICT` (version not higher). */
  updateDatasetType(code: string, request: DatasetTypeVersion): Promise<DatasetTypeChange>;
  /** Asset types (rural collateral classes), page after page. */
  assetTypes(options?: CallOptions): AsyncIterableIterator<AssetType>;
  /** One asset type. @throws GatewayError 404 `NOT_FOUND`. */
  assetType(code: string): Promise<AssetType>;
  /** Defines an asset type (the regulator). @throws GatewayError 409 `CONFLICT`, 400 `INVALID`. */
  defineAssetType(request: DefineAssetTypeRequest): Promise<AssetTypeChange>;
  /** Publishes a new version of an asset type (the regulator). @throws GatewayError 409 `CONFLICT` (version not higher). */
  updateAssetType(code: string, request: AssetTypeVersion): Promise<AssetTypeChange>;
}

/** Disputes (异议) on anchored records. */
export interface DisputesApi {
  /**
   * Files a dispute on an anchored record (a bank under the subject's consent, or the regulator);
   * the record is marked disputed at once.
   *
   * @throws GatewayError 403 `FORBIDDEN` (no consent covering the dataset), 404 `NOT_FOUND` (batch),
   *   409 `CONFLICT` (the record already has an open dispute).
   */
  file(request: FileDisputeRequest): Promise<DisputeChange>;
  /** A dispute with its notes. @throws GatewayError 404 `NOT_FOUND`. */
  get(disputeId: string): Promise<DisputeDetail>;
  /** Disputes visible to the caller (`overdue: 'true'` for the overdue ones), page after page. */
  list(query?: ListDisputesQuery, options?: CallOptions): AsyncIterableIterator<Dispute>;
  /** The provider's answer: CORRECTED (with the correcting batch), UPHELD or REJECTED. @throws GatewayError 403 `FORBIDDEN_ROLE`. */
  resolve(disputeId: string, request: ResolveDisputeRequest): Promise<DisputeChange>;
}

/** The audit trail of data accesses. */
export interface AuditApi {
  /**
   * Every access matching the query, oldest first, page after page.
   *
   * @example
   * for await (const access of client.audit.accesses({ outcome: 'DENIED' })) console.log(access.accessor);
   */
  accesses(query?: AccessQuery, options?: CallOptions): AsyncIterableIterator<AccessEntry>;
  /**
   * The tamper-evident export, streamed as its text lines (canonical JSON with
   * `seq` and running `digest`); verify with {@link verifyAuditExport}.
   */
  exportLines(query?: AuditExportQuery, options?: CallOptions): AsyncIterableIterator<string>;
  /** Line count and last digest of the export of the same query, to detect truncation. */
  exportSummary(query?: AuditExportQuery): Promise<AuditExportSummary>;
  /** Has the gateway verify an export's lines. */
  verifyExport(
    lines: AsyncIterable<string> | Iterable<string>,
    query?: AuditExportVerifyQuery,
  ): Promise<AuditExportVerificationResult>;
}

/** Data subjects at a bank's counter (loan officers). */
export interface SubjectsApi {
  /**
   * The keyed pseudonym of a subject ID, which the subject signs over; only under an
   * ACTIVE consent from that subject to the caller's bank.
   *
   * @throws GatewayError 400 `INVALID_SUBJECT_ID`, 403 `NO_CONSENT`.
   */
  pseudonym(subjectId: string, consentId: string): Promise<SubjectPseudonym>;
  /**
   * Registers a subject's signing key under the bank's ACTIVE consent from the subject, after an
   * identity check (KYC) the caller attests (digest of the evidence the bank keeps), bound by the
   * subject's own EIP-712 `SubjectKeyBinding` signature. The first key stands.
   *
   * @example
   * const { pseudonym } = await client.subjects.pseudonym(id, consentId);
   * const signature = await signTypedMessage(subjectWallet, 'SubjectKeyBinding', { subject: pseudonym, signer: subjectWallet.address.toLowerCase() });
   * await client.subjects.registerSigner({ subjectId: id, consentId, address: subjectWallet.address, signature, kyc: { evidenceDigest } });
   * @throws GatewayError 400 `INVALID` (signature, attestation), 403 `FORBIDDEN` (not the bank's
   * ACTIVE consent from this subject), 409 `CONFLICT` (already registered).
   */
  registerSigner(request: SubjectSignerRequest): Promise<SubjectSigner>;
  /**
   * Replaces a subject's key (regulator administrators: lost key, wrongful binding), after the
   * regulator's own identity check; the new key's `SubjectKeyBinding` signature proves possession.
   *
   * @throws GatewayError 403 `FORBIDDEN_ROLE`, 404 `NOT_FOUND` (no key bound), 400 `INVALID`.
   */
  replaceSigner(request: SubjectSignerReplacement): Promise<SubjectSigner>;
}

/** Supervision (regulator, auditors). */
export interface SupervisionApi {
  /** Per-institution usage, overdue datasets and disputes. @throws GatewayError 403 `FORBIDDEN_ROLE`. */
  stats(): Promise<SupervisionStats>;
}

/** Alerts for the caller's organisation. */
export interface AlertsApi {
  /**
   * Follows the organisation's alerts as server-sent events until the signal
   * aborts or the server ends the stream.
   *
   * With `reconnect`, a dropped stream is resumed after the last alert
   * yielded, so none is missed or repeated; without it, call again with
   * `lastEventId` set from the last alert handled. (A bank with post-loan
   * watches also gets `WatchAlert` events; message IDs then end in
   * `-<watchSeq>`, which `reconnect` keeps and `blockNumber-txIndex` alone does not.)
   *
   * @example
   * const stop = new AbortController();
   * for await (const alert of client.alerts.events({ signal: stop.signal })) {
   *   console.log(alert.name, alert.payload);
   *   lastEventId = `${alert.blockNumber}-${alert.txIndex}`;
   * }
   * @throws GatewayError 400 `INVALID_LAST_EVENT_ID`, 429 `TOO_MANY_STREAMS`, 503 `EVENTS_UNAVAILABLE`.
   */
  events(options?: EventsOptions): AsyncIterableIterator<Alert>;
}

/**
 * The gateway client.
 *
 * @example
 * const client = createClient({ url: 'http://127.0.0.1:8080', credentials: { username, password } });
 * const batch = await client.provenance.getBatch('hs-2026-11');
 */
export interface RuralCreditClient {
  /** The API root, ending in `/api/v1`. */
  readonly apiUrl: string;
  readonly auth: AuthApi;
  readonly users: UsersApi;
  readonly provenance: ProvenanceApi;
  readonly consents: ConsentsApi;
  readonly reports: ReportsApi;
  readonly assets: AssetsApi;
  readonly liens: LiensApi;
  readonly disputes: DisputesApi;
  readonly audit: AuditApi;
  readonly subjects: SubjectsApi;
  readonly supervision: SupervisionApi;
  readonly members: MembersApi;
  readonly catalogue: CatalogueApi;
  /** Financing matching: products, demands, claims, loans, the multi-lender signal. */
  readonly financing: FinancingApi;
  /**
   * The deployment (channel, chaincode) and EIP-712 domain every signature for this gateway's
   * ledger uses; pass it to `signTypedMessage` and the verifiers.
   */
  signingDomain(): Promise<SigningDomain>;
  readonly alerts: AlertsApi;
  /** Bulk download under authorisation. */
  readonly bulk: BulkApi;
  /** The gateway's OpenAPI document. */
  openapi(): Promise<Record<string, unknown>>;
  /**
   * Logs in now when built with `credentials` (otherwise requests log in
   * lazily) and returns the token answer.
   *
   * @throws GatewayError 401 `UNAUTHENTICATED`; Error when built without credentials.
   */
  login(): Promise<TokenResponse>;
}

const id = (value: string): string => encodeURIComponent(value);

/** Iterates a cursor-paginated list. */
async function* paginate<T>(
  http: HttpTransport,
  path: string,
  query: Readonly<Record<string, string | number | boolean | undefined>>,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await http.json<Page<T>>({
      method: 'GET',
      path,
      query: { ...query, cursor },
      ...(signal === undefined ? {} : { signal }),
    });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/** The {@link RuralCreditClient} over fetch. */
export class RuralCreditClientImpl implements RuralCreditClient {
  readonly apiUrl: string;
  readonly auth: AuthApi;
  readonly users: UsersApi;
  readonly provenance: ProvenanceApi;
  readonly consents: ConsentsApi;
  readonly reports: ReportsApi;
  readonly assets: AssetsApi;
  readonly liens: LiensApi;
  readonly disputes: DisputesApi;
  readonly audit: AuditApi;
  readonly subjects: SubjectsApi;
  readonly supervision: SupervisionApi;
  readonly members: MembersApi;
  readonly catalogue: CatalogueApi;
  readonly financing: FinancingApi;
  readonly #http: HttpTransport;
  readonly alerts: AlertsApi;
  readonly bulk: BulkApi;
  readonly #session: PasswordSession | undefined;

  constructor(options: Readonly<RuralCreditClientOptions>) {
    const sources = [options.credentials, options.token, options.tokens].filter((s) => s !== undefined);
    if (sources.length > 1) throw new TypeError('give one of credentials, token or tokens');
    this.#session =
      options.credentials === undefined
        ? undefined
        : new PasswordSessionImpl({
            baseUrl: options.url,
            ...options.credentials,
            ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
          });
    const tokens: TokenSource = this.#session ?? options.tokens ?? new FixedTokenSource(options.token);
    const http: HttpTransport = new HttpTransportImpl({
      baseUrl: options.url,
      tokens,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    this.#http = http;
    const openFile = options.openFile;
    const uploadBody = (
      source: BatchSource,
      onProgress: ProgressCallback | undefined,
    ): Promise<UploadBody> => {
      if ('records' in source) return Promise.resolve(recordsUploadBody(source.records, onProgress));
      if ('file' in source && openFile !== undefined) return openFile(source.file, onProgress);
      return Promise.reject(
        new TypeError('file sources need Node (createClient from @ruralcredit/client-sdk)'),
      );
    };
    this.apiUrl = http.apiUrl;

    this.auth = {
      token: (username, password, org) =>
        http.json({
          method: 'POST',
          path: '/auth/token',
          json: { username, password, ...(org === undefined ? {} : { org }) },
          anonymous: true,
        }),
      jwks: () => http.json({ method: 'GET', path: '/auth/jwks', anonymous: true }),
    };

    this.users = {
      create: (request) => http.json({ method: 'POST', path: '/users', json: request }),
      list: (query = {}, options = {}) => paginate(http, '/users', query, options.signal),
      disable: (userId) => http.json({ method: 'POST', path: `/users/${id(userId)}/disable` }),
      listAll: (query = {}, options = {}) => paginate(http, '/admin/users', query, options.signal),
    };

    this.provenance = {
      async uploadBatch(datasetType, source, query, options = {}) {
        const common = {
          method: 'POST',
          path: `/datasets/${id(datasetType)}/batches`,
          query: { ...query },
          timeoutMs: 0,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        } as const;
        if ('blob' in source) {
          // A Blob is sent whole (browsers stream a request body only over HTTP/2); progress in bytes.
          const blob = await blobUploadBody(source.blob);
          const size = blob.blob.size;
          return http.json({
            ...common,
            body: blob.blob,
            contentType: blob.contentType,
            onUploadProgress: (bytes) =>
              options.onProgress?.({ records: bytes >= size ? blob.records : 0, bytes }),
          });
        }
        const body: UploadBody = await uploadBody(source, options.onProgress);
        return http.json({ ...common, body: body.stream, contentType: body.contentType, replayable: false });
      },
      getBatch: (batchId) => http.json({ method: 'GET', path: `/batches/${id(batchId)}` }),
      verifyRecord: (request) => http.json({ method: 'POST', path: '/provenance/verify', json: request }),
      recordProof: (batchId, index, options = {}) =>
        http.json({
          method: 'GET',
          path: `/batches/${id(batchId)}/records/${index}/proof`,
          ...(options.accessId === undefined ? {} : { query: { accessId: options.accessId } }),
        }),
      listBatches: (query, options = {}) => paginate(http, '/batches', query, options.signal),
      providerFreshness: (mspId) => http.json({ method: 'GET', path: `/providers/${id(mspId)}/freshness` }),
    };

    this.consents = {
      create(request, evidence) {
        if (evidence === undefined) return http.json({ method: 'POST', path: '/consents', json: request });
        const form = new FormData();
        form.set('consent', JSON.stringify(request));
        const blob =
          evidence.content instanceof Blob
            ? evidence.content
            : new Blob([evidence.content], { type: evidence.type ?? 'application/octet-stream' });
        form.set('evidence', blob, evidence.filename);
        return http.json({ method: 'POST', path: '/consents', body: form });
      },
      get: (consentId) => http.json({ method: 'GET', path: `/consents/${id(consentId)}` }),
      list: (query = {}, options = {}) => paginate(http, '/consents', query, options.signal),
      async form(consentId) {
        const res = await http.send({ method: 'GET', path: `/consents/${id(consentId)}/form` });
        return new Uint8Array(await res.arrayBuffer());
      },
      revoke: (consentId, request = {}) =>
        http.json({ method: 'POST', path: `/consents/${id(consentId)}/revoke`, json: request }),
    };

    this.reports = {
      issue: (request) => http.json({ method: 'POST', path: '/reports', json: request }),
      verify: (report) => http.json({ method: 'POST', path: '/reports/verify', json: { report } }),
      async pdf(accessId, institution) {
        const res = await http.send({
          method: 'GET',
          path: `/reports/${id(accessId)}.pdf`,
          ...(institution === undefined ? {} : { query: { institution } }),
        });
        return new Uint8Array(await res.arrayBuffer());
      },
    };

    this.assets = {
      register: (request) => http.json({ method: 'POST', path: '/assets', json: request }),
      get: (assetId) => http.json({ method: 'GET', path: `/assets/${id(assetId)}` }),
      seize: (assetId, request) =>
        http.json({ method: 'POST', path: `/assets/${id(assetId)}/seizure`, json: request }),
      liftSeizure: (assetId) => http.json({ method: 'DELETE', path: `/assets/${id(assetId)}/seizure` }),
      transfer: (assetId, request) =>
        http.json({ method: 'POST', path: `/assets/${id(assetId)}/transfer`, json: request }),
    };

    this.financing = createFinancingApi(http);

    this.liens = {
      register: (request) => http.json({ method: 'POST', path: '/liens', json: request }),
      release: (lienId) => http.json({ method: 'POST', path: `/liens/${id(lienId)}/release` }),
      enforce: (lienId) => http.json({ method: 'POST', path: `/liens/${id(lienId)}/enforce` }),
      get: (lienId) => http.json({ method: 'GET', path: `/liens/${id(lienId)}` }),
      list: (options = {}) => paginate(http, '/liens', {}, options.signal),
    };

    this.members = {
      list: (options = {}) => paginate(http, '/members', {}, options.signal),
      get: (mspId) => http.json({ method: 'GET', path: `/members/${id(mspId)}` }),
      admit: (request) => http.json({ method: 'POST', path: '/members', json: request }),
      suspend: (mspId, reason) =>
        http.json({ method: 'POST', path: `/members/${id(mspId)}/suspension`, json: { reason } }),
      reinstate: (mspId, reason) =>
        http.json({ method: 'POST', path: `/members/${id(mspId)}/reinstatement`, json: { reason } }),
    };

    const catalogueEntry = (kind: 'dataset-types' | 'asset-types', code: string): string =>
      `/catalogue/${kind}/${id(code)}`;
    this.catalogue = {
      datasetTypes: (options = {}) => paginate(http, '/catalogue/dataset-types', {}, options.signal),
      datasetType: (code) => http.json({ method: 'GET', path: catalogueEntry('dataset-types', code) }),
      defineDatasetType: (request) =>
        http.json({ method: 'POST', path: '/catalogue/dataset-types', json: request }),
      updateDatasetType: (code, request) =>
        http.json({ method: 'PUT', path: catalogueEntry('dataset-types', code), json: request }),
      assetTypes: (options = {}) => paginate(http, '/catalogue/asset-types', {}, options.signal),
      assetType: (code) => http.json({ method: 'GET', path: catalogueEntry('asset-types', code) }),
      defineAssetType: (request) =>
        http.json({ method: 'POST', path: '/catalogue/asset-types', json: request }),
      updateAssetType: (code, request) =>
        http.json({ method: 'PUT', path: catalogueEntry('asset-types', code), json: request }),
    };

    this.disputes = {
      file: (request) => http.json({ method: 'POST', path: '/disputes', json: request }),
      get: (disputeId) => http.json({ method: 'GET', path: `/disputes/${id(disputeId)}` }),
      list: (query = {}, options = {}) => paginate(http, '/disputes', query, options.signal),
      resolve: (disputeId, request) =>
        http.json({ method: 'POST', path: `/disputes/${id(disputeId)}/resolution`, json: request }),
    };

    this.audit = {
      accesses: (query = {}, options = {}) => paginate(http, '/audit/accesses', query, options.signal),
      async *exportLines(query = {}, options = {}) {
        const res = await http.send({
          method: 'GET',
          path: '/audit/export',
          query: { ...query },
          timeoutMs: 0,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        if (res.body === null) return;
        for await (const line of textLines(res.body)) if (line !== '') yield line;
      },
      exportSummary: (query = {}) =>
        http.json({ method: 'GET', path: '/audit/export/summary', query: { ...query } }),
      verifyExport(lines, query = {}) {
        async function* bytes(): AsyncGenerator<Uint8Array> {
          const encoder = new TextEncoder();
          for await (const line of lines) yield encoder.encode(`${line}\n`);
        }
        const stream = ReadableStream.from(bytes());
        return http.json({
          method: 'POST',
          path: '/audit/export/verify',
          query: { ...query },
          body: stream,
          contentType: 'application/x-ndjson',
          replayable: false,
          timeoutMs: 0,
        });
      },
    };

    this.subjects = {
      pseudonym: (subjectId, consentId) =>
        http.json({ method: 'POST', path: '/subjects/pseudonym', json: { subjectId, consentId } }),
      registerSigner: (request) => http.json({ method: 'POST', path: '/subjects/signers', json: request }),
      replaceSigner: (request) =>
        http.json({ method: 'POST', path: '/subjects/signers/replacement', json: request }),
    };
    this.supervision = { stats: () => http.json({ method: 'GET', path: '/stats' }) };

    this.bulk = bulkApi(http);
    this.alerts = {
      events: (options = {}) => followAlerts(http, options),
    };
  }
  signingDomain(): Promise<SigningDomain> {
    return this.#http.json({ method: 'GET', path: '/signing-domain', anonymous: true });
  }

  async openapi(): Promise<Record<string, unknown>> {
    return this.#http.json({ method: 'GET', path: '/openapi.json', anonymous: true });
  }

  login(): Promise<TokenResponse> {
    if (this.#session === undefined) {
      return Promise.reject(new Error('this client was built with a fixed token, not credentials'));
    }
    return this.#session.login();
  }
}

/**
 * Creates a client without access to files on disk (browsers: upload `{ blob }` sources).
 *
 * @example
 * const client = createClient({ url: 'http://127.0.0.1:8080', credentials: { username, password } });
 * try {
 *   const { report } = await client.reports.issue(request);
 * } catch (e) {
 *   if (e instanceof GatewayError) console.error(e.status, e.code, e.message, e.txId);
 * }
 */
export function createClient(options: Readonly<RuralCreditClientOptions>): RuralCreditClient {
  return new RuralCreditClientImpl(options);
}

export { GatewayError };
