// GET /v1/policy and the dry run over HTTP: the whole policy for approvers, auditors and admins,
// the rules without people or chat destinations for a plain requester; never the server's path.
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../api/auth.js';
import { policyRouter } from '../../../api/policy-routes.js';
import { problemMiddleware } from '../../../api/problem.js';
import { generateApiKey, hashApiKey } from '../../../config/api-keys.js';
import { createBuiltinRegistry } from '../../../executors/index.js';
import { parsePolicy } from '../../../policy/load.js';
import { SPEC_POLICY } from '../policy/helpers.js';
import { type Listening, listen } from './listen.js';

const KEYS = {
  requester: generateApiKey('ci'),
  approver: generateApiKey('dana'),
  auditor: generateApiKey('aud'),
  admin: generateApiKey('adm'),
};
const policy = parsePolicy(SPEC_POLICY, '/srv/airlock/private/policy.yaml');

let server: Listening;
beforeAll(async () => {
  const app = express();
  const authenticate = createAuthenticator({
    apiKeys: Object.entries(KEYS).map(([role, key]) => ({
      principal: `${role}@corp.test`,
      roles: [role as 'requester'],
      sha256: hashApiKey(key),
    })),
  });
  app.use('/v1', authenticate, express.json());
  app.use(
    policyRouter({
      policy: { current: () => policy },
      config: { actions: [{ match: '*', executor: 'callback' }] },
      executors: createBuiltinRegistry(),
    } as never),
  );
  app.use(problemMiddleware({ log: () => {} }));
  server = await listen(app);
});
afterAll(() => server.close());

const get = async (who: keyof typeof KEYS) => {
  const res = await fetch(`${server.url}/v1/policy`, { headers: { authorization: `Bearer ${KEYS[who]}` } });
  return { status: res.status, text: await res.text() };
};

describe('GET /v1/policy', () => {
  it("shows a requester the rules, and none of the policy's identities, groups or channels", async () => {
    const { status, text } = await get('requester');
    expect(status).toBe(200);
    const body = JSON.parse(text);
    expect(body).toMatchObject({ view: 'requester', source: 'policy.yaml', version: policy.version });
    expect(body.rules.map((r: { name: string }) => r.name)).toEqual([
      'never-drop-prod',
      'prod-data-export',
      'low-risk',
    ]);
    expect(body.rules[1]).toMatchObject({ effect: 'require_approval', risk: 'high' });
    for (const leak of ['@example.com', 'U0DANA', 'C0DBA', 'dba-teams', '00000000-0000', '/srv/airlock']) {
      expect(text).not.toContain(leak);
    }
  });

  it('shows approvers, auditors and admins the whole policy, by file name and hash only', async () => {
    for (const who of ['approver', 'auditor', 'admin'] as const) {
      const { status, text } = await get(who);
      expect(status).toBe(200);
      const body = JSON.parse(text);
      expect(body).toMatchObject({ view: 'full', source: 'policy.yaml', version: policy.version });
      expect(body.groups.dba).toEqual(['dana@example.com', 'dev@example.com']);
      expect(body.identities[0].slack.userId).toBe('U0DANA');
      expect(text).not.toContain('/srv/airlock');
    }
  });

  it("answers a requester's dry run without the approvers nor the channels", async () => {
    const dryRun = async (who: keyof typeof KEYS) => {
      const res = await fetch(`${server.url}/v1/policy/evaluate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS[who]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'db.export', resource: 'x', environment: 'production' }),
      });
      return { status: res.status, text: await res.text() };
    };
    const mine = await dryRun('requester');
    expect(mine.status).toBe(200);
    expect(JSON.parse(mine.text)).toMatchObject({
      rule: 'prod-data-export',
      stages: [{ minApprovals: 1 }, {}],
    });
    expect(mine.text).not.toContain('@example.com');
    expect(mine.text).not.toContain('dba-teams');
    expect((await dryRun('approver')).text).toContain('dana@example.com');
  });

  it('evaluates a dry run "as" someone on their canonical identity, and refuses one that has none', async () => {
    const asSomeone = (requester: string) =>
      fetch(`${server.url}/v1/policy/evaluate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.auditor}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'db.export', resource: 'x', environment: 'dev', requester }),
      });
    expect((await asSomeone('ｄａｎａ@Example.com.')).status).toBe(200);
    const bad = await asSomeone('dana\u200b@example.com');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'requester' });
  });
});
