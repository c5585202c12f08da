/**
 * Field schemas every payload shares, declared once so each request is
 * validated, and each OpenAPI document written, from the same rule.
 */
import {
  CATALOGUE_CODE_PATTERN,
  DIGEST_PATTERN,
  OBJECT_ID_PATTERN,
  PERSONAL_IDENTIFIER_ERROR_CODE,
  PERSONAL_IDENTIFIER_RULE,
  SIGNATURE_PATTERN,
  isFreeOfPersonalIdentifiers,
  isLedgerTime,
} from '@ruralcredit/protocol';
import { z } from 'zod';
import { refineWithCode } from './validate';

/**
 * Refuses a value the ledger would keep in clear that contains a resident ID,
 * credit code or mobile number (400 `PERSONAL_IDENTIFIER_IN_FIELD`; the
 * chaincode applies the same check from `protocol`).
 */
export function withoutPersonalIdentifiers<S extends z.ZodType<string>>(schema: S): S {
  return refineWithCode(
    schema,
    isFreeOfPersonalIdentifiers,
    PERSONAL_IDENTIFIER_ERROR_CODE,
    PERSONAL_IDENTIFIER_RULE,
  );
}

/** A ledger time `YYYY-MM-DDTHH:MM:SSZ` (UTC, second precision). */
export const LedgerTimeSchema = z
  .string()
  .refine(isLedgerTime, 'must be a UTC time YYYY-MM-DDTHH:MM:SSZ')
  .meta({ description: 'UTC time, second precision', examples: ['2030-12-31T00:00:00Z'] });

/** A business object ID (batch, consent, access, asset, lien, dispute). Asset IDs are `<assetType>:<certificateNo>`. */
export const ObjectIdSchema = withoutPersonalIdentifiers(
  z.string().regex(OBJECT_ID_PATTERN, 'must be 1-128 of A-Z a-z 0-9 . _ : - starting with a letter or digit'),
).meta({ examples: ['LAND_CONTRACT_RIGHT:LC-001'] });

/** A subject's clear ID: validated and pseudonymised at the gateway, never stored in clear or forwarded. */
export const SubjectIdSchema = z
  .string()
  .min(1)
  .max(64)
  .meta({
    description:
      '18-character resident ID or unified social credit code; the gateway keeps only its keyed pseudonym',
    examples: ['11010519491231002X'],
  });

/** An EIP-712 signature. */
export const SignatureSchema = z.string().regex(SIGNATURE_PATTERN, 'must be 0x and 130 hex digits');

/** A SHA-256 digest. */
export const DigestSchema = z.string().regex(DIGEST_PATTERN, 'must be 64 lowercase hex digits');

/** A catalogue code (dataset type, asset type, area unit). */
export const CatalogueCodeSchema = z
  .string()
  .regex(CATALOGUE_CODE_PATTERN, 'must be a code of 2-32 of A-Z 0-9 _ starting with a letter');
