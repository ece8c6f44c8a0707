// What the policy sees is what runs, for every built-in executor: a request whose environment or
// resource is not that of the target it would run on is refused at submit (400 naming the field
// and saying what the target is) and starts nothing; a request that says the truth runs there.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpTargetFake, startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { CORE_POLICY, PRINCIPALS } from './fixtures.js';

let h: Harness;
let prodApi: HttpTargetFake;
let devApi: HttpTargetFake;
let targetDb: TestDatabase;

const config = (prodUrl: string, devUrl: string, dbUrl: string) => `targets:
  api-prod: { type: http, environment: production, resources: ["admin-api:{path}"], baseUrl: "${prodUrl}", headers: { Authorization: "Bearer prod-secret", X-Tenant-Secret: "prod-tenant" } }
  api-dev: { type: http, environment: dev, resources: ["admin-api:{path}"], baseUrl: "${devUrl}", headers: { Authorization: "Bearer dev-secret" } }
  analytics: { type: postgres, environment: production, resources: ["postgres://analytics/*"], url: "${dbUrl}" }
actions:
  - { match: "http.*", executor: http.request, target: api-prod }
  - { match: "http.*", executor: http.request, target: api-dev }
  - { match: "db.schema.*", executor: postgres.sql, target: analytics }
  - { match: "db.grant", executor: postgres.grant, target: analytics }
  - { match: "gate.*", executor: callback, environment: production, resources: ["k8s://prod/*"] }
`;

beforeAll(async () => {
  [prodApi, devApi] = await Promise.all([startHttpTarget(), startHttpTarget()]);
  targetDb = await createTestDatabase('airlock_what_runs');
  const c = new pg.Client({ connectionString: targetDb.url });
  await c.connect();
  await c.query(
    `CREATE TABLE customers (id int primary key, name text); INSERT INTO customers VALUES (1, 'Ada')`,
  );
  await c.end();
  h = await startHarness({
    policy: CORE_POLICY,
    config: config(prodApi.url, devApi.url, targetDb.url),
    principals: PRINCIPALS,
  });
});

afterAll(async () => {
  await h?.stop();
  await Promise.all([prodApi?.close(), devApi?.close()]);
  await targetDb?.drop();
});

const JUSTIFICATION = 'checked by the what-runs test';

const requests = {
  'http.request': {
    action: 'http.config.update',
    resource: 'admin-api:/config',
    environment: 'production',
    parameters: { method: 'POST', path: '/config', body: { m: 'what-runs' } },
    justification: JUSTIFICATION,
  },
  'postgres.sql': {
    action: 'db.schema.migrate',
    resource: 'postgres://analytics/customers',
    environment: 'production',
    parameters: { sql: "UPDATE customers SET name = 'Grace' WHERE id = 1" },
    justification: JUSTIFICATION,
  },
  'postgres.grant': {
    action: 'db.grant',
    resource: 'postgres://analytics/customers',
    environment: 'production',
    parameters: {
      privileges: [{ privilege: 'SELECT', on: 'TABLE', object: 'public.customers' }],
      ttlSeconds: 60,
    },
    justification: JUSTIFICATION,
  },
  callback: {
    action: 'gate.deploy',
    resource: 'k8s://prod/api',
    environment: 'production',
    parameters: { image: 'api:42' },
    justification: JUSTIFICATION,
  },
} as const;

/** Claims that no binding of each action agrees with, and what the refusal must say. */
const lies = {
  'http.request': { environment: 'staging', resource: 'admin-api:/harmless', says: 'target "api-prod"' },
  'postgres.sql': { environment: 'dev', resource: 'postgres://billing/invoices', says: 'target "analytics"' },
  'postgres.grant': {
    environment: 'dev',
    resource: 'postgres://billing/invoices',
    says: 'target "analytics"',
  },
  callback: { environment: 'dev', resource: 'k8s://dev/api', says: 'the callback binding for "gate.*"' },
} as const;

const submit = (body: unknown) => h.api('ci@example.com', '/v1/actions', { body });
const submittedCount = async () =>
  (await h.api('audit@example.com', '/v1/actions?limit=200')).body.items.length as number;

async function approvedState(id: string, status: string) {
  await eventually(
    async () =>
      (await h.api('audit@example.com', `/v1/actions/${id}`)).body.status === 'pending_approval'
        ? true
        : undefined,
    20_000,
    `${id} pending`,
  );
  const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
    body: { decision: 'approve' },
  });
  expect(decided.status, JSON.stringify(decided.body)).toBe(200);
  return eventually(
    async () => {
      const s = (await h.api('ci@example.com', `/v1/actions/${id}`)).body;
      // Gate mode: the token is there once the workflow has issued it.
      return s.status === status && (status !== 'approved' || s.approvalToken) ? s : undefined;
    },
    30_000,
    `${id} ${status}`,
  );
}

