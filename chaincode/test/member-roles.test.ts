import { expect } from 'chai';
import { PURPOSES, ROLE_PURPOSES, makeResidentId } from '@ruralcredit/protocol';
// The embedded ledger first: it sets the chaincode log level before the contracts' decorators log.
import { MSP, TestConsortium, subject } from './support/consortium';

/** The event names and payloads of the blocks from `start` on. */
async function eventsSince(c: TestConsortium, start: number): Promise<[string, Record<string, unknown>][]> {
  const out: [string, Record<string, unknown>][] = [];
  for (let n = start; n < c.ledger.getBlockHeight(); n++) {
    for (const tx of (await c.ledger.getBlock(n))!.transactions) {
      if (!tx.event) continue;
      const payload = JSON.parse(Buffer.from(tx.event.payload, 'base64').toString('utf8')) as Record<
        string,
        unknown
      >;
      out.push([tx.event.eventName, payload]);
    }
  }
  return out;
}

describe('Membership: admission, suspension and reinstatement with reasons', () => {
  let c: TestConsortium;
  before(async () => {
    c = await TestConsortium.start();
  });
  after(() => c.stop());

  it('when the regulator admits with a reason, then the member records it and the event names the member', async () => {
    const start = c.ledger.getBlockHeight();
    const admitted = await c.submit(
      'regulator',
      'Membership:AdmitMember',
      JSON.stringify({
        mspId: MSP.guarantor,
        role: 'GUARANTOR',
        name: 'Ningde Guarantee',
        reason: 'licence 12',
      }),
    );
    expect(admitted).to.include({
      mspId: MSP.guarantor,
      role: 'GUARANTOR',
      status: 'ACTIVE',
      admissionReason: 'licence 12',
    });
    expect(admitted.statusSince).to.equal(admitted.admittedAt);
    expect(await eventsSince(c, start)).to.deep.equal([
      ['MemberAdmitted', { mspId: MSP.guarantor, role: 'GUARANTOR', reason: 'licence 12' }],
    ]);
  });

  it('when a bank admits, then FORBIDDEN and nothing is written', async () => {
    await c.refused(
      'FORBIDDEN',
      'bankA',
      'Membership:AdmitMember',
      JSON.stringify({ mspId: MSP.insurer, role: 'INSURER', name: 'x', reason: 'y' }),
    );
    await c.queryRefused('NOT_FOUND', 'regulator', 'Membership:GetMember', MSP.insurer);
  });

  it('when a reason carries a resident ID, then INVALID', async () => {
    await c.refused(
      'INVALID',
      'regulator',
      'Membership:AdmitMember',
      JSON.stringify({
        mspId: MSP.insurer,
        role: 'INSURER',
        name: 'x',
        reason: `owner ${makeResidentId('35090219800101001')}`,
      }),
    );
  });

  it('when suspended and reinstated, then each event names the member and its reason', async () => {
    const start = c.ledger.getBlockHeight();
    await c.submit('regulator', 'Membership:SuspendMember', MSP.guarantor, 'capital below minimum');
    const refused = await c.queryRefused(
      'MEMBER_SUSPENDED',
      'guarantor',
      'Membership:GetMember',
      MSP.guarantor,
    );
    expect(refused).to.equal(`MEMBER_SUSPENDED: ${MSP.guarantor} is suspended: capital below minimum`);
    await c.submit('regulator', 'Membership:ReinstateMember', MSP.guarantor, 'capital restored');
    expect(await eventsSince(c, start)).to.deep.equal([
      ['MemberSuspended', { mspId: MSP.guarantor, reason: 'capital below minimum' }],
      ['MemberReinstated', { mspId: MSP.guarantor, reason: 'capital restored' }],
    ]);
  });
});

