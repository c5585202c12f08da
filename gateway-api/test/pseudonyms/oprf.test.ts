/**
 * Subject pseudonyms through the regulator's oblivious PRF (RFC 9497 VOPRF): the regulator's
 * gateway (real server on port 0, real LevelDB, embedded ledger) evaluates blinded IDs for member
 * clients that never hold its key, each request signed with the member's X.509 identity (throw-away
 * CAs made by openssl) and checked against the MSP roots. The six-process run on the real Fabric
 * network is in test/fabric-network/org-gateways.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { parseSubjectId } from '@ruralcredit/protocol';
import { ConfigError, loadConfig } from '../../src/config';
import { AppError } from '../../src/http/errors';
import { loadOrgIdentity, type OrgIdentity } from '../../src/organisation/identity';
import { signOrgRequest } from '../../src/organisation/signed-request';
import { EVALUATE_PATH, RemotePseudonymSourceImpl } from '../../src/pseudonyms/client';
import { OprfBlinder, OprfKeyHolder, publicKeyOfSeed } from '../../src/pseudonyms/oprf';
import { supervisionModule } from '../../src/supervision/routes';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { call, expectError, oprfKeyFile, tempDir, type ApiResponse } from '../helpers';
import { makeOrg } from '../organisation/support';

const ID = residentId(71);
const OTHER_ID = residentId(72);
const norm = (id: string) => parseSubjectId(id).id;

/** A fetch that records every request body it forwards. */
function recordingFetch(): { fetch: typeof fetch; bodies: string[] } {
  const bodies: string[] = [];
  return {
    bodies,
    fetch: (input, init) => {
      bodies.push(typeof init?.body === 'string' ? init.body : '');
      return fetch(input, init);
    },
  };
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'an AppError').to.be.instanceOf(AppError);
  return err as AppError;
}

