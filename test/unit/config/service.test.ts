// The service config: the SPEC 9 example, defaults, and precise errors (file, field path, line).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` references are what these tests feed in.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../../config/api-keys.js';
import { DEMO_CONFIG_PATH } from '../../../config/env.js';
import { ConfigError } from '../../../config/errors.js';
import { loadServiceConfig, parseServiceConfig } from '../../../config/service.js';

const H1 = hashApiKey('test');
const H2 = hashApiKey('test2');
// SPEC 9's example, with the elided hashes written out, and each target's environment and resources.
const SPEC_EXAMPLE = `
apiKeys:                       # the key itself is never stored, only its SHA-256 (hex)
  - { principal: ci@example.com,   roles: [requester], sha256: ${H1} }
  - { principal: dana@example.com, roles: [approver],  sha256: ${H2} }
targets:
  admin-api: { type: http, environment: production, resources: ["admin-api:{path}"], baseUrl: "http://127.0.0.1:9000", headers: { Authorization: "Bearer \${ADMIN_API_TOKEN}" } }
  analytics: { type: postgres, environment: production, resources: ["postgres://analytics/*"], url: "\${ANALYTICS_DATABASE_URL}" }
actions:                       # first match wins; no match: the request is refused (400)
  - { match: "http.*",      executor: http.request,   target: admin-api }
  - { match: "db.schema.*", executor: postgres.sql,   target: analytics }
  - { match: "db.grant",    executor: postgres.grant, target: analytics }
  - { match: "*",           executor: callback, environment: [production, staging] }
`;
const ENV = { ADMIN_API_TOKEN: 'admin-token', ANALYTICS_DATABASE_URL: 'postgres://ro@analytics/db' };

