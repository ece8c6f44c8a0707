// http.request parameter checks: the approved call cannot leave the target's base URL and
// cannot override the target's own headers.
import { describe, expect, it } from 'vitest';
import type { HttpTarget } from '../../../config/types.js';
import { buildUrl, httpRequestExecutor } from '../../../executors/http-request.js';

const validate = (p: Record<string, unknown>, target?: HttpTarget) =>
  httpRequestExecutor.validate?.(p, target) ?? [];

describe('http.request validate', () => {
  it('accepts a plain call', () => {
    expect(
      validate({ method: 'POST', path: '/v1/users/42:disable', query: { a: 1 }, body: { x: 1 } }),
    ).toEqual([]);
  });

  it.each([
    ['relative', 'v1/users'],
    ['traversal', '/v1/../admin'],
    ['double slash', '//evil.example/x'],
    ['scheme', '/http://evil.example/'],
    ['userinfo', '/@evil.example'],
    ['backslash', '/\\evil.example'],
    ['encoded traversal', '/v1/%2e%2e/admin'],
    ['query in path', '/v1/users?admin=1'],
    ['whitespace', '/v1/ users'],
  ])('refuses a path with %s', (_what, path) => {
    expect(validate({ method: 'GET', path }).join()).toMatch(/^path: path /);
  });

  it('refuses unknown methods, unknown fields and a GET body', () => {
    expect(validate({ method: 'TRACE', path: '/' })).toHaveLength(1);
    expect(validate({ method: 'GET', path: '/', url: 'http://x' }).join()).toMatch(/url/);
    expect(validate({ method: 'GET', path: '/', body: 'x' }).join()).toMatch(
      /GET request cannot have a body/,
    );
  });

  it('refuses hop-by-hop, reserved and target headers', () => {
    const target: HttpTarget = {
      type: 'http',
      environment: 'production',
      resources: ['*'],
      baseUrl: 'http://127.0.0.1:1',
      headers: { 'X-Api-Key': 'k' },
      timeoutMs: 1000,
      maxResponseBytes: 100,
    };
    const problems = validate(
      {
        method: 'GET',
        path: '/',
        headers: { Connection: 'close', authorization: 'Bearer mine', 'x-api-key': 'x' },
      },
      target,
    );
    expect(problems.join('\n')).toMatch(/hop-by-hop header Connection/);
    expect(problems.join('\n')).toMatch(/header authorization may not be set/);
    expect(validate({ method: 'GET', path: '/', headers: { 'x-api-key': 'x' } }, target).join()).toMatch(
      /may not be overridden/,
    );
    expect(validate({ method: 'GET', path: '/', headers: { 'x-trace': 'a\r\nb' } }).join()).toMatch(/CR, LF/);
  });
});

describe('buildUrl', () => {
  it('joins base path and path, appends query', () => {
    expect(
      buildUrl('https://api.example/base/', { path: '/v1/x', query: { a: ['1', 2], b: true } }).href,
    ).toBe('https://api.example/base/v1/x?a=1&a=2&b=true');
  });
});
