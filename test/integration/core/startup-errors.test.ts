// Bad configuration stops start-up (SPEC 9): startAirlock from main.ts rejects with a ConfigError
// whose message names the file or variable and the field, before it touches the database or
// Temporal, and leaves nothing running (no listening socket, no file watcher).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../../../config/errors.js';
import { startAirlock } from '../../../main.js';
import { silentLogger } from '../../support/harness.js';
import { CORE_POLICY } from './fixtures.js';

// Nothing listens on port 1: if start-up got past validation it would fail on the database (or
// Temporal) with a connection error, not a ConfigError, and the assertions below would catch it.
const UNREACHABLE_DB = 'postgres://airlock:secret-db-password@127.0.0.1:1/none';
const UNREACHABLE_TEMPORAL = '127.0.0.1:1';

const GOOD_CONFIG = `targets:
  echo: { type: http, environment: production, resources: ["admin-api:*"], baseUrl: "http://127.0.0.1:9", headers: { Authorization: "Bearer \${ECHO_TOKEN}" } }
actions:
  - { match: "http.*", executor: http.request, target: echo }
  - { match: "*", executor: callback, environment: production }
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Setup {
  policy?: string;
  config?: string;
  /** Variables to add (a value) or remove (undefined) from the harness-shaped environment. */
  env?: Record<string, string | undefined>;
}

function setup(s: Setup = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-start-'));
  dirs.push(dir);
  const policyPath = join(dir, 'policy.yaml');
  const configPath = join(dir, 'airlock.yaml');
  writeFileSync(policyPath, s.policy ?? CORE_POLICY);
  writeFileSync(configPath, s.config ?? GOOD_CONFIG);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: '0',
    AIRLOCK_CONFIG: configPath,
    AIRLOCK_POLICY: policyPath,
    AIRLOCK_DATA_DIR: join(dir, 'data'),
    AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: UNREACHABLE_DB,
    TEMPORAL_ADDRESS: UNREACHABLE_TEMPORAL,
    TEMPORAL_TASK_QUEUE: `airlock-start-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'silent',
    ECHO_TOKEN: 'echo-token-value',
  };
  for (const [k, v] of Object.entries(s.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return { dir, policyPath, configPath, env };
}

/** Resources that would keep the process alive after a failed start. */
function liveHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) {
    if (r === 'TCPServerWrap' || r === 'FSEventWrap' || r === 'TCPSocketWrap' || r === 'StatWatcher')
      counts[r] = (counts[r] ?? 0) + 1;
  }
  return counts;
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

/** The handle counts once earlier tests' closed handles have gone (two equal readings in a row). */
async function settledHandles(): Promise<Record<string, number>> {
  let last = JSON.stringify(liveHandles());
  for (let i = 0; i < 50; i++) {
    await tick();
    const now = JSON.stringify(liveHandles());
    if (now === last) return JSON.parse(now) as Record<string, number>;
    last = now;
  }
  return JSON.parse(last) as Record<string, number>;
}

/** Asserts no more handles of any kind are open than before (closing may take a few ticks). */
async function expectNoNewHandles(before: Record<string, number>): Promise<void> {
  const extra = () =>
    Object.entries(liveHandles())
      .filter(([k, n]) => n > (before[k] ?? 0))
      .map(([k, n]) => `${k}: ${n}`);
  for (let i = 0; i < 100 && extra().length > 0; i++) await tick();
  expect(extra(), 'handles left open after the failed start').toEqual([]);
}

/**
 * Starts Airlock with env; it must reject quickly, before any connection attempt, leaving nothing
 * open, and with a ConfigError. The class check is soft so the message checks still run (and
 * report) when start-up fails with the wrong class.
 */
async function startFails(env: NodeJS.ProcessEnv): Promise<ConfigError> {
  const before = await settledHandles();
  const started = Date.now();
  const outcome = await startAirlock(env, {
    logger: silentLogger,
    workflowBundlePath: inject('workflowBundlePath'),
  }).then(
    async (running) => {
      await running.stop();
      return 'started';
    },
    (err: unknown) => err,
  );
  const elapsed = Date.now() - started;
  await expectNoNewHandles(before);
  expect(outcome, 'startAirlock succeeded with a bad configuration').not.toBe('started');
  expect(outcome).toBeInstanceOf(Error);
  // Validation errors come before any connection attempt (the DB timeout alone is 5 s).
  expect(elapsed).toBeLessThan(4500);
  expect(String((outcome as Error).message)).not.toMatch(
    /ECONNREFUSED|connection refused|failed to connect|timed out/i,
  );
  expect
    .soft(outcome, `${(outcome as Error).name}: ${(outcome as Error).message}`)
    .toBeInstanceOf(ConfigError);
  if (outcome instanceof ConfigError) {
    expect(outcome.name).toBe('ConfigError');
    expect(outcome.issues.length).toBeGreaterThan(0);
    expect(outcome.message).toBe(outcome.issues.join('\n'));
  }
  return outcome as ConfigError;
}

