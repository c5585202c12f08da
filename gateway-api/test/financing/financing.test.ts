/**
 * Financing through the REST API on the configured ledger (embedded by
 * default; the Fabric suite runs it with TEST_LEDGER=fabric on a real
 * network): products, a demand, three claims and a fourth refused, four
 * banks racing for one demand, the claim path to disbursement, the other
 * claims cancelled with their consents, the loan and its post-loan consent,
 * the multi-lender signal, supervision and statistics.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { isoFromEpochSeconds } from '@ruralcredit/protocol';
import { DOMAIN_MODULES } from '../../src/app';
import { loanProduct } from './fixtures';
import {
  ORG,
  type ConsortiumGateway,
  type OrgName,
  residentId,
  startConsortiumGateway,
} from '../acceptance/consortium-gateway';

/** Per run: a Fabric ledger keeps earlier runs' records, so IDs are unique and counts are per run. */
const RUN = randomBytes(3).toString('hex');
const FARMER = residentId(1400 + Math.floor(Math.random() * 5000));
const COUNTY = '350921';
const DAY = 86_400;
const BANKS = ['bankA', 'bankB', 'bankC', 'bankD'] as const;
const now = (): number => Math.floor(Date.now() / 1000);

type Rec = Record<string, unknown>;

function form(consent: Rec): FormData {
  const data = new FormData();
  data.set('consent', JSON.stringify(consent));
  data.set('evidence', new Blob([Buffer.from(`%PDF-1.7\n${String(consent.consentId)}`)]), 'consent.pdf');
  return data;
}

