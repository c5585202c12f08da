/**
 * The bank's side of the organisation-to-organisation API: asks each provider's gateway for a
 * subject's records under the bank's committed access, signing with the bank's Fabric identity.
 */
import { leafHash, verifyInclusion } from '@ruralcredit/protocol';
import { AppError } from '../http/errors';
import type { OrgIdentity } from './identity';
import { releaseDigestOf } from './release-service';
import { ReleaseSchema, type Release, type ReleaseRequest } from './schemas';
import { signOrgRequest } from './signed-request';

/** Path of the release endpoint on every gateway. */
export const RELEASE_PATH = '/api/v1/org/releases';

/** Fetches releases from other organisations' gateways. */
export interface OrgGatewayClient {
  /**
   * Asks `provider`'s gateway for the records of `request`.
   *
   * @throws AppError 502 PROVIDER_REFUSED (with the provider's code) when the provider refused,
   *   502 RELEASE_INVALID when what came back does not prove itself, 503 PROVIDER_UNAVAILABLE
   *   when the provider's gateway cannot be reached or is not configured.
   */
  release(provider: string, request: ReleaseRequest): Promise<Release>;
}

/** {@link OrgGatewayClient} over HTTP with signed requests. */
export class OrgGatewayClientImpl implements OrgGatewayClient {
  readonly #identity: OrgIdentity;
  readonly #gateways: Readonly<Record<string, string>>;
  readonly #timeoutMs: number;

  constructor(
    options: Readonly<{
      identity: OrgIdentity;
      gateways: Readonly<Record<string, string>>;
      timeoutMs?: number;
    }>,
  ) {
    this.#identity = options.identity;
    this.#gateways = options.gateways;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async release(provider: string, request: ReleaseRequest): Promise<Release> {
    const base = this.#gateways[provider];
    if (base === undefined) {
      throw AppError.unavailable(`no gateway of ${provider} is configured (GATEWAY_ORG_GATEWAYS)`, {
        code: 'PROVIDER_UNAVAILABLE',
      });
    }
    const headers = signOrgRequest(this.#identity, 'POST', RELEASE_PATH, request);
    let response: Response;
    try {
      response = await fetch(new URL(RELEASE_PATH, base), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw AppError.unavailable(`${provider}'s gateway did not answer: ${(err as Error).message}`, {
        code: 'PROVIDER_UNAVAILABLE',
      });
    }
    const body = (await response.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string };
    };
    if (!response.ok) {
      throw new AppError(
        502,
        'PROVIDER_REFUSED',
        `${provider} refused the release: ${body.error?.message ?? response.status}`,
        {
          details: { provider, status: response.status, code: body.error?.code },
        },
      );
    }
    const parsed = ReleaseSchema.safeParse(body);
    if (!parsed.success) throw invalidRelease(provider, 'malformed release');
    const release = parsed.data;
    const { releaseDigest, ...rest } = release;
    if (releaseDigestOf(rest) !== releaseDigest)
      throw invalidRelease(provider, 'release digest does not match');
    if (
      release.accessId !== request.accessId ||
      release.subject !== request.subject ||
      release.provider !== provider
    ) {
      throw invalidRelease(provider, 'release answers another request');
    }
    for (const section of release.datasets) {
      for (const r of section.records) {
        const leaf = leafHash(r.record).toString('hex');
        if (leaf !== r.leafHash || !verifyInclusion(leaf, r.proof, r.merkleRoot, r.proof.treeSize)) {
          throw invalidRelease(provider, `record ${r.batchId}#${r.index} does not prove itself`);
        }
      }
    }
    return release;
  }
}

function invalidRelease(provider: string, why: string): AppError {
  return new AppError(502, 'RELEASE_INVALID', `${provider}'s release is not acceptable: ${why}`, {
    details: { provider },
  });
}
