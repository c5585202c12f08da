/**
 * Subject pseudonyms through the regulator's oblivious PRF: the regulator's
 * gateway (real server on port 0, real LevelDB, embedded ledger) evaluates
 * blinded IDs for member clients and member gateways that never hold its key.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { parseSubjectId } from '@ruralcredit/protocol';
import { loadConfig, ConfigError } from '../../src/config';
import { AppError } from '../../src/http/errors';
import {
  EVALUATE_PATH,
  RemotePseudonymSourceImpl,
  type EvaluatorCredentials,
} from '../../src/pseudonyms/client';
import { pseudonymsModule } from '../../src/pseudonyms/module';
import { OprfBlinder, OprfKeyHolder } from '../../src/pseudonyms/oprf';
import { supervisionModule } from '../../src/supervision/routes';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
  type OrgName,
} from '../acceptance/consortium-gateway';
import { call, expectError, oprfKeyFile, tempDir } from '../helpers';

const ID = residentId(71);
const OTHER_ID = residentId(72);

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

function tokenOf(g: ConsortiumGateway, org: OrgName): EvaluatorCredentials {
  return { token: () => g.token(org, 'ORG_ADMIN') };
}

function remote(
  g: ConsortiumGateway,
  org: OrgName,
  extra: { fetch?: typeof fetch; publicKey?: Uint8Array } = {},
): RemotePseudonymSourceImpl {
  const key = g.context.pseudonymKey;
  if (key === undefined) throw new Error('the regulator gateway holds no key');
  return new RemotePseudonymSourceImpl({
    evaluatorUrl: g.url,
    publicKey: extra.publicKey ?? key.publicKeyBytes,
    credentials: tokenOf(g, org),
    ...(extra.fetch === undefined ? {} : { fetch: extra.fetch }),
  });
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'an AppError').to.be.instanceOf(AppError);
  return err as AppError;
}

describe('pseudonyms: the regulator’s oblivious PRF (RFC 9497 VOPRF)', function () {
  this.timeout(120_000);
  let regulator: ConsortiumGateway;

  before(async () => {
    regulator = await startConsortiumGateway([pseudonymsModule, supervisionModule], {
      GATEWAY_PSEUDONYM_RATE_PER_MINUTE: '6',
    });
  });
  after(() => regulator.stop());

  it('when one member evaluates the same ID twice, then no request body holds the ID, the blinded elements differ and the pseudonyms are equal to the regulator’s', async () => {
    const rec = recordingFetch();
    // Two clients, so the second evaluation does not come from the first one's cache.
    const first = await remote(regulator, 'bankA', { fetch: rec.fetch }).pseudonyms([ID]);
    const second = await remote(regulator, 'bankA', { fetch: rec.fetch }).pseudonyms([ID]);
    expect(rec.bodies).to.have.length(2);
    const digits = ID.slice(0, 17);
    for (const body of rec.bodies) {
      expect(body, 'request body').to.not.include(digits);
      expect(body).to.not.include(ID.slice(-8));
      expect(Object.keys(JSON.parse(body) as object)).to.deep.equal(['blinded']);
    }
    const [a, b] = rec.bodies.map((body) => (JSON.parse(body) as { blinded: string[] }).blinded);
    expect(a).to.have.length(1);
    expect(b).to.have.length(1);
    expect(a![0], 'blinded element of the two evaluations').to.not.equal(b![0]);
    expect(first).to.deep.equal(second);
    expect(first[0]).to.match(/^[0-9a-f]{64}$/);
    expect(first[0]).to.equal(await regulator.context.subjects.pseudonym(ID));
    expect(first[0]).to.not.equal(await regulator.context.subjects.pseudonym(OTHER_ID));
  });

  it('when two member gateways (one configured from its environment) ask for the same ID, then both get the regulator’s pseudonym without holding its key', async () => {
    const key = regulator.context.pseudonymKey!;
    // The regulator registers a service user for the natural-resources department.
    const password = `pw-${randomBytes(8).toString('hex')}`;
    await regulator.gateway.deps.users.create({
      orgMspId: ORG.land,
      username: 'land.pseudonyms',
      password,
      roles: ['DATA_OFFICER'],
    });
    const member = await startConsortiumGateway([pseudonymsModule], {
      GATEWAY_PSEUDONYM_EVALUATOR_URL: regulator.url,
      GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY: key.publicKey.publicKey,
      GATEWAY_PSEUDONYM_EVALUATOR_USER: 'land.pseudonyms',
      GATEWAY_PSEUDONYM_EVALUATOR_PASSWORD: password,
      GATEWAY_PSEUDONYM_EVALUATOR_ORG: ORG.land,
    });
    try {
      expect(member.config.pseudonyms.mode).to.equal('remote');
      expect(member.context.pseudonymKey, 'the member gateway holds no key').to.equal(undefined);
      const viaMember = await member.context.subjects.pseudonym(ID);
      const viaBank = await remote(regulator, 'bankB').pseudonyms([ID]);
      expect(viaMember).to.equal(viaBank[0]);
      expect(viaMember).to.equal(await key.pseudonym(parseSubjectId(ID).id));
      // The member gateway validates before anything leaves it.
      expectError(
        await member.api('/pseudonyms/evaluate', { method: 'POST', as: ['land', 'DATA_OFFICER'], json: {} }),
        404,
        'NOT_FOUND',
      );
      const wrongCheck = ID.slice(0, 17) + (ID.endsWith('0') ? '1' : '0');
      const bad = await refusal(member.context.subjects.pseudonym(wrongCheck));
      expect([bad.status, bad.code]).to.deep.equal([400, 'INVALID_SUBJECT_ID']);
    } finally {
      await member.stop();
    }
  });

  it('when the evaluation is signed with another key or its proof is altered, then the client refuses it with 502 PSEUDONYM_EVALUATOR_INVALID', async () => {
    const impostor = await OprfKeyHolder.fromSeed(randomBytes(32));
    const forged: typeof fetch = async (_input, init) => {
      const { blinded } = JSON.parse(String(init?.body)) as { blinded: string[] };
      return Response.json(await impostor.blindEvaluate(blinded));
    };
    const wrongKey = await refusal(remote(regulator, 'bankA', { fetch: forged }).pseudonyms([ID]));
    expect([wrongKey.status, wrongKey.code]).to.deep.equal([502, 'PSEUDONYM_EVALUATOR_INVALID']);
    expect(wrongKey.message).to.match(/does not verify/);

    const tampered: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const body = (await res.json()) as { evaluated: string[]; proof: string };
      const proof = Buffer.from(body.proof, 'base64');
      proof[5] = (proof[5] ?? 0) ^ 1;
      return Response.json({ ...body, proof: proof.toString('base64') });
    };
    const altered = await refusal(remote(regulator, 'bankA', { fetch: tampered }).pseudonyms([OTHER_ID]));
    expect([altered.status, altered.code]).to.deep.equal([502, 'PSEUDONYM_EVALUATOR_INVALID']);
  });

  it('when the evaluation is called without a token, then 401 UNAUTHENTICATED; with the identity element, then 400 INVALID_ELEMENT', async () => {
    const blinder = new OprfBlinder(regulator.context.pseudonymKey!.publicKeyBytes);
    const { blinded } = await blinder.blind([parseSubjectId(ID).id]);
    expectError(
      await call(`${regulator.url}${EVALUATE_PATH}`, { method: 'POST', json: { blinded } }),
      401,
      'UNAUTHENTICATED',
    );
    expectError(
      await regulator.api('/pseudonyms/evaluate', {
        method: 'POST',
        as: ['bankB', 'ORG_ADMIN'],
        json: { blinded: [Buffer.alloc(32).toString('base64')] },
      }),
      400,
      'INVALID_ELEMENT',
    );
  });

  it('when an organisation exceeds its allowance, then 429 PSEUDONYM_RATE_LIMITED with Retry-After, other organisations unaffected, and /stats counts per organisation', async () => {
    const key = regulator.context.pseudonymKey!;
    const blinder = new OprfBlinder(key.publicKeyBytes);
    const four = async () =>
      (await blinder.blind([ID, OTHER_ID, residentId(73), residentId(74)].map((i) => parseSubjectId(i).id)))
        .blinded;
    // The auditor organisation has used nothing so far: 6 per minute, 4 then 4 more.
    const ok = await regulator.api('/pseudonyms/evaluate', {
      method: 'POST',
      as: ['auditor', 'ORG_ADMIN'],
      json: { blinded: await four() },
    });
    expect(ok.status, ok.text).to.equal(200);
    const body = ok.body as { evaluated: string[]; proof: string; keyId: string };
    expect(body.evaluated).to.have.length(4);
    expect(body.keyId).to.equal(key.publicKey.keyId);
    const refused = await regulator.api('/pseudonyms/evaluate', {
      method: 'POST',
      as: ['auditor', 'AUDITOR'],
      json: { blinded: await four() },
    });
    const error = expectError(refused, 429, 'PSEUDONYM_RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 20);
    expect(error.details).to.deep.equal({ retryAfterSeconds: retryAfter, elements: 4 });
    // The client carries the refusal to its caller with the same code.
    const viaClient = await refusal(
      remote(regulator, 'auditor').pseudonyms([residentId(75), residentId(76), residentId(77)]),
    );
    expect([viaClient.status, viaClient.code]).to.deep.equal([429, 'PSEUDONYM_RATE_LIMITED']);
    expect(viaClient.headers['Retry-After']).to.match(/^[1-9][0-9]*$/);
    // Another organisation still has its own allowance.
    const other = await regulator.api('/pseudonyms/evaluate', {
      method: 'POST',
      as: ['agri', 'ORG_ADMIN'],
      json: { blinded: await four() },
    });
    expect(other.status, other.text).to.equal(200);

    const stats = await regulator.api('/stats', { as: ['regulator', 'REGULATOR_ADMIN'] });
    expect(stats.status, stats.text).to.equal(200);
    const rows = (stats.body as { pseudonymEvaluations: unknown[] }).pseudonymEvaluations;
    expect(rows).to.deep.equal([
      { mspId: ORG.agri, requests: 1, elements: 4, rateLimited: 0 },
      { mspId: ORG.auditor, requests: 1, elements: 4, rateLimited: 2 },
      // Bank A: two single-ID evaluations, and the one whose proof its client altered (the forged one never reached the regulator).
      { mspId: ORG.bankA, requests: 3, elements: 3, rateLimited: 0 },
      { mspId: ORG.bankB, requests: 1, elements: 1, rateLimited: 0 },
      { mspId: ORG.land, requests: 1, elements: 1, rateLimited: 0 },
    ]);
  });

  it('when the key seed is the same, then the published key is the same; GET /pseudonyms/key publishes it', async () => {
    const seed = randomBytes(32);
    const [k1, k2] = await Promise.all([OprfKeyHolder.fromSeed(seed), OprfKeyHolder.fromSeed(seed)]);
    expect(k1.publicKey).to.deep.equal(k2.publicKey);
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
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };
  const secrets = (dir: string): NodeJS.ProcessEnv => ({
    GATEWAY_DATA_DIR: dir,
    GATEWAY_PSEUDONYM_SECRET: randomBytes(32).toString('hex'),
    GATEWAY_DATA_KEY: randomBytes(32).toString('hex'),
  });

  it('when a production gateway names both a key file and an evaluator, or an evaluator without its pinned key and user, or a malformed key file, then it refuses to start saying why', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      expect(
        problemsOf({
          ...secrets(dir),
          GATEWAY_OPRF_KEY_FILE: oprfKeyFile(dir),
          GATEWAY_PSEUDONYM_EVALUATOR_URL: 'http://127.0.0.1:1',
        }),
      ).to.deep.equal([
        'GATEWAY_PSEUDONYM_EVALUATOR_URL: set either it (a member asks the regulator) or GATEWAY_OPRF_KEY_FILE (the regulator), not both',
      ]);
      expect(
        problemsOf({ ...secrets(dir), GATEWAY_PSEUDONYM_EVALUATOR_URL: 'http://127.0.0.1:1' }),
      ).to.deep.equal([
        'GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY: required with GATEWAY_PSEUDONYM_EVALUATOR_URL',
        'GATEWAY_PSEUDONYM_EVALUATOR_USER: required with GATEWAY_PSEUDONYM_EVALUATOR_URL',
        'GATEWAY_PSEUDONYM_EVALUATOR_PASSWORD: required with GATEWAY_PSEUDONYM_EVALUATOR_URL',
      ]);
      const short = `${dir}/short.hex`;
      await import('node:fs/promises').then((fs) => fs.writeFile(short, 'abcd\n'));
      expect(problemsOf({ ...secrets(dir), GATEWAY_OPRF_KEY_FILE: short })).to.deep.equal([
        `GATEWAY_OPRF_KEY_FILE: ${short} must hold the 32-byte key seed as 64 hex characters`,
      ]);
    } finally {
      await cleanup();
    }
  });

  it('when the demo starts without a key file, then it generates one and reads the same key on restart', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const first = loadConfig({ GATEWAY_DATA_DIR: dir, GATEWAY_DEMO: '1' });
      const second = loadConfig({ GATEWAY_DATA_DIR: dir, GATEWAY_DEMO: '1' });
      expect(first.pseudonyms.mode).to.equal('local');
      if (first.pseudonyms.mode !== 'local' || second.pseudonyms.mode !== 'local') return;
      expect(first.pseudonyms.seed.equals(second.pseudonyms.seed)).to.equal(true);
    } finally {
      await cleanup();
    }
  });
});
