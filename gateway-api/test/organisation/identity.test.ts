/**
 * The per-organisation gateway's own keys and signed requests between organisations, with two
 * throw-away organisation CAs made by openssl (no Fabric needed); the same checks run on the real
 * network's certificates in test/fabric-network/org-gateways.test.ts.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { deploymentOf } from '../../src/app';
import { ConfigError, loadConfig } from '../../src/config';
import { AppError } from '../../src/http/errors';
import { KEY_FILES, loadOrgIdentity, OrgKeyError } from '../../src/organisation/identity';
import type { MspRoots } from '../../src/organisation/msp';
import { signOrgRequest, verifyOrgRequest } from '../../src/organisation/signed-request';
import { tempDir } from '../helpers';
import { makeOrg } from './support';

describe('organisation: own keys only, signed requests between gateways (issue 13)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let roots: MspRoots;
  let bank: { keyDir: string };
  let provider: { keyDir: string };
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    const b = makeOrg(dir, 'BankAMSP');
    const p = makeOrg(dir, 'AgricultureMSP');
    roots = new Map([
      ['BankAMSP', [b.ca]],
      ['AgricultureMSP', [p.ca]],
    ]);
    bank = b;
    provider = p;
  });
  after(() => cleanup());

  const refusal = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      return err instanceof OrgKeyError ? err.code : String(err);
    }
    return 'accepted';
  };

  it("when a gateway's key directory holds its own keys, then they load; another organisation's certificate or key is FOREIGN_ORG_KEY", () => {
    expect(loadOrgIdentity('BankAMSP', bank.keyDir, roots).mspId).to.equal('BankAMSP');
    const mixed = path.join(dir, 'mixed');
    mkdirSync(mixed);
    for (const f of Object.values(KEY_FILES)) copyFileSync(path.join(bank.keyDir, f), path.join(mixed, f));
    copyFileSync(path.join(provider.keyDir, KEY_FILES.fabricKey), path.join(mixed, 'spare.pem'));
    expect({
      providerKeysForBank: refusal(() => loadOrgIdentity('BankAMSP', provider.keyDir, roots)),
      spareProviderKey: refusal(() => loadOrgIdentity('BankAMSP', mixed, roots)),
      unknownOrganisation: refusal(() => loadOrgIdentity('BankBMSP', bank.keyDir, roots)),
      missingDirectory: refusal(() => loadOrgIdentity('BankAMSP', path.join(dir, 'none'), roots)),
    }).to.deep.equal({
      providerKeysForBank: 'FOREIGN_ORG_KEY',
      spareProviderKey: 'FOREIGN_ORG_KEY',
      unknownOrganisation: 'ORG_KEY_INVALID',
      missingDirectory: 'ORG_KEY_MISSING',
    });
  });

  it('when a signed request is verified, then a good one passes once; a replay, an altered body, a forged claim and a stale one are refused with their codes', async () => {
    const identity = loadOrgIdentity('BankAMSP', bank.keyDir, roots);
    const other = loadOrgIdentity('AgricultureMSP', provider.keyDir, roots);
    const seen = new Set<string>();
    const claim = (org: string, nonce: string) =>
      Promise.resolve(!seen.has(`${org}!${nonce}`) && !!seen.add(`${org}!${nonce}`));
    const body = { accessId: 'a-1', subject: 'ab'.repeat(32), datasets: ['LAND_CONTRACT'] };
    const code = async (headers: Record<string, string>, b: unknown, at?: Date): Promise<string> => {
      try {
        return (
          await verifyOrgRequest(
            headers,
            { method: 'POST', path: '/api/v1/org/releases', body: b },
            roots,
            claim,
            at,
          )
        ).mspId;
      } catch (err) {
        return err instanceof AppError ? err.code : String(err);
      }
    };
    const good = signOrgRequest(identity, 'POST', '/api/v1/org/releases', body);
    expect({
      good: await code(good, body),
      replayed: await code(good, body),
      altered: await code(signOrgRequest(identity, 'POST', '/api/v1/org/releases', body), {
        ...body,
        datasets: ['AGRI_SUBSIDY'],
      }),
      forgedClaim: await code(
        { ...signOrgRequest(other, 'POST', '/api/v1/org/releases', body), 'x-rcl-org': 'BankAMSP' },
        body,
      ),
      stale: await code(
        signOrgRequest(identity, 'POST', '/api/v1/org/releases', body),
        body,
        new Date(Date.now() + 6 * 60_000),
      ),
      unsigned: await code({}, body),
    }).to.deep.equal({
      good: 'BankAMSP',
      replayed: 'REQUEST_REPLAYED',
      altered: 'ORG_SIGNATURE_INVALID',
      forgedClaim: 'ORG_SIGNATURE_INVALID',
      stale: 'REQUEST_STALE',
      unsigned: 'ORG_SIGNATURE_INVALID',
    });
  });

  it('when GATEWAY_ORG is set without the fabric ledger, keys or secrets, then the configuration names each problem; the demo says it is all-in-one', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ GATEWAY_ORG: 'BankAMSP', GATEWAY_DEMO: '1', GATEWAY_DATA_DIR: dir });
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems.map((p) => p.split(':')[0]!);
    }
    expect(problems).to.deep.equal([
      'GATEWAY_ORG',
      'GATEWAY_ORG_KEY_DIR',
      'GATEWAY_PSEUDONYM_SECRET',
      'GATEWAY_DATA_KEY',
      'GATEWAY_MSP_ROOTS',
      'GATEWAY_PSEUDONYM_EVALUATOR_URL',
      'GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY',
    ]);
    const demo = loadConfig({ GATEWAY_DEMO: '1', GATEWAY_DATA_DIR: dir });
    expect(deploymentOf(demo)).to.include({ mode: 'all-in-one-demo' });
    expect(deploymentOf(demo).note).to.match(/^ALL-IN-ONE DEMO: /);
  });
});
