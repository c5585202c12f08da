/**
 * Shared set-up of the security suite: the real gateway with every business
 * module (real server on port 0, real LevelDB, embedded ledger running the
 * real chaincode with each organisation's X.509 identity), and the API flows
 * the cases drive (batches, consents, assets, liens).
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { AppError } from '../../src/http/errors';
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import type { Block, EmbeddedLedger } from '@ruralcredit/embedded-ledger';
import { DOMAIN_MODULES } from '../../src/app';
import { EmbeddedLedgerClientImpl } from '../../src/ledger/embedded';
import {
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
  type OrgName,
} from '../acceptance/consortium-gateway';
import type { ApiResponse } from '../helpers';

export { ORG, residentId, type ConsortiumGateway, type OrgName } from '../acceptance/consortium-gateway';

/**
 * Starts the full gateway. The per-user rate limit is lifted unless `env`
 * sets it: the suite sends thousands of requests as one user.
 */
export function startSecurityGateway(env: NodeJS.ProcessEnv = {}): Promise<ConsortiumGateway> {
  return startConsortiumGateway(DOMAIN_MODULES, { GATEWAY_RATE_LIMIT_PER_MINUTE: '1000000', ...env });
}

/** The embedded ledger under the gateway (for blocks and raw endorse/commit). */
export function embeddedLedger(g: ConsortiumGateway): EmbeddedLedger {
  const client = g.context.ledger;
  if (!(client instanceof EmbeddedLedgerClientImpl)) {
    throw new Error('the security suite runs on the embedded ledger backend (TEST_LEDGER=embedded)');
  }
  return client.ledger;
}

/** Current block height. */
export function height(g: ConsortiumGateway): Promise<number> {
  return g.context.ledger.height();
}

/**
 * Key count and SHA-256 of every key and value in the gateway's own LevelDB
 * (users, sealed stores, index), once the block indexer has caught up with
 * the ledger (it writes to the same store in the background).
 */
