/**
 * Financing journey: a bank's loan officer claims an open demand of the demo,
 * contacts the farmer, approves and disburses; the demand leaves the open list
 * and the claim reads DISBURSED. A demand with three active claims cannot be
 * claimed by a fourth bank.
 */
import { expect, rowOf, test } from './fixture';

test('financing: claim a demand, contact, approve, disburse; a full demand refuses a fourth bank', async ({
  journey,
}) => {
  const { page } = journey;
  await journey.signIn('banka.loan-officer');
  await journey.open('Financing');
  const demands = page.getByRole('table').filter({ hasText: 'Open financing demands' });
  // demo-demand-1: no claim yet, 50,000.00 yuan for 12 months, planting, in Jiaocheng (350902).
  const demand = demands
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: 'demo-demand-1', exact: true }) });
  await expect(demand.getByRole('cell')).toHaveText([
    'demo-demand-1',
    '350902',
    '50,000.00',
    '12',
    'PLANTING',
    '0/3',
    'Claim',
  ]);
  await journey.axe('financing');

  await demand.getByRole('button', { name: 'Claim' }).click();
  await expect(demand.getByRole('cell').nth(5)).toHaveText('1/3');
  await expect(demand.getByRole('cell').nth(6)).toHaveText('Claimed by us');
  const claims = page.getByRole('table').filter({ hasText: "Our bank's claims" });
  const claim = claims
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: 'demo-demand-1', exact: true }) });
  await expect(claim).toHaveCount(1);
  await expect(claim.getByRole('cell').nth(2)).toHaveText('CLAIMED');
  await claim.getByRole('button', { name: 'Contacted' }).click();
  await expect(claim.getByRole('cell').nth(2)).toHaveText('CONTACTED');
  await claim.getByRole('button', { name: 'Approve' }).click();
  await expect(claim.getByRole('cell').nth(2)).toHaveText('APPROVED');
  await page.getByLabel('Annual rate for disbursement (basis points)').fill('415');
  await claim.getByRole('button', { name: 'Disburse' }).click();
  await expect(claim.getByRole('cell').nth(2)).toHaveText('DISBURSED');
  await expect(claim.getByRole('button')).toHaveCount(0);
  await expect(rowOf(demands, 'demo-demand-1')).toHaveCount(0);
  await expect(page.getByTestId('error-code')).toHaveCount(0);
  // The loan it became: 50,000.00 yuan, 12 months, 415 bps, ACTIVE; then 1-30 days past due.
  const loans = page.getByRole('table', { name: "Our bank's loans" });
  const loan = loans.getByRole('row').filter({ hasText: '50,000.00' }).filter({ hasText: '415' });
  await expect(loan).toHaveCount(1);
  await expect(loan.getByRole('cell').nth(5)).toHaveText('ACTIVE');
  const loanId = (await loan.getByRole('cell').first().innerText()).trim();
  await page.getByLabel(`New status of ${loanId}`).selectOption('OVERDUE/DPD_1_30');
  await loan.getByRole('button', { name: 'Record status' }).click();
  await expect(loan.getByRole('cell').nth(5)).toHaveText('OVERDUE/DPD_1_30');
  await journey.axe('financing-disbursed');
  await journey.shot('financing');

  // Bank C holds no claim on demo-demand-4, whose three claims are Bank D's, A's and B's: full.
  await journey.signIn('bankc.loan-officer');
  await journey.open('Financing');
  const seenByC = page.getByRole('table').filter({ hasText: 'Open financing demands' });
  const full = seenByC
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: 'demo-demand-4', exact: true }) });
  await expect(full.getByRole('cell').nth(5)).toHaveText('3/3');
  await expect(full.getByRole('button', { name: 'Full' })).toBeDisabled();
  await expect(rowOf(seenByC, 'demo-demand-1')).toHaveCount(0);
});
