// Verified previews through the real service (REST, Temporal, PostgreSQL target, a recording chat
// channel): the approver's card shows what Airlock computed beside the requester's claim, policy
// rules read the preview, a preview that cannot finish degrades the card, and what runs at
// execution is what was previewed, or nothing (drift_detected).
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalCard } from '../../../bots/card.js';
import { type HttpTargetFake, startHttpTarget } from '../../fakes/http-target.js';
import { RecordingChannel } from '../../fakes/recording-channel.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

const POLICY = `version: 1
groups:
  dba: [dana@example.com, dev@example.com]
channels:
  dba-chat: { slack: { channel: C0DBA } }
rules:
  - name: strict-sql
    match: { action: "db.strict.*" }
    effect: require_approval
    requirePreview: true
    stages: [{ approvers: [dba], timeout: 10m, notify: [dba-chat] }]
  - name: big-writes
    match: { action: "db.schema.*", environment: production }
    when: 'preview.rowsAffected > 1250'
    effect: require_approval
    risk: critical
    stages: [{ approvers: [dba], minApprovals: 2, timeout: 10m, notify: [dba-chat] }]
  - name: flags
    match: { action: "http.flags.*" }
    effect: require_approval
    stages: [{ approvers: [dba], timeout: 10m, notify: [dba-chat] }]
  - name: prod-sql
    match: { action: "db.*", environment: production }
    effect: require_approval
    risk: high
    stages: [{ approvers: [dba], timeout: 10m, notify: [dba-chat] }]
default: { effect: deny, reason: not in this test }
`;

const config = (dbUrl: string, flagsUrl: string) => `targets:
  analytics: { type: postgres, environment: production, resources: ["postgres://analytics/*"], url: "${dbUrl}", lockTimeout: 300ms }
  flags: { type: http, environment: production, resources: ["flags:{path}"], baseUrl: "${flagsUrl}", headers: { Authorization: "Bearer flags-secret" }, preview: { method: GET, path: "{path}" } }
actions:
  - { match: "db.*", executor: postgres.sql, target: analytics }
  - { match: "http.*", executor: http.request, target: flags }
`;

const PRINCIPALS = [
  { principal: 'agent@example.com', roles: ['requester'] },
  { principal: 'dana@example.com', roles: ['approver'] },
  { principal: 'dev@example.com', roles: ['approver'] },
  { principal: 'audit@example.com', roles: ['auditor'] },
];

let h: Harness;
let targetDb: TestDatabase;
let admin: pg.Client;
let flags: HttpTargetFake;
/** The flag service's state: GET answers it, PUT replaces it. */
let flagState: Record<string, unknown>;
const chat = new RecordingChannel();

beforeAll(async () => {
  targetDb = await createTestDatabase('airlock_previews');
  admin = new pg.Client({ connectionString: targetDb.url });
  await admin.connect();
  await admin.query('CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, tier text NOT NULL)');
  flags = await startHttpTarget();
  flags.respondWith((call) => {
    if (call.method === 'PUT') flagState = JSON.parse(call.body);
    return { status: 200, body: JSON.stringify(flagState), headers: { 'content-type': 'application/json' } };
  });
  h = await startHarness({
    policy: POLICY,
    config: config(targetDb.url, flags.url),
    principals: PRINCIPALS,
    channels: [chat],
  });
});
afterAll(async () => {
  await h?.stop();
  await admin?.end();
  await targetDb?.drop();
  await flags?.close();
});
beforeEach(async () => {
  await admin.query('TRUNCATE customers');
  await admin.query(
    "INSERT INTO customers SELECT i, 'customer ' || i, CASE WHEN i <= 1204 THEN 'gold' ELSE 'silver' END FROM generate_series(1, 1304) i",
  );
});

const UPDATE = "UPDATE customers SET tier = 'platinum' WHERE tier = 'gold'";

async function submit(sql: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await h.api('agent@example.com', '/v1/actions', {
    body: {
      action: 'db.schema.migrate',
      resource: 'postgres://analytics/customers',
      environment: 'production',
      parameters: { sql },
      justification: 'promote the gold customers',
      ...extra,
    },
  });
  expect(res.status).toBe(202);
  return res.body.id;
}

