// The two executors that hand something to the requester: a just-in-time PostgreSQL role that
// a durable timer revokes (the role must really be gone), and gate mode's single-use token.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSecret } from '../../../executors/secrets.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { createTestDatabase, TEST_PG_ADMIN_URL, type TestDatabase } from '../../support/postgres.js';
import { CORE_POLICY, coreConfig, PRINCIPALS } from './fixtures.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let targetDb: TestDatabase;
let callbackServer: Server;
let callbackUrl: string;
const callbacks: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

beforeAll(async () => {
  target = await startHttpTarget();
  targetDb = await createTestDatabase('airlock_target');
  const c = new pg.Client({ connectionString: targetDb.url });
  await c.connect();
  await c.query(
    `CREATE TABLE customers (id int primary key, name text); INSERT INTO customers VALUES (1, 'Ada')`,
  );
  await c.end();
  callbackServer = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      callbacks.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => callbackServer.listen(0, '127.0.0.1', () => r()));
  callbackUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/hook`;
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, targetDb.url),
    principals: PRINCIPALS,
  });
});

afterAll(async () => {
  await h?.stop();
  await target?.close();
  await new Promise<void>((r) => (callbackServer ? callbackServer.close(() => r()) : r()));
  await targetDb?.drop();
});

async function waitFor(id: string, status: string, as = 'audit@example.com') {
  return eventually(
    async () => {
      const s = (await h.api(as, `/v1/actions/${id}`)).body;
      return s.status === status ? s : undefined;
    },
    30_000,
    `${status} of ${id}`,
  );
}

async function roleExists(role: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    return r.rowCount === 1;
  } finally {
    await c.end();
  }
}

function grantRequest(extra: Record<string, unknown> = {}) {
  return {
    action: 'db.grant',
    resource: 'postgres://target/customers',
    environment: 'production',
    justification: 'investigate the customer ticket',
    parameters: { privileges: [{ privilege: 'SELECT', on: 'TABLE', object: 'public.customers' }], ...extra },
  };
}

describe('just-in-time grants', () => {
  it('creates a real role after approval, hands it to the requester, and revokes it when the TTL ends', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', { body: grantRequest() });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    await waitFor(id, 'pending_approval');
    await h.api('dana@example.com', `/v1/actions/${id}/decisions`, { body: { decision: 'approve' } });
    const active = await waitFor(id, 'active', 'ci@example.com');
    const role = active.grant.role as string;
    expect(role).toMatch(/^airlock_/);
    expect(active.grant.password).toBeTruthy();
    expect(await roleExists(role)).toBe(true);
    // Nobody but the requester sees the password.
    const asApprover = (await h.api('dana@example.com', `/v1/actions/${id}`)).body;
    expect(asApprover.grant.password).toBeUndefined();
    // The grant works: the role can read the table it was given.
    const url = new URL(targetDb.url);
    url.username = role;
    url.password = active.grant.password;
    const asRole = new pg.Client({ connectionString: url.toString() });
    await asRole.connect();
    const rows = await asRole.query('SELECT name FROM customers');
    expect(rows.rows).toEqual([{ name: 'Ada' }]);
    await asRole.end();

    const revoked = await waitFor(id, 'revoked');
    expect(revoked.grant.revokedBecause).toBe('ttl');
    expect(await roleExists(role)).toBe(false);
    const types = (await h.api('audit@example.com', `/v1/actions/${id}/audit`)).body.events.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toEqual(expect.arrayContaining(['grant.active', 'request.revoked']));
  });

  it('revokes at once when the requester releases the grant early', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', { body: grantRequest({ ttlSeconds: 50 }) });
    const id = res.body.id as string;
    await waitFor(id, 'pending_approval');
    await h.api('dana@example.com', `/v1/actions/${id}/decisions`, { body: { decision: 'approve' } });
    const active = await waitFor(id, 'active', 'ci@example.com');
    // Another requester may not see the request: the 404 of an unknown id, as GET answers it.
    const notMine = await h.api('agent-runner@example.com', `/v1/actions/${id}/complete`, { body: {} });
    expect(notMine.status).toBe(404);
    const done = await h.api('ci@example.com', `/v1/actions/${id}/complete`, { body: {} });
    expect(done.status).toBe(200);
    const revoked = await waitFor(id, 'revoked');
    expect(revoked.grant.revokedBecause).toBe('released');
    expect(await roleExists(active.grant.role)).toBe(false);
  });

  it('an admin ends an active grant early, recorded under the admin', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', { body: grantRequest({ ttlSeconds: 50 }) });
    const id = res.body.id as string;
    await waitFor(id, 'pending_approval');
    await h.api('dana@example.com', `/v1/actions/${id}/decisions`, { body: { decision: 'approve' } });
    const active = await waitFor(id, 'active', 'ci@example.com');
    const ended = await h.api('admin@example.com', `/v1/actions/${id}/complete`, { body: {} });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    const revoked = await waitFor(id, 'revoked');
    expect(revoked.grant.revokedBecause).toBe('released');
    expect(await roleExists(active.grant.role)).toBe(false);
    const events = (await h.api('audit@example.com', `/v1/actions/${id}/audit`)).body.events as {
      type: string;
      actor: string;
    }[];
    expect(events.find((e) => e.type === 'request.revoked')?.actor).toBe('admin@example.com');
  });
});

describe('gate mode', () => {
  it('issues a single-use token bound to the parameters, redeemed once, with a signed callback', async () => {
    const body = {
      action: 'gate.deploy',
      resource: 'k8s://prod/api',
      environment: 'production',
      justification: 'deploy release 42 to production',
      parameters: { image: 'api:42' },
      callbackUrl,
    };
    const res = await h.api('ci@example.com', '/v1/actions', { body });
    const id = res.body.id as string;
    await waitFor(id, 'pending_approval');
    await h.api('dana@example.com', `/v1/actions/${id}/decisions`, { body: { decision: 'approve' } });
    const approved = await eventually(
      async () => {
        const s = (await h.api('ci@example.com', `/v1/actions/${id}`)).body;
        return s.status === 'approved' && s.approvalToken ? s : undefined;
      },
      15_000,
      'token',
    );
    const token = approved.approvalToken as string;
    expect(token).toMatch(/^v2\./);
    expect((await h.api('dana@example.com', `/v1/actions/${id}`)).body.approvalToken).toBeUndefined();

    // The callback carried the same token, signed with this requester's own callback secret.
    const hook = await eventually(
      async () => callbacks.find((c) => c.body.includes(id) && c.body.includes('approvalToken')),
      15_000,
      'callback',
    );
    const signature = String(hook.headers['airlock-signature']);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
    const mine = await h.api('ci@example.com', '/v1/callback-secret');
    expect(mine.status).toBe(200);
    expect(mine.headers.get('cache-control')).toBe('no-store');
    const secret = mine.body.secret as string;
    expect(createHmac('sha256', secret).update(`${t}.${hook.body}`).digest('hex')).toBe(v1);
    // Another requester's key does not verify it: one requester cannot forge another's callbacks.
    const theirs = (await h.api('agent-runner@example.com', '/v1/callback-secret')).body.secret as string;
    expect(theirs).not.toBe(secret);
    expect(createHmac('sha256', theirs).update(`${t}.${hook.body}`).digest('hex')).not.toBe(v1);
    // ...nor the key every requester shared before.
    const shared = deriveSecret(
      Buffer.from(h.env.AIRLOCK_ENCRYPTION_KEY!, 'base64'),
      'callback-signing',
      'v1',
    );
    expect(createHmac('sha256', shared).update(`${t}.${hook.body}`).digest('hex')).not.toBe(v1);
    expect((await h.api('audit@example.com', '/v1/callback-secret')).status).toBe(403);
    expect(JSON.parse(hook.body).approvalToken).toBe(token);

    // A token of another request is refused without touching this one.
    const other = await h.api('ci@example.com', '/v1/actions', {
      body: { ...body, parameters: { image: 'api:43' } },
    });
    const wrong = await h.api('ci@example.com', `/v1/actions/${other.body.id}/redeem`, { body: { token } });
    expect(wrong.status).toBe(401);

    const first = await h.api('ci@example.com', `/v1/actions/${id}/redeem`, { body: { token } });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('executing');
    const again = await h.api('ci@example.com', `/v1/actions/${id}/redeem`, { body: { token } });
    expect(again.status).toBe(409);

    const complete = await h.api('ci@example.com', `/v1/actions/${id}/complete`, {
      body: { outcome: 'succeeded', details: { rollout: 'done' } },
    });
    expect(complete.status).toBe(200);
    const done = await waitFor(id, 'succeeded');
    expect(done.result.output.reported).toEqual({ rollout: 'done' });
    const types = (await h.api('audit@example.com', `/v1/actions/${id}/audit`)).body.events.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toEqual(
      expect.arrayContaining(['gate.token_issued', 'gate.redeemed', 'attempt.refused', 'request.succeeded']),
    );
  });
});
