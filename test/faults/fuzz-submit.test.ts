// Fault case 6 (POST /v1/actions): property-based fuzzing of the body, the headers and the query.
// Whatever arrives, the answer is never a 5xx, every refusal is a precise RFC 9457 problem body,
// and the service stays healthy. And whatever environment and resource a request claims, it is
// taken only when they are those of the target it would run on.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import {
  CORE_ENVIRONMENTS,
  CORE_POLICY,
  coreConfig,
  httpRequest,
  PRINCIPALS,
} from '../integration/core/fixtures.js';
import { type Harness, startHarness } from '../support/harness.js';
import { checkProperty, expectFieldRefused, poisonedBody } from './fuzz-support.js';
import { size } from './support.js';

let h: Harness;
let target: HttpTargetFake;

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
  });
}, 180_000);

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));
const valid = httpRequest({
  environment: 'staging',
  parameters: { method: 'POST', path: '/fuzz', body: {} },
});

/** Where the core world runs each action (coreConfig): the environments served, the resources held. */
const SERVED = {
  'http.config.update': {
    request: httpRequest({ parameters: { method: 'POST', path: '/claims', body: {} } }),
    environments: [...CORE_ENVIRONMENTS] as string[],
    holds: (r: string) => r.startsWith('admin-api:'),
  },
  'db.schema.migrate': {
    request: { ...httpRequest(), action: 'db.schema.migrate', parameters: { sql: 'SELECT 1' } },
    environments: ['production', 'dev'],
    holds: (r: string) =>
      r === 'postgres://analytics' ||
      r.startsWith('postgres://analytics/') ||
      r.startsWith('postgres://target/'),
  },
  'gate.deploy': {
    request: { ...httpRequest(), action: 'gate.deploy', parameters: { image: 'api:1' } },
    environments: ['production', 'staging', 'dev'],
    holds: (r: string) => r.startsWith('k8s://'),
  },
} as const;

/** Claims near the truth (case, prefix and suffix slips) as well as arbitrary ones. */
const claimArb = fc.record({
  action: fc.constantFrom(...(Object.keys(SERVED) as (keyof typeof SERVED)[])),
  environment: fc.oneof(
    fc.constantFrom(...CORE_ENVIRONMENTS, 'qa', 'Production', 'prod', 'DEV', 'production.', 'dev-2'),
    fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/),
  ),
  resource: fc.oneof(
    fc.constantFrom(
      'admin-api:/config',
      'admin-api:',
      'Admin-api:/config',
      'admin-api',
      ' admin-api:/config',
      'postgres://analytics',
      'postgres://analytics/customers',
      'postgres://analyticsX',
      'postgres://target',
      'postgres://target/orders',
      'postgres://billing/invoices',
      'k8s://prod/api',
      'k8s:/prod/api',
      'K8S://prod/api',
    ),
    fc
      .tuple(fc.constantFrom('admin-api:', 'postgres://target/', 'k8s://', 'x:', ''), printable(30))
      .map(([prefix, rest]) => `${prefix}${rest}`)
      .filter((r) => r.length > 0),
  ),
});

/** A valid body with some fields dropped, replaced by arbitrary JSON, or extra fields added. */
const mutatedBody = fc
  .record({
    drop: fc.subarray(Object.keys(valid)),
    replace: fc.dictionary(
      fc.constantFrom(...Object.keys(valid), 'agent', 'diff', 'labels', 'callbackUrl', 'idempotencyKey'),
      fc.jsonValue({ maxDepth: 4 }),
      { maxKeys: 3 },
    ),
    extra: fc.dictionary(printable(20), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
  })
  .map(({ drop, replace, extra }) => {
    const body: Record<string, unknown> = { ...valid, ...replace };
    for (const k of drop) delete body[k];
    return JSON.stringify(Math.random() < 0.5 ? body : { ...body, ...extra });
  });

const bodyArb = fc.oneof(
  mutatedBody,
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }), // mostly malformed JSON
  fc.constant(''),
  fc.nat({ max: 60 }).map((d) => `${'['.repeat(d * 10)}${']'.repeat(d * 10)}`), // deep nesting
);

const requestArb = fc.record({
  body: bodyArb,
  contentType: fc.option(
    fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/merge-patch+json',
        'multipart/form-data; boundary=x',
      ),
      printable(40),
    ),
    { nil: undefined },
  ),
  auth: fc.oneof(
    { weight: 5, arbitrary: fc.constant('requester') },
    fc.constant('auditor'),
    fc.constant('none'),
    printable(80).map((s) => `Bearer ${s}`),
    printable(80),
  ),
  idempotencyKey: fc.option(printable(300), { nil: undefined }),
  query: fc.option(
    fc.oneof(
      fc.constantFrom(
        'wait=0',
        'wait=-1',
        'wait=61',
        'wait=abc',
        'wait=1.5',
        'wait=',
        'wait=%00',
        'wait=0&wait=0',
      ),
      fc
        .tuple(printable(10), printable(10))
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
    ),
    { nil: undefined },
  ),
});

