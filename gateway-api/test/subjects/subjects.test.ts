import { expect } from 'chai';
import { Wallet } from 'ethers';
import { signTypedMessage } from '@ruralcredit/protocol';
import { subjectsModule } from '../../src/subjects/routes';
import { expectError } from '../helpers';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';

describe('subject pseudonyms and signing keys', () => {
  let g: ConsortiumGateway;
  before(async () => {
    g = await startConsortiumGateway([subjectsModule]);
  });
  after(() => g.stop());

  it('when a loan officer asks for a pseudonym, then it is the keyed pseudonym the ledger uses', async () => {
    const res = await g.api('/subjects/pseudonym', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { subjectId: residentId(1) },
    });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ pseudonym: g.context.subjects.pseudonym(residentId(1)) });
    expect(res.body).to.not.deep.equal({ pseudonym: g.context.subjects.pseudonym(residentId(2)) });
  });

  it('when the subject signed the binding, then the key is registered once on the ledger', async () => {
    const pseudonym = g.context.subjects.pseudonym(residentId(3));
    const wallet = Wallet.createRandom();
    const signature = await signTypedMessage(wallet, 'SubjectKeyBinding', {
      subject: pseudonym,
      signer: wallet.address.toLowerCase(),
    });
    const body = { subjectId: residentId(3), address: wallet.address, signature };
    const res = await g.api('/subjects/signers', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: body,
    });
    expect(res.status, res.text).to.equal(201);
    expect((res.body as { signer: unknown }).signer).to.deep.include({
      subject: pseudonym,
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

  it("when the signature is not the subject's, the ID is invalid or the caller is not a bank officer, then refused", async () => {
    const wallet = Wallet.createRandom();
    const other = await signTypedMessage(wallet, 'SubjectKeyBinding', {
      subject: g.context.subjects.pseudonym(residentId(5)),
      signer: wallet.address.toLowerCase(),
    });
    expectError(
      await g.api('/subjects/signers', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: { subjectId: residentId(4), address: wallet.address, signature: other },
      }),
      400,
      'INVALID',
    );
    expectError(
      await g.api('/subjects/signers', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: { subjectId: '123', address: wallet.address, signature: other },
      }),
      400,
      'INVALID_SUBJECT_ID',
    );
    expectError(
      await g.api('/subjects/signers', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: { subjectId: residentId(4), address: 'x', signature: other },
      }),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await g.api('/subjects/pseudonym', {
        method: 'POST',
        as: ['land', 'DATA_OFFICER'],
        json: { subjectId: residentId(1) },
      }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await g.api('/subjects/pseudonym', {
        method: 'POST',
        as: ['auditor', 'AUDITOR'],
        json: { subjectId: residentId(1) },
      }),
      403,
      'FORBIDDEN_ROLE',
    );
    expectError(
      await g.api('/subjects/pseudonym', { method: 'POST', json: { subjectId: residentId(1) } }),
      401,
      'UNAUTHENTICATED',
    );
  });
});
