import { expect } from 'chai';
import { signTypedMessage } from '@ruralcredit/protocol';
import { DEPLOYMENT, MSP, type Org, TestConsortium, days, digest, plus, subject } from './support/consortium';

const FARMER = subject(14);
const COUNTY = '350921';
const OTHER_COUNTY = '350981';
const BANKS = ['bankA', 'bankB', 'bankC', 'bankD'] as const;

type Rec = Record<string, unknown>;

/** A product of `bank` serving `counties`. */
function product(id: string, override: Rec = {}): string {
  return JSON.stringify({
    productId: id,
    version: 1,
    name: 'Tea garden loan',
    assetTypes: ['LAND_CONTRACT_RIGHT'],
    minAmountFen: 1_000_000,
    maxAmountFen: 50_000_000,
    minTermMonths: 6,
    maxTermMonths: 36,
    minRateBps: 350,
    maxRateBps: 650,
    counties: [COUNTY],
    ...override,
  });
}

function demandBody(c: TestConsortium, id: string, override: Rec = {}): Rec {
  return {
    demandId: id,
    subject: FARMER,
    amountFen: 20_000_000,
    termMonths: 12,
    purpose: 'PLANTING',
    countyCode: COUNTY,
    offeredAssets: [],
    datasets: ['HOMESTEAD', 'LAND_CONTRACT'],
    expiresAt: plus(c.now, days(30)),
    evidence: { type: 'FORM_HASH', formHash: digest(31) },
    ...override,
  };
}

const loanTerms = (loanId: string, override: Rec = {}): string =>
  JSON.stringify({ loanId, amountFen: 20_000_000, termMonths: 12, rateBps: 420, ...override });

/** A consortium where each of the four banks publishes a product serving the county. */
async function financingConsortium(): Promise<TestConsortium> {
  const c = await TestConsortium.start();
  for (const bank of BANKS) await c.submit(bank, 'Financing:PublishProduct', product(`p-${bank}`));
  return c;
}

describe('Financing: products', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await financingConsortium();
  });
  afterEach(() => c.stop());

  it('when a bank publishes new versions and withdraws, then versions only increase and every version stays readable', async () => {
    await c.submit('bankA', 'Financing:PublishProduct', product('p-bankA', { version: 2, maxRateBps: 600 }));
    await c.refused('CONFLICT', 'bankA', 'Financing:PublishProduct', product('p-bankA', { version: 2 }));
    await c.refused('CONFLICT', 'bankA', 'Financing:PublishProduct', product('p-new', { version: 3 }));
    await c.refused('FORBIDDEN', 'bankB', 'Financing:PublishProduct', product('p-bankA', { version: 9 }));
    await c.refused('FORBIDDEN', 'bankB', 'Financing:WithdrawProduct', 'p-bankA');
    const withdrawn = await c.submit('bankA', 'Financing:WithdrawProduct', 'p-bankA');
    expect(withdrawn).to.include({ status: 'WITHDRAWN', version: 3 });
    await c.refused('CONFLICT', 'bankA', 'Financing:WithdrawProduct', 'p-bankA');
    const read = await c.evaluate<{ versions: Rec[] }>('auditor', 'Financing:GetProduct', 'p-bankA');
    expect(read.versions.map((v) => [v.version, v.status, v.maxRateBps])).to.deep.equal([
      [1, 'ACTIVE', 650],
      [2, 'ACTIVE', 600],
      [3, 'WITHDRAWN', 600],
    ]);
  });

  it('when a product is malformed, then INVALID and nothing is written', async () => {
    await c.refused(
      'INVALID',
      'bankA',
      'Financing:PublishProduct',
      product('p-x', { minAmountFen: 9, maxAmountFen: 1 }),
    );
    await c.refused('INVALID', 'bankA', 'Financing:PublishProduct', product('p-x', { counties: ['35092'] }));
    await c.refused(
      'INVALID',
      'bankA',
      'Financing:PublishProduct',
      product('p-x', { assetTypes: ['NO_SUCH_TYPE'] }),
    );
    await c.refused('FORBIDDEN', 'land', 'Financing:PublishProduct', product('p-x'));
  });

  it('when products are listed with filters, then only active products matching county, asset type, amount and term', async () => {
    await c.submit(
      'bankB',
      'Financing:PublishProduct',
      product('p-bankB', { version: 2, counties: [OTHER_COUNTY] }),
    );
    await c.submit('bankC', 'Financing:WithdrawProduct', 'p-bankC');
    await c.submit(
      'bankD',
      'Financing:PublishProduct',
      product('p-bankD', { version: 2, assetTypes: [], maxTermMonths: 12 }),
    );
    const list = async (filter: Rec): Promise<string[]> =>
      (
        await c.evaluate<{ records: Rec[] }>(
          'auditor',
          'Financing:ListProducts',
          JSON.stringify(filter),
          '50',
          '',
        )
      ).records.map((p) => p.productId as string);
    expect(await list({})).to.deep.equal(['p-bankA', 'p-bankB', 'p-bankD']);
    expect(await list({ countyCode: COUNTY })).to.deep.equal(['p-bankA', 'p-bankD']);
    expect(await list({ assetType: 'LAND_CONTRACT_RIGHT' })).to.deep.equal(['p-bankA', 'p-bankB']);
    expect(await list({ countyCode: COUNTY, termMonths: 24 })).to.deep.equal(['p-bankA']);
    expect(await list({ amountFen: 100_000_000 })).to.deep.equal([]);
    await c.queryRefused(
      'INVALID',
      'auditor',
      'Financing:ListProducts',
      JSON.stringify({ county: COUNTY }),
      '50',
      '',
    );
  });
});

