// The console's browser tests: Debian's Chromium through playwright-core (never a downloaded
// browser), one browser per file and one context per person, so each has their own cookies.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { eventually, type Harness } from '../../support/harness.js';
import { httpRequest } from '../core/fixtures.js';
import { chromiumPath } from '../ops/browser.js';

export const ARTEFACTS = join('test-results', 'console');

export const browserRequired = process.env.AIRLOCK_REQUIRE_BROWSER === '1';
export const haveBrowser = chromiumPath !== undefined;

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumPath) throw new Error('/usr/bin/chromium is missing: apt-get install -y chromium');
  mkdirSync(ARTEFACTS, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
}

export async function personContext(browser: Browser, width = 1280): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width, height: 900 },
    timezoneId: 'Europe/Paris',
    locale: 'en-GB',
  });
}

/** Signs in on the console with an API key (the demo's way); lands on the inbox. */
export async function signInWithKey(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/console`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in with the key' }).click();
  await page.waitForURL(/\/console\/inbox/);
}

/** Axe on the page as it is: the serious and critical violations, as text for the assertion. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** Console errors and CSP reports of a page, so a test can say none happened. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** What a person reads in an element (rendered text, hidden parts left out). */
export async function textOf(locator: Locator): Promise<string> {
  return (await locator.allInnerTexts()).join('\n');
}

/** Submits a production http request (one dba approval needed) and waits until it is pending. */
export async function submitPending(h: Harness, by: string, marker: string): Promise<string> {
  const res = await h.api(by, '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { marker } } }),
  });
  expect(res.status).toBe(202);
  const id = res.body.id as string;
  await eventually(
    async () =>
      (await h.api('audit@example.com', `/v1/actions/${id}`)).body.status === 'pending_approval'
        ? true
        : undefined,
    30_000,
    'pending',
  );
  return id;
}
