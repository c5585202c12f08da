/**
 * Regulator journey: statistics with charts (by institution, by day; by
 * county with small cells suppressed when the gateway provides the figures),
 * overdue deliveries and disputes, every organisation's users, admitting,
 * suspending and reinstating a member (and a refused second admission), and
 * the versioned catalogue.
 */
import { expect, test } from './fixture';
import { clientOf, reportsForDemoSubject } from './setup';

/** The demo farmers' county: their resident IDs start 350902 (gateway-api/src/demo/seed.ts). */
const DEMO_COUNTY = '350902';

/** The demo county's accesses as /stats counts them (0 before any). */
async function demoCountyAccesses(): Promise<{ accesses: number; granted: number; denied: number }> {
  const stats = await clientOf('regulator.regulator-admin').supervision.stats();
  const county = stats.byCounty.find((c) => c.county === DEMO_COUNTY);
  return { accesses: county?.accesses ?? 0, granted: county?.granted ?? 0, denied: county?.denied ?? 0 };
}

test('regulator: statistics and charts, overdue, users, members, catalogue', async ({ journey }) => {
  const { page } = journey;
  // The demo seed records no access: the demo county's figures are what the journeys did before.
  const before = await demoCountyAccesses();
  await reportsForDemoSubject(3);
  // Three granted reports and one denied, each recorded with the demo subject's county.
  const after = { granted: before.granted + 3, denied: before.denied + 1, accesses: before.accesses + 4 };
  expect(await demoCountyAccesses()).toEqual(after);

  await journey.signIn('regulator.regulator-admin');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Statistics');
  const byInstitution = page.getByRole('img', { name: 'Accesses by institution (Granted)' });
  await expect(byInstitution).toContainText('BankAMSP');
  const bankRow = page.getByRole('row').filter({ hasText: 'BankAMSP' });
  const granted = Number((await bankRow.getByRole('cell').nth(1).innerText()).trim());
  expect(granted).toBeGreaterThanOrEqual(3);
  const byDay = page.getByRole('img', { name: 'Accesses by day' });
  await expect(byDay).toContainText(new Date().toISOString().slice(0, 10));
  await expect(page.getByText('Cells under 5 accesses are suppressed (shown as <5).')).toBeVisible();
  // By county, from the county code on each access: a small cell shows <5, a larger one its count.
  const shown = after.accesses < 5 ? '<5' : String(after.accesses);
  await expect(page.getByText('This gateway does not offer this yet.')).toHaveCount(0);
  for (const name of ['Accesses by county', 'County heat map']) {
    const chart = page.getByRole('img', { name, exact: true });
    await expect(chart.locator('g').filter({ hasText: DEMO_COUNTY })).toHaveText(`${DEMO_COUNTY}${shown}`);
  }
  await journey.axe('statistics');
  await journey.shot('statistics');

  await journey.open('Overdue');
  await expect(page.getByRole('heading', { name: /^Overdue deliveries \(\d+\)$/ })).toBeVisible();
  await expect(page.getByTestId('overdue-disputes')).toHaveText(/^\d+$/);
  await journey.axe('overdue');

  // Every organisation's users, through the administration API.
  await journey.open('Users');
  const users = page.getByRole('table');
  for (const name of ['banka.loan-officer', 'naturalresources.data-officer', 'auditor.auditor']) {
    await expect(users.getByRole('row').filter({ hasText: name })).toHaveCount(1);
  }
  await journey.axe('users');

  // Members: admit an insurer, suspend it, reinstate it; each decision is committed and shown.
  await journey.open('Members');
  const members = page.getByRole('table').first();
  await expect(members.getByRole('row').filter({ hasText: 'BankAMSP' })).toContainText('ACTIVE');
  await expect(members.getByRole('row').filter({ hasText: 'CountyInsurerMSP' })).toHaveCount(0);
  await page.getByLabel('MSP ID').fill('CountyInsurerMSP');
  await page.getByLabel('Name', { exact: true }).fill('County Mutual Insurance');
  await page.getByLabel('Role').selectOption('INSURER');
  await page.getByLabel('Reason').fill('admitted for crop-insurance claims');
  await page.getByRole('button', { name: 'Admit member' }).click();
  const insurer = members.getByRole('row').filter({ hasText: 'CountyInsurerMSP' });
  await expect(insurer.getByRole('cell')).toHaveText([
    'CountyInsurerMSP',
    'County Mutual Insurance',
    'INSURER',
    'ACTIVE',
    'Suspend',
  ]);
  await page.getByLabel('Reason').fill('claims reports overdue');
  await insurer.getByRole('button', { name: 'Suspend' }).click();
  await expect(insurer.getByRole('cell').nth(3)).toHaveText('SUSPENDED');
  await expect(insurer.getByRole('button')).toHaveText('Reinstate');
  await page.getByLabel('Reason').fill('claims reports filed');
  await insurer.getByRole('button', { name: 'Reinstate' }).click();
  await expect(insurer.getByRole('cell').nth(3)).toHaveText('ACTIVE');
  // Admitting a member twice is refused with the API's code, and the table is unchanged.
  await page.getByLabel('MSP ID').fill('BankAMSP');
  await page.getByRole('button', { name: 'Admit member' }).click();
  await expect(page.getByTestId('error-code')).toHaveText('CONFLICT');
  await expect(members.getByRole('row').filter({ hasText: 'BankAMSP' })).toHaveCount(1);
  await journey.axe('members');
  await journey.shot('members');

  await journey.open('Catalogue');
  const homestead = page
    .getByRole('table')
    .first()
    .getByRole('row')
    .filter({ hasText: /^HOMESTEAD/ });
  await expect(homestead.getByRole('cell')).toHaveText(['HOMESTEAD', 'Homestead use rights', '1']);
  await expect(page.getByRole('table').nth(1)).toContainText('HOMESTEAD_RIGHT');
  await journey.axe('catalogue');
  await journey.shot('catalogue');
});