describe('Financing: demands and claims', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await financingConsortium();
    await c.submit('bankA', 'Financing:FileDemand', JSON.stringify(demandBody(c, 'd-1')));
  });
  afterEach(() => c.stop());

  it('when the subject signs a demand, then it is filed with the signer; a wrong signature or an asset not the subject’s is INVALID', async () => {
    const wallet = await c.registerSubjectSigner(FARMER);
    const body = demandBody(c, 'd-signed');
    const message: Rec = { ...body };
    delete message.evidence;
    const signature = await signTypedMessage(wallet, 'FinancingDemand', message as never, DEPLOYMENT);
    const filed = await c.submit(
      'regulator',
      'Financing:FileDemand',
      JSON.stringify({ ...body, evidence: { type: 'SUBJECT_SIGNATURE', signature } }),
    );
    expect(filed).to.include({ status: 'OPEN', filedBy: MSP.regulator });
    expect((filed.evidence as Rec).signer).to.equal(wallet.address.toLowerCase());
    await c.refused(
      'INVALID',
      'regulator',
      'Financing:FileDemand',
      JSON.stringify({
        ...body,
        demandId: 'd-other',
        amountFen: 1,
        evidence: { type: 'SUBJECT_SIGNATURE', signature },
      }),
    );
    await c.refused(
      'INVALID',
      'bankA',
      'Financing:FileDemand',
      JSON.stringify(demandBody(c, 'd-2', { offeredAssets: ['LAND_CONTRACT_RIGHT:NONE'] })),
    );
    await c.refused(
      'INVALID',
      'bankA',
      'Financing:FileDemand',
      JSON.stringify(demandBody(c, 'd-2', { expiresAt: plus(c.now, days(181)) })),
    );
    await c.refused(
      'INVALID',
      'bankA',
      'Financing:FileDemand',
      JSON.stringify(demandBody(c, 'd-2', { purpose: 'buy a car for 张三' })),
    );
    await c.refused('CONFLICT', 'bankA', 'Financing:FileDemand', JSON.stringify(demandBody(c, 'd-1')));
    await c.refused('FORBIDDEN', 'agri', 'Financing:FileDemand', JSON.stringify(demandBody(c, 'd-2')));
  });

  it('when three banks claim, then a fourth is refused, each claim holds an active LOAN_APPLICATION grant over the datasets, and a bank outside the county is FORBIDDEN', async () => {
    for (const bank of ['bankA', 'bankB', 'bankC'] as const) {
      const claim = await c.submit(bank, 'Financing:ClaimDemand', `c-${bank}`, 'd-1');
      expect(claim).to.include({
        status: 'CLAIMED',
        bank: MSP[bank],
        grantId: `claim:c-${bank}`,
        overdue: false,
      });
    }
    const message = await c.refused('CONFLICT', 'bankD', 'Financing:ClaimDemand', 'c-bankD', 'd-1');
    expect(message).to.contain('already has 3 active claims');
    await c.refused('CONFLICT', 'bankA', 'Financing:ClaimDemand', 'c-again', 'd-1');
    const grant = await c.evaluate('bankB', 'Consent:GetGrant', 'claim:c-bankB');
    expect(grant).to.include({
      status: 'ACTIVE',
      purpose: 'LOAN_APPLICATION',
      subject: FARMER,
      grantee: MSP.bankB,
    });
    expect(grant.scope).to.deep.equal(['HOMESTEAD', 'LAND_CONTRACT']);
    const access = await c.access('bankB', { accessId: 'a-1', grantId: 'claim:c-bankB', subject: FARMER });
    expect(access).to.include({ outcome: 'GRANTED' });
    await c.submit(
      'bankD',
      'Financing:FileDemand',
      JSON.stringify(demandBody(c, 'd-far', { countyCode: OTHER_COUNTY })),
    );
    await c.refused('FORBIDDEN', 'bankA', 'Financing:ClaimDemand', 'c-far', 'd-far');
    expect((await c.evaluate('regulator', 'Financing:GetDemand', 'd-1')).activeClaims).to.deep.equal([
      'c-bankA',
      'c-bankB',
      'c-bankC',
    ]);
  });

  it('when four banks endorse claims on a demand with two active at once, then only one commits: every claim reads and writes the demand', async () => {
    await c.submit('bankA', 'Financing:ClaimDemand', 'c-bankA', 'd-1');
    await c.submit('bankB', 'Financing:ClaimDemand', 'c-bankB', 'd-1');
    const c3 = await c.endorse('bankC', 'Financing:ClaimDemand', 'c-bankC', 'd-1');
    const c4 = await c.endorse('bankD', 'Financing:ClaimDemand', 'c-bankD', 'd-1');
    const statuses = [await c.ledger.commit(c3), await c.ledger.commit(c4)].map((s) => s.validationCode);
    expect(statuses).to.deep.equal(['VALID', 'MVCC_READ_CONFLICT']);
    const demand = await c.evaluate('regulator', 'Financing:GetDemand', 'd-1');
    expect(demand.activeClaims).to.deep.equal(['c-bankA', 'c-bankB', 'c-bankC']);
    await c.queryRefused('NOT_FOUND', 'regulator', 'Financing:GetClaim', 'c-bankD');
    await c.refused('CONFLICT', 'bankD', 'Financing:ClaimDemand', 'c-bankD', 'd-1');
  });

  it('when a claim runs CLAIMED -> CONTACTED -> APPROVED -> DISBURSED, then the demand closes, the others are cancelled and their grants end', async () => {
    for (const bank of ['bankA', 'bankB', 'bankC'] as const)
      await c.submit(bank, 'Financing:ClaimDemand', `c-${bank}`, 'd-1');
    await c.refused('CONFLICT', 'bankA', 'Financing:ApproveClaim', 'c-bankA');
    await c.refused('FORBIDDEN', 'bankB', 'Financing:ContactClaim', 'c-bankA');
    expect(await c.submit('bankA', 'Financing:ContactClaim', 'c-bankA')).to.include({
      status: 'CONTACTED',
      contactedWithinDeadline: true,
    });
    await c.refused('CONFLICT', 'bankA', 'Financing:DisburseClaim', 'c-bankA', loanTerms('loan-1'));
    expect(await c.submit('bankA', 'Financing:ApproveClaim', 'c-bankA')).to.include({ status: 'APPROVED' });
    await c.refused(
      'INVALID',
      'bankA',
      'Financing:DisburseClaim',
      'c-bankA',
      loanTerms('loan-1', { rateBps: -1 }),
    );
    const result = await c.submit<{ claim: Rec; loan: Rec; demand: Rec }>(
      'bankA',
      'Financing:DisburseClaim',
      'c-bankA',
      loanTerms('loan-1'),
    );
    expect(result.claim).to.include({ status: 'DISBURSED', loanId: 'loan-1' });
    expect(result.demand).to.include({ status: 'CLOSED', disbursedBy: 'c-bankA' });
    expect(result.demand.activeClaims).to.deep.equal([]);
    expect(result.loan).to.include({
      bank: MSP.bankA,
      subject: FARMER,
      status: 'ACTIVE',
      demandId: 'd-1',
      claimId: 'c-bankA',
    });
    // The loan starts at the disbursing transaction's time and matures 12 months later.
    const disbursedAt = result.claim.disbursedAt as string;
    expect(disbursedAt).to.match(/^2026-03-01T00:0\d:\d\dZ$/);
    expect(result.loan.startDate).to.equal(disbursedAt);
    expect(result.loan.maturityDate).to.equal(disbursedAt.replace(/^2026/, '2027'));
    for (const bank of ['bankB', 'bankC'] as const) {
      expect(await c.evaluate(bank, 'Financing:GetClaim', `c-${bank}`)).to.include({
        status: 'CANCELLED',
        endReason: 'ANOTHER_BANK_DISBURSED',
      });
      expect(await c.evaluate(bank, 'Consent:GetGrant', `claim:c-${bank}`)).to.include({ status: 'REVOKED' });
    }
    expect(
      await c.access('bankB', { accessId: 'a-late', grantId: 'claim:c-bankB', subject: FARMER }),
    ).to.include({ outcome: 'DENIED', reason: 'REVOKED' });
    expect(await c.evaluate('bankA', 'Consent:GetGrant', 'claim:c-bankA')).to.include({ status: 'REVOKED' });
    await c.refused('CONFLICT', 'bankD', 'Financing:ClaimDemand', 'c-bankD', 'd-1');
  });

  it('when demands are filed, claimed and closed, then each event names the banks to alert: those serving the county, the parties, the cancelled', async () => {
    await c.submit(
      'bankD',
      'Financing:PublishProduct',
      product('p-bankD', { version: 2, counties: [OTHER_COUNTY] }),
    );
    const events = async (from: number): Promise<[string, unknown][]> => {
      const out: [string, unknown][] = [];
      for (let n = from; n < c.ledger.getBlockHeight(); n++) {
        for (const tx of (await c.ledger.getBlock(n))!.transactions) {
          const payload = JSON.parse(Buffer.from(tx.event!.payload, 'base64').toString('utf8')) as Rec;
          out.push([tx.event!.eventName, payload.notify]);
        }
      }
      return out;
    };
    const start = c.ledger.getBlockHeight();
    await c.submit('regulator', 'Financing:FileDemand', JSON.stringify(demandBody(c, 'd-ev')));
    await c.submit('bankB', 'Financing:ClaimDemand', 'c-B', 'd-ev');
    await c.submit('bankC', 'Financing:ClaimDemand', 'c-C', 'd-ev');
    await c.submit('bankB', 'Financing:ContactClaim', 'c-B');
    await c.submit('bankB', 'Financing:ApproveClaim', 'c-B');
    await c.submit('bankB', 'Financing:DisburseClaim', 'c-B', loanTerms('loan-ev'));
    expect(await events(start)).to.deep.equal([
      ['DemandFiled', [MSP.bankA, MSP.bankB, MSP.bankC]],
      ['DemandClaimed', [MSP.bankB, MSP.regulator]],
      ['DemandClaimed', [MSP.bankB, MSP.bankC, MSP.regulator]],
      ['ClaimContacted', undefined],
      ['ClaimApproved', undefined],
      ['DemandClosed', [MSP.bankB, MSP.bankC, MSP.regulator]],
    ]);
  });

  it('when a claim is declined or released, then its slot frees for another bank', async () => {
    for (const bank of ['bankA', 'bankB', 'bankC'] as const)
      await c.submit(bank, 'Financing:ClaimDemand', `c-${bank}`, 'd-1');
    await c.submit('bankA', 'Financing:ContactClaim', 'c-bankA');
    expect(await c.submit('bankA', 'Financing:DeclineClaim', 'c-bankA')).to.include({ status: 'DECLINED' });
    await c.submit('bankD', 'Financing:ClaimDemand', 'c-bankD', 'd-1');
    expect(await c.submit('bankB', 'Financing:ReleaseClaim', 'c-bankB')).to.include({ status: 'RELEASED' });
    await c.refused('CONFLICT', 'bankB', 'Financing:ReleaseClaim', 'c-bankB');
    expect((await c.evaluate('regulator', 'Financing:GetDemand', 'd-1')).activeClaims).to.deep.equal([
      'c-bankC',
      'c-bankD',
    ]);
  });

  it('when a claim is not contacted within the deadline, then it is overdue at the transaction time, flagged once, and a late contact is recorded as late; the regulator may change the deadline', async () => {
    await c.submit('bankA', 'Financing:ClaimDemand', 'c-bankA', 'd-1');
    await c.submit('bankB', 'Financing:ClaimDemand', 'c-bankB', 'd-1');
    c.advance(days(3) - 10);
    expect(await c.evaluate('regulator', 'Financing:GetClaim', 'c-bankA')).to.include({ overdue: false });
    expect(await c.submit('regulator', 'Financing:FlagOverdueClaims')).to.deep.equal({ flagged: [] });
    c.advance(60);
    expect(await c.evaluate('regulator', 'Financing:GetClaim', 'c-bankA')).to.include({ overdue: true });
    const flagged = await c.submit<{ flagged: Rec[] }>('regulator', 'Financing:FlagOverdueClaims');
    expect(flagged.flagged.map((f) => [f.claimId, f.bank])).to.deep.equal([
      ['c-bankA', MSP.bankA],
      ['c-bankB', MSP.bankB],
    ]);
    expect(await c.submit('regulator', 'Financing:FlagOverdueClaims')).to.deep.equal({ flagged: [] });
    await c.refused('FORBIDDEN', 'bankA', 'Financing:FlagOverdueClaims');
    expect(await c.submit('bankA', 'Financing:ContactClaim', 'c-bankA')).to.include({
      contactedWithinDeadline: false,
      overdue: false,
    });
    await c.submit('regulator', 'Financing:SetPolicy', '5');
    await c.refused('INVALID', 'regulator', 'Financing:SetPolicy', '0');
    await c.refused('FORBIDDEN', 'bankA', 'Financing:SetPolicy', '5');
    const claim = await c.submit('bankC', 'Financing:ClaimDemand', 'c-bankC', 'd-1');
    expect(claim.contactBy).to.equal(plus(claim.claimedAt as string, days(5)));
  });

  it('when the subject withdraws its demand by signature, then its claims are cancelled; a form from another bank is FORBIDDEN', async () => {
    const wallet = await c.registerSubjectSigner(FARMER, 'bankD');
    await c.submit('bankB', 'Financing:ClaimDemand', 'c-bankB', 'd-1');
    const form = JSON.stringify({ type: 'FORM_HASH', formHash: digest(77) });
    await c.refused('FORBIDDEN', 'bankB', 'Financing:WithdrawDemand', 'd-1', form);
    const bad = await signTypedMessage(
      wallet,
      'DemandWithdrawal',
      { demandId: 'd-other', subject: FARMER },
      DEPLOYMENT,
    );
    await c.refused(
      'INVALID',
      'bankB',
      'Financing:WithdrawDemand',
      'd-1',
      JSON.stringify({ type: 'SUBJECT_SIGNATURE', signature: bad }),
    );
    const signature = await signTypedMessage(
      wallet,
      'DemandWithdrawal',
      { demandId: 'd-1', subject: FARMER },
      DEPLOYMENT,
    );
    const withdrawn = await c.submit(
      'bankB',
      'Financing:WithdrawDemand',
      'd-1',
      JSON.stringify({ type: 'SUBJECT_SIGNATURE', signature }),
    );
    expect(withdrawn).to.include({ status: 'WITHDRAWN' });
    expect(await c.evaluate('bankB', 'Financing:GetClaim', 'c-bankB')).to.include({
      status: 'CANCELLED',
      endReason: 'DEMAND_WITHDRAWN',
    });
    await c.refused('CONFLICT', 'regulator', 'Financing:WithdrawDemand', 'd-1', form);
    await c.refused('CONFLICT', 'bankC', 'Financing:ClaimDemand', 'c-bankC', 'd-1');
  });

  it('when a demand expires, then it is EXPIRED at the transaction time and cannot be claimed', async () => {
    c.advance(days(30));
    expect(await c.evaluate('regulator', 'Financing:GetDemand', 'd-1')).to.include({ status: 'EXPIRED' });
    await c.refused('CONFLICT', 'bankB', 'Financing:ClaimDemand', 'c-bankB', 'd-1');
  });

  it('when banks read demands, then a bank sees those open in its counties or claimed by it, and claims of its own only', async () => {
    await c.submit(
      'bankD',
      'Financing:FileDemand',
      JSON.stringify(demandBody(c, 'd-far', { countyCode: OTHER_COUNTY })),
    );
    await c.queryRefused('NOT_FOUND', 'bankB', 'Financing:GetDemand', 'd-far');
    const list = await c.evaluate<{ records: Rec[] }>('bankB', 'Financing:ListDemands', '', '', '50', '');
    expect(list.records.map((d) => d.demandId)).to.deep.equal(['d-1']);
    await c.submit('bankB', 'Financing:ClaimDemand', 'c-bankB', 'd-1');
    await c.queryRefused('NOT_FOUND', 'bankA', 'Financing:GetClaim', 'c-bankB');
    await c.queryRefused('FORBIDDEN', 'bankA', 'Financing:ListClaims', MSP.bankB, '50', '');
    const all = await c.evaluate<{ records: Rec[] }>('auditor', 'Financing:ListClaims', '', '50', '');
    expect(all.records.map((r) => r.claimId)).to.deep.equal(['c-bankB']);
  });
});

