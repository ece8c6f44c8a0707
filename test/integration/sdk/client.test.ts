// The SDK against the real service: its committed types are what /openapi.json generates, the
// client walks gate mode and an approval end to end, waits by long poll, and refusals arrive as
// typed problems.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPES_FILE, typesFor } from '../../../sdk/generate.js';
import { AirlockClient, AirlockProblem, AirlockUnreachable, isSettled } from '../../../sdk/index.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { SDK_POLICY, SDK_PRINCIPALS, sdkConfig } from './fixtures.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
const client = (principal: string, fetch?: typeof globalThis.fetch) =>
  new AirlockClient({ baseUrl: h.url, token: h.keys[principal], ...(fetch ? { fetch } : {}) });

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({ policy: SDK_POLICY, config: sdkConfig(target.url), principals: SDK_PRINCIPALS });
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

const deploy = (environment: string, image: string) => ({
  action: 'gate.deploy',
  resource: 'k8s://prod/api',
  environment,
  justification: 'deploy the release',
  parameters: { image },
});

it('the committed types are what the live /openapi.json generates (npx tsx sdk/generate.ts)', async () => {
  const live = (await h.api(undefined, '/openapi.json')).body as Record<string, unknown>;
  expect(await typesFor(live)).toBe(readFileSync(TYPES_FILE, 'utf8'));
});

describe('the client', () => {
  it('gate mode: submit with wait, redeem the token, complete, read the outcome', async () => {
    const ci = client('ci@example.com');
    const submitted = await ci.submit(deploy('dev', 'api:1'), { wait: 30 });
    expect(submitted.status).toBe('approved');
    const approved = await ci.waitFor(submitted.id);
    expect(approved.approvalToken).toMatch(/^v2\./);
    const redeemed = await ci.redeem(approved.id, {
      token: approved.approvalToken!,
      parametersHash: approved.parametersHash,
    });
    expect(redeemed.status).toBe('executing');
    await ci.complete(approved.id, { outcome: 'succeeded', details: { exitCode: 0 } });
    const done = await ci.waitFor(approved.id, { timeoutSeconds: 30 });
    expect(done.status).toBe('succeeded');
    // The second redeem is a typed 409.
    const again = await ci.redeem(approved.id, { token: approved.approvalToken! }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AirlockProblem);
    expect((again as AirlockProblem).status).toBe(409);
  });

  it('waitFor long-polls until an approver decides, without a busy loop', async () => {
    let gets = 0;
    const counting: typeof fetch = (input, init) => {
      if (input instanceof Request && input.method === 'GET') gets++;
      return fetch(input, init);
    };
    const ci = client('ci@example.com', counting);
    const { id } = await ci.submit(deploy('production', 'api:2'));
    // Before anyone decides, a bounded wait returns the request as it stands.
    const pending = await ci.waitFor(id, { timeoutSeconds: 1 });
    expect(pending.status).toBe('pending_approval');
    expect(isSettled(pending)).toBe(false);
    expect(pending.stage?.approvers).toEqual(['dba']);
    gets = 0;
    const updates: string[] = [];
    const waiting = ci.waitFor(id, { onUpdate: (a) => updates.push(a.status) });
    const decision = await client('dana@example.com').approve(id, 'looks right');
    expect(decision).toMatchObject({ id, approvals: 1, needed: 1 });
    const approved = await waiting;
    expect(approved.status).toBe('approved');
    expect(approved.decidedBy).toBe('dana@example.com');
    // One held GET answered the approval (two if the first was already on its way out).
    expect(gets).toBeLessThanOrEqual(2);
    expect(updates.at(-1)).toBe('approved');
  });

  it('cancel and deny', async () => {
    const ci = client('ci@example.com');
    const first = await ci.submit(deploy('production', 'api:3'));
    expect((await ci.cancel(first.id, { reason: 'not today' })).status).toBe('cancelled');
    const second = await ci.submit(deploy('production', 'api:4'));
    await ci.waitFor(second.id, { timeoutSeconds: 1 });
    await client('dana@example.com').deny(second.id, 'wrong image');
    const denied = await ci.waitFor(second.id, { timeoutSeconds: 30 });
    expect(denied).toMatchObject({ status: 'denied', reason: 'wrong image' });
  });

  it('refusals are typed problems; nothing listening is AirlockUnreachable', async () => {
    const ci = client('ci@example.com');
    const bad = await ci.submit({ ...deploy('dev', 'x'), action: 'Not Dotted' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(AirlockProblem);
    expect(bad).toMatchObject({ status: 400, type: 'urn:airlock:problem:invalid-body', field: 'action' });
    const missing = await ci.get('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
    expect((missing as AirlockProblem).is('not-found')).toBe(true);
    const anonymous = new AirlockClient({ baseUrl: h.url, token: 'airlock_wrong' });
    const unauthenticated = await anonymous.list().catch((e: unknown) => e);
    expect((unauthenticated as AirlockProblem).status).toBe(401);
    const nowhere = new AirlockClient({ baseUrl: 'http://127.0.0.1:9', token: 'x' });
    await expect(nowhere.list()).rejects.toBeInstanceOf(AirlockUnreachable);
  });
});