describe('grantee roles are limited to their purposes', () => {
  let c: TestConsortium;
  before(async () => {
    c = await TestConsortium.start();
    for (const [org, role] of [
      ['guarantor', 'GUARANTOR'],
      ['insurer', 'INSURER'],
      ['microlender', 'MICROLENDER'],
    ] as const) {
      await c.submit(
        'regulator',
        'Membership:AdmitMember',
        JSON.stringify({ mspId: MSP[org], role, name: `${org} co`, reason: 'licensed' }),
      );
    }
  });
  after(() => c.stop());

  const cases = [
    ['bankA', 'BANK'],
    ['guarantor', 'GUARANTOR'],
    ['insurer', 'INSURER'],
    ['microlender', 'MICROLENDER'],
  ] as const;

  it('the decided purposes: bank all three of before, guarantor, insurer and microlender their own', () => {
    expect(ROLE_PURPOSES).to.deep.equal({
      BANK: ['LOAN_APPLICATION', 'POST_LOAN_MANAGEMENT', 'COLLATERAL_REGISTRATION'],
      MICROLENDER: ['LOAN_APPLICATION', 'POST_LOAN_MANAGEMENT'],
      GUARANTOR: ['GUARANTEE_ASSESSMENT', 'POST_LOAN_MANAGEMENT'],
      INSURER: ['INSURANCE_UNDERWRITING'],
    });
  });

  for (const [org, role] of cases) {
    it(`when a ${role} records a grant, then only its purposes are accepted`, async () => {
      let n = 0;
      for (const purpose of PURPOSES) {
        n += 1;
        const grantId = `g-${org}-${n}`;
        const allowed = ROLE_PURPOSES[role].includes(purpose);
        const grant = JSON.stringify({
          grantId,
          subject: subject(100 + n),
          grantee: MSP[org],
          scope: ['HOMESTEAD'],
          purpose,
          validFrom: c.now,
          validUntil: '2027-03-01T00:00:00Z',
          evidence: { type: 'FORM_HASH', formHash: 'd'.repeat(64) },
        });
        if (allowed) {
          const g = await c.submit(org, 'Consent:RecordGrant', grant);
          expect(g, purpose).to.include({ grantId, grantee: MSP[org], purpose, status: 'ACTIVE' });
        } else {
          const message = await c.refused('FORBIDDEN', org, 'Consent:RecordGrant', grant);
          expect(message).to.equal(`FORBIDDEN: a ${role} may not take consent for purpose ${purpose}`);
        }
      }
    });
  }

  it('when an insurer accesses under its own grant, then GRANTED for its purpose and PURPOSE_NOT_ALLOWED for another', async () => {
    await c.grant('insurer', {
      grantId: 'g-ins',
      subject: subject(7),
      purpose: 'INSURANCE_UNDERWRITING',
      scope: ['HOMESTEAD'],
    });
    const ok = await c.access('insurer', {
      accessId: 'a-ins-1',
      grantId: 'g-ins',
      subject: subject(7),
      purpose: 'INSURANCE_UNDERWRITING',
    });
    expect(ok).to.include({ outcome: 'GRANTED', accessor: MSP.insurer });
    const denied = await c.access('insurer', {
      accessId: 'a-ins-2',
      grantId: 'g-ins',
      subject: subject(7),
      purpose: 'LOAN_APPLICATION',
    });
    expect(denied).to.include({ outcome: 'DENIED', reason: 'PURPOSE_NOT_ALLOWED' });
    const read = await c.evaluate('insurer', 'Consent:GetGrant', 'g-ins');
    expect(read).to.include({ accessesUsed: 1 });
  });

  it('when a guarantor reads a bank grant, then NOT_FOUND; it revokes only its own', async () => {
    await c.grant('bankA', { grantId: 'g-bank', subject: subject(8) });
    await c.queryRefused('NOT_FOUND', 'guarantor', 'Consent:GetGrant', 'g-bank');
    await c.refused('FORBIDDEN', 'guarantor', 'Consent:RevokeGrant', 'g-bank', 'BANK_REQUEST');
    const own = await c.evaluate<{ records: { grantId: string }[] }>(
      'guarantor',
      'Consent:ListGrants',
      '10',
      '',
    );
    expect(own.records.map((g) => g.grantId)).to.deep.equal(['g-guarantor-2', 'g-guarantor-4']);
  });

  it('when a data provider records a grant, then FORBIDDEN', async () => {
    await c.refused(
      'FORBIDDEN',
      'land',
      'Consent:RecordGrant',
      JSON.stringify({
        grantId: 'g-land',
        subject: subject(9),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        validFrom: c.now,
        validUntil: '2027-03-01T00:00:00Z',
        evidence: { type: 'FORM_HASH', formHash: 'd'.repeat(64) },
      }),
    );
  });
});
