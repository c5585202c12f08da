import { expect } from 'chai';
import { hashPassword, SCRYPT_PARAMS, verifyPassword } from '../../src/auth/password';
import { operatorPseudonym } from '../../src/auth/pseudonym';

describe('passwords and operator pseudonyms', () => {
  it('when a password is hashed, then scrypt N=2^17 r=8 p=1 (OWASP minimum) with a per-user salt is stored and verifies', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).to.include({ algorithm: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
    expect(SCRYPT_PARAMS.N).to.equal(131072);
    expect(a.salt).not.to.equal(b.salt);
    expect(a.hash).not.to.equal(b.hash);
    expect(await verifyPassword('correct horse battery', a)).to.equal(true);
    expect(await verifyPassword('correct horse batterz', a)).to.equal(false);
  });

  it('when the operator pseudonym is computed, then it is stable per user and differs across users and secrets', () => {
    const secret = Buffer.alloc(32, 1);
    const p = operatorPseudonym(secret, 'user-1');
    expect(p).to.match(/^[0-9a-f]{64}$/);
    expect(operatorPseudonym(secret, 'user-1')).to.equal(p);
    expect(operatorPseudonym(secret, 'user-2')).not.to.equal(p);
    expect(operatorPseudonym(Buffer.alloc(32, 2), 'user-1')).not.to.equal(p);
  });
});