describe('pseudonyms: the regulator’s oblivious PRF (RFC 9497 VOPRF), asked with signed organisation requests', function () {
  this.timeout(120_000);
  let regulator: ConsortiumGateway;
  let cleanup: () => Promise<void>;
  const ids = new Map<string, OrgIdentity>();
  let outsider: OrgIdentity;

  const remote = (mspId: string, extra: { fetch?: typeof fetch; publicKey?: Uint8Array } = {}) =>
    new RemotePseudonymSourceImpl({
      evaluatorUrl: regulator.url,
      publicKey: extra.publicKey ?? regulator.context.pseudonymKey!.publicKeyBytes,
      identity: ids.get(mspId)!,
      ...(extra.fetch === undefined ? {} : { fetch: extra.fetch }),
    });
  const post = (headers: Record<string, string>, body: unknown): Promise<ApiResponse> =>
    call(`${regulator.url}${EVALUATE_PATH}`, { method: 'POST', headers, json: body });
  const signed = (mspId: string, body: unknown) =>
    signOrgRequest(ids.get(mspId)!, 'POST', EVALUATE_PATH, body);

  before(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    const orgs = [ORG.bankA, ORG.bankB, ORG.auditor, ORG.agri].map((m) => [m, makeOrg(tmp.dir, m)] as const);
    const roots = new Map(orgs.map(([m, o]) => [m, [o.ca]]));
    for (const [m, o] of orgs) ids.set(m, loadOrgIdentity(m, o.keyDir, roots));
    // An organisation whose CA the channel does not know.
    const evil = makeOrg(tmp.dir, 'EvilMSP');
    outsider = loadOrgIdentity('EvilMSP', evil.keyDir, new Map([['EvilMSP', [evil.ca]]]));
    regulator = await startConsortiumGateway(
      [supervisionModule],
      { GATEWAY_PSEUDONYM_RATE_PER_MINUTE: '6' },
      { mspRoots: roots },
    );
  });
  after(async () => {
    await regulator.stop();
    await cleanup();
  });

  it('when one member evaluates the same ID twice, then no request body holds the ID, the blinded elements differ, the regulator logs no ID, and the pseudonyms equal the regulator’s', async () => {
    const rec = recordingFetch();
    // Two clients, so the second evaluation does not come from the first one's cache.
    const first = await remote(ORG.bankA, { fetch: rec.fetch }).pseudonyms([norm(ID)]);
    const second = await remote(ORG.bankA, { fetch: rec.fetch }).pseudonyms([norm(ID)]);
    expect(rec.bodies).to.have.length(2);
    for (const body of rec.bodies) {
      expect(body, 'request body').to.not.include(ID.slice(6, 14));
      expect(body).to.not.include(ID.slice(-8));
      expect(Object.keys(JSON.parse(body) as object)).to.deep.equal(['blinded']);
    }
    const [a, b] = rec.bodies.map((body) => (JSON.parse(body) as { blinded: string[] }).blinded);
    expect(a).to.have.length(1);
    expect(a![0], 'blinded element of the two evaluations').to.not.equal(b![0]);
    expect(first).to.deep.equal(second);
    expect(first[0]).to.match(/^[0-9a-f]{64}$/);
    expect(first[0]).to.equal(await regulator.context.subjects.pseudonym(ID));
    expect(first[0]).to.not.equal(await regulator.context.subjects.pseudonym(OTHER_ID));
    expect(JSON.stringify(regulator.logs)).to.not.include(ID.slice(6, 14));
  });

  it('when the evaluation is made with another key or its proof is altered, then the member refuses it with 502 PSEUDONYM_EVALUATOR_INVALID', async () => {
    const impostor = OprfKeyHolder.fromSeed(randomBytes(32));
    const forged: typeof fetch = (_input, init) => {
      const { blinded } = JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as {
        blinded: string[];
      };
      return Promise.resolve(Response.json(impostor.blindEvaluate(blinded)));
    };
    const wrongKey = await refusal(remote(ORG.bankA, { fetch: forged }).pseudonyms([norm(ID)]));
    expect([wrongKey.status, wrongKey.code]).to.deep.equal([502, 'PSEUDONYM_EVALUATOR_INVALID']);
    expect(wrongKey.message).to.match(/does not verify/);
    const tampered: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const body = (await res.json()) as { evaluated: string[]; proof: string };
      const proof = Buffer.from(body.proof, 'base64');
      proof[5] = proof[5]! ^ 1;
      return Response.json({ ...body, proof: proof.toString('base64') });
    };
    const altered = await refusal(remote(ORG.bankA, { fetch: tampered }).pseudonyms([norm(OTHER_ID)]));
    expect([altered.status, altered.code]).to.deep.equal([502, 'PSEUDONYM_EVALUATOR_INVALID']);
  });

  it('when the evaluation is asked unsigned, with a user token, replayed, forged, by an organisation outside the channel, or with the identity element, then it refuses with a stable code', async () => {
    const blinder = new OprfBlinder(regulator.context.pseudonymKey!.publicKeyBytes);
    const body = { blinded: blinder.blind([norm(ID)]).blinded };
    const headers = signed(ORG.bankB, body);
    const code = (res: ApiResponse) =>
      `${res.status} ${(res.body as { error?: { code: string } } | undefined)?.error?.code ?? ''}`;
    const token = await regulator.token('regulator', 'REGULATOR_ADMIN');
    const outcomes = {
      unsigned: code(await post({}, body)),
      userToken: code(await post({ authorization: `Bearer ${token}` }, body)),
      first: (await post(headers, body)).status,
      replayed: code(await post(headers, body)),
      forged: code(await post({ ...signed(ORG.bankA, body), 'x-rcl-org': ORG.bankB }, body)),
      outsider: code(await post(signOrgRequest(outsider, 'POST', EVALUATE_PATH, body), body)),
      identity: code(
        await post(signed(ORG.bankB, { blinded: [Buffer.alloc(32).toString('base64')] }), {
          blinded: [Buffer.alloc(32).toString('base64')],
        }),
      ),
    };
    expect(outcomes).to.deep.equal({
      unsigned: '401 ORG_SIGNATURE_INVALID',
      userToken: '401 ORG_SIGNATURE_INVALID',
      first: 200,
      replayed: '401 REQUEST_REPLAYED',
      forged: '401 ORG_SIGNATURE_INVALID',
      outsider: '401 ORG_SIGNATURE_INVALID',
      identity: '400 INVALID_ELEMENT',
    });
  });

  it('when an organisation exceeds its allowance, then 429 PSEUDONYM_RATE_LIMITED with Retry-After, other organisations unaffected, and /stats counts per organisation', async () => {
    const key = regulator.context.pseudonymKey!;
    const blinder = new OprfBlinder(key.publicKeyBytes);
    const four = () => ({
      blinded: blinder.blind([ID, OTHER_ID, residentId(73), residentId(74)].map(norm)).blinded,
    });
    // The auditor organisation has used nothing so far: 6 per minute, 4 then 4 more.
    const firstBody = four();
    const ok = await post(signed(ORG.auditor, firstBody), firstBody);
    expect(ok.status, ok.text).to.equal(200);
    expect((ok.body as { evaluated: string[]; keyId: string }).evaluated).to.have.length(4);
    expect((ok.body as { keyId: string }).keyId).to.equal(key.publicKey.keyId);
    const secondBody = four();
    const refused = await post(signed(ORG.auditor, secondBody), secondBody);
    const error = expectError(refused, 429, 'PSEUDONYM_RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 40);
    expect(error.details).to.deep.equal({ retryAfterSeconds: retryAfter, elements: 4 });
    // The member's client carries the refusal to its caller with the same code.
    const viaClient = await refusal(
      remote(ORG.auditor).pseudonyms([75, 76, 77].map((n) => norm(residentId(n)))),
    );
    expect([viaClient.status, viaClient.code]).to.deep.equal([429, 'PSEUDONYM_RATE_LIMITED']);
    // Another organisation still has its own allowance.
    const otherBody = four();
    expect((await post(signed(ORG.agri, otherBody), otherBody)).status).to.equal(200);
    const stats = await regulator.api('/stats', { as: ['regulator', 'REGULATOR_ADMIN'] });
    expect(stats.status, stats.text).to.equal(200);
    expect((stats.body as { pseudonymEvaluations: unknown[] }).pseudonymEvaluations).to.deep.equal([
      { mspId: ORG.agri, requests: 1, elements: 4, rateLimited: 0 },
      { mspId: ORG.auditor, requests: 1, elements: 4, rateLimited: 2 },
      // Bank A: two single-ID evaluations, and the one whose proof its client altered (the forged one never reached the regulator).
      { mspId: ORG.bankA, requests: 3, elements: 3, rateLimited: 0 },
      { mspId: ORG.bankB, requests: 1, elements: 1, rateLimited: 0 },
    ]);
  });

  it('when the key seed is the same, then the published key is the same; GET /pseudonyms/key publishes it; the local pseudonym equals the blinded round trip', async () => {
    const seed = randomBytes(32);
    const k1 = OprfKeyHolder.fromSeed(seed);
    expect(k1.publicKey).to.deep.equal(OprfKeyHolder.fromSeed(seed).publicKey);
    expect(Buffer.from(publicKeyOfSeed(seed)).toString('hex')).to.equal(k1.publicKey.publicKey);
    const blinder = new OprfBlinder(k1.publicKeyBytes);
    const batch = blinder.blind([norm(ID), norm(OTHER_ID)]);
    expect(blinder.finalize(batch, k1.blindEvaluate(batch.blinded))).to.deep.equal([
      k1.pseudonym(norm(ID)),
      k1.pseudonym(norm(OTHER_ID)),
    ]);
    const res = await call(`${regulator.url}/api/v1/pseudonyms/key`);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal(regulator.context.pseudonymKey!.publicKey);
    expect(res.body).to.include({ suite: 'ristretto255-SHA512', mode: 'VOPRF' });
  });
});

