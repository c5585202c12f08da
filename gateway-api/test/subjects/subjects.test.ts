import { expect } from 'chai';
import { Wallet } from 'ethers';
import { isoFromEpochSeconds, sha256Hex, signTypedMessage } from '@ruralcredit/protocol';
import { subjectsModule } from '../../src/subjects/routes';
import { expectError } from '../helpers';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';

const BANK_A: ['bankA', 'LOAN_OFFICER'] = ['bankA', 'LOAN_OFFICER'];

describe('subject pseudonyms and signing keys', () => {
  let g: ConsortiumGateway;
  before(async () => {
    g = await startConsortiumGateway([subjectsModule]);
    const now = Math.floor(Date.now() / 1000);
    await g.context.ledger.submit(ORG.bankA, 'Consent:RecordGrant', [
      JSON.stringify({
        grantId: 'c-kyc-1',
        subject: g.context.subjects.pseudonym(residentId(1)),
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
    expect(res.body).to.deep.equal({ pseudonym: g.context.subjects.pseudonym(residentId(1)) });
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

  it('when the subject signed the binding, then the key is registered once on the ledger', async () => {
    const subject = g.context.subjects.pseudonym(residentId(3));
    const wallet = Wallet.createRandom();
    const signature = await signTypedMessage(wallet, 'SubjectKeyBinding', {
      subject,
      signer: wallet.address.toLowerCase(),
    });
    const body = { subjectId: residentId(3), address: wallet.address, signature };
    const res = await g.api('/subjects/signers', { method: 'POST', as: BANK_A, json: body });
    expect(res.status, res.text).to.equal(201);
    expect((res.body as { signer: unknown }).signer).to.deep.include({
      subject,
      signer: wallet.address.toLowerCase(),
      registeredBy: ORG.bankA,
    });
    expect(res.text).to.not.contain(residentId(3));
    expectError(
      await g.api('/subjects/signers', { method: 'POST', as: ['bankB', 'LOAN_OFFICER'], json: body }),
      409,
      'CONFLICT',
    );
  });

  it("when the signature is not the subject's or the input is malformed, then refused and nothing registered", async () => {
    const wallet = Wallet.createRandom();
    const other = await signTypedMessage(wallet, 'SubjectKeyBinding', {
      subject: g.context.subjects.pseudonym(residentId(5)),
      signer: wallet.address.toLowerCase(),
    });
    const height = await g.context.ledger.height();
    const post = (json: unknown) => g.api('/subjects/signers', { method: 'POST', as: BANK_A, json });
    expectError(
      await post({ subjectId: residentId(4), address: wallet.address, signature: other }),
      400,
      'INVALID',
    );
    expectError(
      await post({ subjectId: '123', address: wallet.address, signature: other }),
      400,
      'INVALID_SUBJECT_ID',
    );
    expectError(
      await post({ subjectId: residentId(4), address: 'x', signature: other }),
      400,
      'INVALID_REQUEST',
    );
    expect(await g.context.ledger.height()).to.equal(height);
  });
});
