// The Temporal Web UI as the SRE console: on a dev server started here with its UI, headless
// Chromium runs a saved query of docs/runbook.md ("pending in production"), finds the request,
// opens its history and saves a screenshot under test-artifacts/. Skips only where Debian's
// chromium is absent and AIRLOCK_REQUIRE_BROWSER is unset (.ci/run installs it and sets it).
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DevServer, startDevServer } from '../../../temporal/dev-server.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../core/fixtures.js';
import { chromiumPath, launchChromium } from './browser.js';

const required = process.env.AIRLOCK_REQUIRE_BROWSER === '1';
if (!chromiumPath && !required) {
  console.warn('[web-ui.test] SKIPPED: /usr/bin/chromium is not installed (apt-get install -y chromium)');
}

let dev: DevServer;
let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;

describe.skipIf(!chromiumPath && !required)('Temporal Web UI', () => {
  beforeAll(async () => {
    dev = await startDevServer({ cliPath: inject('temporalCliPath') });
    target = await startHttpTarget();
    h = await startHarness({
      policy: CORE_POLICY,
      config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
      principals: PRINCIPALS,
      env: { TEMPORAL_ADDRESS: dev.address },
    });
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await target?.close();
    await dev?.stop();
  });

  it('finds a pending production request with a saved query and opens its history', async () => {
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
          await page.goto(`${dev.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
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
      expect(await page.content()).toContain(workflowId);
      await page.screenshot({ path: 'test-artifacts/web-ui-history.png', fullPage: true });
    } finally {
      await browser.close();
    }
  }, 120_000);
});
