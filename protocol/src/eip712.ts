/**
 * EIP-712 typed data signed by members and data subjects.
 *
 * The chaincode verifies these signatures and clients produce them, from the
 * same definitions, so a manifest signed by a provider's system verifies on
 * every peer byte for byte.
 *
 * Every signature is bound to one deployment: the domain's `salt` is derived
 * from the Fabric channel and the chaincode name, so a consent, key binding or
 * manifest signed for one network is refused by another (EIP-712 has no
 * `chainId` to tell Fabric networks apart).
 */
import { createHash } from 'node:crypto';
import { type TypedDataDomain, type TypedDataField, verifyTypedData } from 'ethers';

/** Name and version of this consortium's EIP-712 domain (the salt comes from the deployment). */
export const EIP712_DOMAIN_NAME = 'RuralCreditLedger';
/** Version of the domain: 2 since signatures carry the deployment salt. */
export const EIP712_DOMAIN_VERSION = '2';

/** Where messages are verified: one Fabric channel and the chaincode name on it. */
export interface Deployment {
  readonly channel: string;
  readonly chaincode: string;
}

/**
 * The domain salt of a deployment: `0x` and SHA-256 of
 * `rcl:eip712:v2` NUL channel NUL chaincode (NUL cannot occur in either name).
 *
 * @throws TypeError when a name is empty or holds NUL.
 */
export function deploymentSalt(deployment: Deployment): string {
  for (const name of [deployment.channel, deployment.chaincode]) {
    if (typeof name !== 'string' || name === '' || name.includes('\u0000')) {
      throw new TypeError('channel and chaincode must be non-empty names without NUL');
    }
  }
  const hash = createHash('sha256')
    .update(`rcl:eip712:v2\u0000${deployment.channel}\u0000${deployment.chaincode}`, 'utf8')
    .digest('hex');
  return `0x${hash}`;
}

/** The EIP-712 domain of every message signed for `deployment`. */
export function signingDomain(deployment: Deployment): TypedDataDomain {
  return { name: EIP712_DOMAIN_NAME, version: EIP712_DOMAIN_VERSION, salt: deploymentSalt(deployment) };
}

