// Attack A: the caller writes the environment and resource the policy decides on. With the demo's
// own policy and service configuration (its echo targets replaced by a recording fake), the
// README's production request sent as `"environment": "dev"` or `"staging"` would buy the
// `low-risk` auto-allow; it must be refused at submit (400 naming the field and the target's
// environment), start no request, and never reach the target. So must a resource that is not the
// one the parameters touch. The honest request still waits for its approver and then runs.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../support/harness.js';
import { expectChainIntact, waitForStatus } from './support.js';

const demoFile = (name: string) => readFileSync(new URL(`../../demo/${name}`, import.meta.url), 'utf8');
const TARGET_SECRET = 'attack-a-demo-target-secret';

let h: Harness;
let target: HttpTargetFake;

beforeAll(async () => {
  target = await startHttpTarget();
  const demoConfig = demoFile('airlock.yaml');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the demo config's own variable reference
  const echo = '${AIRLOCK_PUBLIC_URL}/demo/echo';
  expect(demoConfig).toContain(echo);
  h = await startHarness({
    policy: demoFile('policy.yaml'),
    config: demoConfig.replaceAll(echo, target.url),
    principals: [
      { principal: 'ci@example.com', roles: ['requester'] },
      { principal: 'dana@example.com', roles: ['approver'] },
      { principal: 'audit@example.com', roles: ['auditor'] },
    ],
    env: { AIRLOCK_DEMO_TARGET_SECRET: TARGET_SECRET },
  });
}, 180_000);

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

/** The README's step 2, as printed. */
const readmeRequest = {
  action: 'http.config.update',
  resource: 'demo-echo:/config',
  environment: 'production',
  parameters: { method: 'POST', path: '/config', body: { feature: 'on' } },
  justification: 'turn the feature on for the launch',
};

const submit = (body: unknown) => h.api('ci@example.com', '/v1/actions', { body });
const requestsSoFar = async () =>
  (await h.api('audit@example.com', '/v1/actions?limit=200')).body.items.length as number;

describe('attack A: a claimed environment or resource cannot choose the rule', () => {
  it('refuses the README production request written as dev: the dev target holds other resources', async () => {
    const dry = await h.api('ci@example.com', '/v1/policy/evaluate', {
      body: { ...readmeRequest, environment: 'dev' },
    });
    expect(dry.body).toMatchObject({ effect: 'allow', rule: 'low-risk', executor: null });
    expect(dry.body.refused).toMatchObject({ field: 'resource' });

    const res = await submit({ ...readmeRequest, environment: 'dev' });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: 'urn:airlock:problem:target-mismatch',
      status: 400,
      field: 'resource',
    });
    expect(res.body.detail).toBe(
      'demo-echo:/config is not a resource of http.config.update in dev: target "demo-echo-dev" holds demo-echo-dev:{path} (here: demo-echo-dev:/config)',
    );
    expect(await requestsSoFar()).toBe(0);
    expect(target.calls).toEqual([]);
  });

  it('refuses the README production request written as staging, where no target is', async () => {
    const res = await submit({ ...readmeRequest, environment: 'staging' });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toMatchObject({ type: 'urn:airlock:problem:target-mismatch', field: 'environment' });
    expect(res.body.detail).toBe(
      'http.config.update does not run in staging: it runs on target "demo-echo" in production; target "demo-echo-dev" in dev',
    );
    expect(await requestsSoFar()).toBe(0);
    expect(target.calls).toEqual([]);
  });

  it('refuses a resource other than the one the parameters touch', async () => {
    const res = await submit({ ...readmeRequest, resource: 'demo-echo:/harmless' });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toMatchObject({ type: 'urn:airlock:problem:target-mismatch', field: 'resource' });
    expect(res.body.detail).toContain('target "demo-echo" holds demo-echo:{path} (here: demo-echo:/config)');
    expect(await requestsSoFar()).toBe(0);
    expect(target.calls).toEqual([]);
  });

  it('lets the honest request wait for its approver, then run once with the secret header', async () => {
    const res = await submit(readmeRequest);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.body.id as string;
    const pending = await waitForStatus(h, id, ['pending_approval']);
    expect(pending.policy.rule).toBe('prod-http');
    // Before approval only the preview's read of the current state, with the server-held secret.
    expect(target.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /state/config']);
    expect(target.calls[0]?.headers['x-demo-secret']).toBe(TARGET_SECRET);
    const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    const done = await waitForStatus(h, id, ['succeeded']);
    expect(done.target).toBe('demo-echo');
    const writes = () => target.calls.filter((c) => c.method !== 'GET');
    await eventually(async () => (writes().length === 1 ? true : undefined), 10_000, 'one call');
    expect(writes()[0]?.headers['x-demo-secret']).toBe(TARGET_SECRET);
    await expectChainIntact(h);
  });
});
