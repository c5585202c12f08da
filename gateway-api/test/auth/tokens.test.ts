import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { operatorPseudonym } from '../../src/auth/pseudonym';
import { call, expectError, startGateway, userWithToken, type TestGateway } from '../helpers';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('access tokens', () => {
  let tg: TestGateway;
  let admin: { id: string; token: string };
  let usersUrl: string;
  let kid: string;
  let privateKey: KeyObject;

  before(async () => {
    tg = await startGateway();
    admin = await userWithToken(tg, 'Bank1MSP', 'bank1.admin', ['ORG_ADMIN']);
    usersUrl = `${tg.url}/api/v1/users`;
    ({ kid, privateKey } = tg.gateway.deps.signingKeys.active());
  });
  after(() => tg.stop());

  function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      sub: admin.id,
      org: 'Bank1MSP',
      roles: ['ORG_ADMIN'],
      opr: operatorPseudonym(tg.config.pseudonymSecret, admin.id),
      iss: tg.config.jwtIssuer,
      aud: tg.config.jwtAudience,
      iat: now,
      exp: now + 300,
      jti: 'test',
      ...overrides,
    };
  }

  function es256(payload: Record<string, unknown>, key: KeyObject = privateKey, keyid = kid): string {
    return jwt.sign(payload, key, {
      algorithm: 'ES256',
      keyid,
      header: { alg: 'ES256', typ: 'at+jwt', kid: keyid },
    });
  }

  async function expectRejected(token: string): Promise<void> {
    const res = await call(usersUrl, { token });
    expectError(res, 401, 'UNAUTHENTICATED');
    expect(res.headers.get('www-authenticate')).to.match(/^Bearer /);
  }

  it('when a user logs in, then an ES256 token with kid and the expected claims is issued', () => {
    const decoded = jwt.decode(admin.token, { complete: true });
    expect(decoded?.header.alg).to.equal('ES256');
    expect(decoded?.header.kid).to.equal(kid);
    const payload = decoded?.payload as Record<string, unknown>;
    expect(payload.sub).to.equal(admin.id);
    expect(payload.org).to.equal('Bank1MSP');
    expect(payload.roles).to.deep.equal(['ORG_ADMIN']);
    expect(payload.opr).to.equal(
      createHmac('sha256', tg.config.pseudonymSecret).update(`rcl:operator:v1:${admin.id}`).digest('hex'),
    );
    expect(payload.iss).to.equal(tg.config.jwtIssuer);
    expect(payload.aud).to.equal(tg.config.jwtAudience);
    expect((payload.exp as number) - (payload.iat as number)).to.equal(900);
  });

  it('when the token endpoint answers, then the body is {accessToken, tokenType: Bearer, expiresIn}', async () => {
    const { password } = await userWithToken(tg, 'Bank1MSP', 'bank1.shape', ['AUDITOR']);
    const res = await call(`${tg.url}/api/v1/auth/token`, {
      method: 'POST',
      json: { username: 'bank1.shape', password },
    });
    expect(res.status).to.equal(200);
    expect(Object.keys(res.body as object).sort()).to.deep.equal(['accessToken', 'expiresIn', 'tokenType']);
    expect(res.body).to.include({ tokenType: 'Bearer', expiresIn: 900 });
    expect(res.headers.get('cache-control')).to.equal('no-store');
  });

  it('when a valid token is presented, then the request is authenticated', async () => {
    const res = await call(usersUrl, { token: admin.token });
    expect(res.status, res.text).to.equal(200);
    expect(await call(usersUrl, { token: es256(claims()) })).to.have.property('status', 200);
  });

  it('when no Authorization header is sent, then 401 UNAUTHENTICATED', async () => {
    expectError(await call(usersUrl), 401, 'UNAUTHENTICATED');
  });

  it('when the Authorization scheme is not Bearer, then 401 UNAUTHENTICATED', async () => {
    expectError(
      await call(usersUrl, { headers: { authorization: `Basic ${admin.token}` } }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('when the token uses alg none, then 401', async () => {
    await expectRejected(`${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(claims())}.`);
  });

  it('when the token is HS256 signed with the public key PEM as secret, then 401', async () => {
    const pem = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' });
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64(claims())}`;
    const signature = createHmac('sha256', pem).update(input).digest('base64url');
    await expectRejected(`${input}.${signature}`);
  });

  it('when the token is HS256 with an arbitrary secret, then 401', async () => {
    await expectRejected(jwt.sign(claims(), 'secret', { algorithm: 'HS256', keyid: kid }));
  });

  it('when a token verified once (and so kept as verified) expires, then it is refused from then on', () => {
    const tokens = tg.gateway.deps.tokens;
    const { accessToken } = tokens.issue({ id: admin.id, orgMspId: 'Bank1MSP', roles: ['ORG_ADMIN'] });
    expect(tokens.verify(accessToken).sub).to.equal(admin.id);
    expect(tokens.verify(accessToken).sub).to.equal(admin.id);
    const realNow = Date.now;
    Date.now = () => realNow() + (tg.config.tokenTtlSeconds + 10) * 1000;
    try {
      expect(() => tokens.verify(accessToken)).to.throw('access token expired');
    } finally {
      Date.now = realNow;
    }
  });

  it('when the token is expired, then 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(es256(claims({ iat: now - 1000, exp: now - 100 })));
  });

  it('when the token has no exp, then 401', async () => {
    const payload = claims();
    delete payload.exp;
    await expectRejected(es256(payload));
  });

  it('when the issuer is wrong, then 401', async () => {
    await expectRejected(es256(claims({ iss: 'urn:someone-else' })));
  });

  it('when the audience is wrong, then 401', async () => {
    await expectRejected(es256(claims({ aud: 'urn:another-api' })));
  });

  it('when the kid is unknown, then 401 (own key with a foreign kid, and a foreign key)', async () => {
    await expectRejected(es256(claims(), privateKey, 'not-a-known-kid'));
    const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await expectRejected(es256(claims(), foreign, 'foreign'));
  });

  it('when the kid header is missing, then 401', async () => {
    await expectRejected(jwt.sign(claims(), privateKey, { algorithm: 'ES256' }));
  });

  it('when the payload is tampered with, then 401', async () => {
    const [header, , signature] = admin.token.split('.');
    const payload = jwt.decode(admin.token) as Record<string, unknown>;
    const forged = `${header}.${b64({ ...payload, roles: ['ORG_ADMIN', 'REGULATOR_ADMIN'] })}.${signature}`;
    await expectRejected(forged);
  });

  it('when the token lives longer than the configured TTL, then 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(es256(claims({ iat: now, exp: now + 3600 })));
  });

  it('when the token is garbage, then 401', async () => {
    await expectRejected('not.a.jwt');
  });

  it('when the JWKS is fetched, then it holds the public key of the kid and no private part', async () => {
    const res = await call(`${tg.url}/api/v1/auth/jwks`);
    expect(res.status).to.equal(200);
    const keys = (res.body as { keys: Record<string, unknown>[] }).keys;
    expect(keys.map((k) => k.kid)).to.deep.equal([kid]);
    expect(keys[0]).not.to.have.property('d');
  });
});
