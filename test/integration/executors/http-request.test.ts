// http.request against a real local HTTP server: secret headers and Idempotency-Key sent,
// retries deduplicated, 4xx final, 5xx/timeouts retryable, bounded bodies, secrets never echoed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpTarget } from '../../../config/types.js';
import { httpRequestExecutor } from '../../../executors/http-request.js';
import { type ExecutionContext, ExecutorError } from '../../../executors/types.js';
import { type HttpTargetFake, startHttpTarget } from '../../fakes/http-target.js';

const SECRET = 'sk_live_9f86d081884c7d659a2feaa0c55ad015';
let fake: HttpTargetFake;
let target: HttpTarget;

beforeEach(async () => {
  fake = await startHttpTarget();
  target = {
    type: 'http',
    environment: 'production',
    resources: ['api:{path}'],
    baseUrl: `${fake.url}/api`,
    headers: { Authorization: `Bearer ${SECRET}`, 'X-Tenant-Secret': 'tenant-secret-42' },
    timeoutMs: 2000,
    maxResponseBytes: 64,
  };
});
afterEach(() => fake.close());

function ctx(parameters: Record<string, unknown>, requestId = 'req-http-1'): ExecutionContext {
  return {
    requestId,
    idempotencyKey: requestId,
    action: 'http.call',
    parameters,
    parametersHash: 'h',
    requester: 'ci@example.com',
    target,
  };
}

async function thrown(p: Promise<unknown>): Promise<ExecutorError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExecutorError);
  return err as ExecutorError;
}

