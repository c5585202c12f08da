import { expect } from 'chai';
import { Wallet } from 'ethers';
import { signTypedMessage } from '@ruralcredit/protocol';
import { MSP, TestConsortium, days, plus, readAllPages, subject, DEPLOYMENT } from './support/consortium';

describe('Membership', () => {
  describe('Bootstrap', () => {
    let c: TestConsortium;
    beforeEach(async () => {
      c = await TestConsortium.start({ bootstrap: false });
    });
    afterEach(() => c.stop());

    it('when another MSP bootstraps, then FORBIDDEN and nothing is written', async () => {
      await c.refused('FORBIDDEN', 'bankA', 'Membership:Bootstrap', 'A bank');
      await c.queryRefused('FORBIDDEN', 'regulator', 'Membership:GetMember', MSP.regulator);
    });

    it('when the regulator MSP bootstraps, then it is the REGULATOR member, once only', async () => {
      const member = await c.submit('regulator', 'Membership:Bootstrap', 'PBC branch');
      expect(member).to.include({
        mspId: MSP.regulator,
        role: 'REGULATOR',
        status: 'ACTIVE',
        name: 'PBC branch',
      });
      await c.refused('CONFLICT', 'regulator', 'Membership:Bootstrap', 'again');
    });
  });

  describe('admission and suspension', () => {
    let c: TestConsortium;
    beforeEach(async () => {
      c = await TestConsortium.start();
    });
    afterEach(() => c.stop());

    it('when the regulator admits a member, then every member can read it', async () => {
      const admitted = await c.submit(
        'regulator',
        'Membership:AdmitMember',
        JSON.stringify({ mspId: MSP.outsider, role: 'BANK', name: 'New bank' }),
      );
      expect(admitted).to.include({ mspId: MSP.outsider, role: 'BANK', status: 'ACTIVE' });
      expect(await c.evaluate('auditor', 'Membership:GetMember', MSP.outsider)).to.deep.equal(admitted);
    });

    it('when a non-regulator admits, then FORBIDDEN', async () => {
      const body = JSON.stringify({ mspId: MSP.outsider, role: 'BANK', name: 'x' });
      for (const org of ['bankA', 'land', 'auditor', 'outsider'] as const) {
        await c.refused('FORBIDDEN', org, 'Membership:AdmitMember', body);
      }
    });

    it('when the MSP is already a member or the role is REGULATOR or unknown, then CONFLICT / INVALID', async () => {
      await c.refused(
        'CONFLICT',
        'regulator',
        'Membership:AdmitMember',
        JSON.stringify({ mspId: MSP.bankA, role: 'BANK', name: 'dup' }),
      );
      await c.refused(
        'INVALID',
        'regulator',
        'Membership:AdmitMember',
        JSON.stringify({ mspId: MSP.outsider, role: 'REGULATOR', name: 'x' }),
      );
      await c.refused(
        'INVALID',
        'regulator',
        'Membership:AdmitMember',
        JSON.stringify({ mspId: MSP.outsider, role: 'KING', name: 'x' }),
      );
      await c.refused(
        'INVALID',
        'regulator',
        'Membership:AdmitMember',
        JSON.stringify({ mspId: MSP.outsider, role: 'BANK', name: 'x', extra: 1 }),
      );
      await c.refused('INVALID', 'regulator', 'Membership:AdmitMember', '{not json');
    });

    it('when a key part carries U+0000, then INVALID', async () => {
      await c.refused(
        'INVALID',
        'regulator',
        'Membership:AdmitMember',
        JSON.stringify({ mspId: 'Bank\u0000MSP', role: 'BANK', name: 'x' }),
      );
      await c.queryRefused('INVALID', 'regulator', 'Membership:GetMember', 'Bank\u0000MSP');
      await c.queryRefused('INVALID', 'regulator', 'Consent:GetGrant', 'g\u00001');
      await c.queryRefused('INVALID', 'regulator', 'Consent:GetGrant', 'g\u{10ffff}1');
    });

    it('when a member is suspended, then it can do nothing until reinstated', async () => {
      const suspended = await c.submit('regulator', 'Membership:SuspendMember', MSP.land, 'late reporting');
      expect(suspended).to.include({ status: 'SUSPENDED', suspendedReason: 'late reporting' });
      await c.queryRefused('MEMBER_SUSPENDED', 'land', 'Membership:GetMember', MSP.land);
      await c.queryRefused('MEMBER_SUSPENDED', 'land', 'Catalogue:GetDatasetType', 'HOMESTEAD');
      const m = c.manifest('land', { batchId: 'b-1', datasetType: 'HOMESTEAD' });
      await c.refused(
        'MEMBER_SUSPENDED',
        'land',
        'Provenance:AnchorBatch',
        JSON.stringify(m),
        await c.sign('land', 'BatchManifest', m),
      );
      await c.refused('CONFLICT', 'regulator', 'Membership:SuspendMember', MSP.land, 'again');
      await c.refused('INVALID', 'regulator', 'Membership:ReinstateMember', MSP.land, '');
      const reinstated = await c.submit('regulator', 'Membership:ReinstateMember', MSP.land, 'caught up');
      expect(reinstated).to.include({ status: 'ACTIVE', reinstatedReason: 'caught up' });
      expect(reinstated.statusSince).to.equal(reinstated.updatedAt);
      expect(reinstated).to.not.have.property('suspendedReason');
      expect(await c.evaluate('land', 'Membership:GetMember', MSP.land)).to.include({ status: 'ACTIVE' });
      await c.refused('CONFLICT', 'regulator', 'Membership:ReinstateMember', MSP.land, 'again');
    });

    it('when a non-regulator suspends, or the regulator suspends itself or an unknown MSP, then refused', async () => {
      await c.refused('FORBIDDEN', 'bankA', 'Membership:SuspendMember', MSP.bankB, 'x');
      await c.refused('INVALID', 'regulator', 'Membership:SuspendMember', MSP.regulator, 'x');
      await c.refused('NOT_FOUND', 'regulator', 'Membership:SuspendMember', MSP.outsider, 'x');
    });

    it('when a non-member calls anything, then FORBIDDEN', async () => {
      await c.queryRefused('FORBIDDEN', 'outsider', 'Membership:GetMember', MSP.bankA);
      await c.queryRefused('FORBIDDEN', 'outsider', 'Catalogue:ListDatasetTypes', '', '');
      await c.refused('FORBIDDEN', 'outsider', 'Access:RecordAccess', '{}');
    });

    it('lists every member exactly once across pages', async () => {
      const all = await readAllPages<{ mspId: string }>(c, 'auditor', 'Membership:ListMembers', [], 2);
      expect(all.map((m) => m.mspId).sort()).to.deep.equal(
        [MSP.regulator, MSP.bankA, MSP.bankB, MSP.bankC, MSP.bankD, MSP.land, MSP.agri, MSP.auditor].sort(),
      );
    });
  });

  describe('signing keys', () => {
    let c: TestConsortium;
    before(async () => {
      c = await TestConsortium.start();
    });
    after(() => c.stop());

    it('when a member proves possession, then its signer is recorded lower-case', async () => {
      const wallet = await c.registerSigner('bankA');
      expect(await c.evaluate('bankA', 'Membership:GetMember', MSP.bankA)).to.include({
        signer: wallet.address.toLowerCase(),
      });
    });

    it('when the binding is signed by another key or for another MSP, then INVALID', async () => {
      const wallet = Wallet.createRandom();
      const other = Wallet.createRandom();
      const byOther = await signTypedMessage(
        other,
        'MemberKeyBinding',
        {
          mspId: MSP.bankB,
          signer: wallet.address.toLowerCase(),
        },
        DEPLOYMENT,
      );
      await c.refused('INVALID', 'bankB', 'Membership:RegisterSigner', wallet.address, byOther);
      const forOtherMsp = await signTypedMessage(
        wallet,
        'MemberKeyBinding',
        {
          mspId: MSP.bankA,
          signer: wallet.address.toLowerCase(),
        },
        DEPLOYMENT,
      );
      await c.refused('INVALID', 'bankB', 'Membership:RegisterSigner', wallet.address, forOtherMsp);
      await c.refused('INVALID', 'bankB', 'Membership:RegisterSigner', wallet.address, '0x1234');
    });

    /** A fresh key and its SubjectKeyBinding signature over `pseudonym`. */
    async function keyFor(pseudonym: string): Promise<{ wallet: Wallet; signature: string }> {
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      const signature = await signTypedMessage(
        wallet,
        'SubjectKeyBinding',
        {
          subject: pseudonym,
          signer: wallet.address.toLowerCase(),
        },
        DEPLOYMENT,
      );
      return { wallet, signature };
    }

    it('when a bank with an ACTIVE grant registers a subject key under a KYC attestation, then it is bound once, naming the bank', async () => {
      const s = subject(1);
      const wallet = await c.registerSubjectSigner(s, 'bankA');
      expect(await c.evaluate('auditor', 'Membership:GetSubjectSigner', s)).to.deep.include({
        subject: s,
        signer: wallet.address.toLowerCase(),
        attestedBy: MSP.bankA,
        registeredBy: MSP.bankA,
        change: 'REGISTERED',
        version: 1,
      });
      const again = await keyFor(s);
      await c.grant('bankB', { grantId: 'g-kyc-b1', subject: s });
      await c.refused(
        'CONFLICT',
        'bankB',
        'Membership:RegisterSubjectSigner',
        s,
        again.wallet.address,
        again.signature,
        c.kyc('g-kyc-b1'),
      );
    });

    it('when the bank has no ACTIVE grant of its own from the subject, then FORBIDDEN and nothing is bound', async () => {
      const s = subject(5);
      const { wallet, signature } = await keyFor(s);
      await c.grant('bankA', { grantId: 'g-kyc-a5', subject: s });
      await c.grant('bankB', { grantId: 'g-kyc-b6', subject: subject(6) });
      await c.grant('bankB', { grantId: 'g-kyc-b5r', subject: s });
      await c.submit('bankB', 'Consent:RevokeGrant', 'g-kyc-b5r', 'BANK_REQUEST');
      for (const grantId of ['g-kyc-a5', 'g-kyc-b6', 'g-kyc-b5r', 'g-none']) {
        await c.refused(
          'FORBIDDEN',
          'bankB',
          'Membership:RegisterSubjectSigner',
          s,
          wallet.address,
          signature,
          c.kyc(grantId),
        );
      }
      await c.grant('bankB', { grantId: 'g-kyc-b5', subject: s });
      const future = c.kyc('g-kyc-b5', { attestedAt: plus(c.now, days(1)) });
      await c.refused(
        'INVALID',
        'bankB',
        'Membership:RegisterSubjectSigner',
        s,
        wallet.address,
        signature,
        future,
      );
      await c.refused(
        'INVALID',
        'bankB',
        'Membership:RegisterSubjectSigner',
        s,
        wallet.address,
        signature,
        '{}',
      );
      await c.queryRefused('NOT_FOUND', 'auditor', 'Membership:GetSubjectSigner', s);
    });

    it('when a provider registers a subject key or the signature is over another pseudonym, then refused', async () => {
      const { wallet, signature } = await keyFor(subject(2));
      await c.refused(
        'FORBIDDEN',
        'land',
        'Membership:RegisterSubjectSigner',
        subject(2),
        wallet.address,
        signature,
        c.kyc('g-any'),
      );
      await c.grant('bankA', { grantId: 'g-kyc-a3', subject: subject(3) });
      await c.refused(
        'INVALID',
        'bankA',
        'Membership:RegisterSubjectSigner',
        subject(3),
        wallet.address,
        signature,
        c.kyc('g-kyc-a3'),
      );
    });

    it('when the regulator replaces a binding, then the new key is bound with its attestation; a bank may not', async () => {
      const s = subject(7);
      const old = await c.registerSubjectSigner(s, 'bankA');
      const { wallet, signature } = await keyFor(s);
      const unbound = await keyFor(subject(8));
      const replacement = (reason: string) => c.kyc(undefined, { reason });
      await c.refused(
        'FORBIDDEN',
        'bankA',
        'Membership:ReplaceSubjectSigner',
        s,
        wallet.address,
        signature,
        replacement('LOST_KEY'),
      );
      await c.refused(
        'INVALID',
        'regulator',
        'Membership:ReplaceSubjectSigner',
        s,
        wallet.address,
        signature,
        replacement('BORED'),
      );
      await c.refused(
        'NOT_FOUND',
        'regulator',
        'Membership:ReplaceSubjectSigner',
        subject(8),
        unbound.wallet.address,
        unbound.signature,
        replacement('LOST_KEY'),
      );
      const replaced = await c.submit(
        'regulator',
        'Membership:ReplaceSubjectSigner',
        s,
        wallet.address,
        signature,
        replacement('LOST_KEY'),
      );
      expect(replaced).to.deep.include({
        signer: wallet.address.toLowerCase(),
        previousSigner: old.address.toLowerCase(),
        attestedBy: MSP.regulator,
        change: 'REPLACED',
        reason: 'LOST_KEY',
        version: 2,
      });
    });

    it('when the subject rotates with its current key, then the new key is bound; an old or replayed rotation is INVALID', async () => {
      const s = subject(9);
      const current = await c.registerSubjectSigner(s, 'bankA');
      const next = await keyFor(s);
      const rotation = (from: string, to: string, version: number) => ({
        subject: s,
        from: from.toLowerCase(),
        to: to.toLowerCase(),
        version,
      });
      const byOther = await signTypedMessage(
        next.wallet,
        'SubjectKeyRotation',
        rotation(current.address, next.wallet.address, 1),
        DEPLOYMENT,
      );
      await c.refused(
        'INVALID',
        'bankB',
        'Membership:RotateSubjectSigner',
        s,
        next.wallet.address,
        next.signature,
        byOther,
      );
      const good = await signTypedMessage(
        current,
        'SubjectKeyRotation',
        rotation(current.address, next.wallet.address, 1),
        DEPLOYMENT,
      );
      const rotated = await c.submit(
        'bankB',
        'Membership:RotateSubjectSigner',
        s,
        next.wallet.address,
        next.signature,
        good,
      );
      expect(rotated).to.deep.include({
        signer: next.wallet.address.toLowerCase(),
        change: 'ROTATED',
        version: 2,
        attestedBy: MSP.bankA,
      });
      // Back to the first key with the same signatures: the version no longer matches.
      const back = await signTypedMessage(
        current,
        'SubjectKeyBinding',
        {
          subject: s,
          signer: current.address.toLowerCase(),
        },
        DEPLOYMENT,
      );
      const stale = await signTypedMessage(
        current,
        'SubjectKeyRotation',
        rotation(next.wallet.address, current.address, 1),
        DEPLOYMENT,
      );
      await c.refused('INVALID', 'bankA', 'Membership:RotateSubjectSigner', s, current.address, back, stale);
      await c.refused(
        'FORBIDDEN',
        'auditor',
        'Membership:RotateSubjectSigner',
        s,
        current.address,
        back,
        stale,
      );
    });
  });
});
