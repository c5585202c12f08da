/**
 * The browser entry point of `@ruralcredit/client-sdk`: everything but the
 * Node-only file helpers (`files.ts`); no `node:` import is reachable from
 * here except the protocol package's hashing, which a bundler maps to a
 * browser implementation (see console/vite.config.ts).
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