export async function storeDigest(g: ConsortiumGateway): Promise<string> {
  // The audit query waits for the indexer to reach the ledger height.
  ok(await g.api('/audit/accesses?limit=1', { as: ['auditor', 'AUDITOR'] }), 200);
  const hash = createHash('sha256');
  let n = 0;
  const iterator = g.gateway.deps.db.iterator<Buffer, Buffer>({
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  // Per-user request counts (issue 16, GET /admin/users) change with every authenticated call, refused or not.
  const activity = Buffer.from('!user-activity!');
  for await (const [k, v] of iterator) {
    if (k.subarray(0, activity.length).equals(activity)) continue;
    hash.update(k).update('\u0000').update(v).update('\u0000');
    n += 1;
  }
  return `${n}:${hash.digest('hex')}`;
}

/** Every block from 0 to the current height. */
export async function allBlocks(g: ConsortiumGateway): Promise<Block[]> {
  const ledger = embeddedLedger(g);
  const blocks: Block[] = [];
  for (let n = 0; n < ledger.getBlockHeight(); n++) {
    const block = await ledger.getBlock(n);
    if (block === undefined) throw new Error(`block ${n} is missing`);
    blocks.push(block);
  }
  return blocks;
}

/** A validity window from a minute ago for `days` days. */
export function validity(days = 180): { validFrom: string; validUntil: string } {
  const now = Math.floor(Date.now() / 1000);
  return { validFrom: isoFromEpochSeconds(now - 60), validUntil: isoFromEpochSeconds(now + days * 86_400) };
}

/** Ledger time `offsetSeconds` from now. */
export function ledgerTime(offsetSeconds = 0): string {
  return isoFromEpochSeconds(Math.floor(Date.now() / 1000) + offsetSeconds);
}

/** A HOMESTEAD record of subject `n`. */
export function homestead(n: number): Record<string, unknown> {
  return {
    subjectId: residentId(n),
    certificateNo: `HS-${n}`,
    parcelCode: `350902-${n}`,
    areaSquareMetres: 120 + n,
    registeredOn: '2019-05-01',
  };
}

/** Asserts a 2xx and returns the body. */
export function ok<T>(res: ApiResponse, status = 201): T {
  expect(res.status, `expected ${status}: ${res.text}`).to.equal(status);
  return res.body as T;
}

/** Uploads and anchors a JSON batch through the API as `provider`'s data officer. */
export async function uploadBatch(
  g: ConsortiumGateway,
  provider: OrgName,
  datasetType: string,
  batchId: string,
  records: readonly Record<string, unknown>[],
): Promise<{ batchId: string; merkleRoot: string; txId: string; blockNumber: number }> {
  const query = new URLSearchParams({
    batchId,
    periodStart: '2026-01-01T00:00:00Z',
    periodEnd: '2026-01-31T23:59:59Z',
  });
  return ok(
    await g.api(`/datasets/${datasetType}/batches?${query.toString()}`, {
      method: 'POST',
      as: [provider, 'DATA_OFFICER'],
      json: records,
    }),
  );
}

/** The multipart body of a consent with a signed form. */
export function consentForm(consent: Record<string, unknown>, form = 'signed consent form'): FormData {
  const data = new FormData();
  data.set('consent', JSON.stringify(consent));
  data.set(
    'evidence',
    new Blob([Buffer.from(`%PDF-1.7\n${form}`)], { type: 'application/pdf' }),
    'consent-form.pdf',
  );
  return data;
}

/** Records a consent with a signed form through the API as `bank`'s loan officer. */
export async function grantConsent(
  g: ConsortiumGateway,
  bank: OrgName,
  consent: {
    consentId: string;
    subjectId: string;
    scope: string[];
    purpose: string;
    maxAccesses?: number;
  },
): Promise<{ consent: { consentId: string; subject: string }; txId: string; blockNumber: number }> {
  return ok(
    await g.api('/consents', {
      method: 'POST',
      as: [bank, 'LOAN_OFFICER'],
      body: consentForm({ ...consent, ...validity() }),
    }),
  );
}

/** A HOMESTEAD_RIGHT (exclusive lien policy, issued by natural resources) for `owner`. */
export function homesteadRight(certificateNo: string, ownerSubjectId: string): Record<string, unknown> {
  return {
    assetType: 'HOMESTEAD_RIGHT',
    certificateNo,
    ownerSubjectId,
    location: 'FJ-ND-0202',
    areaValue: 120,
    areaUnit: 'SQUARE_METRE',
    appraisedValueFen: 50_000_000,
    appraisalDate: '2026-01-15T00:00:00Z',
    rightExpiry: '2070-01-01T00:00:00Z',
  };
}

/** A LAND_CONTRACT_RIGHT (ranked liens, issued by agriculture) for `owner`. */
export function landContractRight(certificateNo: string, ownerSubjectId: string): Record<string, unknown> {
  return {
    assetType: 'LAND_CONTRACT_RIGHT',
    certificateNo,
    ownerSubjectId,
    location: 'FJ-ND-0101',
    areaValue: 12.5,
    areaUnit: 'MU',
    appraisedValueFen: 10_000_000,
    appraisalDate: '2026-01-15T00:00:00Z',
    rightExpiry: '2040-12-31T00:00:00Z',
  };
}

/** Registers an asset through the API as its issuer's data officer. */
export async function registerAsset(
  g: ConsortiumGateway,
  issuer: OrgName,
  body: Record<string, unknown>,
): Promise<{ asset: { assetId: string } }> {
  return ok(await g.api('/assets', { method: 'POST', as: [issuer, 'DATA_OFFICER'], json: body }));
}

/** A lien request body. */
export function lienBody(assetId: string, consentId: string, extra: Record<string, unknown> = {}) {
  return {
    assetId,
    consentId,
    securedAmountFen: 2_000_000,
    loanEnd: ledgerTime(90 * 86_400),
    ...extra,
  };
}

/** Error codes a 4xx answer carries, as `expectError` checks them: upper snake case. */
export const ERROR_CODE = /^[A-Z][A-Z0-9_]*$/;

/** Whether a response has exactly the gateway's error shape. */
export function hasErrorShape(res: ApiResponse): boolean {
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) return false;
  const body = res.body as { error?: Record<string, unknown> } | undefined;
  if (body === undefined || body === null || typeof body !== 'object') return false;
  if (Object.keys(body).join() !== 'error') return false;
  const error = body.error;
  if (error === undefined || error === null || typeof error !== 'object') return false;
  return (
    typeof error.code === 'string' &&
    ERROR_CODE.test(error.code) &&
    typeof error.message === 'string' &&
    error.message !== '' &&
    Object.keys(error).every((k) => ['code', 'message', 'details', 'txId'].includes(k))
  );
}

/** The error code of an error response (or `''`). */
export function errorCode(res: ApiResponse): string {
  const body = res.body as { error?: { code?: unknown } } | undefined;
  const code = body?.error?.code;
  return typeof code === 'string' ? code : '';
}

/** How a direct chaincode call ended: `OK`, or the refusal's status and code. */
export async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    if (err instanceof AppError) return `${err.status} ${err.code}`;
    throw err;
  }
}
