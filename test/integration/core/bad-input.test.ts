// Bad input over real HTTP against the real service (Temporal dev server, PostgreSQL): every
// refusal is a precise RFC 9457 application/problem+json answer with the right status, a stable
// `type` and the offending `field` where there is one; never a 500, never a stack trace.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from './fixtures.js';

let h: Harness;

beforeAll(async () => {
  // Nothing here is ever approved, so the targets are never contacted.
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig('http://127.0.0.1:9', 'postgres://nobody:nothing@127.0.0.1:9/none'),
    principals: PRINCIPALS,
  });
});

afterAll(async () => {
  await h?.stop();
});

const P = 'urn:airlock:problem:';

type Res = Awaited<ReturnType<Harness['api']>>;

/** Asserts an RFC 9457 problem: status, content type, stable type, field, and nothing leaked. */
function expectProblem(res: Res, status: number, type: string, field?: string): Record<string, unknown> {
  const body = res.body as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json\b/);
  expect(typeof body).toBe('object');
  expect(body.type).toBe(`${P}${type}`);
  expect(body.status).toBe(status);
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect((body.detail as string).length).toBeGreaterThan(0);
  expect(typeof body.instance).toBe('string');
  if (field === undefined) expect(body).not.toHaveProperty('field');
  else expect(body.field).toBe(field);
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/\n\s+at |\bat [^ ]+ \(|node_modules|\.[jt]s:\d+/);
  expect(text).not.toMatch(/SyntaxError|ZodError|TypeError/);
  return body;
}

const submit = (body: unknown, headers: Record<string, string> = {}, query = '') =>
  h.api('ci@example.com', `/v1/actions${query}`, { method: 'POST', body, headers });

const without = (key: string) => {
  const body: Record<string, unknown> = httpRequest();
  delete body[key];
  return body;
};

