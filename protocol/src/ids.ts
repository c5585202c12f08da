/**
 * Identifier patterns shared by the chaincode, the gateway and the client.
 * Anything that becomes part of a ledger key must match one of these, so no
 * key part can carry separators, U+0000, U+10FFFF or non-NFC text.
 */

/** Business object IDs (batch, grant, access, lien, dispute, asset): 1-128 chars, ASCII letters, digits and `._:-`, starting with a letter or digit. */
export const OBJECT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Keyed pseudonym of a data subject or operator: HMAC-SHA256 as 64 lowercase hex. */
export const PSEUDONYM_PATTERN = /^[0-9a-f]{64}$/;

/** A SHA-256 digest (Merkle root, evidence hash, report digest): 64 lowercase hex. */
export const DIGEST_PATTERN = /^[0-9a-f]{64}$/;

/** A Fabric MSP ID: a letter, then letters, digits, `.` or `-`, at most 64 chars. */
export const MSP_ID_PATTERN = /^[A-Za-z][A-Za-z0-9.-]{0,63}$/;

/** Catalogue codes (dataset types, asset types): upper-case letters, digits and `_`, 2-32 chars. */
export const CATALOGUE_CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,31}$/;

/** A secp256k1 account address as ethers writes it: 0x and 40 hex digits (any case). */
export const ADDRESS_PATTERN = /^0x[0-9a-fA-F]{40}$/;

/** An ECDSA signature as ethers writes it: 0x and 130 hex digits (r, s, v). */
export const SIGNATURE_PATTERN = /^0x[0-9a-fA-F]{130}$/;

/** The pseudo dataset type that a consent scope uses to allow collateral registration. */
export const COLLATERAL_SCOPE = 'COLLATERAL';

/** Purposes a consent grant and an access may name. */
export const PURPOSES = [
  'LOAN_APPLICATION',
  'POST_LOAN_MANAGEMENT',
  'COLLATERAL_REGISTRATION',
  'GUARANTEE_ASSESSMENT',
  'INSURANCE_UNDERWRITING',
] as const;
/** A purpose a consent grant and an access may name. */
export type Purpose = (typeof PURPOSES)[number];

/** Consortium roles recorded in the on-chain member registry. */
export const ROLES = [
  'REGULATOR',
  'BANK',
  'DATA_PROVIDER',
  'AUDITOR',
  'GUARANTOR',
  'INSURER',
  'MICROLENDER',
] as const;
/** A consortium role. */
export type Role = (typeof ROLES)[number];

/**
 * Roles that receive consent grants and query subjects' data under them: banks
 * and the institutions the seed platforms name beside them (financing
 * guarantee companies, agricultural insurers, microcredit companies).
 */
export const GRANTEE_ROLES = ['BANK', 'GUARANTOR', 'INSURER', 'MICROLENDER'] as const;
/** A role that receives consent grants. */
export type GranteeRole = (typeof GRANTEE_ROLES)[number];

/**
 * The purposes each grantee role may name in a grant and an access (the
 * chaincode refuses any other). A bank lends, manages its loans and registers
 * collateral; a microcredit company lends and manages its loans but takes no
 * registered rural-asset lien; a guarantor assesses a guarantee and follows
 * the guaranteed loan; an insurer underwrites (agricultural, credit-guarantee
 * insurance) and nothing else.
 */
export const ROLE_PURPOSES: Readonly<Record<GranteeRole, readonly Purpose[]>> = {
  BANK: ['LOAN_APPLICATION', 'POST_LOAN_MANAGEMENT', 'COLLATERAL_REGISTRATION'],
  MICROLENDER: ['LOAN_APPLICATION', 'POST_LOAN_MANAGEMENT'],
  GUARANTOR: ['GUARANTEE_ASSESSMENT', 'POST_LOAN_MANAGEMENT'],
  INSURER: ['INSURANCE_UNDERWRITING'],
};

/** Whether `role` receives consent grants. */
export function isGranteeRole(role: string): role is GranteeRole {
  return (GRANTEE_ROLES as readonly string[]).includes(role);
}

/** Whether `role` may name `purpose` in a grant or an access. */
export function mayUsePurpose(role: string, purpose: string): boolean {
  return isGranteeRole(role) && (ROLE_PURPOSES[role] as readonly string[]).includes(purpose);
}

/**
 * An ID made from a signed request's nonce (32 lowercase hex digits) with each digit written as a
 * letter (`0`-`f` as `a`-`p`): `self-<letters>` for a subject's own access, `sd-<letters>` for its
 * dispute. Random hex digits sometimes spell a valid credit code or resident ID, which the ledger
 * refuses in a clear field; letters never do, and the mapping keeps the nonce's uniqueness.
 *
 * @throws RangeError when `nonce` is not 32 lowercase hex digits.
 */
export function idFromNonce(prefix: string, nonce: string): string {
  if (!/^[0-9a-f]{32}$/.test(nonce)) throw new RangeError('nonce must be 32 lowercase hex digits');
  return `${prefix}-${nonce.replace(/[0-9a-f]/g, (c) => String.fromCharCode(97 + parseInt(c, 16)))}`;
}