/** EIP-712 type definitions, one per message kind. */
export const EIP712_TYPES = {
  BatchManifest: [
    { name: 'batchId', type: 'string' },
    { name: 'datasetType', type: 'string' },
    { name: 'provider', type: 'string' },
    { name: 'merkleRoot', type: 'bytes32' },
    { name: 'recordCount', type: 'uint64' },
    { name: 'periodStart', type: 'string' },
    { name: 'periodEnd', type: 'string' },
    { name: 'schemaVersion', type: 'uint32' },
    { name: 'corrects', type: 'string' },
  ],
  ConsentGrant: [
    { name: 'grantId', type: 'string' },
    { name: 'subject', type: 'bytes32' },
    { name: 'grantee', type: 'string' },
    { name: 'scope', type: 'string[]' },
    { name: 'purpose', type: 'string' },
    { name: 'validFrom', type: 'string' },
    { name: 'validUntil', type: 'string' },
    { name: 'maxAccesses', type: 'uint32' },
  ],
  ConsentRevocation: [
    { name: 'grantId', type: 'string' },
    { name: 'subject', type: 'bytes32' },
  ],
  FinancingDemand: [
    { name: 'demandId', type: 'string' },
    { name: 'subject', type: 'bytes32' },
    { name: 'amountFen', type: 'uint64' },
    { name: 'termMonths', type: 'uint32' },
    { name: 'purpose', type: 'string' },
    { name: 'countyCode', type: 'string' },
    { name: 'offeredAssets', type: 'string[]' },
    { name: 'datasets', type: 'string[]' },
    { name: 'expiresAt', type: 'string' },
  ],
  DemandWithdrawal: [
    { name: 'demandId', type: 'string' },
    { name: 'subject', type: 'bytes32' },
  ],
  MemberKeyBinding: [
    { name: 'mspId', type: 'string' },
    { name: 'signer', type: 'address' },
  ],
  SubjectKeyBinding: [
    { name: 'subject', type: 'bytes32' },
    { name: 'signer', type: 'address' },
  ],
  SubjectKeyRotation: [
    { name: 'subject', type: 'bytes32' },
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'version', type: 'uint32' },
  ],
  SubjectAccessLogRequest: [
    { name: 'subject', type: 'bytes32' },
    { name: 'requestedAt', type: 'string' },
    { name: 'nonce', type: 'string' },
    { name: 'cursor', type: 'string' },
  ],
  SubjectSelfServiceRequest: [
    { name: 'subject', type: 'bytes32' },
    { name: 'action', type: 'string' },
    { name: 'target', type: 'string' },
    { name: 'detail', type: 'string' },
    { name: 'requestedAt', type: 'string' },
    { name: 'nonce', type: 'string' },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

/** A message kind defined in {@link EIP712_TYPES}. */
export type TypedMessageKind = keyof typeof EIP712_TYPES;

/** The manifest a data provider signs when it anchors a batch. */
export interface BatchManifestMessage {
  batchId: string;
  datasetType: string;
  provider: string;
  /** 64 hex digits, no 0x. */
  merkleRoot: string;
  recordCount: number;
  periodStart: string;
  periodEnd: string;
  schemaVersion: number;
  /** The batch this one corrects, or the empty string. */
  corrects: string;
}

/** A subject's consent to one bank, as the subject signs it. */
export interface ConsentGrantMessage {
  grantId: string;
  /** Subject pseudonym, 64 hex digits, no 0x. */
  subject: string;
  grantee: string;
  scope: string[];
  purpose: string;
  validFrom: string;
  validUntil: string;
  /** 0 means no budget. */
  maxAccesses: number;
}

/** A subject's withdrawal of a grant. */
export interface ConsentRevocationMessage {
  grantId: string;
  subject: string;
}

/** A subject's financing demand, as the subject signs it (any bank in the county may claim it). */
export interface FinancingDemandMessage {
  demandId: string;
  /** Subject pseudonym, 64 hex digits, no 0x. */
  subject: string;
  amountFen: number;
  termMonths: number;
  purpose: string;
  /** 6-digit administrative division code. */
  countyCode: string;
  offeredAssets: string[];
  datasets: string[];
  expiresAt: string;
}

/** A subject's withdrawal of its financing demand. */
export interface DemandWithdrawalMessage {
  demandId: string;
  subject: string;
}

/** A member's binding of its signing address to its MSP ID. */
export interface MemberKeyBindingMessage {
  mspId: string;
  signer: string;
}

/** A subject's binding of its signing address to its pseudonym. */
export interface SubjectKeyBindingMessage {
  subject: string;
  signer: string;
}

/**
 * A subject's move of its binding from the key it holds (`from`, which signs
 * this) to a new key (`to`, which signs its own {@link SubjectKeyBindingMessage}).
 * `version` is the binding's current version, so a signed rotation is good
 * for one change only.
 */
export interface SubjectKeyRotationMessage {
  /** Subject pseudonym, 64 hex digits, no 0x. */
  subject: string;
  from: string;
  to: string;
  version: number;
}

/**
 * A subject's request to read who accessed its data (one page of its access
 * log), signed with the key bound to its pseudonym. Off-ledger only: the
 * gateway checks it and never records it.
 */
export interface SubjectAccessLogRequestMessage {
  /** Subject pseudonym, 64 hex digits, no 0x. */
  subject: string;
  /** When the request was signed, ledger time (`YYYY-MM-DDTHH:MM:SSZ`); accepted within minutes. */
  requestedAt: string;
  /** A fresh random value: each signed request is answered once. */
  nonce: string;
  /** The page to read: the previous page's `nextCursor`, or the empty string for the first. */
  cursor: string;
}

/** What a data subject asks of its own data with a {@link SubjectSelfServiceRequestMessage}. */
export const SELF_SERVICE_ACTIONS = [
  'LIST_CONSENTS',
  'READ_RECORDS',
  'REPORT_PDF',
  'FILE_DISPUTE',
  'LIST_DISPUTES',
] as const;
/** A self-service action. */
export type SelfServiceAction = (typeof SELF_SERVICE_ACTIONS)[number];

/** Self-service actions that release the subject's records: recorded on the ledger as a SELF access. */
export const SELF_ACCESS_ACTIONS = ['READ_RECORDS', 'REPORT_PDF'] as const;

/** The purpose of an access a subject makes to its own data. */
export const SELF_PURPOSE = 'SELF';

/**
 * A data subject's request about its own data, signed with the key bound to
 * its pseudonym, fresh (minutes) and answered once (its nonce). `target` is
 * what the action is about: comma-separated dataset types (READ_RECORDS,
 * REPORT_PDF), `<batchId>#<index>` (FILE_DISPUTE), or the empty string;
 * `detail` is the dispute's reason code, or the empty string.
 */
export interface SubjectSelfServiceRequestMessage {
  /** Subject pseudonym, 64 hex digits, no 0x. */
  subject: string;
  action: SelfServiceAction;
  target: string;
  detail: string;
  /** When the request was signed, ledger time (`YYYY-MM-DDTHH:MM:SSZ`). */
  requestedAt: string;
  /** 32 lowercase hex digits, fresh for each request. */
  nonce: string;
}

/** Message shapes by kind. */
export interface TypedMessages {
  BatchManifest: BatchManifestMessage;
  ConsentGrant: ConsentGrantMessage;
  ConsentRevocation: ConsentRevocationMessage;
  FinancingDemand: FinancingDemandMessage;
  DemandWithdrawal: DemandWithdrawalMessage;
  MemberKeyBinding: MemberKeyBindingMessage;
  SubjectKeyBinding: SubjectKeyBindingMessage;
  SubjectKeyRotation: SubjectKeyRotationMessage;
  SubjectAccessLogRequest: SubjectAccessLogRequestMessage;
  SubjectSelfServiceRequest: SubjectSelfServiceRequestMessage;
}

/** Anything that can sign EIP-712 data the way an ethers `Wallet` does. */
export interface TypedDataSigner {
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

const BYTES32_FIELDS = new Set(['merkleRoot', 'subject']);

/** Converts a message to the value ethers encodes: hex digests get their 0x prefix. */
function toTypedValue(message: object): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(message)) {
    value[k] = BYTES32_FIELDS.has(k) && typeof v === 'string' && !v.startsWith('0x') ? `0x${v}` : v;
  }
  return value;
}