describe.each(Object.keys(requests) as (keyof typeof requests)[])('%s', (executor) => {
  const honest = requests[executor];
  const lie = lies[executor];

  it('refuses another environment at submit, naming the field and where the action runs', async () => {
    const before = await submittedCount();
    const res = await submit({ ...honest, environment: lie.environment });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:airlock:problem:target-mismatch', field: 'environment' });
    expect(res.body.detail).toContain(lie.says);
    expect(res.body.detail).toContain('production');
    expect(await submittedCount()).toBe(before);
  });

  it('refuses a resource the target does not hold, naming the field and what it holds', async () => {
    const res = await submit({ ...honest, resource: lie.resource });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toMatchObject({ type: 'urn:airlock:problem:target-mismatch', field: 'resource' });
    expect(res.body.detail).toContain(lie.says);
  });
});

describe('a header the target holds', () => {
  it.each(['X-Tenant-Secret', 'x-tenant-secret', 'X-TENANT-SECRET'])(
    'is refused at submit when the parameters name it (%s), before anyone is asked',
    async (header) => {
      const before = await submittedCount();
      const res = await submit({
        ...requests['http.request'],
        parameters: { ...requests['http.request'].parameters, headers: { [header]: 'mine' } },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body).toMatchObject({ type: 'urn:airlock:problem:invalid-body', field: 'parameters' });
      expect(res.body.detail).toContain(`headers.${header}: set by the target configuration`);
      expect(await submittedCount()).toBe(before);
      expect(prodApi.calls).toEqual([]);
    },
  );

  it('is checked against the target the request runs on: the dev target holds no such header', async () => {
    const res = await submit({
      ...requests['http.request'],
      environment: 'dev',
      parameters: { method: 'GET', path: '/config', headers: { 'X-Tenant-Secret': 'mine' } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
  });
});

describe('a request that says the truth runs on its target', () => {
  it('http.request: a dev claim runs on the dev target, never on production', async () => {
    const res = await submit({
      ...requests['http.request'],
      environment: 'dev',
      parameters: { method: 'POST', path: '/config', body: { m: 'dev-truth' } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const done = await eventually(
      async () => {
        const s = (await h.api('ci@example.com', `/v1/actions/${res.body.id}`)).body;
        return s.status === 'succeeded' ? s : undefined;
      },
      30_000,
      'dev request succeeded',
    );
    expect(done.decidedBy).toBe('policy');
    expect(done).toMatchObject({ executor: 'http.request', target: 'api-dev' });
    expect(devApi.calls.filter((c) => c.body.includes('dev-truth'))).toHaveLength(1);
    expect(devApi.calls[0]?.headers.authorization).toBe('Bearer dev-secret');
    expect(prodApi.calls).toEqual([]);
  });

  it('http.request: a production claim runs on the production target after approval', async () => {
    const res = await submit(requests['http.request']);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await approvedState(res.body.id, 'succeeded');
    expect(prodApi.calls.filter((c) => c.body.includes('what-runs'))).toHaveLength(1);
    expect(prodApi.calls[0]?.headers.authorization).toBe('Bearer prod-secret');
  });

  it('postgres.sql: runs on the production database after approval', async () => {
    const res = await submit(requests['postgres.sql']);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const done = await approvedState(res.body.id, 'succeeded');
    expect(done).toMatchObject({ executor: 'postgres.sql', target: 'analytics' });
    const c = new pg.Client({ connectionString: targetDb.url });
    await c.connect();
    expect((await c.query('SELECT name FROM customers WHERE id = 1')).rows).toEqual([{ name: 'Grace' }]);
    await c.end();
  });

  it('postgres.grant: grants on the production database after approval', async () => {
    const res = await submit(requests['postgres.grant']);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const active = await approvedState(res.body.id, 'active');
    expect(active).toMatchObject({ executor: 'postgres.grant', target: 'analytics' });
    expect(active.grant.role).toMatch(/^airlock_/);
    const released = await h.api('ci@example.com', `/v1/actions/${res.body.id}/complete`, { body: {} });
    expect(released.status).toBe(200);
  });

  it('callback: the token binds environment and resource, and the redeeming side is held to them', async () => {
    const res = await submit(requests.callback);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.body.id as string;
    const approved = await approvedState(id, 'approved');
    const token = approved.approvalToken as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({
      rid: id,
      act: 'gate.deploy',
      env: 'production',
      res: 'k8s://prod/api',
      ph: approved.parametersHash,
    });
    // A redeemer in dev, or about to touch another resource, is refused and the token stays unused.
    for (const stated of [{ environment: 'dev' }, { resource: 'k8s://prod/db' }]) {
      const wrong = await h.api('ci@example.com', `/v1/actions/${id}/redeem`, { body: { token, ...stated } });
      expect(wrong.status, JSON.stringify(wrong.body)).toBe(401);
      expect(wrong.body.detail).toMatch(stated.environment ? /environment_mismatch/ : /resource_mismatch/);
    }
    const ok = await h.api('ci@example.com', `/v1/actions/${id}/redeem`, {
      body: {
        token,
        environment: 'production',
        resource: 'k8s://prod/api',
        parametersHash: approved.parametersHash,
      },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.status).toBe('executing');
  });
});
