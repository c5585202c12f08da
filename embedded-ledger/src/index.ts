/**
 * `@ruralcredit/embedded-ledger`: runs the project's fabric-contract-api
 * contracts in-process over LevelDB with the peer behaviour they rely on.
 */
// First: sets the chaincode log level before the contract API loads (see the module).
import './chaincode-logging';
export {
  EmbeddedLedger,
  EmbeddedLedgerImpl,
  DEFAULT_TOTAL_QUERY_LIMIT,
  type EmbeddedLedgerImplOptions,
  type EmbeddedLedgerOptions,
  type StreamOptions,
  type TransactionArgument,
  type TransactionOptions,
} from './ledger';
export type { ContractClass, SerializerConfiguration } from './dispatch';
export { applyChaincodeLogLevel, chaincodeLogLevel, type ChaincodeLogLevel } from './chaincode-logging';
export { ChaincodeError, CommitError, DuplicateTransactionError, LedgerClosedError } from './errors';
export {
  CryptoMaterialImpl,
  FABRIC_ATTRIBUTE_EXTENSION_OID,
  createOrganisationIdentity,
  newCryptoMaterial,
  type OrganisationIdentityOptions,
  type CertificateAuthority,
  type CryptoMaterial,
  type CryptoMaterialOptions,
  type IdentitySpec,
  type OrganizationSpec,
} from './crypto-material';
export {
  COMPOSITE_KEY_NAMESPACE,
  MAX_UNICODE_RUNE,
  MIN_UNICODE_RUNE,
  createCompositeKey,
  splitCompositeKey,
  type SplitCompositeKey,
} from './composite-key';
export { blockHeaderHash, computeDataHash } from './block-hash';
export { VALIDATION_CODE_NUMBERS } from './types';
export type {
  Block,
  BlockEvent,
  BlockTransaction,
  BlockWrite,
  ChaincodeEvent,
  ChaincodeEventData,
  CloseableAsyncIterable,
  CommitStatus,
  Identity,
  KVRead,
  KVWrite,
  Proposal,
  RangeQueryInfo,
  ReadWriteSet,
  SubmitResult,
  TransactionLocation,
  ValidationCode,
  Version,
} from './types';
