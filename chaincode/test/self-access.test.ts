import { expect } from 'chai';
import { signTypedMessage, type SubjectSelfServiceRequestMessage } from '@ruralcredit/protocol';
import { DEPLOYMENT, MSP, TestConsortium, digest, plus, subject } from './support/consortium';

describe('Access: a subject reading its own records (SELF)', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
  });
  afterEach(() => c.stop());

  /** The accesses to subject 1's data, as an auditor lists them. */
  function selfAccesses(): Promise<{ records: { purpose: string }[] }> {
    return c.evaluate('auditor', 'Access:ListAccessesBySubject', subject(1), '', '', '10', '');
  }

  function request(
    overrides: Partial<SubjectSelfServiceRequestMessage> = {},
  ): SubjectSelfServiceRequestMessage {
    return {
      subject: subject(1),
      action: 'READ_RECORDS',
      target: 'HOMESTEAD,LAND_CONTRACT',
      detail: '',
      requestedAt: c.now,
      nonce: '0123456789abcdef0123456789abcdef',
      ...overrides,
    };
  }

  it("when the subject's bound key signed a fresh request, then a GRANTED access with purpose SELF, once", async () => {
    const wallet = await c.registerSubjectSigner(subject(1));
    const message = request();
    const signature = await signTypedMessage(wallet, 'SubjectSelfServiceRequest', message, DEPLOYMENT);
    const access = await c.submit(
      'regulator',
      'Access:RecordSelfAccess',
      JSON.stringify(message),
      signature,
      digest(7),
    );
    expect(access).to.include({
      accessId: 'self-abcdefghijklmnopabcdefghijklmnop',
      accessor: MSP.regulator,
      grantId: 'SELF',
      subject: subject(1),
      operator: subject(1),
      purpose: 'SELF',
      outcome: 'GRANTED',
      releaseDigest: digest(7),
    });
    expect(access.datasets).to.deep.equal(['HOMESTEAD', 'LAND_CONTRACT']);
    const page = await selfAccesses();
    expect(page.records.map((r) => r.purpose)).to.deep.equal(['SELF']);
    // Answered once: the same signed request again is a conflict.
    await c.refused(
      'CONFLICT',
      'regulator',
      'Access:RecordSelfAccess',
      JSON.stringify(message),
      signature,
      digest(7),
    );
  });

  it('when the key is another, the request stale, the caller a bank or the action not a read, then refused', async () => {
    const wallet = await c.registerSubjectSigner(subject(1));
    const other = await c.registerSubjectSigner(subject(2));
    const mine = request();
    const byOther = await signTypedMessage(other, 'SubjectSelfServiceRequest', mine, DEPLOYMENT);
    await c.refused(
      'INVALID',
      'regulator',
      'Access:RecordSelfAccess',
      JSON.stringify(mine),
      byOther,
      digest(7),
    );
    const stale = request({ requestedAt: plus(c.now, -301), nonce: '1'.repeat(32) });
    const staleSig = await signTypedMessage(wallet, 'SubjectSelfServiceRequest', stale, DEPLOYMENT);
    await c.refused(
      'INVALID',
      'regulator',
      'Access:RecordSelfAccess',
      JSON.stringify(stale),
      staleSig,
      digest(7),
    );
    const good = request({ nonce: '2'.repeat(32) });
    const goodSig = await signTypedMessage(wallet, 'SubjectSelfServiceRequest', good, DEPLOYMENT);
    await c.refused(
      'FORBIDDEN',
      'bankA',
      'Access:RecordSelfAccess',
      JSON.stringify(good),
      goodSig,
      digest(7),
    );
    const list = request({ action: 'LIST_CONSENTS', target: '', nonce: '3'.repeat(32) });
    const listSig = await signTypedMessage(wallet, 'SubjectSelfServiceRequest', list, DEPLOYMENT);
    await c.refused(
      'INVALID',
      'regulator',
      'Access:RecordSelfAccess',
      JSON.stringify(list),
      listSig,
      digest(7),
    );
    const page = await selfAccesses();
    expect(page.records).to.deep.equal([]);
  });
});
