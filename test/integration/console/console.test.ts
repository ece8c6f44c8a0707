// The approver console in a real browser against the real service: sign-in with an API key,
// the inbox shows what waits for this approver and nothing else, approve with a click and see it
// execute, deny with a reason, the requester refused on their own request with the reason on the
// page, a decision made over the API shows on an open page without a reload, a form without its
// CSRF token refused, sign-out ends the session; screenshots and an axe check of both pages.
// Skips only where Debian's chromium is absent and AIRLOCK_REQUIRE_BROWSER is unset.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../core/fixtures.js';
import {
  ARTEFACTS,
  browserRequired,
  collectErrors,
  haveBrowser,
  launchBrowser,
  personContext,
  seriousViolations,
  signInWithKey,
  submitPending as submitPendingOn,
  textOf,
} from './support.js';

if (!haveBrowser && !browserRequired) {
  console.warn('[console.test] SKIPPED: /usr/bin/chromium is not installed (apt-get install -y chromium)');
}

// The core world, plus a rule whose requester may break the glass (ci) and one that allows
// "approve this and the same again" for up to an hour.
const CONSOLE_POLICY = CORE_POLICY.replace('groups:\n', 'groups:\n  responders: [ci@example.com]\n').replace(
  '  - name: production\n',
  `  - name: break-glass
    match: { action: "http.breakglass" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 10m }
    breakGlass: { approvers: [responders], reviewWithin: 1h }
  - name: standing
    match: { action: "http.standing" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 10m }
    standing: { maxTtl: 1h }
  - name: production\n`,
);

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let browser: Browser;

const submitPending = (by: string, marker: string) => submitPendingOn(h, by, marker);

const statusOf = async (id: string) => (await h.api('audit@example.com', `/v1/actions/${id}`)).body;