describe('Lending: loans', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await financingConsortium();
    await c.grant('bankA', { grantId: 'app-A', subject: FARMER });
  });
  afterEach(() => c.stop());

  it('when a bank records a loan directly, then only under its own active grant, and only it updates the status with a DPD bucket for OVERDUE', async () => {
    const direct = (override: Rec = {}) =>
      JSON.stringify({
        loanId: 'loan-d',
        subject: FARMER,
        grantId: 'app-A',
        amountFen: 5_000_000,
        termMonths: 6,
        rateBps: 500,
        ...override,
      });
    await c.refused('FORBIDDEN', 'bankB', 'Lending:RecordLoan', direct());
    await c.refused('FORBIDDEN', 'bankA', 'Lending:RecordLoan', direct({ subject: subject(99) }));
    const loan = await c.submit('bankA', 'Lending:RecordLoan', direct());
    expect(loan).to.include({
      status: 'ACTIVE',
      bank: MSP.bankA,
      maturityDate: plus(loan.startDate as string, days(184)),
    });
    await c.refused('CONFLICT', 'bankA', 'Lending:RecordLoan', direct());
    await c.refused('FORBIDDEN', 'bankB', 'Lending:UpdateLoanStatus', 'loan-d', 'REPAID', '');
    await c.refused('INVALID', 'bankA', 'Lending:UpdateLoanStatus', 'loan-d', 'OVERDUE', '');
    await c.refused('INVALID', 'bankA', 'Lending:UpdateLoanStatus', 'loan-d', 'ACTIVE', 'DPD_1_30');
    expect(await c.submit('bankA', 'Lending:UpdateLoanStatus', 'loan-d', 'OVERDUE', 'DPD_31_90')).to.include({
      status: 'OVERDUE',
      dpdBucket: 'DPD_31_90',
    });
    expect(await c.submit('bankA', 'Lending:UpdateLoanStatus', 'loan-d', 'REPAID', '')).to.include({
      status: 'REPAID',
    });
    await c.refused('CONFLICT', 'bankA', 'Lending:UpdateLoanStatus', 'loan-d', 'ACTIVE', '');
    await c.queryRefused('NOT_FOUND', 'bankB', 'Lending:GetLoan', 'loan-d');
  });

  it('when a POST_LOAN_MANAGEMENT grant is attached, then it must be the borrower’s, active and last to maturity', async () => {
    await c.submit(
      'bankA',
      'Lending:RecordLoan',
      JSON.stringify({
        loanId: 'loan-p',
        subject: FARMER,
        grantId: 'app-A',
        amountFen: 5_000_000,
        termMonths: 24,
        rateBps: 500,
      }),
    );
    await c.grant('bankA', {
      grantId: 'post-short',
      subject: FARMER,
      purpose: 'POST_LOAN_MANAGEMENT',
      validUntil: plus(c.now, days(365)),
    });
    await c.grant('bankA', {
      grantId: 'post-long',
      subject: FARMER,
      purpose: 'POST_LOAN_MANAGEMENT',
      validUntil: plus(c.now, days(3 * 365)),
    });
    const short = await c.refused('INVALID', 'bankA', 'Lending:AttachPostLoanGrant', 'loan-p', 'post-short');
    expect(short).to.contain("must cover the loan's term");
    await c.refused('INVALID', 'bankA', 'Lending:AttachPostLoanGrant', 'loan-p', 'app-A');
    await c.refused('FORBIDDEN', 'bankB', 'Lending:AttachPostLoanGrant', 'loan-p', 'post-long');
    expect(await c.submit('bankA', 'Lending:AttachPostLoanGrant', 'loan-p', 'post-long')).to.include({
      postLoanGrantId: 'post-long',
    });
    await c.refused(
      'INVALID',
      'bankA',
      'Lending:RecordLoan',
      JSON.stringify({
        loanId: 'loan-q',
        subject: FARMER,
        grantId: 'app-A',
        amountFen: 1_000_000,
        termMonths: 36,
        rateBps: 500,
        postLoanGrantId: 'post-long',
      }),
    );
  });
});