describe('pseudonyms: configuration', () => {
  const problemsOf = (env: NodeJS.ProcessEnv): readonly string[] => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) {
        return err.problems.filter((p) => /^GATEWAY_(OPRF|PSEUDONYM_EVALUATOR)/.test(p));
      }
      throw err;
    }
    return [];
  };
  const base = (dir: string): NodeJS.ProcessEnv => ({
    GATEWAY_DATA_DIR: dir,
    GATEWAY_PSEUDONYM_SECRET: randomBytes(32).toString('hex'),
    GATEWAY_DATA_KEY: randomBytes(32).toString('hex'),
  });
  const org = (mspId: string): NodeJS.ProcessEnv => ({
    GATEWAY_ORG: mspId,
    GATEWAY_LEDGER: 'fabric',
    GATEWAY_ORG_KEY_DIR: '/keys',
    GATEWAY_MSP_ROOTS: '/roots.json',
    GATEWAY_ORG_GATEWAYS: JSON.stringify({ RegulatorMSP: 'http://127.0.0.1:1' }),
  });

  it("when a member's gateway is given the OPRF key, or no pinned public key, or the regulator's gateway no key file, or the all-in-one an evaluator, then it refuses to start saying why", async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const publicKey = Buffer.from(publicKeyOfSeed(randomBytes(32))).toString('hex');
      expect({
        memberWithKey: problemsOf({
          ...base(dir),
          ...org('BankAMSP'),
          GATEWAY_OPRF_KEY_FILE: oprfKeyFile(dir),
          GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY: publicKey,
        }),
        memberUnpinned: problemsOf({ ...base(dir), ...org('BankAMSP') }),
        regulatorWithoutKey: problemsOf({ ...base(dir), ...org('RegulatorMSP'), GATEWAY_DEMO: '1' }),
        allInOneAsking: problemsOf({
          ...base(dir),
          GATEWAY_DEMO: '1',
          GATEWAY_PSEUDONYM_EVALUATOR_URL: 'http://127.0.0.1:1',
        }),
        productionWithoutKey: problemsOf(base(dir)),
      }).to.deep.equal({
        memberWithKey: [
          "GATEWAY_OPRF_KEY_FILE: BankAMSP's gateway holds no pseudonym key (only the regulator's does); remove it and set GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY",
        ],
        memberUnpinned: [
          "GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY: required with GATEWAY_ORG=BankAMSP (the regulator's published OPRF key, pinned)",
        ],
        regulatorWithoutKey: [
          "GATEWAY_OPRF_KEY_FILE: required with GATEWAY_ORG=RegulatorMSP, also in demo mode (the regulator's OPRF key seed; never generated for an organisation)",
        ],
        allInOneAsking: [
          "GATEWAY_PSEUDONYM_EVALUATOR_URL: only a member's per-organisation gateway asks the regulator; the all-in-one process evaluates with GATEWAY_OPRF_KEY_FILE",
        ],
        productionWithoutKey: [
          'GATEWAY_OPRF_KEY_FILE: required outside demo mode (a file holding the 32-byte OPRF key seed in hex)',
        ],
      });
    } finally {
      await cleanup();
    }
  });

  it("when a member's gateway is configured, then it asks the regulator's gateway named in GATEWAY_ORG_GATEWAYS and holds no key; the demo generates its key once and reads it back", async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const publicKey = Buffer.from(publicKeyOfSeed(randomBytes(32))).toString('hex');
      const member = loadConfig({
        ...base(dir),
        ...org('BankAMSP'),
        GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY: publicKey,
      });
      expect(member.pseudonyms).to.deep.equal({
        mode: 'remote',
        evaluatorUrl: 'http://127.0.0.1:1',
        publicKey: Buffer.from(publicKey, 'hex'),
      });
      const first = loadConfig({ GATEWAY_DATA_DIR: dir, GATEWAY_DEMO: '1' });
      const second = loadConfig({ GATEWAY_DATA_DIR: dir, GATEWAY_DEMO: '1' });
      expect([first.pseudonyms.mode, second.pseudonyms.mode]).to.deep.equal(['local', 'local']);
      const seeds = [first, second].map((c) =>
        c.pseudonyms.mode === 'local' ? c.pseudonyms.seed : undefined,
      );
      expect(seeds[0]).to.have.length(32);
      expect(seeds[0]!.equals(seeds[1]!)).to.equal(true);
    } finally {
      await cleanup();
    }
  });
});
