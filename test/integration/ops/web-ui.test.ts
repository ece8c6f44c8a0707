// The Temporal Web UI as the SRE console, on a dev server started here with its UI pointed at the
// service's codec (as `npm start` does): the scenarios of web-ui-scenarios.ts (a saved query finds
// a pending request and opens its history; an auditor's codec session decodes its input). The
// cluster suite runs the same scenarios against the compose file's UI. Skips only where Debian's
// chromium is absent and AIRLOCK_REQUIRE_BROWSER is unset (.ci/run installs it and sets it).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DevServer, freePort, startDevServer } from '../../../temporal/dev-server.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, PRINCIPALS } from '../core/fixtures.js';
import { chromiumPath } from './browser.js';
import { findPendingWithSavedQuery, readInputWithCodecSession } from './web-ui-scenarios.js';

const required = process.env.AIRLOCK_REQUIRE_BROWSER === '1';
if (!chromiumPath && !required) {
  console.warn('[web-ui.test] SKIPPED: /usr/bin/chromium is not installed (apt-get install -y chromium)');
}

let dev: DevServer;
let h: Harness;
/** The UI and the API on one host name, as the banner prints them: one site for the cookie. */
let uiUrl: string;
let target: Awaited<ReturnType<typeof startHttpTarget>>;

describe.skipIf(!chromiumPath && !required)('Temporal Web UI', () => {
  beforeAll(async () => {
    const apiPort = await freePort();
    dev = await startDevServer({
      cliPath: inject('temporalCliPath'),
      codecEndpoint: `http://localhost:${apiPort}/codec`,
    });
    uiUrl = dev.uiUrl!.replace('//127.0.0.1:', '//localhost:');
    target = await startHttpTarget();
    h = await startHarness({
      policy: CORE_POLICY,
      config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
      principals: PRINCIPALS,
      env: { TEMPORAL_ADDRESS: dev.address, PORT: String(apiPort), TEMPORAL_UI_URL: uiUrl },
    });
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await target?.close();
    await dev?.stop();
  });

  it('finds a pending production request with a saved query and opens its history', async () => {
    const { workflowId, historyPage } = await findPendingWithSavedQuery({ uiUrl, h });
    expect(historyPage).toContain(workflowId);
  }, 120_000);
  it("shows a request's input decoded only to an auditor with a codec session", async () => {
    const { marker, withoutSession, withSession } = await readInputWithCodecSession({ uiUrl, h });
    expect(withoutSession.codecStatuses).toContain(401);
    expect(withoutSession.page).not.toContain(marker);
    expect(withSession.codecStatuses.every((s) => s === 200)).toBe(true);
    expect(withSession.page).toContain(marker);
  }, 120_000);
});
