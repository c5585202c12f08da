/**
 * Auditor journey: trace accesses by subject, institution and time range, page
 * through them, export the audit trail and verify the export file in the
 * browser, then see a tampered copy refused.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { demoTry, expect, test } from './fixture';
import { reportsForDemoSubject } from './setup';

test('auditor: trace with paging, export, verify an export file', async ({ journey }, testInfo) => {
  const { page } = journey;
  const demo = demoTry();
  await reportsForDemoSubject(25);

  await journey.signIn('auditor.auditor');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Trace accesses');
  await journey.axe('trace');

  // By subject, institution and time range (from an hour ago): 25 granted + 1 denied at least.
  await page.getByLabel('Subject ID (resident ID or credit code)').fill(demo.subjectId);
  await page.getByLabel('Institution').selectOption('BankAMSP');
  const hourAgo = new Date(Date.now() - 3_600_000 - new Date().getTimezoneOffset() * 60_000)
    .toISOString()
    .slice(0, 16);
  await page.getByLabel('From').fill(hourAgo);
  await page.getByRole('button', { name: 'Search' }).click();
  const rows = page.getByRole('table').locator('tbody tr');
  await expect(rows).toHaveCount(20);
  await expect(page.getByTestId('page-number')).toHaveText('Page 1');
  for (const text of await rows.allInnerTexts()) expect(text).toContain('BankAMSP');
  await journey.shot('trace-page-1');
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(page.getByTestId('page-number')).toHaveText('Page 2');
  expect(await rows.count()).toBeGreaterThanOrEqual(6);
  await expect(page.getByRole('table')).toContainText('DENIED (WRONG_PURPOSE)');
  await journey.axe('trace page 2');
  await page.getByRole('button', { name: 'Previous page' }).click();
  await expect(page.getByTestId('page-number')).toHaveText('Page 1');
  await expect(rows).toHaveCount(20);

  // Export and verify the file in the browser.
  await journey.open('Export and verify');
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export audit trail' }).click();
  const exportFile = await (await downloading).path();
  await expect(page.getByText(/^Export ready: \d+ lines$/)).toBeVisible();
  const lines = (await readFile(exportFile, 'utf8')).split('\n').filter((l) => l !== '');
  expect(lines.length).toBeGreaterThanOrEqual(26);
  await page.getByLabel('Export file (NDJSON)').setInputFiles(exportFile);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByTestId('export-verdict')).toHaveText(
    `Export verified in this browser: ${lines.length} lines, chain intact`,
  );
  await journey.axe('export verified');
  await journey.shot('export-verified');

  // A copy with one line altered is refused at that line.
  const tampered = testInfo.outputPath('tampered.ndjson');
  const altered = lines.map((l, i) => (i === 2 ? l.replace('BankAMSP', 'BankBMSP') : l));
  expect(altered[2]).not.toBe(lines[2]);
  await writeFile(tampered, `${altered.join('\n')}\n`);
  await page.getByLabel('Export file (NDJSON)').setInputFiles(tampered);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByTestId('export-verdict')).toHaveText(/^Export NOT valid: line 3, /);
});