/** A port that is free now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, () => s.close(() => resolve(true)));
  });
}

describe('the policy file', () => {
  it('an unknown group in a stage names the file, rule, stage and group', async () => {
    const { env, policyPath } = setup({
      policy: `version: 1
groups:
  dba: [dana@example.com]
rules:
  - name: prod
    match: { environment: production }
    effect: require_approval
    stages:
      - { approvers: [dbas], timeout: 10m }
`,
    });
    const err = await startFails(env);
    expect(err.message).toContain(policyPath);
    expect(err.message).toContain('rules[0] (prod).stages[0].approvers[0]');
    expect(err.message).toMatch(/unknown group "dbas"/);
    expect(err.message).toMatch(/known groups: dba/);
  });

  it('a CEL syntax error names the file, rule and `when`', async () => {
    const { env, policyPath } = setup({
      policy: `version: 1
rules:
  - name: broken-cel
    match: { action: "db.*" }
    when: 'parameters.sql.matches("drop" &&'
    effect: deny
default:
  effect: deny
`,
    });
    const err = await startFails(env);
    expect(err.message).toContain(policyPath);
    expect(err.message).toContain('rules[0] (broken-cel).when');
  });

  it('a YAML syntax error names the file and line', async () => {
    const { env, policyPath } = setup({ policy: 'version: 1\nrules: [\n  - name: x\n' });
    const err = await startFails(env);
    expect(err.message).toContain(policyPath);
    expect(err.message).toMatch(/YAML syntax error/);
  });

  it('a missing policy file names AIRLOCK_POLICY or the path', async () => {
    const { env, dir } = setup();
    const missing = join(dir, 'no-such-policy.yaml');
    env.AIRLOCK_POLICY = missing;
    const err = await startFails(env);
    expect(err.message).toContain(missing);
  });
});

describe('the service configuration', () => {
  it('an unknown target in a binding names the file, binding and target', async () => {
    const { env, configPath } = setup({
      config: `targets:
  echo: { type: http, environment: production, resources: ["*"], baseUrl: "http://127.0.0.1:9" }
actions:
  - { match: "http.*", executor: http.request, target: missing-target }
`,
    });
    const err = await startFails(env);
    expect(err.message).toContain(configPath);
    expect(err.message).toContain('actions[0].target');
    expect(err.message).toMatch(/unknown target "missing-target" \(defined: echo\)/);
    expect(err.message).toMatch(/\(line 4\)/);
  });

  it('an unset $ENV_VAR reference names the file, field and variable', async () => {
    const { env, configPath } = setup({ env: { ECHO_TOKEN: undefined } });
    const err = await startFails(env);
    expect(err.issues).toHaveLength(1);
    expect(err.message).toContain(configPath);
    expect(err.message).toContain('targets.echo.headers.Authorization');
    expect(err.message).toMatch(/environment variable ECHO_TOKEN is not set/);
  });

  it('an empty $ENV_VAR reference is refused too', async () => {
    const { env } = setup({ env: { ECHO_TOKEN: '' } });
    const err = await startFails(env);
    expect(err.message).toMatch(
      /targets\.echo\.headers\.Authorization: environment variable ECHO_TOKEN is empty/,
    );
  });

  it('an unknown top-level key names it', async () => {
    const { env, configPath } = setup({ config: `${GOOD_CONFIG}callbacks: { allow: [] }\nrateLimit: 5\n` });
    const err = await startFails(env);
    expect(err.message).toContain(configPath);
    expect(err.message).toMatch(/rateLimit: unknown field/);
  });

  it('a missing config file names the path', async () => {
    const { env, dir } = setup();
    const missing = join(dir, 'no-such-config.yaml');
    env.AIRLOCK_CONFIG = missing;
    const err = await startFails(env);
    expect(err.message).toContain(missing);
  });
});

describe('the environment', () => {
  it('PORT=abc names PORT and the value', async () => {
    const { env } = setup({ env: { PORT: 'abc' } });
    const err = await startFails(env);
    expect(err.issues).toEqual(['PORT: must be an integer between 0 and 65535, got "abc"']);
  });

  it('PORT=70000 is out of range', async () => {
    const { env } = setup({ env: { PORT: '70000' } });
    const err = await startFails(env);
    expect(err.message).toMatch(/^PORT: must be an integer between 0 and 65535/);
  });

  it('a partial OIDC set names each missing variable', async () => {
    const { env } = setup({ env: { OIDC_ISSUER: 'https://issuer.example.com' } });
    const err = await startFails(env);
    expect(err.issues).toHaveLength(2);
    expect(err.message).toMatch(/^OIDC_AUDIENCE: is not set, but OIDC_ISSUER is/m);
    expect(err.message).toMatch(/^OIDC_JWKS_URL: is not set, but OIDC_ISSUER is/m);
  });

  it('AIRLOCK_CONFIG set but AIRLOCK_ENCRYPTION_KEY missing names the key', async () => {
    const { env } = setup({ env: { AIRLOCK_ENCRYPTION_KEY: undefined } });
    const err = await startFails(env);
    expect(err.issues).toHaveLength(1);
    expect(err.message).toMatch(/^AIRLOCK_ENCRYPTION_KEY: is required outside demo mode/);
  });

  it('AIRLOCK_CONFIG alone (no policy, no key) names both missing variables', async () => {
    const { env } = setup({ env: { AIRLOCK_POLICY: undefined, AIRLOCK_ENCRYPTION_KEY: undefined } });
    const err = await startFails(env);
    expect(err.message).toMatch(/^AIRLOCK_POLICY: is required outside demo mode/m);
    expect(err.message).toMatch(/^AIRLOCK_ENCRYPTION_KEY: is required outside demo mode/m);
    expect(err.message).not.toMatch(/^AIRLOCK_CONFIG:/m);
  });

  it('a malformed encryption key is named but never echoed', async () => {
    const value = 'c2hvcnQta2V5LXRoYXQtaXMtbm90LTMyLWJ5dGVz';
    const { env } = setup({ env: { AIRLOCK_ENCRYPTION_KEY: value } });
    const err = await startFails(env);
    expect(err.message).toMatch(/^AIRLOCK_ENCRYPTION_KEY: must be the base64 encoding of exactly 32 bytes$/);
    expect(err.message).not.toContain(value);
  });

  it('a malformed DATABASE_URL is named but its password never echoed', async () => {
    const { env } = setup({ env: { DATABASE_URL: 'mysql://root:hunter2@db/airlock' } });
    const err = await startFails(env);
    expect(err.message).toMatch(/^DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL$/);
    expect(err.message).not.toContain('hunter2');
  });

  it('several bad variables are all reported at once', async () => {
    const { env } = setup({ env: { PORT: 'abc', TEMPORAL_ADDRESS: 'no-port', LOG_LEVEL: 'loud' } });
    const err = await startFails(env);
    const names = err.issues.map((l) => l.split(':')[0]).sort();
    expect(names).toEqual(['LOG_LEVEL', 'PORT', 'TEMPORAL_ADDRESS']);
  });
});

describe('nothing is left running', () => {
  it('a config error after the API port was bound releases the port', async () => {
    const port = await freePort();
    const { env } = setup({ env: { PORT: String(port), ECHO_TOKEN: undefined } });
    await startFails(env);
    expect(await canListen(port)).toBe(true);
  });

  it('a policy error after the API port was bound releases the port', async () => {
    const port = await freePort();
    const { env } = setup({
      env: { PORT: String(port) },
      policy:
        'version: 1\nrules:\n  - { name: x, effect: require_approval, stages: [{ approvers: [nobody], timeout: 1m }] }\n',
    });
    await startFails(env);
    expect(await canListen(port)).toBe(true);
  });

  it('control: the same files, valid, get past validation and fail only at the database', async () => {
    const before = await settledHandles();
    const { env } = setup();
    const err = await startAirlock(env, { logger: silentLogger }).then(
      async (running) => {
        await running.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ConfigError);
    // The database URL's password does not leak into the error.
    expect(String((err as Error).message)).not.toContain('secret-db-password');
    await expectNoNewHandles(before);
  });
});
