/**
 * `@ruralcredit/client-sdk`: the typed client of the rural credit gateway and
 * offline verifiers for what it returns.
 *
 * @example
 * import { createClient, verifyReportOffline } from '@ruralcredit/client-sdk';
 * const client = createClient({ url: 'http://127.0.0.1:8080', credentials: { username, password } });
 * const { report } = await client.reports.issue({ subjectId, consentId, datasets: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION' });
 * console.log(verifyReportOffline(report).valid);
 */
export * from './bulk';
export * from './client';
export * from './errors';
export * from './financing';
export * from './http';
export * from './pdf-report';
export * from './session';
export * from './streams';
export * from './subject';
export * from './types';
export * from './verify';
export type { components, operations, paths } from './generated/api';
export {
  AuditChain,
  EIP712_DOMAIN_NAME,
  EIP712_DOMAIN_VERSION,
  EIP712_TYPES,
  GENESIS_DIGEST,
  MerkleTree,
  canonicalJson,
  chainDigest,
  deploymentSalt,
  isSignedBy,
  leafHash,
  recoverTypedSigner,
  reportDigest,
  signTypedMessage,
  signingDomain,
  verifyAuditExport,
  verifyInclusion,
  type AuditExportVerification,
  type AuditLine,
  type Deployment,
  type InclusionProof,
  type TypedMessageKind,
  type TypedMessages,
  type VerifyAuditExportOptions,
} from '@ruralcredit/protocol';
