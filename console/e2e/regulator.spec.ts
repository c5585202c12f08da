/**
 * Regulator journey: statistics with charts (by institution, by day; by
 * county with small cells suppressed when the gateway provides the figures),
 * overdue deliveries and disputes, every organisation's users, and the member
 * and catalogue pages (the administration API answers, or the page says the
 * gateway does not offer it yet, with the API's code).
 */
import { expect, gatewayUrl, test } from './fixture';

/** Whether this gateway has the administration path (the admin API lands separately). */
async function hasPath(path: string): Promise<boolean> {
  const res = await fetch(`${gatewayUrl()}/api/v1${path}`);
  return res.status !== 404;
}
import { reportsForDemoSubject } from './setup';

test('regulator: statistics and charts, overdue, users, members, catalogue', async ({ journey }) => {
  const { page } = journey;
  await reportsForDemoSubject(3);

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
  await journey.axe('statistics');
  await journey.shot('statistics');

  await journey.open('Overdue');
  await expect(page.getByRole('heading', { name: /^Overdue deliveries \(\d+\)$/ })).toBeVisible();
  await expect(page.getByTestId('overdue-disputes')).toHaveText(/^\d+$/);
  await journey.axe('overdue');

  // Without the administration API: the regulator's own users, and the page says what is missing.
  await journey.open('Users');
  const users = page.getByRole('table');
  if (await hasPath('/admin/users')) {
    for (const name of ['banka.loan-officer', 'naturalresources.data-officer', 'auditor.auditor']) {
      await expect(users).toContainText(name);
    }
  } else {
    await expect(users).toContainText('regulator.auditor');
    await expect(page.getByText('This gateway does not offer this yet.')).toBeVisible();
    await expect(page.getByTestId('error-code')).toHaveText('NOT_FOUND');
  }
  await journey.axe('users');

  await journey.open('Members');
  await expect(page.getByRole('table').first()).toContainText('BankAMSP');
  if (!(await hasPath('/members'))) await expect(page.getByTestId('error-code')).toHaveText('NOT_FOUND');
  await journey.axe('members');

  await journey.open('Catalogue');
  await expect(page.getByRole('table').first()).toContainText('HOMESTEAD');
  await expect(page.getByRole('table').nth(1)).toContainText('HOMESTEAD_RIGHT');
  await journey.axe('catalogue');
  await journey.shot('catalogue');
});
