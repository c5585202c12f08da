/**
 * The SDK's names for the gateway's payloads, all derived from the generated
 * OpenAPI types in `./generated/api` (one source of truth: the gateway's own
 * document, snapshotted in client-sdk/openapi.json).
 */
import type { components, operations } from './generated/api';

/** Every schema of the gateway's OpenAPI document, by name. */
export type Schemas = components['schemas'];
/** An operation of the gateway, by its `operationId`. */
export type OperationId = keyof operations;

type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON request body of an operation. */
export type RequestBody<Op extends OperationId> = JsonOf<NonNullable<operations[Op]['requestBody']>>;
/** The JSON response body of an operation for a status (200 by default). */
export type ResponseBody<
  Op extends OperationId,
  Status extends keyof operations[Op]['responses'] = 200 extends keyof operations[Op]['responses']
    ? 200
    : keyof operations[Op]['responses'],
> = JsonOf<operations[Op]['responses'][Status]>;
/** The query parameters of an operation. */
export type QueryParams<Op extends OperationId> = NonNullable<operations[Op]['parameters']['query']>;

/** `POST /auth/token` answer. */
export type TokenResponse = Schemas['TokenResponse'];
/** A gateway user. */
export type User = Schemas['User'];
/** A user role. */
export type Role = Schemas['Role'];
/** `POST /users` body. */
export type CreateUserRequest = Schemas['CreateUserRequest'];
/** `POST /users` answer: the user and, when no password was given, the generated one. */
export type CreatedUser = ResponseBody<'postUsers', 201>;
/** Query of `GET /users` (without the cursor, which the iterator handles). */
export type ListUsersQuery = Omit<QueryParams<'getUsers'>, 'cursor'>;
/** Query of a batch upload. */
export type BatchUploadQuery = QueryParams<'postDatasetsByTypeBatches'>;
/** Answer of a batch upload. */
export type BatchUploadResult = Schemas['BatchUploadResult'];
/** An anchored batch. */
export type Batch = Schemas['Batch'];
/** `POST /provenance/verify` body. */
export type ProvenanceVerifyRequest = Schemas['ProvenanceVerifyRequest'];
/** `POST /provenance/verify` answer. */
export type ProvenanceVerifyResult = Schemas['ProvenanceVerifyResult'];
/** A stored record's inclusion proof (`GET /batches/{id}/records/{index}/proof`). */
export type RecordProof = Schemas['RecordProof'];
/** `POST /consents` body. */
export type ConsentRequest = Schemas['ConsentRequest'];
/** A recorded consent and the transaction that wrote it. */
export type CommittedConsent = Schemas['CommittedConsent'];
/** A consent as the ledger holds it. */
export type Consent = Schemas['Consent'];
/** Query of `GET /consents` (without the cursor). */
export type ListConsentsQuery = Omit<QueryParams<'getConsents'>, 'cursor'>;
/** `POST /consents/{id}/revoke` body. */
export type RevokeRequest = Schemas['RevokeRequest'];
/** `POST /reports` body. */
export type ReportRequest = Schemas['ReportRequest'];
/** `POST /reports` answer. */
export type IssuedReport = Schemas['IssuedReport'];
/** A verification report. */
export type VerificationReport = Schemas['VerificationReport'];
/** One record of a report, with its proof. */
export type ReportRecord = VerificationReport['datasets'][number]['records'][number];
/** `POST /reports/verify` answer. */
export type ReportVerification = Schemas['ReportVerification'];
/** `POST /assets` body. */
export type RegisterAssetRequest = Schemas['RegisterAssetRequest'];
/** An asset change and its transaction. */
export type AssetChange = Schemas['AssetChange'];
/** An asset with liens, history and the proof of its latest change. */
export type AssetDetail = Schemas['AssetDetail'];
/** `POST /liens` body. */
export type RegisterLienRequest = Schemas['RegisterLienRequest'];
/** A lien change and its transaction. */
export type LienChange = Schemas['LienChange'];
/** `POST /assets/{id}/seizure` body. */
export type SeizureRequest = Schemas['SeizureRequest'];
/** `POST /assets/{id}/transfer` body. */
export type TransferRequest = Schemas['TransferRequest'];
/** `POST /disputes` body. */
export type FileDisputeRequest = Schemas['FileDisputeRequest'];
/** A dispute change and its transaction. */
export type DisputeChange = Schemas['DisputeChange'];
/** A dispute with its notes. */
export type DisputeDetail = Schemas['DisputeDetail'];
/** A dispute in a list. */
export type Dispute = Schemas['Dispute'];
/** Query of `GET /disputes` (without the cursor). */
export type ListDisputesQuery = Omit<QueryParams<'getDisputes'>, 'cursor'>;
/** `POST /disputes/{id}/resolution` body. */
export type ResolveDisputeRequest = Schemas['ResolveDisputeRequest'];
/** One data access on the ledger. */
export type AccessEntry = Schemas['AccessEntry'];
/** Query of `GET /audit/accesses` (without the cursor). */
export type AccessQuery = Omit<QueryParams<'getAuditAccesses'>, 'cursor'>;
/** Query of the audit export and its summary. */
export type AuditExportQuery = QueryParams<'getAuditExport'>;
/** `GET /audit/export/summary` answer. */
export type AuditExportSummary = Schemas['AuditExportSummary'];
/** Query of `POST /audit/export/verify`. */
export type AuditExportVerifyQuery = QueryParams<'postAuditExportVerify'>;
/** `POST /audit/export/verify` answer. */
export type AuditExportVerificationResult = Schemas['AuditExportVerification'];
/** `GET /stats` answer. */
export type SupervisionStats = Schemas['SupervisionStats'];
/** A subject's pseudonym. */
export type SubjectPseudonym = Schemas['SubjectPseudonym'];
/** What a bank sends to register a subject's signing key. */
export type SubjectSignerRequest = Schemas['SubjectSignerRequest'];
/** The EIP-712 domain of a deployment: name, version, salt, channel, chaincode. */
export type SigningDomain = Schemas['SigningDomain'];
/** The regulator's replacement of a subject's key. */
export type SubjectSignerReplacement = Schemas['SubjectSignerReplacement'];
/** A registered subject signing key. */
export type SubjectSigner = Schemas['SubjectSigner'];
/** One alert of `GET /events`. */
export type Alert = Schemas['Alert'];
/** A consortium member as `GET /members` lists it. */
export type Member = Schemas['Member'];
/** `POST /members` body. */
export type AdmitMemberRequest = Schemas['AdmitMemberRequest'];
/** A committed decision about a member. */
export type MemberChange = Schemas['MemberChange'];
/** A dataset type of the catalogue. */
export type DatasetType = Schemas['DatasetType'];
/** `POST /catalogue/dataset-types` body. */
export type DefineDatasetTypeRequest = Schemas['DefineDatasetTypeRequest'];
/** `PUT /catalogue/dataset-types/{type}` body. */
export type DatasetTypeVersion = Schemas['DatasetTypeVersion'];
/** A committed dataset type change. */
export type DatasetTypeChange = Schemas['DatasetTypeChange'];
/** An asset type of the catalogue. */
export type AssetType = Schemas['AssetType'];
/** `POST /catalogue/asset-types` body. */
export type DefineAssetTypeRequest = Schemas['DefineAssetTypeRequest'];
/** `PUT /catalogue/asset-types/{type}` body. */
export type AssetTypeVersion = Schemas['AssetTypeVersion'];
/** A committed asset type change. */
export type AssetTypeChange = Schemas['AssetTypeChange'];
/** A lien as `GET /liens` lists it. */
export type Lien = Schemas['Lien'];
/** A lien as `GET /liens/{id}` returns it (FULL or PUBLIC). */
export type LienRecord = Schemas['LienRecord'];
/** An anchored batch as `GET /batches` lists it. */
export type AnchoredBatch = Schemas['AnchoredBatch'];
/** `GET /batches` query (without the cursor). */
export type ListBatchesQuery = Omit<QueryParams<'getBatches'>, 'cursor'>;
/** A provider's freshness per dataset type. */
export type ProviderFreshness = Schemas['ProviderFreshness'];
/** A user as the regulator's `GET /admin/users` shows it. */
export type UserOverview = Schemas['UserOverview'];
/** `GET /admin/users` query (without the cursor). */
export type ListAllUsersQuery = Omit<QueryParams<'getAdminUsers'>, 'cursor'>;
/** A page of a list endpoint. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}
