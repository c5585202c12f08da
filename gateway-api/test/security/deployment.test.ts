/**
 * Issue 12 items 12 and 13: what a peer's own configuration may decide.
 * Every peer must reach the same decision on the same transaction, so the
 * regulator is fixed in state at bootstrap (H13), whatever a peer's
 * environment says afterwards; and a signature made for one deployment
 * (channel and chaincode) must be refused by any other (H12).
 *
 * The H12 signatures are made with ethers directly from the EIP-712 type
 * definitions and the documented salt rule, so the case states the wire
 * format rather than re-using the code it checks.
 */

/** The domain a deployment's signatures use: salt = SHA-256("rcl:eip712:v2" NUL channel NUL chaincode). */
function domainFor(channel: string, chaincode: string): TypedDataDomain {
  const salt = createHash('sha256')
    .update(`rcl:eip712:v2\u0000${channel}\u0000${chaincode}`, 'utf8')
    .digest('hex');
  return { name: 'RuralCreditLedger', version: '2', salt: `0x${salt}` };
}
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { Wallet, type TypedDataDomain } from 'ethers';
import { EIP712_TYPES } from '@ruralcredit/protocol';
import { ORG, residentId, startSecurityGateway, type ConsortiumGateway, outcome } from './fixture';
import { caseIt } from './recorder';

