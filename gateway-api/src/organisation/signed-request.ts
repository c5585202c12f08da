/**
 * Requests between organisations' gateways, signed with the calling organisation's Fabric
 * identity: the X.509 certificate travels with the request and must be issued by that
 * organisation's CA in the channel's MSP definitions; the ECDSA signature covers the method, path,
 * organisation, time, a one-time nonce and the body's digest, so a replayed or altered request is
 * refused.
 */
import { randomBytes, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { canonicalJson, sha256Hex } from '@ruralcredit/protocol';
import { AppError } from '../http/errors';
import { mspOfCertificate, type MspRoots } from './msp';

/** Header names of a signed request. */
export const ORG_HEADERS = {
  org: 'x-rcl-org',
  certificate: 'x-rcl-certificate',
  timestamp: 'x-rcl-timestamp',
  nonce: 'x-rcl-nonce',
  signature: 'x-rcl-signature',
} as const;

/** How far a request's time may be from the receiver's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** The bytes a request signature covers. */
function signedBytes(fields: {
  method: string;
  path: string;
  org: string;
  timestamp: string;
  nonce: string;
  body: unknown;
}): Buffer {
  const { body, ...rest } = fields;
  return Buffer.from(
    `rcl:org-request:v1\0${canonicalJson({ ...rest, method: rest.method.toUpperCase(), bodyDigest: sha256Hex(canonicalJson(body ?? null)) })}`,
  );
}

/** The headers that sign `body` for `method path` as organisation `org`. */
export function signOrgRequest(
  identity: Readonly<{ mspId: string; certificatePem: Buffer; fabricKey: KeyObject }>,
  method: string,
  path: string,
  body: unknown,
  now = new Date(),
): Record<string, string> {
  const timestamp = now.toISOString();
  const nonce = randomBytes(16).toString('hex');
  const bytes = signedBytes({ method, path, org: identity.mspId, timestamp, nonce, body });
  return {
    [ORG_HEADERS.org]: identity.mspId,
    [ORG_HEADERS.certificate]: identity.certificatePem.toString('base64'),
    [ORG_HEADERS.timestamp]: timestamp,
    [ORG_HEADERS.nonce]: nonce,
    [ORG_HEADERS.signature]: sign('sha256', bytes, identity.fabricKey).toString('base64'),
  };
}

/** A verified request's caller. */
export interface OrgCaller {
  readonly mspId: string;
  readonly nonce: string;
  readonly timestamp: string;
}

function refused(code: string, message: string): AppError {
  return AppError.unauthorized(message, { code });
}

/**
 * Verifies a signed request's headers against the channel's MSP roots and the clock, and
 * claims its nonce (`claimNonce` answers false when it was seen before).
 *
 * @throws AppError 401 ORG_SIGNATURE_INVALID (missing or bad headers, a certificate not issued by
 *   the named organisation's CA, a signature that does not verify), 401 REQUEST_STALE (time outside
 *   {@link MAX_CLOCK_SKEW_MS}), 401 REQUEST_REPLAYED (nonce already used).
 */
export async function verifyOrgRequest(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  request: Readonly<{ method: string; path: string; body: unknown }>,
  roots: MspRoots,
  claimNonce: (org: string, nonce: string, timestamp: string) => Promise<boolean>,
  now = new Date(),
): Promise<OrgCaller> {
  const get = (name: string): string => {
    const value = headers[name];
    if (typeof value !== 'string' || value === '') {
      throw refused('ORG_SIGNATURE_INVALID', `signed organisation request: header ${name} missing`);
    }
    return value;
  };
  const org = get(ORG_HEADERS.org);
  const timestamp = get(ORG_HEADERS.timestamp);
  const nonce = get(ORG_HEADERS.nonce);
  if (!/^[0-9a-f]{32}$/.test(nonce)) throw refused('ORG_SIGNATURE_INVALID', 'nonce must be 16 bytes of hex');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(Buffer.from(get(ORG_HEADERS.certificate), 'base64'));
  } catch {
    throw refused('ORG_SIGNATURE_INVALID', 'the certificate header is not an X.509 certificate');
  }
  const owner = mspOfCertificate(certificate, roots, now);
  if (owner !== org) {
    throw refused(
      'ORG_SIGNATURE_INVALID',
      owner === undefined
        ? `the certificate is not issued by ${org}'s CA in the channel's MSP definitions`
        : `the certificate belongs to ${owner}, not ${org}`,
    );
  }
  const bytes = signedBytes({ ...request, org, timestamp, nonce });
  let good = false;
  try {
    good = verify('sha256', bytes, certificate.publicKey, Buffer.from(get(ORG_HEADERS.signature), 'base64'));
  } catch {
    // A malformed signature is a bad signature.
  }
  if (!good)
    throw refused('ORG_SIGNATURE_INVALID', `the signature does not verify with ${org}'s certificate`);
  const at = Date.parse(timestamp);
  if (!Number.isFinite(at) || Math.abs(now.getTime() - at) > MAX_CLOCK_SKEW_MS) {
    throw refused(
      'REQUEST_STALE',
      `request time ${timestamp} is more than 5 minutes from this gateway's clock`,
    );
  }
  if (!(await claimNonce(org, nonce, timestamp))) {
    throw refused('REQUEST_REPLAYED', `nonce ${nonce} of ${org} was used before: a replayed request`);
  }
  return { mspId: org, nonce, timestamp };
}