describe('fault 6: fuzzing POST /v1/actions', () => {
  it('never answers 5xx and refuses with precise problem bodies', async (ctx) => {
    const statuses = new Map<number, number>();
    await checkProperty(
      ctx,
      fc.asyncProperty(requestArb, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        if (r.auth === 'requester') headers.authorization = `Bearer ${h.keys['ci@example.com']}`;
        else if (r.auth === 'auditor') headers.authorization = `Bearer ${h.keys['audit@example.com']}`;
        else if (r.auth !== 'none') headers.authorization = r.auth;
        if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
        const res = await fetch(`${h.url}/v1/actions${r.query ? `?${r.query}` : ''}`, {
          method: 'POST',
          headers,
          body: r.body,
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, text).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          const problem = JSON.parse(text);
          expect(problem.type).toMatch(/^urn:airlock:problem:[a-z-]+$/);
          expect(problem.status).toBe(res.status);
          expect(typeof problem.title).toBe('string');
          expect(typeof problem.detail).toBe('string');
          expect(problem.detail.length).toBeGreaterThan(0);
        } else {
          expect([200, 202]).toContain(res.status);
        }
      }),
      size(150, 2000),
    );
    // Both refusals and acceptances were exercised.
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
  }, 600_000);

  it('never takes an environment or resource that disagrees with the binding', async (ctx) => {
    let submittedHonest = 0;
    await checkProperty(
      ctx,
      fc.asyncProperty(claimArb, async ({ action, environment, resource }) => {
        const served = SERVED[action];
        const body = { ...served.request, environment, resource };
        const wrongField = !(served.environments as readonly string[]).includes(environment)
          ? 'environment'
          : served.holds(resource)
            ? undefined
            : 'resource';
        const what = `${action} ${JSON.stringify(environment)} ${JSON.stringify(resource)}`;
        // The dry run answers what submit would: the same binding check.
        const dry = await h.api('ci@example.com', '/v1/policy/evaluate', { body });
        expect(dry.status, what).toBe(200);
        expect(dry.body.refused?.field, what).toBe(wrongField);
        expect(dry.body.executor === null, what).toBe(wrongField !== undefined);
        if (wrongField !== undefined) {
          const before = target.calls.length;
          const res = await h.api('ci@example.com', '/v1/actions', { body });
          expect(res.status, what).toBe(400);
          expect(res.body, what).toMatchObject({
            type: 'urn:airlock:problem:target-mismatch',
            field: wrongField,
          });
          expect(target.calls.length, what).toBe(before);
        } else if (environment === 'production' && submittedHonest < 10) {
          // An honest production claim is taken (and waits for approval, so nothing runs).
          submittedHonest++;
          const res = await h.api('ci@example.com', '/v1/actions', { body });
          expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(202);
        }
      }),
      size(150, 1500),
    );
  }, 600_000);

  it('refuses a control character or lone surrogate in any string of the body with 400 naming it', async (ctx) => {
    // Every field a submit has, strings nested in parameters, and keys of the free-form maps.
    const full = httpRequest({
      environment: 'staging',
      parameters: { method: 'POST', path: '/fuzz', body: { note: 'n', list: ['a', { deep: 'b' }] } },
      agent: { name: 'deploy-bot', model: 'm-1', session: 's-1', onBehalfOf: 'dana@example.com' },
      diff: { before: 'old', after: 'new' },
      labels: { ticket: 'OPS-1' },
      callbackUrl: 'http://127.0.0.1:9/hook',
      idempotencyKey: 'fuzz-key',
    });
    const before = target.calls.length;
    await checkProperty(
      ctx,
      fc.asyncProperty(poisonedBody(full, ['parameters', 'labels']), async ({ body, field, bad }) => {
        const res = await fetch(`${h.url}/v1/actions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${h.keys['ci@example.com']}`,
          },
          body: JSON.stringify(body),
        });
        const what = `U+${bad.charCodeAt(0).toString(16).padStart(4, '0')} in ${JSON.stringify(field)}`;
        expectFieldRefused(res, await res.text(), field, what);
      }),
      size(150, 2000),
    );
    // Nothing was accepted, so nothing ran.
    expect(target.calls.length).toBe(before);
  }, 600_000);

  it('refuses a body over 256 KiB with 413 and a problem body', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({ parameters: { blob: 'x'.repeat(300 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toBe('urn:airlock:problem:body-too-large');
  });
});