describe('Lending: the multi-lender signal (hand-computed fixture)', () => {
  let c: TestConsortium;
  afterEach(() => c.stop());

  /**
   * Subject FARMER, asked about by bank A on day 200:
   * - bank B: LOAN_APPLICATION grant active; GRANTED access on day 190 (10 days ago); lien of 3,000,000 fen;
   *   ACTIVE loan of 2,000,000 fen.
   * - bank C: active claim on a demand (no access); OVERDUE loan of 5,000,000 fen in DPD_31_90; lien of 1,500,000 fen.
   * - bank D: grant of day 0 expired on day 120, GRANTED access on day 60 (140 days ago) and a DENIED access on
   *   day 195; REPAID loan of 9,000,000 fen.
   * - bank A itself: grant, access, lien and loan, none counted.
   * Expected: applying {B (grant), C (claim)} = 2; accessing in 30 days {B} = 1, 90 days {B} = 1, 180 days {B, D} = 2;
   * other liens 2 totalling 4,500,000; other active loans 2 totalling 7,000,000, worst DPD_31_90.
   */
  it('when bank A records the signal, then the counts equal the hand-computed ones, name no bank, and the digest covers them', async () => {
    c = await financingConsortium();
    const day = (n: number) => c.setTime(plus('2026-03-01T00:00:00Z', days(n)));
    day(0);
    await c.submit(
      'agri',
      'Collateral:RegisterAsset',
      JSON.stringify({
        assetType: 'LAND_CONTRACT_RIGHT',
        certificateNo: 'LC-ML',
        owner: FARMER,
        location: '350921-1',
        areaValue: 10,
        areaUnit: 'MU',
        appraisedValueFen: 100_000_000,
        appraisalDate: c.now,
        rightExpiry: plus(c.now, days(365 * 20)),
      }),
    );
    await c.grant('bankD', { grantId: 'g-D', subject: FARMER, validUntil: plus(c.now, days(120)) });
    for (const bank of ['bankA', 'bankB', 'bankC'] as const) {
      await c.grant(bank, {
        grantId: `col-${bank}`,
        subject: FARMER,
        scope: ['COLLATERAL'],
        purpose: 'COLLATERAL_REGISTRATION',
        validUntil: plus(c.now, days(1500)),
      });
    }
    day(10);
    await c.submit(
      'bankD',
      'Lending:RecordLoan',
      JSON.stringify({
        loanId: 'L-D',
        subject: FARMER,
        grantId: 'g-D',
        amountFen: 9_000_000,
        termMonths: 6,
        rateBps: 500,
      }),
    );
    day(60);
    await c.submit('bankD', 'Lending:UpdateLoanStatus', 'L-D', 'REPAID', '');
    await c.access('bankD', { accessId: 'acc-D', grantId: 'g-D', subject: FARMER });
    day(150);
    await c.grant('bankB', { grantId: 'g-B', subject: FARMER });
    await c.grant('bankA', { grantId: 'g-A', subject: FARMER });
    await c.grant('bankC', { grantId: 'g-C', subject: FARMER, purpose: 'POST_LOAN_MANAGEMENT' });
    await c.submit(
      'bankB',
      'Lending:RecordLoan',
      JSON.stringify({
        loanId: 'L-B',
        subject: FARMER,
        grantId: 'g-B',
        amountFen: 2_000_000,
        termMonths: 12,
        rateBps: 500,
      }),
    );
    await c.submit(
      'bankC',
      'Lending:RecordLoan',
      JSON.stringify({
        loanId: 'L-C',
        subject: FARMER,
        grantId: 'g-C',
        amountFen: 5_000_000,
        termMonths: 12,
        rateBps: 500,
      }),
    );
    await c.submit('bankC', 'Lending:UpdateLoanStatus', 'L-C', 'OVERDUE', 'DPD_31_90');
    await c.submit(
      'bankA',
      'Lending:RecordLoan',
      JSON.stringify({
        loanId: 'L-A',
        subject: FARMER,
        grantId: 'g-A',
        amountFen: 8_000_000,
        termMonths: 12,
        rateBps: 500,
      }),
    );
    const lien = (bank: Org, id: string, amount: number) =>
      c.submit(
        bank,
        'Collateral:RegisterLien',
        JSON.stringify({
          lienId: id,
          assetId: 'LAND_CONTRACT_RIGHT:LC-ML',
          grantId: `col-${bank}`,
          securedAmountFen: amount,
          loanEnd: plus(c.now, days(400)),
        }),
      );
    await lien('bankB', 'lien-B', 3_000_000);
    await lien('bankC', 'lien-C', 1_500_000);
    await lien('bankA', 'lien-A', 7_000_000);
    await c.submit('bankA', 'Financing:FileDemand', JSON.stringify(demandBody(c, 'd-ml')));
    await c.submit('bankC', 'Financing:ClaimDemand', 'c-C', 'd-ml');
    day(190);
    await c.access('bankB', { accessId: 'acc-B', grantId: 'g-B', subject: FARMER });
    await c.access('bankA', { accessId: 'acc-A', grantId: 'g-A', subject: FARMER });
    day(195);
    expect(await c.access('bankD', { accessId: 'acc-D2', grantId: 'g-D', subject: FARMER })).to.include({
      outcome: 'DENIED',
    });
    day(200);
    await c.refused('FORBIDDEN', 'bankD', 'Lending:RecordMultiLenderSignal', 's-1', FARMER, 'g-D');
    const signal = await c.submit('bankA', 'Lending:RecordMultiLenderSignal', 's-1', FARMER, 'g-A');
    expect(signal).to.deep.include({
      subject: FARMER,
      requestedBy: MSP.bankA,
      applyingInstitutions: 2,
      accessingInstitutions: { last30Days: 1, last90Days: 1, last180Days: 2 },
      otherLiens: { count: 2, totalSecuredFen: 4_500_000 },
      otherLoans: { count: 2, totalFen: 7_000_000, worstDelinquency: 'DPD_31_90' },
    });
    const text = JSON.stringify(signal);
    for (const other of [MSP.bankB, MSP.bankC, MSP.bankD]) expect(text).to.not.contain(other);
    const { digest: d, txId: _tx, ...body } = signal as Rec;
    const { canonicalJson, sha256Hex } = await import('@ruralcredit/protocol');
    expect(d).to.equal(sha256Hex(canonicalJson(body)));
    expect(await c.evaluate('auditor', 'Lending:GetMultiLenderSignal', MSP.bankA, 's-1')).to.deep.equal(
      signal,
    );
    await c.queryRefused('NOT_FOUND', 'bankB', 'Lending:GetMultiLenderSignal', MSP.bankA, 's-1');

    const list = await c.evaluate<{ records: Rec[] }>(
      'regulator',
      'Lending:ListMultiLenderSubjects',
      '3',
      '',
      '',
    );
    expect(list.records).to.deep.equal([{ subject: FARMER, lenders: 4, events: 8 }]);
    expect(
      (await c.evaluate<{ records: Rec[] }>('regulator', 'Lending:ListMultiLenderSubjects', '4', '', ''))
        .records,
    ).to.deep.equal([]);
    const window = await c.evaluate<{ records: Rec[] }>(
      'regulator',
      'Lending:ListMultiLenderSubjects',
      '1',
      plus('2026-03-01T00:00:00Z', days(100)),
      '',
    );
    expect(window.records).to.deep.equal([{ subject: FARMER, lenders: 3, events: 6 }]);
    await c.queryRefused('FORBIDDEN', 'bankA', 'Lending:ListMultiLenderSubjects', '1', '', '');
  });
});

