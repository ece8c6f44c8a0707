// problemMiddleware over real HTTP: body-parser failures, zod errors, ProblemErrors, and 500s that hide details.
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { notFoundHandler, PROBLEM, ProblemError, problemMiddleware } from '../../../api/problem.js';
import { type Listening, listen } from './listen.js';

const bodySchema = z.strictObject({
  action: z.string(),
  parameters: z.strictObject({ sql: z.string().min(1, 'must not be empty') }),
});

describe('problemMiddleware', () => {
  let server: Listening;
  const logged: unknown[] = [];

  beforeAll(async () => {
    const app = express();
    app.use(express.json({ limit: 200 }));
    app.post('/v1/echo', (req, res) => {
      res.json(bodySchema.parse(req.body));
    });
    app.get('/v1/boom', () => {
      throw new Error('connection to postgres://admin:hunter2@db failed');
    });
    app.get('/v1/async-boom', async () => {
      await Promise.resolve();
      throw new TypeError('Cannot read properties of undefined (reading hunter2)');
    });
    app.get('/v1/refused', () => {
      throw new ProblemError({
        status: 409,
        type: PROBLEM.alreadyDecided,
        title: 'Already decided',
        detail: 'the request was approved by dana@example.com',
        extra: { code: 'already_decided', status: 'not-overridden' },
        headers: { 'Retry-After': '5' },
      });
    });
    app.use(notFoundHandler());
    app.use(problemMiddleware({ log: (err) => logged.push(err) }));
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
  });

  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${server.url}/v1/echo?token=abc`, { method: 'POST', body, headers });

  it('answers a valid request normally', async () => {
    const res = await post(JSON.stringify({ action: 'db.schema.migrate', parameters: { sql: 'select 1' } }));
    expect(res.status).toBe(200);
  });

  it('maps a too-large body to 413 body-too-large', async () => {
    const res = await post(JSON.stringify({ action: 'x'.repeat(500), parameters: { sql: 'select 1' } }));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toEqual({
      type: PROBLEM.bodyTooLarge,
      title: 'Body too large',
      status: 413,
      detail: 'the request body is too large',
      instance: '/v1/echo',
    });
  });

  it('maps malformed JSON to 400 malformed-json without echoing the parser message', async () => {
    const res = await post('{"action": ');
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ type: PROBLEM.malformedJson, status: 400, instance: '/v1/echo' });
    expect(JSON.stringify(body)).not.toMatch(/Unexpected|position/);
  });

  it('maps an unsupported charset to 415', async () => {
    const res = await post('{}', { 'content-type': 'application/json; charset=iso-8859-1' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { type: string }).type).toBe(PROBLEM.unsupportedMediaType);
  });

  it('maps a zod unknown key to 400 unknown-field naming the key', async () => {
    const res = await post(JSON.stringify({ action: 'a', parameters: { sql: 'select 1', sqll: 'x' } }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: PROBLEM.unknownField,
      field: 'parameters.sqll',
      detail: 'parameters.sqll: unknown field',
      errors: [{ field: 'parameters.sqll', detail: 'unknown field' }],
    });
  });

  it('maps other zod errors to 400 invalid-body with one entry per field', async () => {
    const res = await post(JSON.stringify({ parameters: { sql: '' } }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: PROBLEM.invalidBody,
      field: 'action',
      errors: [
        { field: 'action', detail: 'is required' },
        { field: 'parameters.sql', detail: 'must not be empty' },
      ],
    });
  });

  it('turns an unexpected error into a generic 500 and logs the error instead', async () => {
    for (const path of ['/v1/boom', '/v1/async-boom']) {
      logged.length = 0;
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        type: PROBLEM.internal,
        title: 'Internal error',
        status: 500,
        detail: 'an unexpected error occurred; it has been logged',
        instance: path,
      });
      expect(text).not.toMatch(/hunter2|postgres|Cannot read|at /);
      expect(logged).toHaveLength(1);
      expect(String(logged[0])).toContain('hunter2');
    }
  });

  it('writes a ProblemError with its extensions and headers, never letting extensions replace standard members', async () => {
    const res = await fetch(`${server.url}/v1/refused`);
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({
      code: 'already_decided',
      type: PROBLEM.alreadyDecided,
      title: 'Already decided',
      status: 409,
      detail: 'the request was approved by dana@example.com',
      instance: '/v1/refused',
    });
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await fetch(`${server.url}/v2/nothing?x=1`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: PROBLEM.notFound, status: 404, instance: '/v2/nothing' });
  });
});
