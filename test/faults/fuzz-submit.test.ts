// Fault case 6 (POST /v1/actions): property-based fuzzing of the body, the headers and the query.
// Whatever arrives, the answer is never a 5xx, every refusal is a precise RFC 9457 problem body,
// and the service stays healthy.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { type Harness, startHarness } from '../support/harness.js';
import { checkProperty } from './fuzz-support.js';
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

  it('refuses a body over 256 KiB with 413 and a problem body', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({ parameters: { blob: 'x'.repeat(300 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toBe('urn:airlock:problem:body-too-large');
  });
});