function typesFor(kind: TypedMessageKind): Record<string, TypedDataField[]> {
  return { [kind]: EIP712_TYPES[kind].map((f) => ({ ...f })) };
}

/**
 * Signs a message of the given kind for one deployment.
 *
 * @example
 * const signature = await signTypedMessage(new Wallet(key), 'BatchManifest', manifest, { channel, chaincode });
 * @throws TypeError when the deployment names are invalid.
 */
export function signTypedMessage<K extends TypedMessageKind>(
  signer: TypedDataSigner,
  kind: K,
  message: TypedMessages[K],
  deployment: Deployment,
): Promise<string> {
  return signer.signTypedData(signingDomain(deployment), typesFor(kind), toTypedValue(message));
}

/**
 * Recovers the address that signed a message for `deployment`, or undefined
 * when the signature is malformed or the message does not fit its type. A
 * signature made for another deployment recovers another address.
 */
export function recoverTypedSigner<K extends TypedMessageKind>(
  kind: K,
  message: TypedMessages[K],
  signature: string,
  deployment: Deployment,
): string | undefined {
  try {
    return verifyTypedData(signingDomain(deployment), typesFor(kind), toTypedValue(message), signature);
  } catch {
    return undefined;
  }
}

/** Whether `signature` over `message` for `deployment` was made by `address` (case-insensitive). */
export function isSignedBy<K extends TypedMessageKind>(
  kind: K,
  message: TypedMessages[K],
  signature: string,
  address: string,
  deployment: Deployment,
): boolean {
  const recovered = recoverTypedSigner(kind, message, signature, deployment);
  return recovered !== undefined && recovered.toLowerCase() === address.toLowerCase();
}