describe('Lending: financing statistics', () => {
  let c: TestConsortium;
  afterEach(() => c.stop());

  it('when demands are claimed, contacted and disbursed, then per bank and county figures and the median days are exact; a bank sees its own', async () => {
    c = await financingConsortium();
    await c.submit(
      'bankD',
      'Financing:PublishProduct',
      product('p-bankD', { version: 2, counties: [COUNTY, OTHER_COUNTY] }),
    );
    await c.submit('bankA', 'Financing:FileDemand', JSON.stringify(demandBody(c, 'd-1')));
    await c.submit(
      'bankA',
      'Financing:FileDemand',
      JSON.stringify(demandBody(c, 'd-2', { amountFen: 10_000_000 })),
    );
    await c.submit(
      'bankD',
      'Financing:FileDemand',
      JSON.stringify(demandBody(c, 'd-3', { countyCode: OTHER_COUNTY })),
    );
    const t0 = c.now;
    for (const [bank, claim, demand] of [
      ['bankA', 'c-1A', 'd-1'],
      ['bankB', 'c-1B', 'd-1'],
      ['bankA', 'c-2A', 'd-2'],
      ['bankD', 'c-3D', 'd-3'],
    ] as const) {
      await c.submit(bank, 'Financing:ClaimDemand', claim, demand);
    }
    const disburse = async (bank: Org, claim: string, atDay: number, amount: number) => {
      c.setTime(plus(t0, days(atDay) - 100));
      await c.submit(bank, 'Financing:ContactClaim', claim);
      await c.submit(bank, 'Financing:ApproveClaim', claim);
      c.setTime(plus(t0, days(atDay)));
      await c.submit(
        bank,
        'Financing:DisburseClaim',
        claim,
        loanTerms(`loan-${claim}`, { amountFen: amount }),
      );
    };
    await disburse('bankA', 'c-1A', 2, 20_000_000);
    await disburse('bankA', 'c-2A', 4, 10_000_000);
    c.setTime(plus(t0, days(10)));
    const stats = await c.evaluate<{ banks: Rec[]; counties: Rec[] }>(
      'regulator',
      'Lending:FinancingStatistics',
      '',
      '',
    );
    expect(
      stats.banks.map((b) => [
        b.bank,
        b.demands,
        b.claims,
        b.contactedWithinDeadline,
        b.overdueNotContacted,
        b.approved,
        b.disbursed,
        b.disbursedAmountFen,
      ]),
    ).to.deep.equal([
      [MSP.bankA, 2, 2, 1, 0, 2, 2, 30_000_000],
      [MSP.bankB, 1, 1, 0, 0, 0, 0, 0],
      [MSP.bankD, 1, 1, 0, 1, 0, 0, 0],
    ]);
    const bankA = stats.banks[0]!;
    expect(bankA.contacted).to.equal(2);
    // d-1 filed at t0-3s, disbursed at day 2; d-2 at t0-2s, day 4: median of the two ≈ 3 days.
    expect(bankA.medianDaysDemandToDisbursement).to.equal(3);
    expect(
      stats.counties.map((r) => [r.countyCode, r.demands, r.demandedAmountFen, r.claims, r.disbursed]),
    ).to.deep.equal([
      [COUNTY, 2, 30_000_000, 3, 2],
      [OTHER_COUNTY, 1, 20_000_000, 1, 0],
    ]);
    const own = await c.evaluate<{ banks: Rec[]; counties: Rec[]; scope: string }>(
      'bankB',
      'Lending:FinancingStatistics',
      '',
      '',
    );
    expect(own.scope).to.equal(MSP.bankB);
    expect(own.banks.map((b) => b.bank)).to.deep.equal([MSP.bankB]);
    expect(own.counties.map((r) => [r.countyCode, r.demands, r.claims])).to.deep.equal([[COUNTY, 1, 1]]);
  });
});
