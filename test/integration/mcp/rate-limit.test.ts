// The MCP gateway spends the same per-principal writes budget as REST submits: a burst of POSTs
// to /mcp past the limit is answered 429 with Retry-After before any body is read, and the
// exhausted budget is the principal's on /v1 too (one limiter, not one per protocol).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { MCP_POLICY, MCP_PRINCIPALS, mcpConfig } from './fixtures.js';

const WRITES = 5;

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: MCP_POLICY,
    config: mcpConfig(target.url),
    principals: MCP_PRINCIPALS,
    env: { AIRLOCK_RATE_LIMIT_WRITES: `${WRITES}/1m` },
  });
});

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const initialize = (principal: string) =>
  fetch(`${h.url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${h.keys[principal]}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'burst', version: '0' },
      },
    }),
  });

describe('MCP gateway: rate limit', () => {
  it('answers a burst of POSTs beyond the writes budget with 429 and Retry-After', async () => {
    const answers = [];
    for (let i = 0; i < WRITES + 3; i++) answers.push(await initialize('agent@example.com'));
    const statuses = answers.map((r) => r.status);
    expect(statuses.slice(0, WRITES)).toEqual(Array(WRITES).fill(200));
    expect(statuses.slice(WRITES)).toEqual([429, 429, 429]);

    const limited = answers[WRITES]!;
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await limited.json()) as { status: number; retryAfter: number; detail: string };
    expect(problem).toMatchObject({ status: 429, retryAfter });
    expect(problem.detail).toContain('writes');

    // The same bucket as REST submits: switching protocol does not buy a fresh budget.
    const rest = await h.api('agent@example.com', '/v1/actions', {
      body: { action: 'http.echo', resource: 'echo:/echo', environment: 'dev', parameters: {} },
    });
    expect(rest.status).toBe(429);
    expect(rest.headers.get('retry-after')).not.toBeNull();

    // Another principal's budget is untouched.
    expect((await initialize('other-agent@example.com')).status).toBe(200);
  });
});