function errorOf(text: string, env: NodeJS.ProcessEnv = ENV): ConfigError {
  try {
    parseServiceConfig(text, 'airlock.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('the config was accepted');
}

const MINIMAL = 'actions: [{ match: "*", executor: callback, environment: dev }]\n';
const PLACED = 'environment: dev, resources: ["*"]';

describe('parseServiceConfig', () => {
  it('parses the SPEC 9 example with its defaults', () => {
    expect(parseServiceConfig(SPEC_EXAMPLE, 'airlock.yaml', ENV)).toEqual({
      apiKeys: [
        { principal: 'ci@example.com', roles: ['requester'], sha256: H1 },
        { principal: 'dana@example.com', roles: ['approver'], sha256: H2 },
      ],
      targets: {
        'admin-api': {
          type: 'http',
          environment: 'production',
          resources: ['admin-api:{path}'],
          baseUrl: 'http://127.0.0.1:9000',
          headers: { Authorization: 'Bearer admin-token' },
          timeoutMs: 10_000,
          maxResponseBytes: 65_536,
        },
        analytics: {
          type: 'postgres',
          environment: 'production',
          resources: ['postgres://analytics/*'],
          url: 'postgres://ro@analytics/db',
          statementTimeoutMs: 30_000,
          lockTimeoutMs: 5_000,
        },
      },
      actions: [
        { match: 'http.*', executor: 'http.request', target: 'admin-api' },
        { match: 'db.schema.*', executor: 'postgres.sql', target: 'analytics' },
        { match: 'db.grant', executor: 'postgres.grant', target: 'analytics' },
        {
          match: '*',
          executor: 'callback',
          environments: ['production', 'staging'],
          resources: ['*'],
        },
      ],
      callbacks: { allow: [] },
      grants: { defaultTtlMs: 15 * 60_000, maxTtlMs: 8 * 3_600_000 },
      gate: { tokenTtlMs: 10 * 60_000, completionTimeoutMs: 3_600_000 },
    });
  });

  it('reads durations, limits, callbacks and the oidc block', () => {
    const config = parseServiceConfig(
      `${MINIMAL}
targets:
  api: { type: http, ${PLACED}, baseUrl: "https://api.example.com", timeout: 1m30s, maxResponseBytes: 1024 }
  pg: { type: postgres, ${PLACED}, url: "postgresql://x@y/z", statementTimeout: 500ms }
callbacks: { allow: ["https://ci.example.com/*"] }
grants: { defaultTtl: 5m, maxTtl: 1h }
gate: { tokenTtl: 2m, completionTimeout: 2h }
oidc:
  subjects:
    - { match: "repo:acme/*:ref:refs/heads/main", principal: github:acme, roles: [requester] }
`,
      'airlock.yaml',
      {},
    );
    expect(config.targets.api).toMatchObject({ timeoutMs: 90_000, maxResponseBytes: 1024 });
    expect(config.targets.api).not.toHaveProperty('returnBody');
    expect(config.targets.pg).toMatchObject({ statementTimeoutMs: 500 });
    expect(config.callbacks.allow).toEqual(['https://ci.example.com/*']);
    expect(config.grants).toEqual({ defaultTtlMs: 300_000, maxTtlMs: 3_600_000 });
    expect(config.gate).toEqual({ tokenTtlMs: 120_000, completionTimeoutMs: 7_200_000 });
    expect(config.oidc).toEqual({
      rolesClaim: 'roles',
      subjects: [
        { match: 'repo:acme/*:ref:refs/heads/main', principal: 'github:acme', roles: ['requester'] },
      ],
    });
  });

  it('lower-cases principals and hashes', () => {
    const config = parseServiceConfig(
      `${MINIMAL}apiKeys: [{ principal: Dana@Example.COM, roles: [approver, approver], sha256: ${H1.toUpperCase()} }]\n`,
      'airlock.yaml',
      {},
    );
    expect(config.apiKeys).toEqual([{ principal: 'dana@example.com', roles: ['approver'], sha256: H1 }]);
  });

  it('keeps principals and onBehalfOf canonical, and refuses identities that have no canonical form', () => {
    const config = parseServiceConfig(
      `${MINIMAL}apiKeys: [{ principal: agent-7, roles: [requester], sha256: ${H1}, onBehalfOf: "ｄａｎａ@Example.com." }]\n`,
      'airlock.yaml',
      {},
    );
    expect(config.apiKeys).toEqual([
      { principal: 'agent-7', roles: ['requester'], sha256: H1, onBehalfOf: 'dana@example.com' },
    ]);
    const bad = errorOf(
      `${MINIMAL}apiKeys: [{ principal: "ci\u200b@example.com", roles: [requester], sha256: ${H1}, onBehalfOf: "mailto:dana@example.com" }]\n`,
    );
    expect(bad.issues).toEqual([
      expect.stringMatching(
        /apiKeys\[0\]\.principal: must be an e-mail address or a service name: contains an invisible/,
      ),
      expect.stringMatching(
        /apiKeys\[0\]\.onBehalfOf: must be an e-mail address: must be a plain address, without mailto:/,
      ),
    ]);
  });

  it('names the file, field path and variable of an unset environment variable', () => {
    const err = errorOf(SPEC_EXAMPLE, { ANALYTICS_DATABASE_URL: ENV.ANALYTICS_DATABASE_URL });
    expect(err.issues).toEqual([
      'airlock.yaml: targets.admin-api.headers.Authorization: environment variable ADMIN_API_TOKEN is not set (line 6)',
    ]);
  });

  it('interpolates values, not text: a variable cannot inject YAML, and $${ stays literal', () => {
    const evil = 'x"\napiKeys: [{principal: evil, roles: [admin]}]';
    const config = parseServiceConfig(
      `actions: [{ match: "\${EVIL}", executor: callback, environment: dev }]\ntargets:\n  t: { type: http, ${PLACED}, baseUrl: "http://h", headers: { X-B: "$\${NOT_A_VAR}" } }\n`,
      'airlock.yaml',
      { EVIL: evil },
    );
    expect(config.apiKeys).toEqual([]);
    expect(config.actions[0]?.match).toBe(evil);
    expect(config.targets.t).toMatchObject({ headers: { 'X-B': '${NOT_A_VAR}' } });
    // ...but a line break in a header value is refused (header injection), without echoing it.
    const err = errorOf(
      `${MINIMAL}targets:\n  t: { type: http, ${PLACED}, baseUrl: "http://h", headers: { X-A: "\${EVIL}" } }\n`,
      {
        EVIL: 'a\r\nX-Injected: 1',
      },
    );
    expect(err.issues).toEqual([
      'airlock.yaml: targets.t.headers.X-A: must not contain line breaks (line 3)',
    ]);
  });

  it('reads ${file:/path} secrets, trimmed, and names an unreadable file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-secret-'));
    try {
      await writeFile(join(dir, 'token'), 's3cret\n');
      const text = `${MINIMAL}targets:\n  t: { type: http, ${PLACED}, baseUrl: "http://h", headers: { Authorization: "Bearer \${file:${dir}/token}" } }\n`;
      expect(parseServiceConfig(text, 'airlock.yaml', {}).targets.t).toMatchObject({
        headers: { Authorization: 'Bearer s3cret' },
      });
      expect(errorOf(text.replace('/token', '/missing'), {}).issues).toEqual([
        `airlock.yaml: targets.t.headers.Authorization: cannot read secret file ${dir}/missing (ENOENT) (line 3)`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets an http target withhold its response bodies, and refuses anything but a boolean', () => {
    const target = (value: string) =>
      `${MINIMAL}targets:\n  t: { type: http, ${PLACED}, baseUrl: "http://h", returnBody: ${value} }\n`;
    expect(parseServiceConfig(target('false'), 'airlock.yaml', {}).targets.t).toMatchObject({
      returnBody: false,
    });
    expect(errorOf(target('"no"')).issues).toEqual([
      'airlock.yaml: targets.t.returnBody: must be true or false (line 3)',
    ]);
  });

  it('refuses unknown keys, at any depth', () => {
    const err = errorOf(
      `${MINIMAL}targets:\n  t: { type: http, ${PLACED}, baseUrl: "http://h", headerz: {} }\ngatee: {}\n`,
    );
    expect(err.issues).toEqual([
      'airlock.yaml: targets.t.headerz: unknown field (line 3)',
      'airlock.yaml: gatee: unknown field (line 4)',
    ]);
  });

  it('refuses a bad duration with its path', () => {
    const err = errorOf(`${MINIMAL}grants:\n  defaultTtl: 15 minutes\n`);
    expect(err.issues).toEqual([
      'airlock.yaml: grants.defaultTtl: must be a duration like 500ms, 30s, 15m or 1h, got "15 minutes" (line 3)',
    ]);
    expect(errorOf(`${MINIMAL}gate: { tokenTtl: 0s }\n`).issues[0]).toMatch(
      /^airlock\.yaml: gate\.tokenTtl: must be a duration/,
    );
  });

  it('refuses a binding to an unknown target or a target of the wrong type', () => {
    const text = SPEC_EXAMPLE.replace('target: admin-api }', 'target: admin-apy }');
    expect(errorOf(text).issues).toEqual([
      'airlock.yaml: actions[0].target: unknown target "admin-apy" (defined: admin-api, analytics) (line 9)',
    ]);
    const wrong = SPEC_EXAMPLE.replace(
      'executor: postgres.sql,   target: analytics',
      'executor: postgres.sql, target: admin-api',
    );
    expect(errorOf(wrong).issues).toEqual([
      'airlock.yaml: actions[1].target: executor postgres.sql needs a postgres target, "admin-api" is http (line 10)',
    ]);
    expect(errorOf('actions: [{ match: "http.*", executor: http.request }]\n').issues[0]).toMatch(
      /^airlock\.yaml: actions\[0\]\.target: is required for executor http\.request/,
    );
  });

  it('requires every executing target to say its environment and resources, naming file, field and line', () => {
    const bare = SPEC_EXAMPLE.replace('environment: production, resources: ["admin-api:{path}"], ', '');
    expect(errorOf(bare).issues).toEqual([
      'airlock.yaml: targets.admin-api.environment: is required: the environment this target belongs to (for example production); requests for other environments never run on it (line 6)',
      'airlock.yaml: targets.admin-api.resources: is required: the resources this target holds, as globs (for example ["admin-api:{path}"]); requests naming other resources never run on it (line 6)',
    ]);
    const bad = SPEC_EXAMPLE.replace(
      'environment: production, resources: ["admin-api:{path}"]',
      'environment: "prod uction", resources: ["admin-api:{path"]',
    );
    expect(errorOf(bad).issues).toEqual([
      'airlock.yaml: targets.admin-api.environment: must be an environment name: letters, digits and . _ - (line 6)',
      'airlock.yaml: targets.admin-api.resources[0]: a brace must enclose a parameter name, as in "api:{path}" (line 6)',
    ]);
    expect(errorOf(SPEC_EXAMPLE.replace('resources: ["admin-api:{path}"]', 'resources: []')).issues).toEqual([
      'airlock.yaml: targets.admin-api.resources: must list at least one resource glob (line 6)',
    ]);
  });

  it('refuses a binding that contradicts its target, or a gate binding without environments', () => {
    const contradicts = SPEC_EXAMPLE.replace(
      'executor: http.request,   target: admin-api }',
      'executor: http.request, target: admin-api, environment: dev, resources: ["*"] }',
    );
    expect(errorOf(contradicts).issues).toEqual([
      'airlock.yaml: actions[0].environment: target "admin-api" is in production; a binding with a target runs only in its target\'s environment (leave environment out to inherit it) (line 9)',
      'airlock.yaml: actions[0].resources: are declared by the target (targets.admin-api.resources), not by a binding with a target (line 9)',
    ]);
    const repeats = SPEC_EXAMPLE.replace(
      'target: admin-api }',
      'target: admin-api, environment: production }',
    );
    expect(parseServiceConfig(repeats, 'airlock.yaml', ENV).actions[0]).toEqual({
      match: 'http.*',
      executor: 'http.request',
      target: 'admin-api',
    });
    expect(errorOf('actions: [{ match: "*", executor: callback }]\n').issues).toEqual([
      'airlock.yaml: actions[0].environment: is required for a binding without a target: name the environment(s) it serves (for example production) (line 1)',
    ]);
  });

  it('refuses duplicate key hashes, an empty action list, unknown roles and executors', () => {
    const dup = SPEC_EXAMPLE.replace(H2, H1);
    expect(errorOf(dup).issues).toEqual([
      'airlock.yaml: apiKeys[1].sha256: duplicates apiKeys[0].sha256 (line 4)',
    ]);
    expect(errorOf('actions: []\n').issues).toEqual([
      'airlock.yaml: actions: must list at least one binding (line 1)',
    ]);
    expect(errorOf('targets: {}\n').issues).toEqual(['airlock.yaml: actions: is required (line 1)']);
    expect(errorOf(SPEC_EXAMPLE.replace('[requester]', '[requestor]')).issues[0]).toMatch(
      /^airlock\.yaml: apiKeys\[0\]\.roles\[0\]: must be one of "requester"/,
    );
    expect(errorOf(SPEC_EXAMPLE.replace('http.request', 'http.reqest')).issues[0]).toMatch(
      /^airlock\.yaml: actions\[0\]\.executor: must be one of/,
    );
    expect(errorOf(SPEC_EXAMPLE.replace(H1, 'abc')).issues[0]).toBe(
      "airlock.yaml: apiKeys[0].sha256: must be the key's SHA-256 as 64 hex digits (line 3)",
    );
  });

  it('never echoes a postgres URL (it may hold a password)', () => {
    const err = errorOf(SPEC_EXAMPLE, { ...ENV, ANALYTICS_DATABASE_URL: 'mysql://u:hunter2@h/db' });
    expect(err.issues).toEqual([
      'airlock.yaml: targets.analytics.url: must be a postgres:// or postgresql:// URL (line 7)',
    ]);
  });

  it('names line and column of a YAML syntax error', () => {
    const err = errorOf('actions:\n  - { match: "*", executor: callback\ntargets: {}\n');
    expect(err.issues[0]).toMatch(/^airlock\.yaml:3:1: YAML syntax error: /);
    expect(errorOf('actions: []\nactions: []\n').issues[0]).toMatch(
      /^airlock\.yaml:2:1: YAML syntax error: Map keys must be unique/,
    );
    expect(errorOf('actions: []\n? { a: 1 }\n: 2\n').issues).toEqual([
      'airlock.yaml:2:3: a mapping key must be a plain value, not a list or a mapping',
    ]);
    expect(errorOf('').issues).toEqual(['airlock.yaml: is empty (expected apiKeys, targets, actions)']);
    expect(errorOf('- a\n').issues).toEqual(['airlock.yaml: must be a mapping']);
  });
});

describe('loadServiceConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a file and names it in errors', async () => {
    const path = join(dir, 'airlock.yaml');
    await writeFile(path, SPEC_EXAMPLE);
    expect((await loadServiceConfig(path, ENV)).actions).toHaveLength(4);
    await expect(loadServiceConfig(path, {})).rejects.toThrow(
      `${path}: targets.admin-api.headers.Authorization: environment variable ADMIN_API_TOKEN is not set`,
    );
    await expect(loadServiceConfig(join(dir, 'nope.yaml'), ENV)).rejects.toThrow(
      /nope\.yaml: cannot read the service configuration \(ENOENT\)/,
    );
  });

  it('loads the demo config with the variables the composition root sets', async () => {
    const config = await loadServiceConfig(DEMO_CONFIG_PATH, {
      AIRLOCK_PUBLIC_URL: 'http://localhost:8080',
      AIRLOCK_DEMO_TARGET_SECRET: 'demo-secret',
    });
    expect(config.apiKeys).toEqual([]);
    expect(config.targets['demo-echo']).toMatchObject({
      type: 'http',
      baseUrl: 'http://localhost:8080/demo/echo',
      headers: { 'X-Demo-Secret': 'demo-secret' },
    });
    expect(config.targets['demo-echo-dev']).toMatchObject({
      environment: 'dev',
      baseUrl: 'http://localhost:8080/demo/echo/dev',
    });
    expect(config.actions.map((a) => a.executor)).toEqual([
      'http.request',
      'http.request',
      'callback',
      'callback',
    ]);
    expect(config.callbacks.allow).toEqual(['http://127.0.0.1:*', 'http://localhost:*']);
  });
});
