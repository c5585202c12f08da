/**
 * Data officer journey: upload a dataset file with a progress bar and see its
 * batch and a record's proof checked in the browser, register an asset, and
 * answer a dispute from the inbox (due date shown, not overdue).
 */
import { demoTry, expect, test } from './fixture';
import { disputeOnDemoHomestead } from './setup';

test('data officer: upload with progress, batch and proof, register asset, resolve dispute', async ({
  journey,
}) => {
  const { page } = journey;
  const demo = demoTry();
  const disputeId = await disputeOnDemoHomestead();

  await journey.signIn('naturalresources.data-officer');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Upload dataset');
  await journey.axe('upload');

  // 400 homestead records as NDJSON.
  const records = Array.from({ length: 400 }, (_, n) =>
    JSON.stringify({
      subjectId: demo.subjectId,
      certificateNo: `HS-E2E-${String(n).padStart(6, '0')}`,
      parcelCode: `350902-120-${String(n).padStart(5, '0')}`,
      areaSquareMetres: 100 + (n % 50),
      registeredOn: '2020-03-01',
    }),
  );
  await page.getByLabel('Dataset type').selectOption('HOMESTEAD');
  await page.getByLabel('Dataset file (JSON array or NDJSON)').setInputFiles({
    name: 'homestead.ndjson',
    mimeType: 'application/x-ndjson',
    buffer: Buffer.from(`${records.join('\n')}\n`),
  });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByTestId('batch-id')).toHaveText(/^bat-/);
  await expect(page.getByRole('progressbar', { name: 'Upload progress' })).toBeVisible();
  await expect(page.getByTestId('records-sent')).toHaveText('400 records sent');
  await expect(page.getByTestId('record-count')).toHaveText('400');
  await expect(page.getByTestId('proof-valid')).toHaveText('valid');
  await journey.axe('batch uploaded');
  await journey.shot('batch-and-proof');

  // Register an asset issued by this department.
  await journey.open('Register asset');
  await page.getByLabel('Asset type').selectOption('HOMESTEAD_RIGHT');
  await page.getByLabel('Certificate number').fill(`HS-DO-${Date.now()}`);
  await page.getByLabel('Owner subject ID').fill(demo.subjectId);
  await page.getByLabel('Location code').fill('350902-120-00009');
  await page.getByLabel('Area', { exact: true }).fill('110');
  await page.getByLabel('Unit').selectOption('SQUARE_METRE');
  await page.getByLabel('Appraised value (fen)').fill('30000000');
  await page.getByRole('button', { name: 'Register asset' }).click();
  await expect(page.getByTestId('asset-id')).toHaveText(/^HOMESTEAD_RIGHT:HS-DO-\d+$/);
  await expect(page.getByTestId('subject-id')).toHaveText(
    `${demo.subjectId.slice(0, 3)}***********${demo.subjectId.slice(-4)}`,
  );
  await journey.axe('asset registered');

  // The dispute inbox: due in 20 days, not overdue; resolve it.
  await journey.open('Dispute inbox');
  const row = page.getByRole('row').filter({ hasText: disputeId });
  await expect(row).toContainText('OPEN');
  const cells = await row.getByRole('cell').allInnerTexts();
  const filedAt = Date.parse(cells[3]!);
  const dueBy = Date.parse(cells[4]!.split(' ')[0]!);
  expect(dueBy - filedAt).toBe(20 * 86_400_000);
  await expect(row.getByTestId('overdue-mark')).toHaveCount(0);
  await journey.axe('dispute inbox');
  await row.getByRole('button', { name: `Resolve ${disputeId}` }).click();
  await page.getByLabel('Outcome').selectOption('UPHELD');
  await page.getByLabel('Finding').fill('Checked against the register: the record stands.');
  await page.getByRole('button', { name: 'Resolve', exact: true }).click();
  await expect(page.getByText(`Resolved: ${disputeId}`)).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: disputeId })).toContainText('RESOLVED');
  await journey.shot('dispute-resolved');
});
