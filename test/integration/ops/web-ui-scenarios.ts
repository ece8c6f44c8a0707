// The Temporal Web UI scenarios of the SRE and the auditor, for any UI in front of a Temporal that
// runs Airlock's workflows: the dev server's (web-ui.test.ts) and the cluster's (test/cluster).
// Headless Chromium runs a saved query of docs/runbook.md ("pending in production"), finds the
// request, opens its history and saves a screenshot under test-artifacts/; then an auditor starts
// a codec session at /codec/login and, with the UI's codec settings as docs/audit.md says, reads
// the request's input decoded, which without the session stays ciphertext.
import { mkdirSync } from 'node:fs';
import { expect } from 'vitest';
import { eventually, type Harness } from '../../support/harness.js';
import { httpRequest } from '../core/fixtures.js';
import { launchChromium } from './browser.js';

export interface WebUiSetup {
  /** The UI's base URL on the API's host name (one site, so the codec cookie is sent). */
  uiUrl: string;
  /** The Airlock whose requests the UI shows and whose codec it calls (CORE_POLICY, PRINCIPALS). */
  h: Harness;
}

/** What the history page showed: the caller checks it names the request's workflow. */
export interface HistorySeen {
  workflowId: string;
  historyPage: string;
}

/** The SRE's saved query finds a pending production request; its history opens. */
export async function findPendingWithSavedQuery({ uiUrl, h }: WebUiSetup): Promise<HistorySeen> {
  const res = await h.api('ci@example.com', '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'ui-1' } } }),
  });
  expect(res.status).toBe(202);
  const workflowId = `action-${res.body.id as string}`;
  await eventually(
    async () =>
      (await h.api('audit@example.com', `/v1/actions/${res.body.id}`)).body.status === 'pending_approval'
        ? true
        : undefined,
    30_000,
    'pending',
  );

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    const query = 'AirlockStatus="pending_approval" AND AirlockEnvironment="production"';
    // Visibility is eventually consistent: reload the list until the row shows.
    const row = page.locator(`a[href*="/workflows/${workflowId}/"]`).first();
    mkdirSync('test-artifacts', { recursive: true });
    await eventually(
      async () => {
        await page.goto(`${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
        return await row.waitFor({ state: 'visible', timeout: 8_000 }).then(
          () => true,
          () => undefined,
        );
      },
      45_000,
      'the request in the query results',
    ).catch(async (err: unknown) => {
      await page.screenshot({ path: 'test-artifacts/web-ui-failure.png', fullPage: true });
      const hrefs = await page.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      throw new Error(
        `${String(err)} at ${page.url()}; links: ${hrefs.join(' ')}; console: ${consoleErrors.join(' | ')}`,
      );
    });
    await row.click();
    await page.waitForURL(/\/history/, { timeout: 15_000 });
    // The history view: its event timeline lists the workflow's activities (local ones by name too).
    await page
      .getByText('Event History')
      .first()
      .waitFor({ timeout: 15_000 })
      .then(() => page.getByText('assessRequest').first().waitFor({ timeout: 15_000 }))
      .catch(async (err: unknown) => {
        await page.screenshot({ path: 'test-artifacts/web-ui-failure.png', fullPage: true });
        throw new Error(`${String(err)} at ${page.url()}; console: ${consoleErrors.join(' | ')}`);
      });
    const historyPage = await page.content();
    await page.screenshot({ path: 'test-artifacts/web-ui-history.png', fullPage: true });
    return { workflowId, historyPage };
  } finally {
    await browser.close();
  }
}

/** The codec's answers and the page, without and then with the auditor's codec session. */
export interface CodecSeen {
  /** A value in the request's input: shown only where the codec decoded it. */
  marker: string;
  withoutSession: { codecStatuses: number[]; page: string };
  withSession: { codecStatuses: number[]; page: string };
}

/** Opens a request's input in the UI without, then with, an auditor's codec session. */
export async function readInputWithCodecSession({ uiUrl, h }: WebUiSetup): Promise<CodecSeen> {
  const marker = `ui-marker-${Date.now().toString(36)}`;
  const res = await h.api('ci@example.com', '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: marker } } }),
  });
  expect(res.status).toBe(202);
  const workflowPage = `${uiUrl}/namespaces/default/workflows/action-${res.body.id as string}`;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/codec/decode') && r.request().method() === 'POST') statuses.push(r.status());
    });
    /** Opens the request's page; resolves when the UI has had a decode answer and shows its input. */
    const openInput = async () => {
      statuses.length = 0;
      await page.goto(workflowPage);
      await eventually(async () => (statuses.length > 0 ? true : undefined), 30_000, 'a codec call');
      await page.getByTestId('input-and-result').first().waitFor({ timeout: 15_000 });
    };

    // The UI's codec settings as a user sets them (docs/audit.md): the dev server configures only
    // the endpoint, so the browser setting must override it to include credentials.
    await openInput();
    await page.locator('[data-testid^="data-encoder-status"]').first().click();
    await page.getByTestId('override-accordion').getByRole('button').first().click();
    await page.getByText('Use my browser setting and ignore Cluster-level setting.').click();
    await page.getByTestId('data-encoder-endpoint-input').fill(`${h.airlock.publicUrl}/codec`);
    // Keyboard, not clicks: in an 900px-high headless window the sticky top bar covers them.
    await page.locator('#pass-access-credentials').focus();
    await page.keyboard.press('Space');
    expect(await page.locator('#pass-access-credentials').isChecked()).toBe(true);
    await page.getByTestId('confirm-data-encoder-button').focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate("localStorage.getItem('includeCredentials')")).toBe('true');

    // Without a session: the codec refuses (401), the input stays ciphertext.
    await openInput();
    expect(await page.getByTestId('input-and-result').first().textContent()).not.toContain(marker);
    const withoutSession = { codecStatuses: [...statuses], page: await page.content() };

    // The auditor starts a session through the login form, then reopens the request.
    await page.goto(`${h.airlock.publicUrl}/codec/login`);
    await page.getByLabel('API key').fill(h.keys['audit@example.com']!);
    await page.getByRole('button', { name: 'Start codec session' }).click();
    await page.getByText('Signed in as').waitFor({ timeout: 10_000 });
    // Cookies do not separate ports: the UI's own (_csrf) shows here too; ours has Path=/codec.
    const cookies = await browser.cookies(`${h.airlock.publicUrl}/codec/decode`);
    const cookie = cookies.find((c) => c.name === 'airlock_codec_session');
    expect(cookie?.value).not.toContain(h.keys['audit@example.com']);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/codec' });
    await openInput();
    await page
      .getByText(marker)
      .first()
      .waitFor({ timeout: 15_000 })
      .catch(async (err: unknown) => {
        await page.screenshot({ path: 'test-artifacts/web-ui-codec-failure.png', fullPage: true });
        throw new Error(`${String(err)}; codec answers: ${statuses.join(' ')}`);
      });
    const withSession = { codecStatuses: [...statuses], page: await page.content() };
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/web-ui-codec-decoded.png', fullPage: true });
    return { marker, withoutSession, withSession };
  } finally {
    await browser.close();
  }
}