describe.skipIf(!haveBrowser && !browserRequired)('approver console', () => {
  beforeAll(async () => {
    target = await startHttpTarget();
    h = await startHarness({
      policy: CONSOLE_POLICY,
      config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
      principals: PRINCIPALS,
      env: { AIRLOCK_CONSOLE_KEY_SIGNIN: 'true' },
    });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
    await target?.close();
  });

  it('signs in with a key, lists only what waits for this approver, and approves with a click', async () => {
    const id = await submitPending('ci@example.com', 'console-approve');
    const context = await personContext(browser);
    const page = await context.newPage();
    const errors = collectErrors(page);
    try {
      await signInWithKey(page, h.url, h.keys['dev@example.com']!);
      const link = page.locator(`a[href="/console/requests/${id}"]`);
      await expect(link.count()).resolves.toBe(1);
      await expect(page.getByRole('heading', { name: 'Waiting for me' }).count()).resolves.toBe(1);

      await page.screenshot({ path: join(ARTEFACTS, 'inbox-desktop.png'), fullPage: true });
      expect(await seriousViolations(page)).toEqual([]);

      await link.click();
      await page.waitForURL(new RegExp(`/console/requests/${id}$`));
      const text = await textOf(page.locator('main'));
      expect(text).toContain('Pending approval');
      expect(text).toContain('console-approve');
      expect(text).toContain('dana@example.com'); // who else may decide
      expect(text).toContain('production');
      await page.screenshot({ path: join(ARTEFACTS, 'request-desktop.png'), fullPage: true });
      expect(await seriousViolations(page)).toEqual([]);

      await page.getByRole('button', { name: 'Approve' }).click();
      await page.waitForURL(/done=approve/);
      // It executes: the open page follows it live to Succeeded.
      await page.locator('main [data-status="succeeded"]').first().waitFor({ timeout: 20_000 });
      expect((await statusOf(id)).status).toBe('succeeded');
      expect((await statusOf(id)).decidedBy).toBe('dev@example.com');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('does not show an approver what another group decides', async () => {
    const id = await submitPending('ci@example.com', 'console-outsider');
    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['outsider@example.com']!);
      expect(await page.locator(`a[href="/console/requests/${id}"]`).count()).toBe(0);
      expect(await textOf(page.locator('main'))).toContain('Nothing is waiting for your decision');
      // Reading it is allowed (approvers read every request); deciding is not.
      await page.goto(`${h.url}/console/requests/${id}`);
      expect(await textOf(page.locator('#would-refuse'))).toContain('not an approver');
      await page.getByRole('button', { name: 'Approve' }).click();
      expect(await textOf(page.locator('.flash-error'))).toContain(
        'you are not an approver of this request at its current stage',
      );
      expect((await statusOf(id)).status).toBe('pending_approval');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('denies with a reason, shown on the page and in the request', async () => {
    const id = await submitPending('ci@example.com', 'console-deny');
    const context = await personContext(browser, 375);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['dana@example.com']!);
      await page.screenshot({ path: join(ARTEFACTS, 'inbox-phone.png'), fullPage: true });
      await page.goto(`${h.url}/console/requests/${id}`);
      await page.screenshot({ path: join(ARTEFACTS, 'request-phone.png'), fullPage: true });
      // Keyboard only: the reason field, then the deny button.
      await page.getByLabel(/Reason/).fill('not during the freeze');
      await page.getByRole('button', { name: 'Deny' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/done=deny/);
      const text = await textOf(page.locator('main'));
      expect(text).toContain('Denied');
      expect(text).toContain('not during the freeze');
      const body = await statusOf(id);
      expect(body.status).toBe('denied');
      expect(body.reason).toBe('not during the freeze');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('approves "and the same again" with one click: the next request in scope is approved at once', async () => {
    const request = httpRequest({
      action: 'http.standing',
      parameters: { method: 'POST', path: '/s', body: { marker: 'console-standing' } },
    });
    const first = await h.api('ci@example.com', '/v1/actions', { body: request });
    expect(first.status).toBe(202);
    await eventually(async () =>
      (await statusOf(first.body.id)).status === 'pending_approval' ? true : undefined,
    );
    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['dev@example.com']!);
      await page.goto(`${h.url}/console/requests/${first.body.id}`);
      await page.getByRole('button', { name: 'Approve + same again 1h' }).click();
      await page.waitForURL(/done=approve/);
      expect(await textOf(page.locator('main'))).toMatch(
        /by dev@example\.com \(and the same again\) via api/,
      );
      const done = await eventually(async () => {
        const s = await statusOf(first.body.id);
        return s.status === 'succeeded' ? s : undefined;
      });
      expect(done.decisions[0]).toMatchObject({
        approver: { id: 'dev@example.com' },
        standing: { ttlMs: 3_600_000 },
      });
      const second = await h.api('ci@example.com', '/v1/actions', { body: request });
      const again = await eventually(async () => {
        const s = await statusOf(second.body.id);
        return s.status === 'succeeded' ? s : undefined;
      });
      expect(again.decidedBy).toMatch(/^standing:/);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('reviews a break-glass request after the fact: an incident needs a reason, then it is recorded', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({
        action: 'http.breakglass',
        parameters: { method: 'POST', path: '/bg', body: { marker: 'console-bg' } },
        breakGlass: { reason: 'checkout is down, the flag must go off now' },
      }),
    });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    await eventually(async () => ((await statusOf(id)).status === 'succeeded' ? true : undefined));
    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['dev@example.com']!);
      await page.goto(`${h.url}/console/requests/${id}`);
      await page.getByRole('button', { name: 'Flag as incident' }).click();
      expect(await textOf(page.locator('.flash-error'))).toMatch(/reason/);
      expect((await statusOf(id)).breakGlass.review).toBeUndefined();
      await page.getByLabel(/Reason/).fill('ran without the change ticket');
      await page.getByRole('button', { name: 'Flag as incident' }).click();
      await page.waitForURL(/done=review/);
      const reviewed = await statusOf(id);
      expect(reviewed.breakGlass.review).toMatchObject({
        outcome: 'incident',
        by: 'dev@example.com',
        reason: 'ran without the change ticket',
      });
      expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('hands approvals to a delegate and ends it again, refusals on the page', async () => {
    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['dana@example.com']!);
      await page.getByRole('link', { name: 'Delegations' }).click();
      await page.waitForURL(/\/console\/delegations/);
      expect(await seriousViolations(page)).toEqual([]);
      // To herself: refused, with the API's reason.
      await page.getByLabel('Delegate (e-mail)').fill('dana@example.com');
      await page.getByLabel('Reason').fill('away');
      await page.getByRole('button', { name: 'Delegate' }).click();
      expect(await textOf(page.locator('.flash-error'))).toContain('you cannot delegate to yourself');
      await page.getByLabel('Delegate (e-mail)').fill('sam@example.com');
      await page.getByLabel('For').selectOption({ label: '1 week' });
      await page.getByLabel('Reason').fill('on leave this week');
      await page.getByRole('button', { name: 'Delegate' }).click();
      await page.waitForURL(/done=created/);
      const listed = (await h.api('audit@example.com', '/v1/delegations')).body.items.find(
        (d: { delegator: string; delegate: string }) =>
          d.delegator === 'dana@example.com' && d.delegate === 'sam@example.com',
      );
      expect(listed).toMatchObject({ status: 'active', reason: 'on leave this week' });
      const week = Date.parse(listed.endsAt) - Date.parse(listed.startsAt);
      expect(Math.abs(week - 7 * 86_400_000)).toBeLessThan(60_000);
      await page.getByRole('button', { name: 'End' }).click();
      await page.waitForURL(/done=ended/);
      const ended = (await h.api('audit@example.com', '/v1/delegations')).body.items.find(
        (d: { id: string }) => d.id === listed.id,
      );
      expect(ended.status).toBe('ended');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('refuses the requester on their own request, with the reason on the page, and records it', async () => {
    const id = await submitPending('dana@example.com', 'console-self');
    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['dana@example.com']!);
      // Not in her inbox: she cannot decide it.
      expect(await page.locator(`a[href="/console/requests/${id}"]`).count()).toBe(0);
      await page.goto(`${h.url}/console/requests/${id}`);
      expect(await textOf(page.locator('#would-refuse'))).toContain('you cannot decide your own request');
      await page.getByRole('button', { name: 'Approve' }).click();
      expect(await textOf(page.locator('.flash-error'))).toContain('you cannot decide your own request');
      const body = await statusOf(id);
      expect(body.status).toBe('pending_approval');
      expect(body.refusedAttempts.map((r: { code: string }) => r.code)).toContain('self_approval');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('shows a decision made over the API on the open page without a reload', async () => {
    const id = await submitPending('ci@example.com', 'console-live');
    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['dev@example.com']!);
      await page.goto(`${h.url}/console/requests/${id}`);
      await page.locator('main[data-live-state="open"]').waitFor({ timeout: 10_000 });
      let navigations = 0;
      page.on('framenavigated', () => navigations++);
      const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
        body: { decision: 'deny', reason: 'decided in the API' },
      });
      expect(decided.status).toBe(200);
      const started = Date.now();
      await page.locator('main [data-status="denied"]').first().waitFor({ timeout: 5_000 });
      const ms = Date.now() - started;
      expect(await textOf(page.locator('main'))).toContain('decided in the API');
      expect(navigations).toBe(0);
      expect(ms).toBeLessThan(1_500);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('shows a new request in an open inbox without a reload', async () => {
    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['dev@example.com']!);
      await page.locator('main[data-live-state="open"]').waitFor({ timeout: 10_000 });
      let navigations = 0;
      page.on('framenavigated', () => navigations++);
      const id = await submitPending('ci@example.com', 'console-inbox-live');
      await page.locator(`a[href="/console/requests/${id}"]`).waitFor({ timeout: 5_000 });
      expect(navigations).toBe(0);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('refuses a form without its CSRF token, and ends the session on sign-out', async () => {
    const id = await submitPending('ci@example.com', 'console-csrf');
    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['dev@example.com']!);
      // The browser's own cookies, a form post without the token.
      const forged = await page.request.post(`${h.url}/console/requests/${id}/decision`, {
        form: { decision: 'approve' },
        maxRedirects: 0,
      });
      expect(forged.status()).toBe(403);
      expect(await forged.text()).toContain('security token');
      expect((await statusOf(id)).status).toBe('pending_approval');

      const cookie = (await context.cookies()).find((c) => c.name === 'airlock_console')!;
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.sameSite).toBe('Lax');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/why=signed-out/);
      // The old cookie no longer opens anything.
      const replay = await fetch(`${h.url}/console/inbox`, {
        headers: { cookie: `airlock_console=${cookie.value}` },
        redirect: 'manual',
      });
      expect(replay.status).toBe(303);
      expect(replay.headers.get('location')).toContain('why=ended');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('answers bad input with a page: unknown ids, forged sessions, a decision on a closed request', async () => {
    const forged = await fetch(`${h.url}/console/inbox`, {
      headers: { cookie: 'airlock_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      redirect: 'manual',
    });
    expect(forged.status).toBe(303);
    expect(forged.headers.get('location')).toContain('why=invalid');

    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['dev@example.com']!);
      const unknown = await page.goto(`${h.url}/console/requests/00000000-0000-4000-8000-000000000000`);
      expect(unknown?.status()).toBe(404);
      expect(await textOf(page.locator('main'))).toContain('no such request');
      const malformed = await page.goto(`${h.url}/console/requests/not-an-id`);
      expect(malformed?.status()).toBe(400);
      expect(await page.content()).not.toContain('at ');
      const nowhere = await page.goto(`${h.url}/console/nowhere`);
      expect(nowhere?.status()).toBe(404);

      // A page opened while pending, decided elsewhere, then submitted: a 409 and the trail has it.
      const id = await submitPending('ci@example.com', 'console-closed');
      // The live update would remove the form; a stale tab (no live updates) keeps it.
      await page.route(/\/events(\?|$)/, (route) => route.abort());
      await page.goto(`${h.url}/console/requests/${id}`);
      const denied = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
        body: { decision: 'deny', reason: 'closed first' },
      });
      expect(denied.status).toBe(200);
      await eventually(async () => ((await statusOf(id)).status === 'denied' ? true : undefined));
      const form = page.locator('form[action$="/decision"]');
      await form.getByRole('button', { name: 'Approve' }).click();
      await page.locator('.flash-error').waitFor();
      expect(await textOf(page.locator('.flash-error'))).toMatch(/already denied|ended/);
      const audit = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
      expect(
        audit.body.events.some(
          (e: { type: string; actor: string }) =>
            e.type === 'attempt.refused' && e.actor === 'dev@example.com',
        ),
      ).toBe(true);
    } finally {
      await context.close();
    }
  }, 150_000);

  it("lists all requests with the list API's filters and cursor paging", async () => {
    await submitPending('ci@example.com', 'console-list-1');
    await submitPending('ci@example.com', 'console-list-2');
    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['dev@example.com']!);
      await page.getByRole('link', { name: 'All requests' }).click();
      await page.getByLabel('Status').selectOption('pending_approval');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/status=pending_approval/);
      const statuses = await page
        .locator('main tbody [data-status]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
      expect(statuses.length).toBeGreaterThanOrEqual(2);
      expect(new Set(statuses)).toEqual(new Set(['pending_approval']));
      // One a page: the cursor leads to the next, older one.
      await page.goto(`${h.url}/console/requests?status=pending_approval&limit=1`);
      const first = await page.locator('main tbody a').first().getAttribute('href');
      await page.getByRole('link', { name: 'Older requests' }).click();
      const second = await page.locator('main tbody a').first().getAttribute('href');
      expect(second).not.toBe(first);
      // A cursor this service did not sign is a clear 400 page.
      const forged = await page.goto(`${h.url}/console/requests?cursor=forged.cursor`);
      expect(forged?.status()).toBe(400);
      expect(await textOf(page.locator('main'))).toContain('is not a cursor this service issued');
    } finally {
      await context.close();
    }
  }, 60_000);

  it("shows an auditor a request's trail with its verification, and exports evidence", async () => {
    const id = await submitPending('ci@example.com', 'console-audit');
    const context = await personContext(browser);
    const page = await context.newPage();
    try {
      await signInWithKey(page, h.url, h.keys['audit@example.com']!);
      await page.goto(`${h.url}/console/requests/${id}`);
      // An auditor reads, and decides nothing.
      expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
      await page.getByRole('link', { name: 'Audit trail and verification' }).click();
      expect(await textOf(page.locator('.status-line'))).toContain('Verified');
      expect(await textOf(page.locator('main table'))).toContain('request.submitted');
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download the signed evidence pack' }).click();
      const file = await download;
      expect(file.suggestedFilename()).toMatch(/\.jsonl$/);
      // The export is recorded in the chain under the auditor's name, as over the API.
      const verify = await h.api('audit@example.com', '/v1/audit/verify');
      expect(verify.status).toBe(200);
      // An approver may not open the trail (as over the API).
      const other = await personContext(browser);
      const approverPage = await other.newPage();
      await signInWithKey(approverPage, h.url, h.keys['dev@example.com']!);
      const refused = await approverPage.goto(`${h.url}/console/requests/${id}/audit`);
      expect(refused?.status()).toBe(403);
      await other.close();
    } finally {
      await context.close();
    }
  }, 60_000);

  it('sends a strict Content-Security-Policy and no inline script', async () => {
    const res = await fetch(`${h.url}/console/sign-in`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const page = await res.text();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page).not.toMatch(/\son[a-z]+=/);
  });
});