describe('http.request', () => {
  it('sends method, path, query, body, the secret headers and the Idempotency-Key', async () => {
    const r = await httpRequestExecutor.execute(
      ctx({
        method: 'POST',
        path: '/v1/users/42',
        query: { notify: true },
        headers: { 'X-Trace': 't1' },
        body: { a: 1 },
      }),
    );
    expect(r.ok).toBe(true);
    expect(r.output?.status).toBe(200);
    expect(r.output?.contentType).toBe('application/json');
    const call = fake.calls[0];
    expect(call?.method).toBe('POST');
    expect(call?.path).toBe('/api/v1/users/42?notify=true');
    expect(call?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(call?.headers['x-tenant-secret']).toBe('tenant-secret-42');
    expect(call?.headers['idempotency-key']).toBe('req-http-1');
    expect(call?.headers['x-trace']).toBe('t1');
    expect(call?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call?.body ?? '')).toEqual({ a: 1 });
  });

  it('a call retried after a 503 has exactly one side effect', async () => {
    fake.failNext(1);
    const e = await thrown(
      httpRequestExecutor.execute(ctx({ method: 'POST', path: '/v1/charge', body: 'x' })),
    );
    expect(e.retryable).toBe(true);
    expect(e.type).toBe('http_5xx');
    expect(fake.sideEffects()).toBe(0);
    const second = await httpRequestExecutor.execute(ctx({ method: 'POST', path: '/v1/charge', body: 'x' }));
    // A worker crash after the target answered: the activity runs once more.
    const third = await httpRequestExecutor.execute(ctx({ method: 'POST', path: '/v1/charge', body: 'x' }));
    expect(second.ok && third.ok).toBe(true);
    expect(third.output?.body).toBe(second.output?.body);
    expect(fake.calls.map((c) => c.outcome)).toEqual(['failed', 'handled', 'replayed']);
    expect(fake.sideEffects()).toBe(1);
  });

  it('a 4xx is a final failed result, not an error', async () => {
    fake.respondWith(() => ({
      status: 404,
      body: 'no such user',
      headers: { 'content-type': 'text/plain' },
    }));
    const r = await httpRequestExecutor.execute(ctx({ method: 'DELETE', path: '/v1/users/7' }));
    expect(r.ok).toBe(false);
    expect(r.error?.type).toBe('http_status');
    expect(r.output).toMatchObject({ status: 404, body: 'no such user', truncated: false });
  });

  it('a 3xx is not followed', async () => {
    fake.respondWith(() => ({ status: 302, body: '', headers: { location: 'http://169.254.169.254/' } }));
    const r = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/v1/x' }));
    expect(r.ok).toBe(false);
    expect(r.output?.status).toBe(302);
    expect(fake.calls).toHaveLength(1);
  });

  it('a 5xx throws a retryable error', async () => {
    fake.respondWith(() => ({ status: 500, body: 'boom' }));
    const e = await thrown(httpRequestExecutor.execute(ctx({ method: 'GET', path: '/v1/x' })));
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/500/);
  });

  it('a network error and a timeout throw retryable errors', async () => {
    fake.hangNext(1);
    target.timeoutMs = 200;
    const started = Date.now();
    const timeout = await thrown(httpRequestExecutor.execute(ctx({ method: 'GET', path: '/slow' })));
    expect(timeout).toMatchObject({ type: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(1500);
    await fake.close();
    const down = await thrown(httpRequestExecutor.execute(ctx({ method: 'GET', path: '/x' })));
    expect(down).toMatchObject({ type: 'transport_error', retryable: true });
  });

  it('bounds the body to maxResponseBytes, keeping whole UTF-8 characters', async () => {
    fake.respondWith(() => ({ status: 200, body: `${'a'.repeat(63)}é${'b'.repeat(5000)}` }));
    const r = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/big' }));
    expect(r.output?.truncated).toBe(true);
    expect(r.output?.body).toBe('a'.repeat(63));
    fake.respondWith(() => ({ status: 200, body: 'small' }));
    const s = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/small' }, 'req-http-2'));
    expect(s.output).toMatchObject({ body: 'small', truncated: false });
  });

  it('never returns the target header values, even when the target echoes them', async () => {
    target.maxResponseBytes = 10_000;
    fake.respondWith((call) => ({ status: 200, body: JSON.stringify(call.headers) }));
    const r = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/echo' }));
    const text = JSON.stringify(r);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('tenant-secret-42');

    fake.respondWith((call) => ({ status: 400, body: `bad auth ${call.headers.authorization}` }));
    const bad = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/echo' }, 'req-http-3'));
    expect(JSON.stringify(bad)).not.toContain(SECRET);

    // A secret cut by the size limit is still redacted whole.
    target.maxResponseBytes = 20;
    fake.respondWith(() => ({ status: 200, body: `0123456789${SECRET}` }));
    const cut = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/echo' }, 'req-http-4'));
    expect(cut.output?.body).toBe('0123456789[redacted]');
    expect(JSON.stringify(cut)).not.toContain(SECRET.slice(0, 8));
  });

  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const escaped = (text: string) =>
    [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  it.each([
    ['base64', (h: string) => b64(h)],
    ['base64 of the header line', (h: string) => b64(`authorization: ${h}`)],
    [
      'base64 of all headers as JSON',
      (h: string) => b64(JSON.stringify({ accept: '*/*', authorization: h })),
    ],
    ['url-safe base64', (h: string) => Buffer.from(h).toString('base64url')],
    ['hex', (h: string) => Buffer.from(h).toString('hex')],
    ['upper-case hex', (h: string) => Buffer.from(h).toString('hex').toUpperCase()],
    ['upper case', (h: string) => h.toUpperCase()],
    ['lower case', (h: string) => h.toLowerCase()],
    ['JSON \\u escapes', (h: string) => `{"auth":"${escaped(h)}"}`],
    ['some \\u escapes', (h: string) => h.replace(/[a-f]/g, (c) => escaped(c))],
    ['percent-encoding', (h: string) => encodeURIComponent(h)],
    [
      'percent-encoding of every byte',
      (h: string) => [...Buffer.from(h)].map((b) => `%${b.toString(16)}`).join(''),
    ],
  ])('never returns a secret header echoed as %s', async (_how, encode) => {
    target.maxResponseBytes = 10_000;
    fake.respondWith((call) => ({
      status: 200,
      body: `echo: ${encode(String(call.headers.authorization))} / ${encode(String(call.headers['x-tenant-secret']))}`,
    }));
    const r = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/echo' }));
    const body = String(r.output?.body);
    expect(body).toMatch(/^echo: .*\[redacted\].* \/ .*\[redacted\]/);
    for (const secret of [SECRET, 'tenant-secret-42']) {
      const decoded = [
        body,
        ...body.split(/[^A-Za-z0-9+/=_-]+/).map((w) => Buffer.from(w, 'base64').toString('latin1')),
      ];
      const plain = decoded.join(' ').toLowerCase();
      expect(plain).not.toContain(secret.slice(4, -4).toLowerCase());
      expect(decodeURIComponent(JSON.parse(`"${body.replace(/"/g, '\\"')}"`)).toLowerCase()).not.toContain(
        secret.slice(4, -4).toLowerCase(),
      );
      expect(body.toLowerCase()).not.toContain(Buffer.from(secret).toString('hex').slice(8, -8));
    }
  });

  it('redacts the user:password of Basic credentials, decoded or not', async () => {
    target.headers = { Authorization: `Basic ${b64('svc-user:Pa55-w0rd-long')}` };
    target.maxResponseBytes = 10_000;
    fake.respondWith(() => ({
      status: 200,
      body: 'as sent: svc-user:Pa55-w0rd-long, password pa55-w0rd-long, re-encoded c3ZjLXVzZXI6UGE1NS13MHJkLWxvbmc=',
    }));
    const r = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/echo' }));
    expect(r.output?.body).toBe('as sent: [redacted], password [redacted], re-encoded [redacted]');
  });

  it('returns only the status and the size when the target withholds its bodies', async () => {
    target.returnBody = false;
    fake.respondWith((call) => ({
      status: 200,
      body: `${b64(String(call.headers.authorization))}${'x'.repeat(5000)}`,
    }));
    const r = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/echo' }));
    expect(r).toEqual({
      ok: true,
      output: {
        status: 200,
        bodyBytes: b64(`Bearer ${SECRET}`).length + 5000,
        truncated: false,
        bodyWithheld: true,
      },
    });
    fake.respondWith(() => ({ status: 404, body: 'no such thing' }));
    const missing = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/gone' }, 'req-http-5'));
    expect(missing).toMatchObject({
      ok: false,
      error: { type: 'http_status' },
      output: { status: 404, bodyBytes: 13 },
    });
    expect(missing.output).not.toHaveProperty('body');
  });

  it('refuses invalid parameters at execution too, without calling the target', async () => {
    const r = await httpRequestExecutor.execute(ctx({ method: 'GET', path: '/a/../../admin' }));
    expect(r).toMatchObject({ ok: false, error: { type: 'invalid_parameters' } });
    const clash = await httpRequestExecutor.execute(
      ctx({ method: 'GET', path: '/a', headers: { 'x-tenant-secret': 'mine' } }),
    );
    expect(clash).toMatchObject({ ok: false, error: { type: 'invalid_parameters' } });
    expect(fake.calls).toHaveLength(0);
  });
});
