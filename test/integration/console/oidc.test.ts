// Console sign-in through a real OpenID provider (oidc-provider on a free port, two users):
// the authorization code flow with PKCE, the roles taken from the ID token as the API takes them
// from a bearer JWT; the approver sees and approves a pending request, the requester is refused
// on their own with the reason on the page; a callback without the flow's cookie is refused.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../temporal/dev-server.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, PRINCIPALS } from '../core/fixtures.js';
import { startOidcProvider, type TestProvider } from './oidc-provider.js';
import {
  browserRequired,
  haveBrowser,
  launchBrowser,
  personContext,
  submitPending,
  textOf,
} from './support.js';

let h: Harness;
let idp: TestProvider;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let browser: Browser;

/** Through the provider's own pages: login (any password), then consent. */
async function signInThroughProvider(page: Page, login: string): Promise<void> {
  await page.goto(`${h.airlock.publicUrl}/console/sign-in`);
  await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(/\/console\/inbox/);
}

const pending = (by: string, marker: string) => submitPending(h, by, marker);

describe.skipIf(!haveBrowser && !browserRequired)('console sign-in with OIDC', () => {
  beforeAll(async () => {
    const [apiPort, idpPort] = [await freePort(), await freePort()];
    idp = await startOidcProvider({
      port: idpPort,
      redirectUri: `http://localhost:${apiPort}/console/oidc/callback`,
      users: [
        { login: 'dev', email: 'dev@example.com', roles: ['approver'] },
        { login: 'dana', email: 'dana@example.com', roles: ['approver', 'requester'] },
      ],
    });
    target = await startHttpTarget();
    h = await startHarness({
      policy: CORE_POLICY,
      config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
      principals: PRINCIPALS,
      env: {
        PORT: String(apiPort),
        OIDC_ISSUER: idp.issuer,
        OIDC_AUDIENCE: 'airlock-api',
        OIDC_JWKS_URL: `${idp.issuer}/jwks`,
        CONSOLE_OIDC_CLIENT_ID: idp.clientId,
      },
    });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
    await idp?.close();
    await target?.close();
  });

  it('signs an approver in through the provider, who approves a pending request', async () => {
    const id = await pending('ci@example.com', 'oidc-approve');
    const context = await personContext(browser);
    // The provider's development pages import a web font; this machine has no Internet.
    await context.route(/fonts\.googleapis\.com/, (route) => route.abort());
    const page = await context.newPage();
    try {
      await signInThroughProvider(page, 'dev');
      expect(await textOf(page.locator('header'))).toContain('dev@example.com (approver)');
      await page.locator(`a[href="/console/requests/${id}"]`).click();
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.waitForURL(/done=approve/);
      await eventually(async () =>
        (await h.api('audit@example.com', `/v1/actions/${id}`)).body.status === 'succeeded'
          ? true
          : undefined,
      );
      const decided = (await h.api('audit@example.com', `/v1/actions/${id}`)).body;
      expect(decided.decidedBy).toBe('dev@example.com');
    } finally {
      await context.close();
    }
  }, 90_000);

  it("maps the requester's roles from the ID token and refuses their own request", async () => {
    const id = await pending('dana@example.com', 'oidc-self');
    const context = await personContext(browser);
    await context.route(/fonts\.googleapis\.com/, (route) => route.abort());
    const page = await context.newPage();
    try {
      await signInThroughProvider(page, 'dana');
      expect(await textOf(page.locator('header'))).toContain('dana@example.com (requester, approver)');
      expect(await page.locator(`a[href="/console/requests/${id}"]`).count()).toBe(0);
      await page.goto(`${h.airlock.publicUrl}/console/requests/${id}`);
      await page.getByRole('button', { name: 'Approve' }).click();
      expect(await textOf(page.locator('.flash-error'))).toContain('you cannot decide your own request');
      expect(await page.getByLabel('API key').count()).toBe(0);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('refuses a callback that did not start here, with a page', async () => {
    const res = await fetch(`${h.airlock.publicUrl}/console/oidc/callback?code=forged&state=forged`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('did not start here');
  });
});
