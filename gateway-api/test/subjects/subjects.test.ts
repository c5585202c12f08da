import { expect } from 'chai';
import { Wallet } from 'ethers';
import { isoFromEpochSeconds, sha256Hex, signTypedMessage } from '@ruralcredit/protocol';
import { subjectsModule } from '../../src/subjects/routes';
import { expectError, type ApiResponse } from '../helpers';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import { DEPLOYMENT } from '../acceptance/consortium-gateway';

const BANK_A: ['bankA', 'LOAN_OFFICER'] = ['bankA', 'LOAN_OFFICER'];

function ok201(res: ApiResponse): void {
  expect(res.status, res.text).to.equal(201);
}

describe('subject pseudonyms and signing keys', () => {
  let g: ConsortiumGateway;
  before(async () => {
    g = await startConsortiumGateway([subjectsModule]);
    const now = Math.floor(Date.now() / 1000);
    await g.context.ledger.submit(ORG.bankA, 'Consent:RecordGrant', [
      JSON.stringify({
        grantId: 'c-kyc-1',
        subject: await g.context.subjects.pseudonym(residentId(1)),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        validFrom: isoFromEpochSeconds(now - 60),
        validUntil: isoFromEpochSeconds(now + 86_400),
        evidence: { type: 'FORM_HASH', formHash: sha256Hex('kyc form') },
      }),
    ]);
  });
  after(() => g.stop());

  const pseudonym = (
    as: ['bankA' | 'bankB' | 'land' | 'auditor', 'LOAN_OFFICER' | 'DATA_OFFICER' | 'AUDITOR'] | undefined,
    json: unknown,
  ) => g.api('/subjects/pseudonym', { method: 'POST', ...(as ? { as } : {}), json });

  it('when a loan officer holds an active consent, then the pseudonym is the keyed one the ledger uses', async () => {
    const res = await pseudonym(BANK_A, { subjectId: residentId(1), consentId: 'c-kyc-1' });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({ pseudonym: await g.context.subjects.pseudonym(residentId(1)) });
  });

  it('when there is no active consent from that subject to that bank, then no pseudonym (the endpoint is no oracle)', async () => {
    expectError(
      await pseudonym(BANK_A, { subjectId: residentId(2), consentId: 'c-kyc-1' }),
      403,
      'NO_CONSENT',
    );
    // Another bank's consent is answered like a missing one (issue 12 item 20).
    expectError(
      await pseudonym(['bankB', 'LOAN_OFFICER'], { subjectId: residentId(1), consentId: 'c-kyc-1' }),
      404,
      'NOT_FOUND',
    );
    expectError(await pseudonym(BANK_A, { subjectId: residentId(1), consentId: 'none' }), 404, 'NOT_FOUND');
    expectError(await pseudonym(BANK_A, { subjectId: residentId(1) }), 400, 'INVALID_REQUEST');
    expectError(
      await pseudonym(['land', 'DATA_OFFICER'], { subjectId: residentId(1), consentId: 'c-kyc-1' }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await pseudonym(['auditor', 'AUDITOR'], { subjectId: residentId(1), consentId: 'c-kyc-1' }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await pseudonym(undefined, { subjectId: residentId(1), consentId: 'c-kyc-1' }),
      401,
      'UNAUTHENTICATED',
    );
  });

  /** Records an ACTIVE consent (form hash) from subject `n` to `bank`. */
  async function consent(bank: string, consentId: string, n: number): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    await g.context.ledger.submit(bank, 'Consent:RecordGrant', [
      JSON.stringify({
        grantId: consentId,
        subject: await g.context.subjects.pseudonym(residentId(n)),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        validFrom: isoFromEpochSeconds(now - 60),
        validUntil: isoFromEpochSeconds(now + 86_400),
        evidence: { type: 'FORM_HASH', formHash: sha256Hex(`form ${consentId}`) },
      }),
    ]);
  }

  async function binding(n: number, wallet = new Wallet(Wallet.createRandom().privateKey)) {
    const subject = await g.context.subjects.pseudonym(residentId(n));
    const signer = wallet.address.toLowerCase();
    const signature = await signTypedMessage(wallet, 'SubjectKeyBinding', { subject, signer }, DEPLOYMENT);
    return { wallet, subject, signature };
  }

  const kyc = { evidenceDigest: sha256Hex('id card scan') };

  it('when the bank holds an ACTIVE consent and attests KYC, then the key is registered once, naming the bank and the attestation', async () => {
    await consent(ORG.bankA, 'c-kyc-3', 3);
    await consent(ORG.bankB, 'c-kyc-3b', 3);
    const { wallet, subject, signature } = await binding(3);
    const body = { subjectId: residentId(3), consentId: 'c-kyc-3', address: wallet.address, signature, kyc };
    const res = await g.api('/subjects/signers', { method: 'POST', as: BANK_A, json: body });
    expect(res.status, res.text).to.equal(201);
    const bound = (res.body as { signer: Record<string, unknown> }).signer;
    expect(bound).to.deep.include({
      subject,
      signer: wallet.address.toLowerCase(),
      attestedBy: ORG.bankA,
      registeredBy: ORG.bankA,
      change: 'REGISTERED',
      version: 1,
    });
    expect(bound.kyc).to.deep.include({ grantId: 'c-kyc-3', evidenceDigest: kyc.evidenceDigest });
    expect(res.text).to.not.contain(residentId(3));
    const other = await binding(3);
    expectError(
      await g.api('/subjects/signers', {
        method: 'POST',
        as: ['bankB', 'LOAN_OFFICER'],
        json: { ...body, consentId: 'c-kyc-3b', address: other.wallet.address, signature: other.signature },
      }),
      409,
      'CONFLICT',
    );
  });

  it("when the signature is not the subject's, the consent is not the bank's ACTIVE one from that subject, or the input is malformed, then refused and nothing registered", async () => {
    await consent(ORG.bankA, 'c-kyc-4', 4);
    const { wallet, signature: forFive } = await binding(5);
    const { signature } = await binding(4, wallet);
    const height = await g.context.ledger.height();
    const post = (json: unknown) => g.api('/subjects/signers', { method: 'POST', as: BANK_A, json });
    const ok = { subjectId: residentId(4), consentId: 'c-kyc-4', address: wallet.address, signature, kyc };
    expectError(await post({ ...ok, signature: forFive }), 400, 'INVALID');
    expectError(await post({ ...ok, consentId: 'c-kyc-1' }), 403, 'FORBIDDEN');
    expectError(await post({ ...ok, consentId: 'none' }), 403, 'FORBIDDEN');
    expectError(
      await g.api('/subjects/signers', { method: 'POST', as: ['bankB', 'LOAN_OFFICER'], json: ok }),
      403,
      'FORBIDDEN',
    );
    expectError(await post({ ...ok, kyc: { ...kyc, attestedAt: '2999-01-01T00:00:00Z' } }), 400, 'INVALID');
    expectError(await post({ ...ok, kyc: undefined }), 400, 'INVALID_REQUEST');
    expectError(await post({ ...ok, subjectId: '123' }), 400, 'INVALID_SUBJECT_ID');
    expectError(await post({ ...ok, address: 'x' }), 400, 'INVALID_REQUEST');
    expect(await g.context.ledger.height()).to.equal(height);
  });

  it('when the regulator replaces a key and the subject rotates it with its current key, then each change is recorded; a bank may not replace', async () => {
    await consent(ORG.bankA, 'c-kyc-6', 6);
    const first = await binding(6);
    ok201(
      await g.api('/subjects/signers', {
        method: 'POST',
        as: BANK_A,
        json: {
          subjectId: residentId(6),
          consentId: 'c-kyc-6',
          address: first.wallet.address,
          signature: first.signature,
          kyc,
        },
      }),
    );
    const second = await binding(6);
    const replacement = {
      subjectId: residentId(6),
      address: second.wallet.address,
      signature: second.signature,
      reason: 'LOST_KEY',
      kyc,
    };
    expectError(
      await g.api('/subjects/signers/replacement', { method: 'POST', as: BANK_A, json: replacement }),
      403,
      'FORBIDDEN_ROLE',
    );
    const replaced = await g.api('/subjects/signers/replacement', {
      method: 'POST',
      as: ['regulator', 'REGULATOR_ADMIN'],
      json: replacement,
    });
    expect(replaced.status, replaced.text).to.equal(200);
    expect((replaced.body as { signer: unknown }).signer).to.deep.include({
      signer: second.wallet.address.toLowerCase(),
      previousSigner: first.wallet.address.toLowerCase(),
      attestedBy: ORG.regulator,
      change: 'REPLACED',
      version: 2,
    });
    const third = await binding(6);
    const rotation = {
      subject: third.subject,
      from: second.wallet.address.toLowerCase(),
      to: third.wallet.address.toLowerCase(),
      version: 2,
    };
    const rotate = (rotationSignature: string) =>
      g.api('/subjects/signers/rotation', {
        method: 'POST',
        json: {
          subject: third.subject,
          address: third.wallet.address,
          signature: third.signature,
          rotationSignature,
        },
      });
    // Signed by the key the regulator replaced: refused.
    expectError(
      await rotate(
        await signTypedMessage(
          first.wallet,
          'SubjectKeyRotation',
          {
            ...rotation,
            from: first.wallet.address.toLowerCase(),
          },
          DEPLOYMENT,
        ),
      ),
      400,
      'INVALID',
    );
    const rotated = await rotate(
      await signTypedMessage(second.wallet, 'SubjectKeyRotation', rotation, DEPLOYMENT),
    );
    expect(rotated.status, rotated.text).to.equal(200);
    expect((rotated.body as { signer: unknown }).signer).to.deep.include({
      signer: third.wallet.address.toLowerCase(),
      change: 'ROTATED',
      version: 3,
      attestedBy: ORG.regulator,
    });
  });

  it('when the subject withdraws a consent with its own signature, then it is revoked; a signature by another key is refused', async () => {
    await consent(ORG.bankA, 'c-kyc-7', 7);
    const key = await binding(7);
    ok201(
      await g.api('/subjects/signers', {
        method: 'POST',
        as: BANK_A,
        json: {
          subjectId: residentId(7),
          consentId: 'c-kyc-7',
          address: key.wallet.address,
          signature: key.signature,
          kyc,
        },
      }),
    );
    await consent(ORG.bankB, 'c-kyc-7b', 7);
    const message = { grantId: 'c-kyc-7b', subject: key.subject };
    const forged = await signTypedMessage(Wallet.createRandom(), 'ConsentRevocation', message, DEPLOYMENT);
    const revoke = (signature: string) =>
      g.api('/subjects/revocations', { method: 'POST', json: { consentId: 'c-kyc-7b', signature } });
    expectError(await revoke(forged), 400, 'INVALID');
    const res = await revoke(await signTypedMessage(key.wallet, 'ConsentRevocation', message, DEPLOYMENT));
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.include({ consentId: 'c-kyc-7b', status: 'REVOKED' });
  });
});