describe('security: deployment-bound decisions (issue 12 items 12 and 13)', () => {
  let g: ConsortiumGateway;
  const savedRegulatorEnv = process.env.RCL_REGULATOR_MSP;

  before(async () => {
    g = await startSecurityGateway();
  });
  after(async () => {
    if (savedRegulatorEnv === undefined) delete process.env.RCL_REGULATOR_MSP;
    else process.env.RCL_REGULATOR_MSP = savedRegulatorEnv;
    await g.stop();
  });

  caseIt(
    'H12',
    'when a subject key binding, a member key binding and a consent are signed for another deployment (other chaincode, other channel, or the unsalted domain), then the chaincode refuses each with INVALID and commits nothing; signed for this deployment, each is accepted',
    async (figures) => {
      const ledger = g.context.ledger;
      const { channel, chaincode } = g.context.consortium;
      const here = domainFor(channel, chaincode);
      const elsewhere: Record<string, TypedDataDomain> = {
        'other chaincode': domainFor(channel, `${chaincode}-staging`),
        'other channel': domainFor(`${channel}-pilot`, chaincode),
        'no salt (domain before the fix)': { name: 'RuralCreditLedger', version: '1' },
      };
      const published = (await g.api('/signing-domain')).body as Record<string, unknown>;
      const problems: string[] = [];
      if (published.salt !== here.salt) problems.push(`GET /signing-domain: ${JSON.stringify(published)}`);
      const sign = (
        wallet: Wallet,
        domain: TypedDataDomain,
        kind: keyof typeof EIP712_TYPES,
        value: Record<string, unknown>,
      ) => wallet.signTypedData(domain, { [kind]: EIP712_TYPES[kind].map((f) => ({ ...f })) }, value);

      // A subject key binding, under Bank A's ACTIVE consent with a KYC attestation.
      const subject = await g.context.subjects.pseudonym(residentId(1301));
      const now = Math.floor(Date.now() / 1000);
      const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      await ledger.submit(ORG.bankA, 'Consent:RecordGrant', [
        JSON.stringify({
          grantId: 'h12-kyc',
          subject,
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
          validFrom: iso(now - 60),
          validUntil: iso(now + 86_400),
          evidence: { type: 'FORM_HASH', formHash: '1'.repeat(64) },
        }),
      ]);
      const kyc = JSON.stringify({
        grantId: 'h12-kyc',
        operator: '2'.repeat(64),
        attestedAt: iso(now - 5),
        evidenceDigest: '3'.repeat(64),
      });
      const farmer = new Wallet(Wallet.createRandom().privateKey);
      const binding = { subject: `0x${subject}`, signer: farmer.address.toLowerCase() };
      // A member key binding (Bank B registers a new signing key).
      const bankKey = new Wallet(Wallet.createRandom().privateKey);
      const memberBinding = { mspId: ORG.bankB, signer: bankKey.address.toLowerCase() };
      const attempts = (domain: TypedDataDomain) => ({
        SubjectKeyBinding: () =>
          sign(farmer, domain, 'SubjectKeyBinding', binding).then((sig) =>
            ledger.submit(ORG.bankA, 'Membership:RegisterSubjectSigner', [subject, farmer.address, sig, kyc]),
          ),
        MemberKeyBinding: () =>
          sign(bankKey, domain, 'MemberKeyBinding', memberBinding).then((sig) =>
            ledger.submit(ORG.bankB, 'Membership:RegisterSigner', [bankKey.address, sig]),
          ),
      });
      const start = await ledger.height();
      for (const [label, domain] of Object.entries(elsewhere)) {
        for (const [kind, attempt] of Object.entries(attempts(domain))) {
          figures.tried += 1;
          const answer = await outcome(attempt());
          if (answer === 'OK') figures.acknowledged += 1;
          if (answer !== '400 INVALID') problems.push(`${kind} signed for ${label}: ${answer}`);
        }
      }
      const committedElsewhere = (await ledger.height()) - start;
      if (committedElsewhere !== 0)
        problems.push(`${committedElsewhere} blocks committed by foreign signatures`);
      for (const [kind, attempt] of Object.entries(attempts(here))) {
        const answer = await outcome(attempt());
        if (answer !== 'OK') problems.push(`${kind} signed for this deployment: ${answer}`);
      }
      // A consent signed by the now-bound farmer: only this deployment's signature is evidence.
      const grant = {
        grantId: 'h12-sig',
        subject,
        grantee: ORG.bankA,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        validFrom: iso(now - 60),
        validUntil: iso(now + 86_400),
        maxAccesses: 0,
      };
      const record = (domain: TypedDataDomain) =>
        sign(farmer, domain, 'ConsentGrant', { ...grant, subject: `0x${subject}` }).then((signature) =>
          ledger.submit(ORG.bankA, 'Consent:RecordGrant', [
            JSON.stringify({ ...grant, evidence: { type: 'SUBJECT_SIGNATURE', signature } }),
          ]),
        );
      for (const [label, domain] of Object.entries(elsewhere)) {
        figures.tried += 1;
        const answer = await outcome(record(domain));
        if (answer === 'OK') figures.acknowledged += 1;
        if (answer !== '400 INVALID') problems.push(`ConsentGrant signed for ${label}: ${answer}`);
      }
      const accepted = await outcome(record(here));
      if (accepted !== 'OK') problems.push(`ConsentGrant signed for this deployment: ${accepted}`);
      figures.found = problems.length;
      figures.notes.push(
        `3 foreign domains x 3 message kinds refused; the same 3 signed for ${channel}/${chaincode} accepted`,
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );

  caseIt(
    'H13',
    'when peers run with different RCL_REGULATOR_MSP after bootstrap (unset, RegulatorMSP, BankAMSP, AuditorMSP), then every peer answers Bootstrap alike (CONFLICT for the regulator fixed in state, FORBIDDEN for anyone else), the regulator read from state is RegulatorMSP, and regulator-only transactions answer alike',
    async (figures) => {
      const ledger = g.context.ledger;
      const peerSettings = [undefined, ORG.regulator, ORG.bankA, ORG.auditor];
      const callers = [ORG.regulator, ORG.bankA, ORG.auditor];
      const answers = new Map<string, Set<string>>();
      const note = (decision: string, answer: string) => {
        answers.set(decision, (answers.get(decision) ?? new Set()).add(answer));
      };
      const heightBefore = await ledger.height();
      for (const setting of peerSettings) {
        if (setting === undefined) delete process.env.RCL_REGULATOR_MSP;
        else process.env.RCL_REGULATOR_MSP = setting;
        for (const caller of callers) {
          figures.tried += 1;
          const answer = await outcome(ledger.submit(caller, 'Membership:Bootstrap', ['take over']));
          if (answer === 'OK') figures.acknowledged += 1;
          note(`Bootstrap by ${caller}`, answer);
          const expected = caller === ORG.regulator ? '409 CONFLICT' : '403 FORBIDDEN';
          if (answer !== expected) {
            figures.found += 1;
            figures.notes.push(
              `peer with RCL_REGULATOR_MSP=${setting ?? '(unset)'}: ${caller} got ${answer}`,
            );
          }
        }
        figures.tried += 1;
        const config = await ledger.evaluate<{ regulator: string }>(
          ORG.bankA,
          'Membership:GetConsortium',
          [],
        );
        note('GetConsortium', config.regulator);
        figures.tried += 1;
        note(
          'SuspendMember by BankAMSP',
          await outcome(ledger.submit(ORG.bankA, 'Membership:SuspendMember', [ORG.bankB, 'peer setting'])),
        );
      }
      if (savedRegulatorEnv === undefined) delete process.env.RCL_REGULATOR_MSP;
      else process.env.RCL_REGULATOR_MSP = savedRegulatorEnv;
      const divergent = [...answers]
        .filter(([, set]) => set.size > 1)
        .map(([d, set]) => `${d}: ${[...set].join(' / ')}`);
      figures.notes.push(
        `${answers.size} decisions, ${divergent.length} answered differently by peer setting`,
      );
      expect(divergent, 'decisions that depend on the peer environment').to.deep.equal([]);
      expect([...(answers.get('GetConsortium') ?? [])]).to.deep.equal([ORG.regulator]);
      expect([...(answers.get('SuspendMember by BankAMSP') ?? [])]).to.deep.equal(['403 FORBIDDEN']);
      expect(figures.found, figures.notes.join('; ')).to.equal(0);
      expect(await ledger.height(), 'blocks committed by the refused calls').to.equal(heightBefore);
      const member = await ledger.evaluate<{ role: string }>(ORG.bankA, 'Membership:GetMember', [ORG.bankA]);
      expect(member.role).to.equal('BANK');
    },
  );
});
