/**
 * Offline verification, without the gateway: every check here calls the
 * protocol package's one implementation (the same functions the gateway and
 * chaincode use), so a report, proof, export or signature that verifies here
 * verifies there.
 */
import {
  isSignedBy,
  leafHash,
  recoverTypedSigner,
  reportDigest,
  verifyAuditExport,
  verifyInclusion,
  type AuditExportVerification,
  type InclusionProof,
  type TypedMessageKind,
  type TypedMessages,
  type VerifyAuditExportOptions,
  type Deployment,
} from '@ruralcredit/protocol';
import type { Batch, Consent } from './types';

/** Outcome of {@link verifyRecordProof}. */
export interface RecordProofVerification {
  /** The leaf hash recomputed from the record (RFC 8785 canonical JSON, 0x00-prefixed SHA-256). */
  readonly leafHash: string;
  /** Whether the proof leads from that leaf to the root. */
  readonly valid: boolean;
}

/**
 * Recomputes a record's leaf hash and checks its Merkle inclusion proof
 * against a root (take the root and the record count from the anchored batch).
 *
 * @example
 * const { valid } = verifyRecordProof(record, proof, batch.merkleRoot, batch.recordCount);
 */
export function verifyRecordProof(
  record: unknown,
  proof: InclusionProof,
  merkleRoot: string,
  anchoredTreeSize?: number,
): RecordProofVerification {
  let hash: string;
  try {
    hash = leafHash(record).toString('hex');
  } catch {
    return { leafHash: '', valid: false };
  }
  return { leafHash: hash, valid: verifyInclusion(hash, proof, merkleRoot, anchoredTreeSize) };
}

/** An anchored batch root, as read from the ledger (e.g. `client.provenance.getBatch`). */
export interface AnchoredRoot {
  readonly merkleRoot: string;
  /** When given, each proof's tree size must equal it. */
  readonly recordCount?: number;
}

/** Options of {@link verifyReportOffline}. */
export interface VerifyReportOptions {
  /**
   * Anchored roots by batch ID. When given, every record's batch must be
   * listed and its `merkleRoot` must be the anchored one; without it the
   * report is only checked to be internally consistent.
   */
  readonly anchoredRoots?: Readonly<Record<string, AnchoredRoot>> | ReadonlyMap<string, AnchoredRoot>;
}

/** The check of one record of a report. */
export interface ReportRecordCheck {
  readonly datasetType: string;
  readonly batchId: string;
  readonly index: number;
  /** The record's recomputed leaf hash equals the `leafHash` the report states. */
  readonly leafHashMatches: boolean;
  /** The proof leads from the recomputed leaf hash to the stated `merkleRoot`, at the stated index. */
  readonly proofValid: boolean;
  /** The stated root is the anchored one (undefined when no anchored roots were given). */
  readonly anchored: boolean | undefined;
  readonly valid: boolean;
}

