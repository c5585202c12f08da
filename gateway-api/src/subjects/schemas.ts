/**
 * Payloads of `/subjects`: pseudonyms, and the binding of a data subject's
 * signing key (registration after KYC, replacement by the regulator, rotation
 * and revocation signed by the subject).
 */
import { ADDRESS_PATTERN, PSEUDONYM_PATTERN } from '@ruralcredit/protocol';
import { z } from 'zod';
import {
  DigestSchema,
  LedgerTimeSchema,
  ObjectIdSchema,
  SignatureSchema,
  SubjectIdSchema,
} from '../http/fields';

const AddressSchema = z.string().regex(ADDRESS_PATTERN, 'must be 0x and 40 hex digits');
const PseudonymSchema = z.string().regex(PSEUDONYM_PATTERN, 'must be 64 lowercase hex digits');

/** Request for a subject's pseudonym. */
export const PseudonymRequestSchema = z
  .object({
    subjectId: SubjectIdSchema,
    consentId: ObjectIdSchema.describe("An ACTIVE consent from this subject to the caller's bank"),
  })
  .strict()
  .meta({ id: 'PseudonymRequest' });

/** A subject's pseudonym. */
export const SubjectPseudonymSchema = z.object({ pseudonym: z.string() }).meta({ id: 'SubjectPseudonym' });

/** The identity check behind a binding, as the attesting staff member states it. */
export const KycRequestSchema = z
  .object({
    evidenceDigest: DigestSchema.describe(
      'SHA-256 of the identity evidence the organisation keeps (ID card scan, signed form); never the evidence itself',
    ),
    attestedAt: LedgerTimeSchema.optional().describe(
      'When the check was made (default: now); not in the future',
    ),
  })
  .strict()
  .meta({ id: 'KycAttestationRequest' });

/** A bank registers a subject's key: under its ACTIVE consent from the subject, after KYC. */
export const SignerRequestSchema = z
  .object({
    subjectId: SubjectIdSchema,
    consentId: ObjectIdSchema.describe("An ACTIVE consent from this subject to the caller's bank"),
    address: AddressSchema,
    signature: SignatureSchema.describe(
      "The subject's EIP-712 SubjectKeyBinding signature over its pseudonym and address",
    ),
    kyc: KycRequestSchema,
  })
  .strict()
  .meta({ id: 'SubjectSignerRequest' });

/** The regulator replaces a subject's key (lost phone, a binding made by the wrong party). */
export const SignerReplacementSchema = z
  .object({
    subjectId: SubjectIdSchema,
    address: AddressSchema,
    signature: SignatureSchema.describe("The new key's EIP-712 SubjectKeyBinding signature"),
    reason: z.enum(['LOST_KEY', 'WRONGFUL_BINDING', 'OTHER']),
    kyc: KycRequestSchema,
  })
  .strict()
  .meta({ id: 'SubjectSignerReplacement' });

/** The subject moves its binding to a new key, signing with the current one (no account). */
export const SignerRotationSchema = z
  .object({
    subject: PseudonymSchema.describe("The subject's pseudonym"),
    address: AddressSchema.describe('The new key'),
    signature: SignatureSchema.describe("The new key's EIP-712 SubjectKeyBinding signature"),
    rotationSignature: SignatureSchema.describe(
      "The current key's EIP-712 SubjectKeyRotation signature (subject, from, to, the binding's current version)",
    ),
  })
  .strict()
  .meta({ id: 'SubjectSignerRotation' });

/** The subject withdraws a consent itself (no account). */
export const SubjectRevocationSchema = z
  .object({
    consentId: ObjectIdSchema,
    signature: SignatureSchema.describe("The subject's EIP-712 ConsentRevocation signature"),
  })
  .strict()
  .meta({ id: 'SubjectRevocation' });

/** The EIP-712 domain every signature for this deployment uses. */
export const SigningDomainSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    salt: z.string().describe('0x and SHA-256 of "rcl:eip712:v2" NUL channel NUL chaincode'),
    channel: z.string(),
    chaincode: z.string(),
  })
  .meta({ id: 'SigningDomain' });

/** A subject's binding as the ledger holds it. */
export const SubjectSignerRecordSchema = z
  .object({
    subject: z.string(),
    signer: z.string(),
    attestedBy: z.string().describe('The organisation whose identity check stands behind the key'),
    registeredBy: z.string().describe('The member that submitted this binding'),
    registeredAt: z.string(),
    change: z.enum(['REGISTERED', 'REPLACED', 'ROTATED']),
    version: z.number().int(),
    kyc: z
      .object({
        grantId: z.string().optional(),
        operator: z.string(),
        attestedAt: z.string(),
        evidenceDigest: z.string(),
      })
      .optional(),
    previousSigner: z.string().optional(),
    reason: z.string().optional(),
    txId: z.string(),
  })
  .meta({ id: 'SubjectSignerRecord' });

/** A committed change of a subject's binding. */
export const SubjectSignerSchema = z
  .object({ signer: SubjectSignerRecordSchema, txId: z.string(), blockNumber: z.number().int() })
  .meta({ id: 'SubjectSigner' });

/** A consent withdrawn by its subject. */
export const SubjectRevocationResultSchema = z
  .object({ consentId: z.string(), status: z.string(), txId: z.string(), blockNumber: z.number().int() })
  .meta({ id: 'SubjectRevocationResult' });

/** A binding as returned. */
export type SubjectSignerRecord = z.infer<typeof SubjectSignerRecordSchema>;
/** A committed binding change. */
export type CommittedSubjectSigner = z.infer<typeof SubjectSignerSchema>;
