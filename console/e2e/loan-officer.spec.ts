/**
 * Loan officer journey: capture a consent with a signed form, request a report
 * and see it with the subject masked, a report refused (ACCESS_DENIED shown
 * with the denial's reason), verify the downloaded report file, register a
 * lien and have a second pledge of the same exclusive asset refused, release
 * the lien, follow the alerts, switch language, sign out.
 */
import { readFile } from 'node:fs/promises';
import sdk from '@ruralcredit/client-sdk';
import { demoTry, expect, gatewayUrl, passwordOf, test } from './fixture';

const masked = (id: string): string => `${id.slice(0, 3)}${'*'.repeat(id.length - 7)}${id.slice(-4)}`;

test('loan officer: consent, report, denial, verify, liens, alerts, language', async ({ journey }) => {
  const { page } = journey;
  const demo = demoTry();
  expect(demo.bank).toBe('BankAMSP');
  // An exclusive asset (homestead right) of the demo subject, registered by its issuer.
  const certificateNo = `HS-E2E-${Date.now()}`;
  const issuer = sdk.createClient({
    url: gatewayUrl(),
    credentials: {
      username: 'naturalresources.data-officer',
      password: passwordOf('naturalresources.data-officer'),
    },
  });
  const { asset } = await issuer.assets.register({
    assetType: 'HOMESTEAD_RIGHT',
    certificateNo,
    ownerSubjectId: demo.subjectId,
    location: '350902-120-00002',
    areaValue: 120,
    areaUnit: 'SQUARE_METRE',
    appraisedValueFen: 40_000_000,
    appraisalDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 19) + 'Z',
    rightExpiry: '2070-12-31T00:00:00Z',
  });

  await page.goto(`${gatewayUrl()}/console/`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in');
  await journey.axe('sign-in');
  await journey.signIn('banka.loan-officer');

  // Capture a consent with the signed form uploaded as its evidence.
  await journey.open('Capture consent');
  await page.getByLabel('Subject ID (resident ID or credit code)').fill(demo.subjectId);
  await page.getByRole('checkbox', { name: 'HOMESTEAD' }).check();
  await page.getByLabel('Signed consent form (PDF or image)').setInputFiles({
    name: 'consent-form.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4 signed consent form of the e2e journey\n'),
  });
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.getByText('Consent recorded on the ledger')).toBeVisible();
  await expect(page.getByTestId('subject-id')).toHaveText(masked(demo.subjectId));
  await journey.axe('consent recorded');
  await journey.shot('consent');

  // Request a report: shown with the subject masked as the gateway masked it.
  await journey.open('Request report');
  await page.getByLabel('Subject ID (resident ID or credit code)').fill(demo.subjectId);
  await page.getByLabel('Consent ID').fill(demo.consentId);
  await page.getByRole('checkbox', { name: 'HOMESTEAD' }).check();
  await page.getByRole('checkbox', { name: 'LAND_CONTRACT' }).check();
  await page.getByRole('button', { name: 'Request report' }).click();
  const report = page.getByRole('article');
  await expect(report.getByRole('heading', { name: /Verification report/ })).toBeVisible();
  await expect(page.getByTestId('report-subject')).toHaveText(masked(demo.subjectId));
  await expect(report.getByRole('table')).toHaveCount(2);
  await expect(report).not.toContainText(demo.subjectId);
  await journey.axe('report');
  await journey.shot('report');
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download report file' }).click();
  const reportFile = await (await downloading).path();
  const filed = JSON.parse(await readFile(reportFile, 'utf8')) as { subject: { maskedId: string } };
  expect(filed.subject.maskedId).toBe(masked(demo.subjectId));

  // The same consent for another purpose: refused, recorded, and shown as the API said.
  await page.getByLabel('Purpose').selectOption('POST_LOAN_MANAGEMENT');
  await page.getByRole('button', { name: 'Request report' }).click();
  await expect(page.getByTestId('error-code')).toHaveText('ACCESS_DENIED');
  await expect(page.getByRole('alert')).toContainText('WRONG_PURPOSE');
  await expect(page.getByRole('article')).toHaveCount(0);
  await journey.axe('report denied');
  await journey.shot('report-denied');

  // Verify the downloaded report file: in the browser and against the ledger.
  await journey.open('Verify report file');
  await page.getByLabel('Report file (JSON)').setInputFiles(reportFile);
  await page.getByRole('button', { name: 'Verify' }).click();
  const verdict = page.getByTestId('verify-result');
  await expect(verdict).toContainText('Digest and record proofs checked in this browser');
  await expect(verdict.getByText('valid', { exact: true })).toHaveCount(2);
  await journey.axe('verify report');

  // A lien on the exclusive asset, then a second pledge of it refused.
  await journey.open('Assets and liens');
  await page.getByLabel('Asset ID').fill(asset.assetId);
  await page.getByRole('button', { name: 'Look up' }).click();
  await expect(page.getByTestId('asset-status')).toHaveText('ACTIVE');
  await page.getByLabel('Consent ID').fill(`demo-collateral-${demo.consentId.replace(/\D+/g, '')}`);
  await page.getByLabel('Secured amount (fen)').fill('10000000');
  await page.getByRole('button', { name: 'Register lien' }).click();
  const lienId = (await page.getByTestId('lien-id').textContent()) ?? '';
  expect(lienId).toMatch(/^lien-/);
  await expect(page.getByRole('table')).toContainText(lienId);
  await page.getByRole('button', { name: 'Register lien' }).click();
  await expect(page.getByTestId('error-code')).toHaveText('CONFLICT');
  await journey.axe('double pledge refused');
  await journey.shot('double-pledge-refused');
  await page.getByRole('button', { name: `Release ${lienId}` }).click();
  await expect(page.getByText(`Lien released: ${lienId}`)).toBeVisible();
  await expect(page.getByRole('table')).toHaveCount(0);

  // Alerts: the live feed connects.
  await journey.open('Alerts');
  await expect(page.getByText('Connected; waiting for alerts.')).toBeVisible();
  await journey.axe('alerts');

  // Language switch: the same page in Simplified Chinese, then back.
  await page.getByTestId('language-switch').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('风险提示');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.getByRole('navigation')).toContainText('申请核查报告');
  await journey.axe('alerts in Chinese');
  await journey.shot('chinese');
  await page.getByTestId('language-switch').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Alerts');

  // Signing out ends the session and its streams.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByText('You are signed out.')).toBeVisible();
  await expect(page.getByRole('navigation')).toHaveCount(0);
});
