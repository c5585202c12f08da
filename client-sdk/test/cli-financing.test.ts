/**
 * `ruralcredit product|demand|claim|loan` as processes against the real gateway on
 * the embedded ledger: a bank publishes a product, anyone lists it without an
 * account, the regulator's service desk files a demand on a signed form, the bank
 * claims it and moves it CONTACTED -> APPROVED -> DISBURSED, then lists and updates
 * its loan; bad input exits 2 (USAGE) or 1 with the gateway's stable code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ledgerTime, ORG, residentId, startSdkGateway, type SdkGateway, type UserName } from './fixture';
import { runCliProcess, stdoutJson, type CliRun } from './cli-process';
import { loanProduct } from '@ruralcredit/gateway-api/dist/test/financing/fixtures';

const COUNTY = '350921';
const FARMER = residentId(2718);
type Rec = Record<string, unknown>;
/** `claim disburse` of the journey's claim, with its terms. */
const DISBURSE = ['claim', 'disburse', 'clm-cli-1', '--amount', '20000000', '--term', '12', '--rate', '450'];

describe('ruralcredit financing commands (as processes): product -> demand -> claim -> loan', function () {
  this.timeout(120_000);
  let s: SdkGateway;
  let dir: string;
  const envOf = (user: UserName): NodeJS.ProcessEnv => ({
    RURALCREDIT_CONFIG: path.join(dir, `${user}.json`),
    RURALCREDIT_URL: s.url,
  });
  const as = (user: UserName, args: readonly string[]): Promise<CliRun> => runCliProcess(args, envOf(user));
  /** Runs a command that must succeed with `--json` and returns its output. */
  async function ok<T = Rec>(user: UserName | undefined, args: readonly string[]): Promise<T> {
    const r = await (user === undefined
      ? runCliProcess([...args, '--json'], { RURALCREDIT_URL: s.url })
      : as(user, [...args, '--json']));
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return stdoutJson<T>(r);
  }

  before(async () => {
    s = await startSdkGateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-sdk-financing-'));
    for (const user of ['bankAOfficer', 'regulator'] as const) {
      const { username, password } = s.credentials(user);
      const r = await as(user, ['login', '-u', username, '-p', password]);
      expect(r.code, r.stderr).to.equal(0);
    }
  });
  after(async () => {
    await s?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('when a bank publishes a product, then anyone lists it without an account, filtered', async () => {
    const file = path.join(dir, 'product.json');
    await writeFile(file, JSON.stringify(loanProduct('prod-cli-1', 'Tea garden loan', [COUNTY])));
    const published = await ok<{ product: Rec; txId: string; blockNumber: number }>('bankAOfficer', [
      'product',
      'publish',
      file,
    ]);
    expect(published.product).to.include({
      productId: 'prod-cli-1',
      version: 1,
      status: 'ACTIVE',
      bank: ORG.bankA,
    });
    expect(published.txId).to.match(/^[0-9a-f]{64}$/);

    const listed = await ok<Rec[]>(undefined, [
      'product',
      'list',
      '--county',
      COUNTY,
      '--amount',
      '20000000',
      '--term',
      '12',
    ]);
    expect(listed.map((p) => [p.productId, p.bank, p.name, p.version])).to.deep.equal([
      ['prod-cli-1', ORG.bankA, 'Tea garden loan', 1],
    ]);
    expect(await ok<Rec[]>(undefined, ['product', 'list', '--county', '110101'])).to.deep.equal([]);
    expect(
      await ok<Rec[]>(undefined, ['product', 'list', '--county', COUNTY, '--amount', '90000000']),
    ).to.deep.equal([]);
    // Human output: one row with the ranges.
    const table = await runCliProcess(['product', 'list', '--county', COUNTY], { RURALCREDIT_URL: s.url });
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(
      /prod-cli-1\s+BankAMSP\s+Tea garden loan\s+1000000-50000000\s+6-36\s+380-620/,
    );
  });

  it('when the service desk files a demand on a form, then the bank sees it, claims it and takes it to disbursement', async () => {
    const file = path.join(dir, 'demand.json');
    await writeFile(
      file,
      JSON.stringify({
        demandId: 'dmd-cli-1',
        subjectId: FARMER,
        amountFen: 20_000_000,
        termMonths: 12,
        purpose: 'PLANTING',
        countyCode: COUNTY,
        datasets: ['HOMESTEAD'],
        expiresAt: ledgerTime(30 * 86_400),
        evidence: { type: 'FORM_HASH', formHash: 'ef'.repeat(32) },
      }),
    );
    const filed = await ok<{ demand: Rec }>('regulator', ['demand', 'file', file]);
    expect(filed.demand).to.include({
      demandId: 'dmd-cli-1',
      status: 'OPEN',
      countyCode: COUNTY,
      amountFen: 20_000_000,
      subject: await s.g.context.subjects.pseudonym(FARMER),
    });
    expect(JSON.stringify(filed)).to.not.include(FARMER);

    const visible = await ok<Rec[]>('bankAOfficer', ['demand', 'list']);
    expect(visible.map((d) => [d.demandId, d.status, d.activeClaims])).to.deep.equal([
      ['dmd-cli-1', 'OPEN', []],
    ]);

    const taken = await ok<{ claim: Rec }>('bankAOfficer', [
      'claim',
      'take',
      'dmd-cli-1',
      '--claim-id',
      'clm-cli-1',
    ]);
    expect(taken.claim).to.include({
      claimId: 'clm-cli-1',
      demandId: 'dmd-cli-1',
      bank: ORG.bankA,
      status: 'CLAIMED',
      overdue: false,
    });
    const shown = await ok<Rec>('bankAOfficer', ['demand', 'show', 'dmd-cli-1']);
    expect(shown.activeClaims).to.deep.equal(['clm-cli-1']);

    for (const [action, status] of [
      ['contact', 'CONTACTED'],
      ['approve', 'APPROVED'],
    ] as const) {
      const moved = await ok<{ claim: Rec }>('bankAOfficer', ['claim', action, 'clm-cli-1']);
      expect(moved.claim).to.include({ claimId: 'clm-cli-1', status });
    }
    // A lien that is not the bank's active lien on the subject's asset: refused, nothing changes.
    const foreignLien = await as('bankAOfficer', [...DISBURSE, '--liens', 'lien-cli-missing', '--json']);
    expect(foreignLien.code, foreignLien.stderr).to.equal(1);
    expect(stdoutJson<{ error: Rec }>(foreignLien).error).to.include({
      status: 400,
      code: 'INVALID',
      message: `loan.lienIds: lien-cli-missing is not an active lien of ${ORG.bankA} on the borrower`,
    });
    expect((await ok<Rec>('bankAOfficer', ['claim', 'show', 'clm-cli-1'])).status).to.equal('APPROVED');
    const disbursed = await ok<{ claim: Rec; loan: Rec; demand: Rec }>('bankAOfficer', [
      ...DISBURSE,
      '--loan-id',
      'loan-cli-1',
    ]);
    expect(disbursed.claim).to.include({ claimId: 'clm-cli-1', status: 'DISBURSED' });
    expect(disbursed.demand).to.include({ demandId: 'dmd-cli-1', status: 'CLOSED' });
    expect(disbursed.loan).to.include({
      loanId: 'loan-cli-1',
      bank: ORG.bankA,
      amountFen: 20_000_000,
      termMonths: 12,
      rateBps: 450,
      status: 'ACTIVE',
      claimId: 'clm-cli-1',
      demandId: 'dmd-cli-1',
    });
    const claims = await ok<Rec[]>('bankAOfficer', ['claim', 'list']);
    expect(claims.map((c) => [c.claimId, c.status])).to.deep.equal([['clm-cli-1', 'DISBURSED']]);
  });

  it('when the bank lists and updates its loan, then the status and bucket change; the regulator lists it by bank', async () => {
    const loans = await ok<Rec[]>('bankAOfficer', ['loan', 'list']);
    expect(loans.map((l) => [l.loanId, l.status, l.amountFen])).to.deep.equal([
      ['loan-cli-1', 'ACTIVE', 20_000_000],
    ]);
    const overdue = await ok<{ loan: Rec }>('bankAOfficer', [
      'loan',
      'status',
      'loan-cli-1',
      '--status',
      'OVERDUE',
      '--dpd',
      'DPD_1_30',
    ]);
    expect(overdue.loan).to.include({ loanId: 'loan-cli-1', status: 'OVERDUE', dpdBucket: 'DPD_1_30' });
    const shown = await ok<Rec>('bankAOfficer', ['loan', 'show', 'loan-cli-1']);
    expect(shown).to.include({ status: 'OVERDUE', dpdBucket: 'DPD_1_30' });
    const human = await as('bankAOfficer', ['loan', 'show', 'loan-cli-1']);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/^status:\s+OVERDUE DPD_1_30$/m);
    expect(human.stdout).to.match(/^rate \(bps\):\s+450$/m);
    expect(human.stdout).to.match(/^claim:\s+clm-cli-1$/m);
    expect(human.stdout).to.match(/^liens:\s+\(none\)$/m);
    const supervised = await ok<Rec[]>('regulator', ['loan', 'list', '--bank', ORG.bankA]);
    expect(supervised.map((l) => [l.loanId, l.status])).to.deep.equal([['loan-cli-1', 'OVERDUE']]);
  });

  it('when the input is bad, then USAGE exits 2 and a refusal exits 1 with its stable code, and nothing changes', async () => {
    const notANumber = await as('bankAOfficer', [
      'claim',
      'disburse',
      'clm-cli-1',
      '--amount',
      'lots',
      '--term',
      '12',
      '--rate',
      '450',
      '--json',
    ]);
    expect(notANumber.code).to.equal(2);
    expect(stdoutJson<{ error: Rec }>(notANumber).error).to.include({ code: 'USAGE' });

    const noBucket = await as('bankAOfficer', [
      'loan',
      'status',
      'loan-cli-1',
      '--status',
      'OVERDUE',
      '--json',
    ]);
    expect(noBucket.code, noBucket.stderr).to.equal(1);
    expect(stdoutJson<{ error: Rec }>(noBucket).error).to.include({ status: 400, code: 'INVALID' });

    const again = await as('bankAOfficer', ['claim', 'approve', 'clm-cli-1', '--json']);
    expect(again.code, again.stderr).to.equal(1);
    expect(stdoutJson<{ error: Rec }>(again).error).to.include({ status: 409, code: 'CONFLICT' });
    expect(again.stderr).to.match(/^ruralcredit: CONFLICT \(HTTP 409\): /);

    const loan = await ok<Rec>('bankAOfficer', ['loan', 'show', 'loan-cli-1']);
    expect(loan).to.include({ status: 'OVERDUE', dpdBucket: 'DPD_1_30' });
    const claim = await ok<Rec>('bankAOfficer', ['claim', 'show', 'clm-cli-1']);
    expect(claim).to.include({ status: 'DISBURSED' });
  });
});
