import { statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { loadSigningKeys, SIGNING_KEYS_FILE } from '../../src/auth/keys';
import { TokenServiceImpl } from '../../src/auth/tokens';
import { AppError } from '../../src/http/errors';
import { tempDir } from '../helpers';

describe('signing keys', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  const tokensFor = (keys: ReturnType<typeof loadSigningKeys>) =>
    new TokenServiceImpl({
      keys,
      issuer: 'iss',
      audience: 'aud',
      ttlSeconds: 60,
      pseudonymSecret: Buffer.alloc(32, 7),
    });

  it('when first loaded, then a P-256 key is written to a 0600 file and reloading keeps its kid', () => {
    const first = loadSigningKeys(dir);
    const file = path.join(dir, SIGNING_KEYS_FILE);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(first.active().privateKey.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1');
    expect(loadSigningKeys(dir).active().kid).to.equal(first.active().kid);
  });

  it('when a token was issued before a restart, then it still verifies after it', () => {
    const token = tokensFor(loadSigningKeys(dir)).issue({
      id: 'u1',
      orgMspId: 'Bank1MSP',
      roles: ['AUDITOR'],
    });
    expect(tokensFor(loadSigningKeys(dir)).verify(token.accessToken).sub).to.equal('u1');
  });

  it('when keys are rotated, then new tokens use the new kid and old tokens still verify', () => {
    const keys = loadSigningKeys(dir);
    const tokens = tokensFor(keys);
    const old = tokens.issue({ id: 'u1', orgMspId: 'Bank1MSP', roles: ['AUDITOR'] });
    const oldKid = keys.active().kid;
    const newKid = keys.rotate();
    expect(newKid).not.to.equal(oldKid);
    expect(tokens.verify(old.accessToken).sub).to.equal('u1');
    const reloaded = loadSigningKeys(dir);
    expect(reloaded.active().kid).to.equal(newKid);
    expect(reloaded.jwks().keys.map((k) => k.kid)).to.deep.equal([oldKid, newKid]);
  });

  it('when a token comes from another gateway’s key set, then verification throws 401', () => {
    const other = tokensFor(loadSigningKeys(path.join(dir, 'other')));
    const foreign = other.issue({ id: 'u1', orgMspId: 'Bank1MSP', roles: ['AUDITOR'] });
    expect(() => tokensFor(loadSigningKeys(dir)).verify(foreign.accessToken))
      .to.throw(AppError)
      .with.property('code', 'UNAUTHENTICATED');
  });
});