describe('financing: demand -> 3 claims -> fourth refused -> contact -> approve -> disburse -> loan', () => {
  let g: ConsortiumGateway;
  /** The banks whose claims won the race for one demand (three of the four). */
  let raceWinners: string[] = [];
  const officer = (bank: OrgName): [OrgName, 'LOAN_OFFICER'] => [bank, 'LOAN_OFFICER'];

  async function demand(id: string): Promise<Rec> {
    const res = await g.api('/demands', {
      method: 'POST',
      as: ['regulator', 'REGULATOR_ADMIN'],
      json: {
        demandId: id,
        subjectId: FARMER,
        amountFen: 30_000_000,
        termMonths: 12,
        purpose: 'PLANTING',
        countyCode: COUNTY,
        datasets: ['HOMESTEAD', 'LAND_CONTRACT'],
        expiresAt: isoFromEpochSeconds(now() + 30 * DAY),
        evidence: { type: 'FORM_HASH', formHash: 'ab'.repeat(32) },
      },
    });
    expect(res.status, res.text).to.equal(201);
    return (res.body as { demand: Rec }).demand;
  }

  /** This run's products matching `query`, read anonymously page by page. */
  async function products(query: string): Promise<Rec[]> {
    const found: Rec[] = [];
    let cursor: string | null = null;
    do {
      const res = await g.api(`/products?${query}&limit=100${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(res.status, res.text).to.equal(200);
      const page = res.body as { items: Rec[]; nextCursor: string | null };
      found.push(...page.items.filter((p) => String(p.productId).endsWith(RUN)));
      cursor = page.nextCursor === null ? null : encodeURIComponent(page.nextCursor);
    } while (cursor !== null);
    return found;
  }

  const claim = (bank: OrgName, demandId: string, claimId: string) =>
    g.api(`/demands/${demandId}/claims`, { method: 'POST', as: officer(bank), json: { claimId } });

  before(async () => {
    g = await startConsortiumGateway(DOMAIN_MODULES);
    for (const bank of BANKS) {
      const res = await g.api('/products', {
        method: 'POST',
        as: officer(bank),
        json: loanProduct(`prod-${bank}-${RUN}`, `Spring planting loan ${bank}`, [COUNTY]),
      });
      expect(res.status, res.text).to.equal(201);
    }
  });
  after(() => g.stop());

  it('when anyone browses products without an account, then active products match the filters and carry no personal data', async () => {
    const mine = await products(`countyCode=${COUNTY}&amountFen=30000000&termMonths=12`);
    expect(mine.map((p) => p.bank).sort()).to.deep.equal(BANKS.map((b) => ORG[b]).sort());
    expect(mine[0]).to.not.have.property('subject');
    expect(await products(`countyCode=${COUNTY}&amountFen=90000000000`)).to.deep.equal([]);
    expect(await products('countyCode=110101')).to.deep.equal([]);
    const bad = await g.api('/products?countyCode=35092');
    expect(bad.status).to.equal(400);
  });

  it('when three banks claim a demand, then a fourth is refused with 409 and nothing changes', async () => {
    const id = `dmd-${RUN}-1`;
    await demand(id);
    for (const bank of ['bankA', 'bankB', 'bankC'] as const) {
      const res = await claim(bank, id, `clm-${RUN}-1-${bank}`);
      expect(res.status, res.text).to.equal(201);
      expect((res.body as { claim: Rec }).claim).to.include({ status: 'CLAIMED', bank: ORG[bank] });
    }
    const fourth = await claim('bankD', id, `clm-${RUN}-1-bankD`);
    expect(fourth.status, fourth.text).to.equal(409);
    expect((fourth.body as { error: { code: string } }).error.code).to.equal('CONFLICT');
    const read = await g.api(`/demands/${id}`, { as: ['regulator', 'REGULATOR_ADMIN'] });
    expect((read.body as Rec).activeClaims).to.deep.equal(
      ['bankA', 'bankB', 'bankC'].map((b) => `clm-${RUN}-1-${b}`),
    );
  });

  it('when four banks claim one demand at the same moment, then exactly three claims commit and one is refused', async () => {
    const id = `dmd-${RUN}-race`;
    await demand(id);
    const results = await Promise.all(BANKS.map((bank) => claim(bank, id, `clm-${RUN}-race-${bank}`)));
    expect(results.map((r) => r.status).sort(), results.map((r) => r.text).join('\n')).to.deep.equal([
      201, 201, 201, 409,
    ]);
    raceWinners = BANKS.filter((_, i) => results[i]!.status === 201).map((b) => ORG[b]);
    const read = await g.api(`/demands/${id}`, { as: ['regulator', 'REGULATOR_ADMIN'] });
    expect(((read.body as Rec).activeClaims as string[]).length).to.equal(3);
  });

  it('when the first bank contacts, approves and disburses, then the demand closes, the others are cancelled with their consents, and the post-loan consent must cover the loan', async () => {
    const [a, b, c] = ['bankA', 'bankB', 'bankC'].map((bank) => `clm-${RUN}-1-${bank}`) as [
      string,
      string,
      string,
    ];
    const early = await g.api(`/claims/${a}/approve`, { method: 'POST', as: officer('bankA') });
    expect(early.status, early.text).to.equal(409);
    const foreign = await g.api(`/claims/${a}/contact`, { method: 'POST', as: officer('bankB') });
    expect(foreign.status, foreign.text).to.equal(403);
    for (const action of ['contact', 'approve'] as const) {
      const res = await g.api(`/claims/${a}/${action}`, { method: 'POST', as: officer('bankA') });
      expect(res.status, res.text).to.equal(200);
    }
    const disbursed = await g.api(`/claims/${a}/disburse`, {
      method: 'POST',
      as: officer('bankA'),
      json: { loanId: `loan-${RUN}`, amountFen: 30_000_000, termMonths: 12, rateBps: 450 },
    });
    expect(disbursed.status, disbursed.text).to.equal(200);
    const result = disbursed.body as { claim: Rec; loan: Rec; demand: Rec };
    expect(result.claim).to.include({ status: 'DISBURSED', loanId: `loan-${RUN}` });
    expect(result.demand).to.include({ status: 'CLOSED', disbursedBy: a });
    for (const [bank, other] of [
      ['bankB', b],
      ['bankC', c],
    ] as const) {
      const read = await g.api(`/claims/${other}`, { as: officer(bank) });
      expect(read.body).to.include({ status: 'CANCELLED', endReason: 'ANOTHER_BANK_DISBURSED' });
      const consent = await g.api(`/consents/${encodeURIComponent(`claim:${other}`)}`, { as: officer(bank) });
      expect(consent.status, consent.text).to.equal(200);
      expect((consent.body as Rec).status).to.equal('REVOKED');
    }
    const loan = await g.api(`/loans/loan-${RUN}`, { as: officer('bankA') });
    expect(loan.body).to.include({
      status: 'ACTIVE',
      bank: ORG.bankA,
      amountFen: 30_000_000,
      claimId: a,
    });
    const otherBank = await g.api(`/loans/loan-${RUN}`, { as: officer('bankB') });
    expect(otherBank.status).to.equal(404);

    const window = { validFrom: isoFromEpochSeconds(now() - 60) };
    for (const [consentId, days] of [
      [`post-short-${RUN}`, 200],
      [`post-long-${RUN}`, 400],
    ] as const) {
      const res = await g.api('/consents', {
        method: 'POST',
        as: officer('bankA'),
        body: form({
          consentId,
          subjectId: FARMER,
          scope: ['LAND_CONTRACT'],
          purpose: 'POST_LOAN_MANAGEMENT',
          ...window,
          validUntil: isoFromEpochSeconds(now() + days * DAY),
        }),
      });
      expect(res.status, res.text).to.equal(201);
    }
    const short = await g.api(`/loans/loan-${RUN}/post-loan-consent`, {
      method: 'POST',
      as: officer('bankA'),
      json: { consentId: `post-short-${RUN}` },
    });
    expect(short.status, short.text).to.equal(400);
    expect(short.text).to.contain("must cover the loan's term");
    const long = await g.api(`/loans/loan-${RUN}/post-loan-consent`, {
      method: 'POST',
      as: officer('bankA'),
      json: { consentId: `post-long-${RUN}` },
    });
    expect(long.status, long.text).to.equal(200);
    expect((long.body as { loan: Rec }).loan.postLoanGrantId).to.equal(`post-long-${RUN}`);
    const overdue = await g.api(`/loans/loan-${RUN}/status`, {
      method: 'POST',
      as: officer('bankA'),
      json: { status: 'OVERDUE', dpdBucket: 'DPD_1_30' },
    });
    expect((overdue.body as { loan: Rec }).loan).to.include({ status: 'OVERDUE', dpdBucket: 'DPD_1_30' });
  });

  it('when bank D asks for the multi-lender signal, then it counts the other institutions without naming them', async () => {
    const consentId = `loan-app-D-${RUN}`;
    const res = await g.api('/consents', {
      method: 'POST',
      as: officer('bankD'),
      body: form({
        consentId,
        subjectId: FARMER,
        scope: ['LAND_CONTRACT'],
        purpose: 'LOAN_APPLICATION',
        validFrom: isoFromEpochSeconds(now() - 60),
        validUntil: isoFromEpochSeconds(now() + 90 * DAY),
      }),
    });
    expect(res.status, res.text).to.equal(201);
    const signal = await g.api('/multi-lender-signals', {
      method: 'POST',
      as: officer('bankD'),
      json: { subjectId: FARMER, consentId },
    });
    expect(signal.status, signal.text).to.equal(201);
    const s = (signal.body as { signal: Rec }).signal;
    // The race winners other than D hold active claims; A's loan is OVERDUE (DPD_1_30).
    expect(s).to.deep.include({
      applyingInstitutions: raceWinners.filter((b) => b !== ORG.bankD).length,
      otherLoans: { count: 1, totalFen: 30_000_000, worstDelinquency: 'DPD_1_30' },
    });
    for (const bank of ['bankA', 'bankB', 'bankC'] as const) expect(signal.text).to.not.contain(ORG[bank]);
    const issued = await g.api('/reports', {
      method: 'POST',
      as: officer('bankD'),
      json: { subjectId: FARMER, consentId, datasets: ['LAND_CONTRACT'], purpose: 'LOAN_APPLICATION' },
    });
    expect(issued.status, issued.text).to.equal(201);
    const report = (issued.body as { report: { multiLenderSignal: Rec } }).report;
    expect(report.multiLenderSignal).to.deep.include({
      requestedBy: ORG.bankD,
      applyingInstitutions: s.applyingInstitutions,
      otherLoans: s.otherLoans,
    });
    const list = await g.api('/supervision/multi-lender-subjects?k=3', {
      as: ['regulator', 'REGULATOR_ADMIN'],
    });
    expect(list.status, list.text).to.equal(200);
    const pseudonym = s.subject as string;
    const row = (list.body as { records: Rec[] }).records.find((r) => r.subject === pseudonym);
    expect(row).to.include({ lenders: 4 });
    const refused = await g.api('/supervision/multi-lender-subjects?k=3', { as: officer('bankA') });
    expect(refused.status).to.equal(403);
  });

  it('when the regulator and a bank read /stats/financing, then the regulator sees every bank and a bank its own', async () => {
    const all = await g.api('/stats/financing', { as: ['regulator', 'REGULATOR_ADMIN'] });
    expect(all.status, all.text).to.equal(200);
    const banks = (all.body as { banks: Rec[] }).banks;
    const a = banks.find((r) => r.bank === ORG.bankA)!;
    expect(a.disbursed).to.be.at.least(1);
    expect(a.approved).to.be.at.least(1);
    const own = await g.api('/stats/financing', { as: officer('bankB') });
    expect((own.body as { scope: string; banks: Rec[] }).banks.map((r) => r.bank)).to.deep.equal([ORG.bankB]);
  });
});
