/**
 * Issue 12 item 11: authentication.
 *
 * - Passwords are hashed with scrypt at OWASP's minimum (N=2^17, r=8, p=1),
 *   at most two at once; a hash made with older parameters still verifies and
 *   is replaced at the next login.
 * - Logins are limited per account as well as per address.
 * - Access tokens carry `typ: at+jwt` and a JWT of another type is refused,
 *   even signed with the gateway's own key (RFC 8725 section 3.11).
 * - A key rotation keeps the old key verifying (and in the JWKS) until its
 *   tokens expire, then drops it.
 */
import { sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { loadSigningKeys } from '../../src/auth/keys';
import { PasswordHasher } from '../../src/auth/password';
import { TokenServiceImpl } from '../../src/auth/tokens';
import { UserStoreImpl } from '../../src/auth/users';
import { rotateSigningKey } from '../../src/cli/rotate-signing-key';
import { call, testEnv } from '../helpers';
import { ORG, errorCode, startSecurityGateway, type ConsortiumGateway } from './fixture';
import { caseIt } from './recorder';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function es256(header: object, payload: object, key: KeyObject): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const login = (g: ConsortiumGateway, username: string, password: string) =>
  call(`${g.url}/api/v1/auth/token`, { method: 'POST', json: { username, password } });

describe('security: authentication (issue 12 item 11)', () => {
  let g: ConsortiumGateway;
  before(async () => {
    // Production's scrypt cost, and a per-account limit of 3 a minute (addresses are not limited here).
    g = await startSecurityGateway({
      GATEWAY_SCRYPT_LOG2_N: '17',
      GATEWAY_LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE: '3',
    });
  });
  after(() => g.stop());

  caseIt(
    'H11',
    'when a user is created, then its hash is scrypt N=2^17 r=8 p=1; an older N=2^14 hash logs in and is replaced by one at N=2^17; at most 2 hashes run at once',
    async (figures) => {
      const users = g.gateway.deps.users;
      const created = await users.create({
        orgMspId: ORG.bankA,
        username: 'h11.new',
        password: 'h11-password-new',
        roles: ['LOAN_OFFICER'],
      });
      expect((await users.get(created.id))!.password).to.include({ N: 2 ** 17, r: 8, p: 1 });

      // A user stored by an older gateway with a cheaper hash (same database).
      const older = new UserStoreImpl(g.gateway.deps.db, { hasher: new PasswordHasher({ log2N: 14 }) });
      const old = await older.create({
        orgMspId: ORG.bankA,
        username: 'h11.old',
        password: 'h11-password-old',
        roles: ['LOAN_OFFICER'],
      });
      figures.tried += 1;
      const res = await login(g, 'h11.old', 'h11-password-old');
      expect(res.status, res.text).to.equal(200);
      figures.acknowledged += 1;
      const rehashed = (await users.get(old.id))!.password;
      expect(rehashed, 'rehashed at login').to.include({ N: 2 ** 17, r: 8, p: 1 });
      expect((await login(g, 'h11.old', 'h11-password-old')).status, 'login after the rehash').to.equal(200);

      const hasher = new PasswordHasher({ log2N: 14, concurrency: 2 });
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, hasher.running)), 1);
      await Promise.all(Array.from({ length: 8 }, (_, i) => hasher.hash(`password-${i}-xxxxxx`)));
      clearInterval(sampler);
      expect(peak, 'hashes running at once').to.equal(2);
      figures.notes.push(
        `new hash N=2^17; N=2^14 hash verified and rehashed to N=2^17 at login; 8 hashes at once ran at most ${peak} at a time`,
      );
    },
  );

  caseIt(
    'H11',
    'when one account is guessed 6 times from one address (address limit 10,000), then the 4th and later get 429 RATE_LIMITED, even with the right password; another account is not affected',
    async (figures) => {
      await g.gateway.deps.users.create({
        orgMspId: ORG.bankB,
        username: 'h11.target',
        password: 'h11-right-password',
        roles: ['LOAN_OFFICER'],
      });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        figures.tried += 1;
        const res = await login(g, 'H11.Target', `wrong-password-${i}`);
        statuses.push(res.status);
      }
      figures.tried += 1;
      const right = await login(g, 'h11.target', 'h11-right-password');
      statuses.push(right.status);
      if (right.status === 200) figures.acknowledged += 1;
      expect(statuses).to.deep.equal([401, 401, 401, 429, 429, 429]);
      expect(errorCode(right)).to.equal('RATE_LIMITED');
      const other = await login(g, 'h11.new', 'h11-password-new');
      expect(other.status, 'another account').to.equal(200);
      figures.notes.push(
        `statuses for one account: ${statuses.join(', ')}; another account: ${other.status}`,
      );
    },
  );

  caseIt(
    'H11',
    'when a JWT signed with the gateway’s own key has typ JWT, no typ, or typ id+jwt, then 401; issued tokens say at+jwt',
    async (figures) => {
      const issued = await login(g, 'h11.new', 'h11-password-new');
      const token = (issued.body as { accessToken: string }).accessToken;
      const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as {
        typ?: string;
        kid: string;
      };
      expect(header.typ, 'typ of an issued token').to.equal('at+jwt');
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as object;
      const { privateKey } = g.gateway.deps.signingKeys.active();
      const headers: [string, Record<string, unknown>][] = [
        ['typ JWT', { alg: 'ES256', typ: 'JWT', kid: header.kid }],
        ['no typ', { alg: 'ES256', kid: header.kid }],
        ['typ id+jwt', { alg: 'ES256', typ: 'id+jwt', kid: header.kid }],
      ];
      const accepted: string[] = [];
      for (const [name, h] of headers) {
        figures.tried += 1;
        const res = await call(`${g.url}/api/v1/consents`, { token: es256(h, payload, privateKey) });
        if (res.status !== 401) {
          accepted.push(`${name}: ${res.status}`);
          figures.acknowledged += 1;
        }
      }
      // Control: the same payload with typ at+jwt (also as a media type) is accepted.
      for (const typ of ['at+jwt', 'application/at+jwt']) {
        const res = await call(`${g.url}/api/v1/consents`, {
          token: es256({ alg: 'ES256', typ, kid: header.kid }, payload, privateKey),
        });
        expect(res.status, `control typ ${typ}`).to.equal(200);
      }
      figures.found = accepted.length;
      figures.notes.push(
        `${headers.length} tokens of other types refused; at+jwt and application/at+jwt accepted`,
      );
      expect(accepted).to.deep.equal([]);
    },
  );

  caseIt(
    'H11',
    'when the signing key is rotated with the command, then old tokens still verify and the JWKS has both keys; a rotation after the old tokens expired drops the old key',
    async (figures) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-rotate-'));
      try {
        const env = testEnv(dir, { GATEWAY_TOKEN_TTL_SECONDS: '30' });
        const tokensOf = () =>
          new TokenServiceImpl({
            keys: loadSigningKeys(dir),
            issuer: 'urn:ruralcredit:gateway',
            audience: 'urn:ruralcredit:api',
            ttlSeconds: 30,
            pseudonymSecret: Buffer.alloc(32, 7),
          });
        const subject = { id: 'u-1', orgMspId: ORG.bankA, roles: ['LOAN_OFFICER' as const] };
        const before = tokensOf();
        const oldToken = before.issue(subject).accessToken;
        const oldKid = loadSigningKeys(dir).active().kid;

        let out = '';
        const io = {
          env,
          stdout: new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) }),
          stderr: new Writable({ write: (_c, _e, cb) => cb() }),
        };
        figures.tried += 1;
        expect(rotateSigningKey([], io)).to.equal(0);
        const rotated = JSON.parse(out) as { activeKid: string; keys: string[] };
        expect(rotated.activeKid).not.to.equal(oldKid);
        expect(rotated.keys).to.have.members([oldKid, rotated.activeKid]);

        const after = tokensOf();
        expect(after.verify(oldToken).sub, 'old token after the rotation').to.equal('u-1');
        const newHeader = JSON.parse(
          Buffer.from(after.issue(subject).accessToken.split('.')[0]!, 'base64url').toString('utf8'),
        ) as { kid: string };
        expect(newHeader.kid).to.equal(rotated.activeKid);
        expect(
          loadSigningKeys(dir)
            .jwks()
            .keys.map((k) => k.kid),
        ).to.have.members([oldKid, rotated.activeKid]);

        // Once no token of the old key can be valid (TTL 30 s + 60 s), the next rotation drops it.
        loadSigningKeys(dir).rotate(0);
        const kids = loadSigningKeys(dir)
          .jwks()
          .keys.map((k) => k.kid);
        expect(kids, 'keys after the old tokens expired').not.to.include(oldKid);
        expect(() => tokensOf().verify(oldToken)).to.throw();
        figures.acknowledged += 1;
        figures.notes.push(
          'rotation: old key kept (2 keys in the JWKS), its token verified; the rotation after expiry dropped it',
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  caseIt(
    'H11',
    'when two organisations create the same username, then both exist, a login without the organisation is refused and each login with it gets its own user',
    async (figures) => {
      const username = 'shared.name';
      const password = 'a-long-enough-password-11';
      const users = g.gateway.deps.users;
      await users.create({ orgMspId: ORG.bankA, username, password, roles: ['LOAN_OFFICER'] });
      await users.create({ orgMspId: ORG.bankB, username, password, roles: ['LOAN_OFFICER'] });
      figures.tried += 1;
      const again = await users.create({ orgMspId: ORG.bankA, username, password, roles: ['AUDITOR'] }).then(
        () => 'created',
        (err: { code?: string }) => err.code,
      );
      expect(again, 'same name twice in one organisation').to.equal('USERNAME_TAKEN');
      figures.tried += 1;
      const ambiguous = await login(g, username, password);
      expect([ambiguous.status, errorCode(ambiguous)]).to.deep.equal([401, 'UNAUTHENTICATED']);
      const orgs: string[] = [];
      for (const org of [ORG.bankA, ORG.bankB]) {
        figures.tried += 1;
        const res = await call(`${g.url}/api/v1/auth/token`, {
          method: 'POST',
          json: { username, password, org },
        });
        expect(res.status, res.text).to.equal(200);
        figures.acknowledged += 1;
        const token = (res.body as { accessToken: string }).accessToken;
        const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
          string,
          unknown
        >;
        orgs.push(String(claims.org));
      }
      expect(orgs).to.deep.equal([ORG.bankA, ORG.bankB]);
      figures.notes.push(
        'same username in BankA and BankB: 409 only within one organisation; login needs `org` then',
      );
    },
  );
});
