/**
 * Regulator journey: statistics with charts (by institution, by day; by
 * county with small cells suppressed when the gateway provides the figures),
 * overdue deliveries and disputes, every organisation's users, admitting,
 * suspending and reinstating a member (and a refused second admission), and
 * the versioned catalogue.
 */
import { expect, rowOf, test } from './fixture';
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
  // Each organisation's users with their organisation, roles, status, last login and activity;
  // the auditor and the bank's officer signed in during the earlier journeys.
  for (const [name, org, role] of [
    ['banka.loan-officer', 'BankAMSP', 'LOAN_OFFICER'],
    ['naturalresources.data-officer', 'NaturalResourcesMSP', 'DATA_OFFICER'],
    ['auditor.auditor', 'AuditorMSP', 'AUDITOR'],
  ] as const) {
    const cells = rowOf(users, name).getByRole('cell');
    await expect(cells.nth(1)).toHaveText(org);
    await expect(cells.nth(2)).toHaveText(role);
    await expect(cells.nth(3)).toHaveText('ACTIVE');
  }
  const officer = rowOf(users, 'banka.loan-officer').getByRole('cell');
  await expect(officer.nth(4)).toHaveText(/^\d{4}-\d{2}-\d{2}T/);
  expect(Number(await officer.nth(5).innerText())).toBeGreaterThanOrEqual(1);
  expect(Number(await officer.nth(6).innerText())).toBeGreaterThanOrEqual(1);
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

  // Catalogue: define an asset type and a dataset type, then publish the next version of each.
  await journey.open('Catalogue');
  const datasetTypes = page.getByRole('table', { name: 'Dataset types' });
  const assetTypes = page.getByRole('table', { name: 'Asset types' });
  await expect(rowOf(datasetTypes, 'HOMESTEAD').getByRole('cell')).toHaveText([
    'HOMESTEAD',
    'Homestead use rights',
    'NaturalResourcesMSP',
    'REALTIME',
    /^\d+$/,
    '1',
    'Edit as new version',
  ]);
  await page.getByLabel('Asset type code').fill('GREENHOUSE_RIGHT');
  await page.getByLabel('Asset type name').fill('Greenhouse use right');
  await page.getByLabel('Issuer', { exact: true }).fill('NaturalResourcesMSP');
  await page.getByLabel('Lien policy').selectOption('RANKED');
  await page.getByLabel('Max loan-to-value (basis points)').fill('6000');
  await page.getByRole('button', { name: 'Define' }).nth(1).click();
  const greenhouse = rowOf(assetTypes, 'GREENHOUSE_RIGHT');
  await expect(greenhouse.getByRole('cell')).toHaveText([
    'GREENHOUSE_RIGHT',
    'Greenhouse use right',
    'NaturalResourcesMSP',
    'RANKED',
    '6000',
    '1',
    'Edit as new version',
  ]);
  await greenhouse.getByRole('button', { name: 'Edit as new version' }).click();
  await page.getByLabel('Max loan-to-value (basis points)').fill('5500');
  await page.getByRole('button', { name: 'Publish next version' }).click();
  await expect(greenhouse.getByRole('cell').nth(4)).toHaveText('5500');
  await expect(greenhouse.getByRole('cell').nth(5)).toHaveText('2');

  await page.getByLabel('Dataset type code').fill('COOP_MEMBERSHIP');
  await page.getByLabel('Dataset type name').fill('Cooperative membership');
  await page.getByLabel('Provider').fill('AgricultureMSP');
  await page.getByLabel('Frequency').selectOption('MONTHLY');
  await page
    .getByLabel('Fields, one per line: name TYPE [optional] [personal]')
    .fill('subjectId STRING personal\ncooperative STRING\nshares INTEGER');
  await page.getByRole('button', { name: 'Define' }).first().click();
  const coop = rowOf(datasetTypes, 'COOP_MEMBERSHIP');
  await expect(coop.getByRole('cell')).toHaveText([
    'COOP_MEMBERSHIP',
    'Cooperative membership',
    'AgricultureMSP',
    'MONTHLY',
    '3',
    '1',
    'Edit as new version',
  ]);
  await coop.getByRole('button', { name: 'Edit as new version' }).click();
  await page
    .getByLabel('Fields, one per line: name TYPE [optional] [personal]')
    .fill('subjectId STRING personal\ncooperative STRING\nshares INTEGER\njoinedOn DATE optional');
  await page.getByRole('button', { name: 'Publish next version' }).first().click();
  await expect(coop.getByRole('cell').nth(4)).toHaveText('4');
  await expect(coop.getByRole('cell').nth(5)).toHaveText('2');
  // The provider of a dataset type cannot change: the ledger refuses the next version.
  await page.getByLabel('Provider').fill('NaturalResourcesMSP');
  await page.getByRole('button', { name: 'Publish next version' }).first().click();
  await expect(page.getByTestId('error-code')).toHaveText('INVALID');
  await expect(coop.getByRole('cell').nth(5)).toHaveText('2');
  await journey.axe('catalogue');
  await journey.shot('catalogue');
});
