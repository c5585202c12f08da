/**
 * Issue 7 case 8: forged and malformed access tokens against a protected
 * endpoint of the real gateway. Tokens are built by hand (header, payload,
 * signature) so that each differs from a valid one in exactly one way; a
 * control token built the same way with everything right must be accepted.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { SIGNING_KEYS_FILE } from '../../src/auth/keys';
import { call, expectError } from '../helpers';
import { ORG, height, startSecurityGateway, type ConsortiumGateway } from './fixture';
import { caseIt } from './recorder';

const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function es256(header: object, payload: object, key: KeyObject): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

function hs256(header: object, payload: object, secret: string | Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

describe('security: access tokens (issue 7 case 8)', () => {
  let g: ConsortiumGateway;
  let kid: string;
  let privateKey: KeyObject;
  let publicPem: string;
  let publicJwk: string;
  /** Claims of a real token of bankA's loan officer. */
  let claims: Record<string, unknown>;

  before(async () => {
    g = await startSecurityGateway();
    const file = JSON.parse(readFileSync(path.join(g.config.dataDir, SIGNING_KEYS_FILE), 'utf8')) as {
      active: string;
      keys: Record<string, string>[];
    };
    kid = file.active;
    const jwk = file.keys.find((k) => k.kid === kid)!;
    privateKey = createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d },
      format: 'jwk',
    });
    publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    const published = (await g.api('/auth/jwks')).body as { keys: Record<string, unknown>[] };
    publicJwk = JSON.stringify(published.keys.find((k) => k.kid === kid));
    const real = await g.token('bankA', 'LOAN_OFFICER');
    claims = JSON.parse(Buffer.from(real.split('.')[1]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  });
  after(() => g.stop());

  const now = () => Math.floor(Date.now() / 1000);
  const fresh = (): Record<string, unknown> => ({ ...claims, iat: now(), exp: now() + 600 });
  const header = (): Record<string, unknown> => ({ alg: 'ES256', typ: 'at+jwt', kid });
  const protectedCall = (token: string, scheme = 'Bearer') =>
    call(`${g.url}/api/v1/consents`, { headers: { authorization: `${scheme} ${token}` } });

  caseIt(
    '8',
    'when a hand-built token has every claim right, then it is accepted (control)',
    async (figures) => {
      figures.tried = 1;
      const res = await protectedCall(es256(header(), fresh(), privateKey));
      expect(res.status, res.text).to.equal(200);
      figures.acknowledged = 1;
      figures.notes.push('control token accepted: the forgeries below differ from it in one respect each');
    },
  );

  caseIt(
    '8',
    'when a token is forged or malformed in any one respect, then 401 UNAUTHENTICATED with a Bearer challenge and nothing is written',
    async (figures) => {
      const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const valid = es256(header(), fresh(), privateKey);
      const [h, p, s] = valid.split('.') as [string, string, string];
      const withoutExp = fresh();
      delete withoutExp.exp;
      const withoutIat = fresh();
      delete withoutIat.iat;
      const noKid = header();
      delete noKid.kid;
      const forged: Record<string, string> = {
        'alg none, empty signature': `${b64url({ alg: 'none', typ: 'JWT', kid })}.${b64url(fresh())}.`,
        'alg none, no kid': `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(fresh())}.`,
        'alg NONE (case variant)': `${b64url({ alg: 'NONE', kid })}.${b64url(fresh())}.`,
        'alg none with the real signature kept': `${b64url({ alg: 'none', kid })}.${p}.${s}`,
        'HS256 keyed with the public key (PEM)': hs256({ alg: 'HS256', typ: 'JWT', kid }, fresh(), publicPem),
        'HS256 keyed with the public key (JWKS JSON)': hs256({ alg: 'HS256', kid }, fresh(), publicJwk),
        'HS256 keyed with the kid': hs256({ alg: 'HS256', kid }, fresh(), kid),
        'HS256 keyed with an empty secret': hs256({ alg: 'HS256', kid }, fresh(), ''),
        'expired an hour ago': es256(
          header(),
          { ...claims, iat: now() - 4200, exp: now() - 3600 },
          privateKey,
        ),
        'missing exp': es256(header(), withoutExp, privateKey),
        'missing iat': es256(header(), withoutIat, privateKey),
        'lifetime longer than the gateway issues': es256(
          header(),
          { ...claims, iat: now(), exp: now() + 30 * 86_400 },
          privateKey,
        ),
        'not yet valid (nbf in an hour)': es256(header(), { ...fresh(), nbf: now() + 3600 }, privateKey),
        'wrong issuer': es256(header(), { ...fresh(), iss: 'urn:evil:gateway' }, privateKey),
        'missing issuer': es256(header(), { ...fresh(), iss: undefined }, privateKey),
        'wrong audience': es256(header(), { ...fresh(), aud: 'urn:ruralcredit:other' }, privateKey),
        'audience list without ours': es256(header(), { ...fresh(), aud: ['urn:x', 'urn:y'] }, privateKey),
        'unknown key id (signed by another key)': es256(
          { ...header(), kid: 'unknown-kid' },
          fresh(),
          otherKey,
        ),
        'unknown key id (signed by the real key)': es256(
          { ...header(), kid: 'unknown-kid' },
          fresh(),
          privateKey,
        ),
        'real key id, signed by another key': es256(header(), fresh(), otherKey),
        'no key id': es256(noKid, fresh(), privateKey),
        'embedded jwk header': es256(
          { ...header(), jwk: createPublicKey(otherKey).export({ format: 'jwk' }) },
          fresh(),
          otherKey,
        ),
        'tampered payload: roles raised to REGULATOR_ADMIN': `${h}.${b64url({ ...JSON.parse(Buffer.from(p, 'base64url').toString('utf8')), roles: ['REGULATOR_ADMIN'] })}.${s}`,
        'tampered payload: org changed to BankB': `${h}.${b64url({ ...JSON.parse(Buffer.from(p, 'base64url').toString('utf8')), org: ORG.bankB })}.${s}`,
        'tampered header: kid changed': `${b64url({ ...header(), kid: `${kid}x` })}.${p}.${s}`,
        'tampered signature (one character)': `${h}.${p}.${s.startsWith('A') ? `B${s.slice(1)}` : `A${s.slice(1)}`}`,
        'signature stripped': `${h}.${p}.`,
        'two segments': `${h}.${p}`,
        'four segments': `${valid}.${s}`,
        'payload not JSON (header without typ)': `${b64url({ alg: 'ES256', kid })}.${b64url('not json')}.${s}`,
        'unknown role in roles': es256(header(), { ...fresh(), roles: ['ROOT'] }, privateKey),
        'empty token': '',
        garbage: 'x'.repeat(40),
        'oversized (8 KiB)': `${h}.${b64url({ ...fresh(), pad: 'x'.repeat(8192) })}.${s}`,
      };
      const before = await height(g);
      const failures: string[] = [];
      for (const [what, token] of Object.entries(forged)) {
        figures.tried += 1;
        const res = await protectedCall(token);
        if (res.status < 300) figures.acknowledged += 1;
        try {
          expectError(res, 401, 'UNAUTHENTICATED');
          expect(res.headers.get('www-authenticate') ?? '', 'challenge').to.match(/^Bearer /);
        } catch (err) {
          failures.push(`${what}: ${(err as Error).message}`);
        }
      }
      // The scheme is checked too: a valid token sent other than as Bearer is refused.
      for (const scheme of ['Basic', 'Token', 'JWT']) {
        figures.tried += 1;
        const res = await protectedCall(valid, scheme);
        if (res.status < 300) figures.acknowledged += 1;
        if (res.status !== 401) failures.push(`scheme "${scheme}": ${res.status}`);
      }
      // A forged token on a write endpoint writes nothing.
      figures.tried += 1;
      const write = await call(`${g.url}/api/v1/liens/any/release`, {
        method: 'POST',
        headers: { authorization: `Bearer ${b64url({ alg: 'none', kid })}.${b64url(fresh())}.` },
      });
      if (write.status !== 401) failures.push(`write endpoint: ${write.status}`);
      figures.found = failures.length + ((await height(g)) - before);
      figures.notes.push(`forgeries: ${Object.keys(forged).length} tokens + 3 schemes + 1 write; all 401`);
      expect(failures, failures.join('\n')).to.deep.equal([]);
      expect(await height(g), 'ledger height').to.equal(before);
    },
  );

  // Regression test for a bug this suite found (fixed).
  caseIt(
    '8',
    'when the payload segment is not JSON and the header says typ JWT, then 401 UNAUTHENTICATED (not 500)',
    async () => {
      const real = await g.token('bankA', 'LOAN_OFFICER');
      const [h, , s] = real.split('.') as [string, string, string];
      expectError(await protectedCall(`${h}.${b64url('not json')}.${s}`), 401, 'UNAUTHENTICATED');
    },
  );
});
