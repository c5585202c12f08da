/**
 * What every journey shares: the gateway started by global-setup.ts, signing
 * in as a demo user, an axe-core check of each page (no serious or critical
 * violation), numbered screenshots, and no console errors.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Locator, type Page } from '@playwright/test';

export { expect };

/** Where journeys save their screenshots. */
export const SCREENSHOTS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'test-results',
  'screenshots',
);

/** The row of `table` with a cell that is exactly `id` (its first cell in the journeys' tables). */
export function rowOf(table: Locator, id: string): Locator {
  return table.getByRole('row').filter({ has: table.page().getByRole('cell', { name: id, exact: true }) });
}

export function gatewayUrl(): string {
  const url = process.env.CONSOLE_E2E_URL;
  if (url === undefined)
    throw new Error('CONSOLE_E2E_URL unset: run through playwright.config.ts (global setup)');
  return url;
}

export function passwordOf(username: string): string {
  const logins = JSON.parse(process.env.CONSOLE_E2E_LOGINS ?? '{}') as Record<string, string>;
  const password = logins[username];
  if (password === undefined) throw new Error(`no demo login ${username}`);
  return password;
}

/** The demo's report hint: a subject, its consent and the bank holding it. */
export function demoTry(): { bank: string; subjectId: string; consentId: string } {
  return JSON.parse(process.env.CONSOLE_E2E_TRY ?? '{}') as {
    bank: string;
    subjectId: string;
    consentId: string;
  };
}

export interface Journey {
  readonly page: Page;
  /** Opens the console and signs in. */
  signIn(username: string): Promise<void>;
  /** Goes to a page through the menu (by its link text) and waits for its heading. */
  open(linkText: string | RegExp): Promise<void>;
  /** axe-core on the current page: fails on any serious or critical violation. */
  axe(label: string): Promise<void>;
  /** Saves `<journey>-<nn>-<name>.png`. */
  shot(name: string): Promise<string>;
}

/**
 * Browser messages that are not errors of the console: Chromium logs every
 * 4xx answer to fetch as "Failed to load resource"; those refusals are what
 * the journeys provoke (ACCESS_DENIED, CONFLICT), and the page shows each.
 */
const EXPECTED_REFUSAL = /^Failed to load resource: the server responded with a status of 4\d\d/;

export const test = base.extend<{ journey: Journey }>({
  journey: async ({ page }, use, testInfo) => {
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !EXPECTED_REFUSAL.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const journeyName = testInfo.title
      .split(':')[0]!
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-');
    mkdirSync(SCREENSHOTS, { recursive: true });
    let shots = 0;
    const journey: Journey = {
      page,
      async signIn(username) {
        await page.goto(`${gatewayUrl()}/console/`);
        await page.getByLabel(/^(Username|用户名)$/).fill(username);
        await page.getByLabel(/^(Password|密码)$/).fill(passwordOf(username));
        await page.getByRole('button', { name: /^(Sign in|登录)$/ }).click();
        await expect(page.getByRole('navigation')).toContainText(username);
      },
      async open(linkText) {
        await page.getByRole('navigation').getByRole('link', { name: linkText }).click();
        await expect(page.getByRole('heading', { level: 1 })).toHaveText(linkText);
      },
      async axe(label) {
        const result = await new AxeBuilder({ page }).analyze();
        const bad = result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map(
            (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
          );
        expect(bad, `axe on ${label}`).toEqual([]);
      },
      async shot(name) {
        shots += 1;
        const file = path.join(SCREENSHOTS, `${journeyName}-${String(shots).padStart(2, '0')}-${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        return file;
      },
    };
    await use(journey);
    expect(problems, 'console errors').toEqual([]);
  },
});