describe('bad request bodies', () => {
  it('malformed JSON: 400 malformed-json', async () => {
    const res = await submit('{"action": "http.config.update", "resource": ');
    const body = expectProblem(res, 400, 'malformed-json');
    expect(body.instance).toBe('/v1/actions');
  });

  it('a JSON scalar instead of an object: 400, not a 500', async () => {
    expectProblem(await submit('"just a string"'), 400, 'malformed-json');
  });

  it('a JSON array instead of an object: 400 invalid-body', async () => {
    expectProblem(await submit([httpRequest()]), 400, 'invalid-body', '(body)');
  });

  it('an unknown top-level field: 400 unknown-field naming it', async () => {
    const body = expectProblem(
      await submit(httpRequest({ requester: 'root@example.com' })),
      400,
      'unknown-field',
      'requester',
    );
    expect(body.detail).toContain('requester');
    expect(body.errors).toEqual(expect.arrayContaining([{ field: 'requester', detail: 'unknown field' }]));
  });

  it('an unknown field inside agent: 400 unknown-field with its path', async () => {
    expectProblem(
      await submit(httpRequest({ agent: { name: 'bot', role: 'admin' } })),
      400,
      'unknown-field',
      'agent.role',
    );
  });

  it('a body over 256 KiB: 413 body-too-large', async () => {
    const big = JSON.stringify(
      httpRequest({ parameters: { method: 'POST', path: '/x', body: { blob: 'a'.repeat(300 * 1024) } } }),
    );
    expect(big.length).toBeGreaterThan(256 * 1024);
    expectProblem(await submit(big), 413, 'body-too-large');
  });

  it('a chunked body over 256 KiB (no Content-Length): 413 body-too-large', async () => {
    const chunk = new TextEncoder().encode('a'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0)
          controller.enqueue(new TextEncoder().encode('{"action":"http.x","parameters":{"b":"'));
        if (sent >= 5) {
          controller.enqueue(new TextEncoder().encode('"}}'));
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        sent++;
      },
    });
    const res = await fetch(`${h.url}/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.keys['ci@example.com']}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    const text = await res.text();
    expectProblem(
      { status: res.status, headers: res.headers, body: JSON.parse(text) },
      413,
      'body-too-large',
    );
  });

  it('a string longer than the bound inside parameters: 400 naming it', async () => {
    const body = expectProblem(
      await submit(httpRequest({ parameters: { method: 'POST', path: '/x', body: 'b'.repeat(70 * 1024) } })),
      400,
      'invalid-body',
      'parameters.body',
    );
    expect(body.detail).toMatch(/longer than/);
  });

  it('parameters nested too deeply: 400 naming the branch', async () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const body = expectProblem(
      await submit(httpRequest({ parameters: { method: 'POST', path: '/x', body: deep } })),
      400,
      'invalid-body',
      'parameters.body',
    );
    expect(body.detail).toMatch(/nested deeper/);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['parameters is a string', { parameters: 'x' }, 'parameters', /mapping|object|record/i],
    ['parameters is a list', { parameters: [1, 2] }, 'parameters', /mapping|object|record/i],
    ['action is a number', { action: 5 }, 'action', /string/],
    ['resource is null', { resource: null }, 'resource', /string/],
    ['environment is a boolean', { environment: true }, 'environment', /string/],
    ['justification is a number', { justification: 42 }, 'justification', /string/],
    ['agent is a string', { agent: 'bot' }, 'agent', /mapping|object/],
    ['agent.name is a number', { agent: { name: 7 } }, 'agent.name', /string/],
    ['a label value is a number', { labels: { ticket: 42 } }, 'labels.ticket', /string/],
    ['callbackUrl is not a URL', { callbackUrl: 'not a url' }, 'callbackUrl', /url/i],
    ['callbackUrl is ftp', { callbackUrl: 'ftp://127.0.0.1/x' }, 'callbackUrl', /url|protocol/i],
    ['action is not dotted lower-case', { action: 'Http Request' }, 'action', /dotted/],
    ['environment has a quote', { environment: "prod'" }, 'environment', /letters/],
    ['diff has the wrong shape', { diff: { patch: 'x' } }, 'diff', /.+/],
    ['idempotencyKey is empty', { idempotencyKey: '' }, 'idempotencyKey', /.+/],
  ])('wrong type or shape: %s -> 400 naming %s', async (_what, override, field, detail) => {
    const body = expectProblem(await submit(httpRequest(override)), 400, 'invalid-body', field);
    expect(body.detail).toMatch(detail);
    expect(body.detail as string).toContain(field);
  });

  it.each(['action', 'resource', 'environment', 'parameters'])(
    'missing required field %s: 400 "is required"',
    async (field) => {
      const body = expectProblem(await submit(without(field)), 400, 'invalid-body', field);
      expect(body.detail).toBe(`${field}: is required`);
    },
  );

  it('an empty object lists every missing required field', async () => {
    const body = expectProblem(await submit({}), 400, 'invalid-body', 'action');
    const fields = (body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['action', 'environment', 'parameters', 'resource']);
  });

  it('an unknown action type: 400 unknown-action on field action', async () => {
    const body = expectProblem(
      await submit(httpRequest({ action: 'nuke.everything' })),
      400,
      'unknown-action',
      'action',
    );
    expect(body.detail).toContain('nuke.everything');
  });

  it.each([
    ['path traversal', { method: 'POST', path: '/../x' }, /\.\./],
    ['encoded traversal', { method: 'POST', path: '/%2e%2e/x' }, /encoded/],
    ['an absolute URL', { method: 'GET', path: 'http://evil.example.com/' }, /start with/],
    ['a method that is not allowed', { method: 'TRACE', path: '/x' }, /method/],
    ['a reserved header', { method: 'POST', path: '/x', headers: { Authorization: 'Bearer x' } }, /header/],
  ])('invalid http.request parameters (%s): 400 on field parameters', async (_what, parameters, detail) => {
    const body = expectProblem(await submit(httpRequest({ parameters })), 400, 'invalid-body', 'parameters');
    expect(body.detail).toMatch(detail);
  });

  it.each([
    [
      'switches its timeout off',
      'SET LOCAL statement_timeout = 0; SELECT pg_sleep(5)',
      /statement 1 changes statement_timeout/,
    ],
    ['calls set_config', "SELECT set_config('statement_timeout', '0', true)", /statement 1 calls set_config/],
    ['does not parse', 'SELEKT 1', /does not parse: syntax error at or near "SELEKT"/],
  ])('postgres.sql that %s: 400 on field parameters, before anyone is asked', async (_what, sql, detail) => {
    const body = expectProblem(
      await submit(
        httpRequest({
          action: 'db.schema.migrate',
          resource: 'postgres://analytics/items',
          parameters: { sql },
        }),
      ),
      400,
      'invalid-body',
      'parameters',
    );
    expect(body.detail).toMatch(detail);
  });

  it('a callbackUrl the service does not allow: 400 on field callbackUrl', async () => {
    expectProblem(
      await submit(httpRequest({ callbackUrl: 'https://attacker.example.com/hook' })),
      400,
      'invalid-body',
      'callbackUrl',
    );
  });

  it.each([
    'http://127.0.0.1:1@2130706433:8080/x',
    'http://127.0.0.1@evil.example.com/x',
    'http://user:secret@127.0.0.1:8080/x',
    'http://@127.0.0.1:8080/x',
    'http://127.0.0.1.evil.example.com:8080/x',
  ])('a callbackUrl that only looks allowed (%s): 400 on field callbackUrl', async (callbackUrl) => {
    const body = expectProblem(
      await submit(httpRequest({ callbackUrl })),
      400,
      'invalid-body',
      'callbackUrl',
    );
    expect(body.detail).not.toContain('secret');
  });

  it('a justification too short for the production rule: 400 on field justification', async () => {
    const body = expectProblem(
      await submit(httpRequest({ justification: 'because' })),
      400,
      'invalid-body',
      'justification',
    );
    expect(body.detail).toMatch(/production/);
    expect(body.detail).toMatch(/10/);
  });

  it('a missing justification where production requires one: 400 on field justification', async () => {
    expectProblem(await submit(without('justification')), 400, 'invalid-body', 'justification');
  });

  it('a justification of only spaces does not count: 400', async () => {
    expectProblem(
      await submit(httpRequest({ justification: '              ' })),
      400,
      'invalid-body',
      'justification',
    );
  });

  it('conflicting Idempotency-Key header and body field: 400 on field idempotencyKey', async () => {
    expectProblem(
      await submit(httpRequest({ idempotencyKey: 'body-key' }), { 'idempotency-key': 'header-key' }),
      400,
      'invalid-body',
      'idempotencyKey',
    );
  });

  it.each([
    ['text/plain', JSON.stringify(httpRequest())],
    ['application/x-www-form-urlencoded', 'action=http.config.update'],
    ['application/xml', '<action/>'],
  ])('a %s body: 415 unsupported-media-type', async (contentType, raw) => {
    expectProblem(await submit(raw, { 'content-type': contentType }), 415, 'unsupported-media-type');
  });

  it('a decision body with an unknown verb: 400 on field decision', async () => {
    expectProblem(
      await h.api('dana@example.com', `/v1/actions/${randomUUID()}/decisions`, {
        body: { decision: 'maybe' },
      }),
      400,
      'invalid-body',
      'decision',
    );
  });
});

describe('authentication and authorization', () => {
  it('no credentials: 401 with WWW-Authenticate', async () => {
    const res = await h.api(undefined, '/v1/actions');
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="airlock"/);
  });

  it('no credentials on a submit: 401, nothing started', async () => {
    const res = await h.api(undefined, '/v1/actions', { body: httpRequest() });
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('a wrong key: 401 invalid_token', async () => {
    const res = await h.api(undefined, '/v1/actions', {
      headers: { authorization: 'Bearer airlock_test_not-a-real-key' },
    });
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('a wrong X-API-Key: 401', async () => {
    const res = await h.api(undefined, '/v1/actions', { headers: { 'x-api-key': 'nope' } });
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('a requester calling decisions: 403 forbidden', async () => {
    const body = expectProblem(
      await h.api('ci@example.com', `/v1/actions/${randomUUID()}/decisions`, {
        body: { decision: 'approve' },
      }),
      403,
      'forbidden',
    );
    expect(body.detail).toMatch(/approver/);
  });

  it('an approver-only principal submitting: 403 forbidden', async () => {
    expectProblem(
      await h.api('outsider@example.com', '/v1/actions', { body: httpRequest() }),
      403,
      'forbidden',
    );
  });

  it('a requester reading the audit trail: 403 forbidden', async () => {
    expectProblem(await h.api('ci@example.com', `/v1/actions/${randomUUID()}/audit`), 403, 'forbidden');
  });
});

describe('ids, queries and routes', () => {
  it('an unknown request id: 404 not-found', async () => {
    const id = randomUUID();
    const body = expectProblem(await h.api('audit@example.com', `/v1/actions/${id}`), 404, 'not-found');
    expect(body.instance).toBe(`/v1/actions/${id}`);
  });

  it('a decision on an unknown request id: 404 not-found', async () => {
    expectProblem(
      await h.api('dana@example.com', `/v1/actions/${randomUUID()}/decisions`, {
        body: { decision: 'approve' },
      }),
      404,
      'not-found',
    );
  });

  it('a cancel of an unknown request id: 404 not-found', async () => {
    expectProblem(
      await h.api('ci@example.com', `/v1/actions/${randomUUID()}/cancel`, { body: {} }),
      404,
      'not-found',
    );
  });

  it.each(['not-an-id', '12345', `${randomUUID()}x`, 'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ'])(
    'a malformed id (%s): 400 on field id',
    async (id) => {
      expectProblem(await h.api('audit@example.com', `/v1/actions/${id}`), 400, 'invalid-body', 'id');
    },
  );

  it.each(['61', '-1', '1.5', 'soon'])('?wait=%s: 400 on field wait', async (wait) => {
    expectProblem(await submit(httpRequest(), {}, `?wait=${wait}`), 400, 'invalid-body', 'wait');
  });

  it('an unknown query parameter on submit: 400 unknown-field', async () => {
    expectProblem(await submit(httpRequest(), {}, '?wiat=5'), 400, 'unknown-field', 'wiat');
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['status=pending%27%20OR%201%3D1', 'status'],
  ])('list with %s: 400 on field %s', async (query, field) => {
    expectProblem(await h.api('audit@example.com', `/v1/actions?${query}`), 400, 'invalid-body', field);
  });

  it('list with a garbage cursor: a 400, not a Temporal failure', async () => {
    expectProblem(
      await h.api('audit@example.com', '/v1/actions?cursor=bm90LWEtcmVhbC10b2tlbg'),
      400,
      'invalid-body',
      'cursor',
    );
  });

  it.each([
    ['GET', '/nope'],
    ['GET', '/v1/nope'],
    ['DELETE', '/v1/actions'],
    ['POST', '/v2/actions'],
  ])('unknown route %s %s: 404 problem', async (method, path) => {
    const res = await h.api('audit@example.com', path, { method });
    const body = expectProblem(res, 404, 'not-found');
    expect(body.instance).toBe(path);
  });
});

describe('after all of that', () => {
  it('the service still answers /healthz 200', async () => {
    const res = await h.api(undefined, '/healthz');
    expect(res.status).toBe(200);
  });

  it('and still accepts a good request', async () => {
    const res = await submit(httpRequest({ parameters: { method: 'POST', path: '/ok', body: { n: 1 } } }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