const state = async (id: string) => (await h.api('dana@example.com', `/v1/actions/${id}`)).body;
const settled = (id: string, statuses: string[]) =>
  eventually(
    async () => {
      const s = await state(id);
      return statuses.includes(s.status) ? s : undefined;
    },
    30_000,
    `request ${id} in ${statuses.join('/')}`,
  );
async function card(id: string): Promise<ApprovalCard> {
  return eventually(async () => {
    const m = [...chat.messages.values()].find((x) => x.versions[0]!.requestId === id);
    return m ? chat.latest(m) : undefined;
  });
}
async function trail(id: string): Promise<{ type: string; data: any }[]> {
  const res = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
  expect(res.body.verification.ok).toBe(true);
  return res.body.events;
}
const gold = async () =>
  Number((await admin.query("SELECT count(*) AS n FROM customers WHERE tier = 'gold'")).rows[0].n);

describe('verified previews', () => {
  it("shows Airlock's figures beside the requester's claim, and refuses to commit when the rows moved", async () => {
    const id = await submit(UPDATE, {
      diff: { unified: '--- customers\n+++ customers\n-1 gold\n+1 platinum\n(1 row)' },
    });
    const pending = await settled(id, ['pending_approval']);
    expect(pending.preview).toMatchObject({ status: 'ok', computedBy: 'airlock', rowsAffected: 1204 });
    expect(pending.policy.rule).toBe('prod-sql');
    expect(pending.preview.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(pending.request.diff.unified).toContain('(1 row)');
    const c = await card(id);
    expect(c.preview?.heading).toBe('Preview computed by Airlock');
    expect(c.preview?.summary.text).toContain('1. UPDATE customers: 1,204 rows (sample below)');
    expect(c.preview?.detail?.text).toMatch(
      /customers, before:\nid \| name \| tier\n1 \| customer 1 \| gold/,
    );
    expect(c.diff?.text).toContain('(1 row)');
    expect(await gold()).toBe(1204);

    // The requester reads that there is a preview and its hash, never the rows Airlock read for it.
    const own = (await h.api('agent@example.com', `/v1/actions/${id}`)).body;
    expect(own.preview).toMatchObject({ status: 'ok', hash: pending.preview.hash, summary: [] });
    expect(own.preview.withheld).toMatch(/shown to approvers only/);
    expect(own.preview.sql).toBeUndefined();
    expect(own.preview.rowsAffected).toBeUndefined();
    const ownCard = (await h.api('agent@example.com', `/v1/actions/${id}/card`)).body;
    expect(JSON.stringify([own, ownCard])).not.toMatch(/customer 1\b|1,204/);

    // Reality moves between approval and execution: six more rows match.
    await admin.query("UPDATE customers SET tier = 'gold' WHERE id BETWEEN 1205 AND 1210");
    const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(decided.status).toBe(200);
    const failed = await settled(id, ['failed', 'succeeded']);
    expect(failed.status).toBe('failed');
    expect(failed.result.error.type).toBe('drift_detected');
    expect(failed.reason).toMatch(/statement 1 affected 1,210 rows, the approved preview 1,204/);
    expect(await gold()).toBe(1210);

    const events = await trail(id);
    const computed = events.find((e) => e.type === 'preview.computed')!;
    expect(computed.data).toMatchObject({ status: 'ok', rowsAffected: 1204, hash: pending.preview.hash });
    expect(events.find((e) => e.type === 'decision.recorded')!.data.previewHash).toBe(pending.preview.hash);
    expect(events.find((e) => e.type === 'request.failed')!.data.result.output.drift).toEqual([
      { statement: 1, previewed: 1204, actual: 1210, allowed: 0 },
    ]);
    const last = await eventually(async () => {
      const latest = await card(id);
      return latest.status === 'failed' ? latest : undefined;
    });
    expect(last.statusLine).toMatch(/execution failed: drift detected/);
  });

  it('a DELETE without WHERE on a large table meets the rule that reads the preview', async () => {
    const id = await submit('DELETE FROM customers');
    const pending = await settled(id, ['pending_approval']);
    expect(pending.policy.rule).toBe('big-writes');
    expect(pending.stage.minApprovals).toBe(2);
    expect(pending.risk).toBe('critical');
    const evaluated = (await trail(id)).filter((e) => e.type === 'policy.evaluated');
    expect(evaluated).toHaveLength(1);
    expect(evaluated[0]!.data).toMatchObject({
      rule: 'big-writes',
      afterPreview: true,
      previewHash: pending.preview.hash,
    });
    expect(await h.api('agent@example.com', `/v1/actions/${id}/cancel`, { body: {} })).toMatchObject({
      status: 200,
    });
  });

  it('a preview that cannot take its locks degrades the card, and the request still waits', async () => {
    const holder = new pg.Client({ connectionString: targetDb.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
    let id: string;
    try {
      id = await submit(UPDATE);
      const pending = await settled(id, ['pending_approval']);
      expect(pending.preview).toMatchObject({ status: 'failed' });
      expect(pending.preview.reason).toMatch(/lock_timeout of 300 ms/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const c = await card(id);
    expect(c.preview?.status).toBe('failed');
    expect(c.preview?.summary.text).toMatch(/^Preview failed: statement 1 .* lock_timeout/);
    expect(c.actions).toBeDefined();
    await h.api('agent@example.com', `/v1/actions/${id}/cancel`, { body: {} });
  });

  it('a rule with requirePreview denies what cannot be previewed, and runs nothing', async () => {
    const res = await h.api('agent@example.com', '/v1/actions', {
      body: {
        action: 'db.strict.maintenance',
        resource: 'postgres://analytics/customers',
        environment: 'production',
        parameters: { sql: 'VACUUM customers' },
      },
    });
    const denied = await settled(res.body.id, ['denied']);
    expect(denied.reason).toMatch(
      /rule strict-sql requires a verified preview, and the preview is unavailable: statement 1 \(VACUUM customers\) is not run by a preview: VACUUM cannot run inside a transaction/,
    );
  });

  it('http.request: the current state beside the proposed body, and nothing sent once it changed', async () => {
    flagState = { checkout: 'off', rollout: 10 };
    const submitFlag = async () => {
      const res = await h.api('agent@example.com', '/v1/actions', {
        body: {
          action: 'http.flags.set',
          resource: 'flags:/flags/checkout',
          environment: 'production',
          parameters: { method: 'PUT', path: '/flags/checkout', body: { checkout: 'on', rollout: 10 } },
        },
      });
      return res.body.id as string;
    };
    const id = await submitFlag();
    const pending = await settled(id, ['pending_approval']);
    expect(pending.preview.http).toMatchObject({ method: 'GET', path: '/flags/checkout', status: 200 });
    expect(pending.preview.http.diff).toContain('-  "checkout": "off",\n+  "checkout": "on",');
    const read = flags.calls.find((c) => c.method === 'GET')!;
    expect(read.headers.authorization).toBe('Bearer flags-secret');
    expect((await card(id)).preview?.detail?.text).toContain('+  "checkout": "on",');

    // Someone else changes the flag before the approval.
    flagState = { checkout: 'off', rollout: 50 };
    await h.api('dana@example.com', `/v1/actions/${id}/decisions`, { body: { decision: 'approve' } });
    const failed = await settled(id, ['failed', 'succeeded']);
    expect(failed.result.error.type).toBe('drift_detected');
    expect(failed.reason).toMatch(/GET \/flags\/checkout changed since the approved preview/);
    expect(flags.calls.filter((c) => c.method === 'PUT')).toHaveLength(0);

    // Unchanged, it runs.
    const again = await submitFlag();
    await settled(again, ['pending_approval']);
    await h.api('dana@example.com', `/v1/actions/${again}/decisions`, { body: { decision: 'approve' } });
    expect((await settled(again, ['failed', 'succeeded'])).status).toBe('succeeded');
    expect(flagState).toEqual({ checkout: 'on', rollout: 10 });
  });
});
