import { expect } from 'chai';
import { MSP, TestConsortium, days, plus, readAllPages, subject } from './support/consortium';

const OWNER = subject(1);

describe('Collateral', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
    await c.submit('agri', 'Collateral:RegisterAsset', assetBody(c, { certificateNo: 'LC-001' }));
    await c.submit(
      'land',
      'Collateral:RegisterAsset',
      assetBody(c, { assetType: 'HOMESTEAD_RIGHT', certificateNo: 'HS-001' }),
    );
    for (const bank of ['bankA', 'bankB'] as const) {
      await c.grant(bank, {
        grantId: `col-${bank}`,
        subject: OWNER,
        scope: ['COLLATERAL'],
        purpose: 'COLLATERAL_REGISTRATION',
      });
    }
  });
  afterEach(() => c.stop());

  it('when the issuer registers a right, then its ID is type:certificate and it is ACTIVE without liens', async () => {
    const asset = await c.evaluate('bankA', 'Collateral:GetAsset', 'LAND_CONTRACT_RIGHT:LC-001');
    expect(asset).to.include({
      assetId: 'LAND_CONTRACT_RIGHT:LC-001',
      issuer: MSP.agri,
      owner: OWNER,
      status: 'ACTIVE',
      appraisedValueFen: 10_000_000,
    });
    expect(asset.liens).to.deep.equal([]);
    expect((asset.history as { action: string }[]).map((h) => h.action)).to.deep.equal(['REGISTERED']);
  });

  it("when another authority registers the type's rights, or a right already registered, expired or malformed, then refused", async () => {
    await c.refused(
      'FORBIDDEN',
      'land',
      'Collateral:RegisterAsset',
      assetBody(c, { certificateNo: 'LC-002' }),
    );
    await c.refused(
      'FORBIDDEN',
      'bankA',
      'Collateral:RegisterAsset',
      assetBody(c, { certificateNo: 'LC-002' }),
    );
    await c.refused(
      'CONFLICT',
      'agri',
      'Collateral:RegisterAsset',
      assetBody(c, { certificateNo: 'LC-001' }),
    );
    await c.refused(
      'INVALID',
      'agri',
      'Collateral:RegisterAsset',
      assetBody(c, { certificateNo: 'LC-003', rightExpiry: plus(c.now, -5) }),
    );
    await c.refused('INVALID', 'agri', 'Collateral:RegisterAsset', assetBody(c, { certificateNo: 'LC/003' }));
    await c.refused(
      'INVALID',
      'agri',
      'Collateral:RegisterAsset',
      assetBody(c, { certificateNo: 'LC-004', appraisedValueFen: 12.5 }),
    );
    await c.refused(
      'NOT_FOUND',
      'agri',
      'Collateral:RegisterAsset',
      assetBody(c, { certificateNo: 'LC-005', provenanceBatch: 'missing' }),
    );
  });

  it('when a bank with a collateral grant registers a lien on a ranked asset, then ranks follow and the LTV cap holds', async () => {
    const first = await c.submit(
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-1', grantId: 'col-bankA', securedAmountFen: 4_000_000 }),
    );
    expect(first).to.include({ mortgagee: MSP.bankA, mortgagor: OWNER, rank: 1, status: 'ACTIVE' });
    const second = await c.submit(
      'bankB',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-2', grantId: 'col-bankB', securedAmountFen: 3_000_000 }),
    );
    expect(second).to.include({ rank: 2, mortgagee: MSP.bankB });
    // 70% of 10,000,000 fen = 7,000,000: one more fen is over the cap.
    await c.refused(
      'CONFLICT',
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-3', grantId: 'col-bankA', securedAmountFen: 1 }),
    );
    const asset = await c.evaluate('regulator', 'Collateral:GetAsset', 'LAND_CONTRACT_RIGHT:LC-001');
    expect(asset.liens).to.deep.equal([
      {
        lienId: 'l-1',
        mortgagee: MSP.bankA,
        rank: 1,
        securedAmountFen: 4_000_000,
        loanEnd: lienBody(c, {}, true).loanEnd,
        status: 'ACTIVE',
      },
      {
        lienId: 'l-2',
        mortgagee: MSP.bankB,
        rank: 2,
        securedAmountFen: 3_000_000,
        loanEnd: lienBody(c, {}, true).loanEnd,
        status: 'ACTIVE',
      },
    ]);
  });

  it('when an exclusive asset is already pledged, then CONFLICT', async () => {
    await c.submit(
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, {
        lienId: 'h-1',
        assetId: 'HOMESTEAD_RIGHT:HS-001',
        grantId: 'col-bankA',
        securedAmountFen: 100,
      }),
    );
    await c.refused(
      'CONFLICT',
      'bankB',
      'Collateral:RegisterLien',
      lienBody(c, {
        lienId: 'h-2',
        assetId: 'HOMESTEAD_RIGHT:HS-001',
        grantId: 'col-bankB',
        securedAmountFen: 100,
      }),
    );
  });

  it('when the grant is missing, foreign, of the wrong purpose or scope, or revoked, then FORBIDDEN', async () => {
    await c.grant('bankA', {
      grantId: 'loan-only',
      subject: OWNER,
      scope: ['HOMESTEAD'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    await c.grant('bankA', {
      grantId: 'wrong-purpose',
      subject: OWNER,
      scope: ['COLLATERAL'],
      purpose: 'LOAN_APPLICATION',
    });
    await c.grant('bankA', {
      grantId: 'other-subject',
      subject: subject(2),
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    await c.grant('bankA', {
      grantId: 'revoked',
      subject: OWNER,
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    await c.submit('bankA', 'Consent:RevokeGrant', 'revoked', 'BANK_REQUEST');
    for (const grantId of ['nope', 'col-bankB', 'loan-only', 'wrong-purpose', 'other-subject', 'revoked']) {
      await c.refused(
        'FORBIDDEN',
        'bankA',
        'Collateral:RegisterLien',
        lienBody(c, { lienId: `l-${grantId}`, grantId }),
      );
    }
    await c.refused(
      'FORBIDDEN',
      'land',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-x', grantId: 'col-bankA' }),
    );
  });

  it('when the right expires before the loan, or the loan already ended, then INVALID', async () => {
    await c.refused(
      'INVALID',
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-long', grantId: 'col-bankA', loanEnd: plus(c.now, days(365 * 40)) }),
    );
    await c.refused(
      'INVALID',
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-past', grantId: 'col-bankA', loanEnd: plus(c.now, -10) }),
    );
  });

  it('when the asset is seized, then no lien; only issuer or regulator seize and lift', async () => {
    await c.refused('FORBIDDEN', 'bankA', 'Collateral:SeizeAsset', 'LAND_CONTRACT_RIGHT:LC-001', 'court-1');
    await c.refused('FORBIDDEN', 'land', 'Collateral:SeizeAsset', 'LAND_CONTRACT_RIGHT:LC-001', 'court-1');
    const seized = await c.submit(
      'regulator',
      'Collateral:SeizeAsset',
      'LAND_CONTRACT_RIGHT:LC-001',
      'court-1',
    );
    expect(seized).to.include({ status: 'SEIZED' });
    expect(seized.seizure).to.include({ by: MSP.regulator, orderRef: 'court-1' });
    await c.refused('CONFLICT', 'agri', 'Collateral:SeizeAsset', 'LAND_CONTRACT_RIGHT:LC-001', 'court-2');
    await c.refused(
      'CONFLICT',
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-s', grantId: 'col-bankA' }),
    );
    const lifted = await c.submit('agri', 'Collateral:LiftSeizure', 'LAND_CONTRACT_RIGHT:LC-001');
    expect(lifted).to.include({ status: 'ACTIVE' }).and.not.have.property('seizure');
    await c.refused('CONFLICT', 'agri', 'Collateral:LiftSeizure', 'LAND_CONTRACT_RIGHT:LC-001');
  });

  it('when the mortgagee releases, then the lien leaves the asset; another bank cannot release it', async () => {
    await c.submit('bankA', 'Collateral:RegisterLien', lienBody(c, { lienId: 'l-1', grantId: 'col-bankA' }));
    await c.refused('FORBIDDEN', 'bankB', 'Collateral:ReleaseLien', 'l-1');
    await c.refused('FORBIDDEN', 'regulator', 'Collateral:ReleaseLien', 'l-1');
    expect(await c.submit('bankA', 'Collateral:ReleaseLien', 'l-1')).to.include({ status: 'RELEASED' });
    await c.refused('CONFLICT', 'bankA', 'Collateral:ReleaseLien', 'l-1');
    const asset = await c.evaluate('bankB', 'Collateral:GetAsset', 'LAND_CONTRACT_RIGHT:LC-001');
    expect(asset.liens).to.deep.equal([]);
    expect((asset.history as { action: string }[]).map((h) => h.action)).to.deep.equal([
      'LIEN_RELEASED',
      'LIEN_REGISTERED',
      'REGISTERED',
    ]);
  });

  it('lists liens: a bank its own, the regulator and auditors all; a provider FORBIDDEN', async () => {
    await c.submit('bankA', 'Collateral:RegisterLien', lienBody(c, { lienId: 'l-a1', grantId: 'col-bankA' }));
    await c.submit('bankB', 'Collateral:RegisterLien', lienBody(c, { lienId: 'l-b1', grantId: 'col-bankB' }));
    await c.submit('bankA', 'Collateral:RegisterLien', lienBody(c, { lienId: 'l-a2', grantId: 'col-bankA' }));
    const ids = async (org: 'bankA' | 'bankB' | 'regulator' | 'auditor') =>
      (await readAllPages<{ lienId: string }>(c, org, 'Collateral:ListLiens', [], 1)).map((l) => l.lienId);
    expect(await ids('bankA')).to.deep.equal(['l-a1', 'l-a2']);
    expect(await ids('bankB')).to.deep.equal(['l-b1']);
    expect(await ids('regulator')).to.deep.equal(['l-a1', 'l-a2', 'l-b1']);
    expect(await ids('auditor')).to.deep.equal(['l-a1', 'l-a2', 'l-b1']);
    await c.queryRefused('FORBIDDEN', 'agri', 'Collateral:ListLiens', '10', '');
    const read = await c.evaluate('bankB', 'Collateral:GetLien', 'l-a1');
    expect(Object.keys(read).sort()).to.deep.equal([
      'assetId',
      'lienId',
      'rank',
      'registeredAt',
      'status',
      'updatedAt',
    ]);
  });

  it('when a lienholder enforces, then the issuer transfers and every lien ends', async () => {
    await c.submit(
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-1', grantId: 'col-bankA', securedAmountFen: 1_000 }),
    );
    await c.submit(
      'bankB',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-2', grantId: 'col-bankB', securedAmountFen: 1_000 }),
    );
    await c.refused('CONFLICT', 'agri', 'Collateral:TransferAsset', 'LAND_CONTRACT_RIGHT:LC-001', subject(7));
    await c.refused('FORBIDDEN', 'bankA', 'Collateral:EnforceLien', 'l-2');
    const enforcing = await c.submit('bankB', 'Collateral:EnforceLien', 'l-2');
    expect(enforcing).to.include({ status: 'ENFORCEMENT', enforcingLien: 'l-2' });
    await c.refused('CONFLICT', 'bankA', 'Collateral:EnforceLien', 'l-1');
    await c.refused(
      'FORBIDDEN',
      'land',
      'Collateral:TransferAsset',
      'LAND_CONTRACT_RIGHT:LC-001',
      subject(7),
    );
    const moved = await c.submit(
      'agri',
      'Collateral:TransferAsset',
      'LAND_CONTRACT_RIGHT:LC-001',
      subject(7),
    );
    expect(moved).to.include({ owner: subject(7), status: 'ACTIVE' });
    expect(moved.liens).to.deep.equal([]);
    expect(await c.evaluate('bankA', 'Collateral:GetLien', 'l-1')).to.include({ status: 'DISCHARGED' });
    expect(await c.evaluate('bankA', 'Collateral:GetLien', 'l-2')).to.include({ status: 'ENFORCED' });
    const byNewOwner = await c.evaluate<{ records: { assetId: string }[] }>(
      'bankA',
      'Collateral:ListAssetsByOwner',
      subject(7),
      '10',
      '',
    );
    expect(byNewOwner.records.map((a) => a.assetId)).to.deep.equal(['LAND_CONTRACT_RIGHT:LC-001']);
    const byOldOwner = await c.evaluate<{ records: { assetId: string }[] }>(
      'bankA',
      'Collateral:ListAssetsByOwner',
      OWNER,
      '10',
      '',
    );
    expect(byOldOwner.records.map((a) => a.assetId)).to.deep.equal(['HOMESTEAD_RIGHT:HS-001']);
  });

  it('when two banks register liens on the same asset at once, then exactly one is VALID', async () => {
    const a = await c.endorse(
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, {
        lienId: 'race-a',
        assetId: 'HOMESTEAD_RIGHT:HS-001',
        grantId: 'col-bankA',
        securedAmountFen: 100,
      }),
    );
    const b = await c.endorse(
      'bankB',
      'Collateral:RegisterLien',
      lienBody(c, {
        lienId: 'race-b',
        assetId: 'HOMESTEAD_RIGHT:HS-001',
        grantId: 'col-bankB',
        securedAmountFen: 100,
      }),
    );
    const statuses = [await c.ledger.commit(a), await c.ledger.commit(b)].map((s) => s.validationCode);
    expect(statuses).to.deep.equal(['VALID', 'MVCC_READ_CONFLICT']);
    const asset = await c.evaluate('regulator', 'Collateral:GetAsset', 'HOMESTEAD_RIGHT:HS-001');
    expect((asset.liens as { lienId: string }[]).map((l) => l.lienId)).to.deep.equal(['race-a']);
    await c.queryRefused('NOT_FOUND', 'auditor', 'Collateral:GetLien', 'race-b');
  });

  it("when members read a pledged asset, then a bank sees its own liens' amounts and the others as count and total, owner, location and appraisal only under an active COLLATERAL grant; the issuer and the regulator see all", async () => {
    await c.submit(
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-1', grantId: 'col-bankA', securedAmountFen: 4_000_000 }),
    );
    await c.submit(
      'bankB',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-2', grantId: 'col-bankB', securedAmountFen: 1_000_000 }),
    );
    await c.submit(
      'bankB',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-3', grantId: 'col-bankB', securedAmountFen: 2_000_000 }),
    );
    const read = (org: 'bankA' | 'bankB' | 'agri' | 'land' | 'auditor' | 'regulator') =>
      c.evaluate(org, 'Collateral:GetAsset', 'LAND_CONTRACT_RIGHT:LC-001');
    for (const org of ['agri', 'regulator'] as const) {
      const full = await read(org);
      expect(full, org).to.include({ visibility: 'FULL', owner: OWNER, appraisedValueFen: 10_000_000 });
      expect((full.liens as unknown[]).length, org).to.equal(3);
      expect(full).not.to.have.property('otherLiens');
    }
    const a = await read('bankA');
    expect(a).to.include({ visibility: 'COLLATERAL_GRANT', owner: OWNER, appraisedValueFen: 10_000_000 });
    expect((a.liens as { lienId: string }[]).map((l) => l.lienId)).to.deep.equal(['l-1']);
    expect(a.otherLiens).to.deep.equal({ count: 2, totalSecuredFen: 3_000_000 });
    for (const org of ['land', 'auditor'] as const) {
      const member = await read(org);
      expect(member, org).to.include({ visibility: 'MEMBER' });
      for (const hidden of ['owner', 'location', 'appraisedValueFen', 'appraisalDate'])
        expect(member, `${org} ${hidden}`).not.to.have.property(hidden);
      expect(member.liens, org).to.deep.equal([]);
      expect(member.otherLiens, org).to.deep.equal({ count: 3, totalSecuredFen: 7_000_000 });
      expect(JSON.stringify(member.history), org).not.to.include(OWNER);
    }
    // Once bank A's grant is revoked, it keeps its own lien's amount but no longer sees owner, location or appraisal.
    await c.submit('bankA', 'Consent:RevokeGrant', 'col-bankA', 'LOAN_CLOSED');
    const revoked = await read('bankA');
    expect(revoked).to.include({ visibility: 'MEMBER' });
    expect(revoked).not.to.have.property('appraisedValueFen');
    expect((revoked.liens as { securedAmountFen: number }[]).map((l) => l.securedAmountFen)).to.deep.equal([
      4_000_000,
    ]);
    // A lien read by a bank that does not hold it: no amount, no mortgagor, no grant.
    expect(await c.evaluate('bankA', 'Collateral:GetLien', 'l-2')).to.have.all.keys(
      'lienId',
      'assetId',
      'rank',
      'status',
      'registeredAt',
      'updatedAt',
    );
    expect(await c.evaluate('agri', 'Collateral:GetLien', 'l-2')).to.include({ securedAmountFen: 1_000_000 });
  });

  it("when the loan ends after the owner's consent does, then INVALID and nothing is written (issue 12 item 20)", async () => {
    await c.grant('bankA', {
      grantId: 'col-short',
      subject: OWNER,
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
      validUntil: plus(c.now, days(30)),
    });
    const message = await c.refused(
      'INVALID',
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-beyond', grantId: 'col-short', loanEnd: plus(c.now, days(31)) }),
    );
    expect(message).to.include('after the end of the owner');
    expect(
      await c.submit(
        'bankA',
        'Collateral:RegisterLien',
        lienBody(c, { lienId: 'l-within', grantId: 'col-short', loanEnd: plus(c.now, days(29)) }),
      ),
    ).to.include({ lienId: 'l-within', status: 'ACTIVE' });
  });

  it('lists a bank its own liens only', async () => {
    await c.submit(
      'bankA',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-1', grantId: 'col-bankA', securedAmountFen: 1 }),
    );
    await c.submit(
      'bankB',
      'Collateral:RegisterLien',
      lienBody(c, { lienId: 'l-2', grantId: 'col-bankB', securedAmountFen: 1 }),
    );
    const mine = await c.evaluate<{ records: { lienId: string }[] }>(
      'bankB',
      'Collateral:ListMyLiens',
      '10',
      '',
    );
    expect(mine.records.map((l) => l.lienId)).to.deep.equal(['l-2']);
    await c.queryRefused('FORBIDDEN', 'auditor', 'Collateral:ListMyLiens', '10', '');
  });
});

function assetBody(c: TestConsortium, override: Record<string, unknown>): string {
  return JSON.stringify({
    assetType: 'LAND_CONTRACT_RIGHT',
    certificateNo: 'LC-000',
    owner: OWNER,
    location: '350902-101-0007',
    areaValue: 12.5,
    areaUnit: 'MU',
    appraisedValueFen: 10_000_000,
    appraisalDate: c.now,
    rightExpiry: plus(c.now, days(365 * 20)),
    ...override,
  });
}

function lienBody(c: TestConsortium, override: Record<string, unknown>): string;
function lienBody(c: TestConsortium, override: Record<string, unknown>, raw: true): Record<string, unknown>;
function lienBody(
  c: TestConsortium,
  override: Record<string, unknown>,
  raw?: true,
): string | Record<string, unknown> {
  const body = {
    lienId: 'l-0',
    assetId: 'LAND_CONTRACT_RIGHT:LC-001',
    grantId: 'col-bankA',
    securedAmountFen: 1_000_000,
    loanEnd: '2027-02-01T00:00:00Z',
    ...override,
  };
  return raw ? body : JSON.stringify(body);
}
