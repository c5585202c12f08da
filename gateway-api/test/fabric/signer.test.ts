import { createHash, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { expect } from 'chai';
import { signers } from '@hyperledger/fabric-gateway';
import { nativeP256Signer, rawToLowSDer } from '../../src/ledger/signer';

const ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** r and s of a DER ECDSA signature. */
function parts(der: Uint8Array): { r: bigint; s: bigint } {
  const buf = Buffer.from(der);
  const rLen = buf[3]!;
  const r = BigInt(`0x${buf.subarray(4, 4 + rLen).toString('hex')}`);
  const sLen = buf[5 + rLen]!;
  const s = BigInt(`0x${buf.subarray(6 + rLen, 6 + rLen + sLen).toString('hex')}`);
  return { r, s };
}

function der(r: bigint, s: bigint): Buffer {
  const int = (v: bigint) => {
    let b = Buffer.from(v.toString(16).padStart(2 * Math.ceil(v.toString(16).length / 2), '0'), 'hex');
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([2, b.length]), b]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

describe('the native P-256 signer of the Fabric backend', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

  it('when it signs 300 messages, then every signature verifies over SHA-256 of the message and is in low-S form (raw OpenSSL output is high-S about half the time)', async () => {
    const sign = nativeP256Signer(privateKey);
    for (let i = 0; i < 300; i++) {
      const message = randomBytes(1 + (i % 200));
      const signature = await sign(message);
      expect(verify('sha256', message, publicKey, signature), `message ${i}`).to.equal(true);
      expect(parts(signature).s <= ORDER >> 1n).to.equal(true);
    }
  });

  it('when raw signatures are put in DER, then each is the low-S DER of the same r and s, short integers included', () => {
    const raw = (r: bigint, s: bigint) =>
      Buffer.from(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'), 'hex');
    const cases: [bigint, bigint][] = [
      [1n, 1n],
      [0x7fn, 0x80n],
      [ORDER - 1n, ORDER >> 1n],
      [ORDER >> 1n, (ORDER >> 1n) + 1n],
      [0x80n << 240n, ORDER - 1n],
      [
        BigInt(`0x${randomBytes(32).toString('hex')}`) % ORDER,
        BigInt(`0x${randomBytes(31).toString('hex')}`),
      ],
    ];
    for (const [r, s] of cases) {
      const low = s > ORDER >> 1n ? ORDER - s : s;
      expect(rawToLowSDer(raw(r, s)).toString('hex'), `r ${r} s ${s}`).to.equal(der(r, low).toString('hex'));
    }
    expect(() => rawToLowSDer(Buffer.alloc(63))).to.throw('64 bytes expected');
  });

  it("when the library's own signer signs the SHA-256 digest, then the two signers' outputs verify alike", async () => {
    const message = randomBytes(512);
    const digest = createHash('sha256').update(message).digest();
    const library = await signers.newPrivateKeySigner(privateKey)(digest);
    const native = await nativeP256Signer(privateKey)(message);
    expect(verify('sha256', message, publicKey, library)).to.equal(true);
    expect(verify('sha256', message, publicKey, native)).to.equal(true);
  });

  it('when the key is not P-256, then the signer refuses it', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    expect(() => nativeP256Signer(other)).to.throw('EC P-256');
    expect(() => nativeP256Signer(generateKeyPairSync('ed25519').privateKey)).to.throw('EC P-256');
  });
});