/** Outcome of {@link verifyReportOffline}. */
export interface ReportOfflineVerification {
  /** Every check passed. */
  readonly valid: boolean;
  /** The recomputed digest equals the report's `digest`. */
  readonly digestMatches: boolean;
  /** The digest recomputed from the content. */
  readonly digest: string;
  readonly records: ReportRecordCheck[];
  /** Whether the records were checked against anchored roots or only for consistency. */
  readonly mode: 'anchored' | 'self-consistent';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Verifies a saved verification report without the gateway: recomputes its
 * digest, and for every record recomputes the leaf hash and checks its proof
 * against the stated root (and, given `anchoredRoots`, that root against the
 * anchored one). Never throws on a malformed report: it fails verification.
 *
 * @example
 * const report = JSON.parse(await readFile('report.json', 'utf8'));
 * const result = verifyReportOffline(report);
 * if (!result.valid) console.error(result.records.filter((r) => !r.valid));
 */
export function verifyReportOffline(
  report: unknown,
  options: Readonly<VerifyReportOptions> = {},
): ReportOfflineVerification {
  const roots = options.anchoredRoots;
  const anchoredRoot = (batchId: string): AnchoredRoot | undefined =>
    roots === undefined
      ? undefined
      : roots instanceof Map
        ? (roots as ReadonlyMap<string, AnchoredRoot>).get(batchId)
        : Object.prototype.hasOwnProperty.call(roots, batchId)
          ? (roots as Readonly<Record<string, AnchoredRoot>>)[batchId]
          : undefined;
  const mode = roots === undefined ? 'self-consistent' : 'anchored';
  if (!isObject(report)) return { valid: false, digestMatches: false, digest: '', records: [], mode };
  let digest = '';
  try {
    digest = reportDigest(report);
  } catch {
    // not representable as JSON: fails below
  }
  const digestMatches = digest !== '' && digest === report.digest;
  const records: ReportRecordCheck[] = [];
  let wellFormed = Array.isArray(report.datasets);
  for (const dataset of Array.isArray(report.datasets) ? (report.datasets as unknown[]) : []) {
    if (!isObject(dataset) || !Array.isArray(dataset.records)) {
      wellFormed = false;
      continue;
    }
    const datasetType = String(dataset.datasetType);
    for (const entry of dataset.records as unknown[]) {
      if (!isObject(entry) || !isObject(entry.proof)) {
        wellFormed = false;
        continue;
      }
      const batchId = String(entry.batchId);
      const index = Number(entry.index);
      const proof = entry.proof as unknown as InclusionProof;
      const root = typeof entry.merkleRoot === 'string' ? entry.merkleRoot : '';
      const anchor = anchoredRoot(batchId);
      const check = verifyRecordProof(entry.record, proof, root, anchor?.recordCount);
      const leafHashMatches = check.leafHash !== '' && check.leafHash === entry.leafHash;
      const proofValid = check.valid && proof.leafIndex === index;
      const anchored = roots === undefined ? undefined : anchor !== undefined && anchor.merkleRoot === root;
      records.push({
        datasetType,
        batchId,
        index,
        leafHashMatches,
        proofValid,
        anchored,
        valid: leafHashMatches && proofValid && anchored !== false,
      });
    }
  }
  return {
    valid: wellFormed && digestMatches && records.every((r) => r.valid),
    digestMatches,
    digest,
    records,
    mode,
  };
}

/**
 * Verifies an audit export's running digest chain from its lines (see the
 * protocol's `verifyAuditExport` for what each failure means). Pass the
 * anchored `expectedCount` / `expectedLastDigest` (from
 * `client.audit.exportSummary`) to detect lines cut off the end.
 *
 * @example
 * const result = await verifyAuditExportLines(client.audit.exportLines(), summary && {
 *   expectedCount: summary.count, expectedLastDigest: summary.lastDigest,
 * });
 * @throws TypeError when the options are invalid.
 */
export function verifyAuditExportLines(
  lines: Iterable<string> | AsyncIterable<string>,
  options: Readonly<VerifyAuditExportOptions> = {},
): Promise<AuditExportVerification> {
  return verifyAuditExport(lines, options);
}

/** Outcome of a signature check. */
export interface SignatureVerification {
  readonly valid: boolean;
  /** The address that signed the message, or undefined when the signature is malformed. */
  readonly recovered: string | undefined;
}

/**
 * Verifies an EIP-712 message of this consortium (batch manifest, consent
 * grant or revocation, key binding) against the address expected to have signed it.
 *
 * @example
 * const { valid } = verifySignedMessage('ConsentGrant', message, subjectSignature, subjectAddress, { channel, chaincode });
 */
export function verifySignedMessage<K extends TypedMessageKind>(
  kind: K,
  message: TypedMessages[K],
  signature: string,
  expectedSigner: string,
  deployment: Deployment,
): SignatureVerification {
  return {
    valid: isSignedBy(kind, message, signature, expectedSigner, deployment),
    recovered: recoverTypedSigner(kind, message, signature, deployment),
  };
}

/** The EIP-712 manifest an anchored batch's provider signed. */
export function batchManifest(batch: Batch): TypedMessages['BatchManifest'] {
  return {
    batchId: batch.batchId,
    datasetType: batch.datasetType,
    provider: batch.provider,
    merkleRoot: batch.merkleRoot,
    recordCount: batch.recordCount,
    periodStart: batch.periodStart,
    periodEnd: batch.periodEnd,
    schemaVersion: batch.schemaVersion,
    corrects: batch.corrects,
  };
}

/**
 * Verifies an anchored batch's manifest signature against its stated signer
 * (or `expectedSigner`, e.g. the provider's address from the member registry).
 *
 * @example
 * const { valid } = verifyBatchManifest(await client.provenance.getBatch('hs-1'), await client.signingDomain());
 */
export function verifyBatchManifest(
  batch: Batch,
  deployment: Deployment,
  expectedSigner: string = batch.signer,
): SignatureVerification {
  return verifySignedMessage(
    'BatchManifest',
    batchManifest(batch),
    batch.signature,
    expectedSigner,
    deployment,
  );
}

/** The EIP-712 ConsentGrant message a subject signs for a consent as the ledger holds it. */
export function consentGrantMessage(consent: Consent): TypedMessages['ConsentGrant'] {
  return {
    grantId: consent.consentId,
    subject: consent.subject,
    grantee: consent.grantee,
    scope: [...consent.scope],
    purpose: consent.purpose,
    validFrom: consent.validFrom,
    validUntil: consent.validUntil,
    maxAccesses: consent.maxAccesses,
  };
}

/**
 * Verifies the subject's EIP-712 signature a consent was recorded with
 * (evidence type SUBJECT_SIGNATURE) against the subject's registered address
 * (the evidence's `signer`, or `expectedSigner`). A consent recorded with a
 * signed form has no signature: it does not verify.
 *
 * @example
 * const { valid } = verifyConsentSignature(await client.consents.get('c-1'), await client.signingDomain());
 */
export function verifyConsentSignature(
  consent: Consent,
  deployment: Deployment,
  expectedSigner?: string,
): SignatureVerification {
  const evidence = consent.evidence;
  const signature = typeof evidence.signature === 'string' ? evidence.signature : undefined;
  const signer = expectedSigner ?? (typeof evidence.signer === 'string' ? evidence.signer : undefined);
  if (evidence.type !== 'SUBJECT_SIGNATURE' || signature === undefined || signer === undefined) {
    return { valid: false, recovered: undefined };
  }
  return verifySignedMessage('ConsentGrant', consentGrantMessage(consent), signature, signer, deployment);
}
