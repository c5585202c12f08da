import { expect } from 'chai';
import { signTypedMessage } from '@ruralcredit/protocol';
import {
  MSP,
  TestConsortium,
  days,
  digest,
  plus,
  readAllPages,
  subject,
  DEPLOYMENT,
} from './support/consortium';

describe('Consent', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
  });
  afterEach(() => c.stop());

  it('when a bank records a form-hash grant to itself, then it is ACTIVE with sorted scope', async () => {
    const g = await c.grant('bankA', {
      grantId: 'g-1',
      subject: subject(1),
      scope: ['LAND_CONTRACT', 'HOMESTEAD'],
      maxAccesses: 3,
    });
    expect(g).to.include({
      grantId: 'g-1',
      grantee: MSP.bankA,
      subject: subject(1),
      status: 'ACTIVE',
      maxAccesses: 3,
      accessesUsed: 0,
    });
    expect(g.scope).to.deep.equal(['HOMESTEAD', 'LAND_CONTRACT']);
    expect(g.evidence).to.deep.equal({ type: 'FORM_HASH', formHash: digest(99) });
  });

  it('when a bank records a grant to another bank, or a non-bank records one, then FORBIDDEN', async () => {
    await c.refused(
      'FORBIDDEN',
      'bankA',
      'Consent:RecordGrant',
      JSON.stringify(grantBody(c, { grantee: MSP.bankB })),
    );
    for (const org of ['regulator', 'land', 'auditor', 'outsider'] as const) {
      await c.refused('FORBIDDEN', org, 'Consent:RecordGrant', JSON.stringify(grantBody(c, {})));
    }
  });

  it('when scope, purpose, window or evidence is wrong, then INVALID; duplicate ID CONFLICT', async () => {
    const cases: Record<string, unknown>[] = [
      { scope: ['MARRIAGE'] },
      { scope: [] },
      { scope: ['HOMESTEAD', 'HOMESTEAD'] },
      { purpose: 'MARKETING' },
      { validFrom: plus(c.now, 10), validUntil: plus(c.now, 5) },
      { validFrom: plus(c.now, -days(20)), validUntil: plus(c.now, -days(10)) },
      { validUntil: plus(c.now, days(365 * 6)) },
      { evidence: { type: 'FORM_HASH', formHash: 'xyz' } },
      { evidence: { type: 'PHONE_CALL' } },
      { subject: 'ABC' },
      { grantId: 'has space' },
      { maxAccesses: -1 },
    ];
    for (const override of cases) {
      await c.refused('INVALID', 'bankA', 'Consent:RecordGrant', JSON.stringify(grantBody(c, override)));
    }
    await c.grant('bankA', { grantId: 'g-dup', subject: subject(1) });
    await c.refused(
      'CONFLICT',
      'bankA',
      'Consent:RecordGrant',
      JSON.stringify(grantBody(c, { grantId: 'g-dup' })),
    );
  });

  it("when the evidence is the subject's EIP-712 signature, then it must verify against the registered key", async () => {
    const s = subject(2);
    const wallet = await c.registerSubjectSigner(s);
    const body = grantBody(c, { grantId: 'g-sig', subject: s, maxAccesses: 2 });
    const message = {
      grantId: 'g-sig',
      subject: s,
      grantee: MSP.bankA,
      scope: ['HOMESTEAD', 'LAND_CONTRACT'],
      purpose: 'LOAN_APPLICATION',
      validFrom: body.validFrom as string,
      validUntil: body.validUntil as string,
      maxAccesses: 2,
    };
    const signature = await signTypedMessage(wallet, 'ConsentGrant', message, DEPLOYMENT);
    const tampered = { ...body, maxAccesses: 20, evidence: { type: 'SUBJECT_SIGNATURE', signature } };
    await c.refused('INVALID', 'bankA', 'Consent:RecordGrant', JSON.stringify(tampered));
    const noKey = { ...body, subject: subject(3), evidence: { type: 'SUBJECT_SIGNATURE', signature } };
    await c.refused('INVALID', 'bankA', 'Consent:RecordGrant', JSON.stringify(noKey));
    const g = await c.submit(
      'bankA',
      'Consent:RecordGrant',
      JSON.stringify({ ...body, evidence: { type: 'SUBJECT_SIGNATURE', signature } }),
    );
    expect(g.evidence).to.deep.equal({
      type: 'SUBJECT_SIGNATURE',
      signature,
      signer: wallet.address.toLowerCase(),
    });
  });

  it('decides status by the transaction time: NOT_YET_VALID, ACTIVE, EXPIRED', async () => {
    const from = plus(c.now, days(1));
    await c.grant('bankA', {
      grantId: 'g-t',
      subject: subject(1),
      validFrom: from,
      validUntil: plus(from, days(10)),
    });
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'g-t')).to.include({ status: 'NOT_YET_VALID' });
    c.setTime(plus(from, 5));
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'g-t')).to.include({ status: 'ACTIVE' });
    c.setTime(plus(from, days(10)));
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'g-t')).to.include({ status: 'EXPIRED' });
  });

  it('when the grantee or the regulator revokes, then REVOKED once; another bank is FORBIDDEN', async () => {
    await c.grant('bankA', { grantId: 'g-r1', subject: subject(1) });
    await c.grant('bankA', { grantId: 'g-r2', subject: subject(1) });
    await c.refused('FORBIDDEN', 'bankB', 'Consent:RevokeGrant', 'g-r1', 'BANK_REQUEST');
    await c.refused('FORBIDDEN', 'auditor', 'Consent:RevokeGrant', 'g-r1', 'BANK_REQUEST');
    await c.refused('INVALID', 'bankA', 'Consent:RevokeGrant', 'g-r1', 'BORED');
    await c.refused('NOT_FOUND', 'bankA', 'Consent:RevokeGrant', 'g-none', 'BANK_REQUEST');
    const r1 = await c.submit('bankA', 'Consent:RevokeGrant', 'g-r1', 'LOAN_CLOSED');
    expect(r1).to.include({ status: 'REVOKED' });
    expect(r1.revocation).to.include({ by: MSP.bankA, reason: 'LOAN_CLOSED', bySubjectSignature: false });
    const r2 = await c.submit('regulator', 'Consent:RevokeGrant', 'g-r2', 'REGULATOR_ORDER');
    expect(r2.revocation).to.include({ by: MSP.regulator, reason: 'REGULATOR_ORDER' });
    await c.refused('CONFLICT', 'bankA', 'Consent:RevokeGrant', 'g-r1', 'BANK_REQUEST');
  });

  it("when the subject's own revocation signature is submitted by the grantee, then REVOKED; another bank is FORBIDDEN; a forged one is INVALID", async () => {
    const s = subject(4);
    const wallet = await c.registerSubjectSigner(s);
    await c.grant('bankA', { grantId: 'g-s', subject: s });
    const forged = await signTypedMessage(
      c.signers.get('land')!,
      'ConsentRevocation',
      {
        grantId: 'g-s',
        subject: s,
      },
      DEPLOYMENT,
    );
    await c.refused('INVALID', 'bankA', 'Consent:RevokeGrantBySubject', 'g-s', forged);
    const otherGrant = await signTypedMessage(
      wallet,
      'ConsentRevocation',
      {
        grantId: 'g-other',
        subject: s,
      },
      DEPLOYMENT,
    );
    await c.refused('INVALID', 'bankA', 'Consent:RevokeGrantBySubject', 'g-s', otherGrant);
    const real = await signTypedMessage(
      wallet,
      'ConsentRevocation',
      { grantId: 'g-s', subject: s },
      DEPLOYMENT,
    );
    await c.refused('FORBIDDEN', 'bankB', 'Consent:RevokeGrantBySubject', 'g-s', real);
    const revoked = await c.submit('bankA', 'Consent:RevokeGrantBySubject', 'g-s', real);
    expect(revoked.revocation).to.include({
      by: MSP.bankA,
      reason: 'SUBJECT_REQUEST',
      bySubjectSignature: true,
    });
  });

  it("when a bank reads another bank's grant, then NOT_FOUND (as if missing); regulator and auditor read all", async () => {
    await c.grant('bankA', { grantId: 'g-a', subject: subject(1) });
    await c.queryRefused('NOT_FOUND', 'bankB', 'Consent:GetGrant', 'g-a');
    await c.queryRefused('FORBIDDEN', 'land', 'Consent:GetGrant', 'g-a');
    expect(await c.evaluate('regulator', 'Consent:GetGrant', 'g-a')).to.include({ grantId: 'g-a' });
    expect(await c.evaluate('auditor', 'Consent:GetGrant', 'g-a')).to.include({ grantId: 'g-a' });
  });

  it('lists grants: a bank its own only, the auditor all, each exactly once', async () => {
    for (let i = 0; i < 5; i++) await c.grant('bankA', { grantId: `a-${i}`, subject: subject(i % 2) });
    for (let i = 0; i < 3; i++) await c.grant('bankB', { grantId: `b-${i}`, subject: subject(0) });
    const mine = await readAllPages<{ grantId: string }>(c, 'bankB', 'Consent:ListGrants', [], 2);
    expect(mine.map((g) => g.grantId)).to.deep.equal(['b-0', 'b-1', 'b-2']);
    const all = await readAllPages<{ grantId: string }>(c, 'auditor', 'Consent:ListGrants', [], 3);
    expect(all.map((g) => g.grantId)).to.deep.equal(['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'b-0', 'b-1', 'b-2']);
    const bySubjectA = await readAllPages<{ grantId: string }>(
      c,
      'bankA',
      'Consent:ListGrantsBySubject',
      [subject(0)],
      2,
    );
    expect(bySubjectA.map((g) => g.grantId)).to.deep.equal(['a-0', 'a-2', 'a-4']);
    const bySubjectAll = await readAllPages<{ grantId: string }>(
      c,
      'regulator',
      'Consent:ListGrantsBySubject',
      [subject(0)],
      2,
    );
    expect(bySubjectAll.map((g) => g.grantId)).to.deep.equal(['a-0', 'a-2', 'a-4', 'b-0', 'b-1', 'b-2']);
  });

  it('when a bookmark from another list is passed, then INVALID (it cannot widen the read)', async () => {
    for (let i = 0; i < 3; i++) await c.grant('bankA', { grantId: `a-${i}`, subject: subject(1) });
    const page = await c.evaluate<{ bookmark: string }>('bankA', 'Consent:ListGrants', '1', '');
    expect(page.bookmark).to.not.equal('');
    await c.queryRefused('INVALID', 'bankB', 'Consent:ListGrants', '1', page.bookmark);
  });
});

function grantBody(c: TestConsortium, override: Record<string, unknown>): Record<string, unknown> {
  return {
    grantId: 'g-x',
    subject: subject(1),
    scope: ['HOMESTEAD', 'LAND_CONTRACT'],
    purpose: 'LOAN_APPLICATION',
    validFrom: c.now,
    validUntil: plus(c.now, days(365)),
    evidence: { type: 'FORM_HASH', formHash: digest(99) },
    ...override,
  };
}
