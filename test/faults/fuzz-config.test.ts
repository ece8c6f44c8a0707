// Fault case 6 (files and environment): property-based fuzzing of the policy loader, the service
// configuration and the environment parser. Whatever the input, each either loads or fails with
// its own error type (PolicyLoadError / ConfigError) and precise lines naming the file, field or
// variable; never another exception (a crash at start-up or on hot reload), never a hang, and a
// secret's value never appears in a message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseEnv } from '../../config/env.js';
import { ConfigError } from '../../config/errors.js';
import { parseServiceConfig } from '../../config/service.js';
import { PolicyLoadError, parsePolicy } from '../../policy/load.js';
import { CORE_POLICY, coreConfig } from '../integration/core/fixtures.js';
import { channelsPolicy } from './channels-world.js';
import { checkProperty, printable } from './fuzz-support.js';
import { size } from './support.js';

type Json = unknown;

/** Replaces the value at a random path of `doc` with `value` (or deletes it when value is undefined). */
function mutateAt(doc: Json, pick: number[], value: Json | undefined): Json {
  const copy = structuredClone(doc) as Json;
  let node = copy as Record<string, Json> | Json[];
  for (let i = 0; i < pick.length; i++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[pick[i]! % keys.length]!;
    const child = (node as Record<string, Json>)[key];
    const last = i === pick.length - 1 || typeof child !== 'object' || child === null;
    if (last) {
      if (value === undefined) {
        if (Array.isArray(node)) node.splice(Number(key), 1);
        else delete (node as Record<string, Json>)[key];
      } else (node as Record<string, Json>)[key] = value;
      break;
    }
    node = child as Record<string, Json>;
  }
  return copy;
}

/** YAML texts near a valid one: structural mutations, line edits, and plain noise. */
function nearYaml(valid: string): fc.Arbitrary<string> {
  const doc = parse(valid) as Json;
  const lines = valid.split('\n');
  const scalar = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(
      '',
      '1h',
      '-1s',
      '0s',
      '99999999999d',
      'P1D',
      '*',
      '**',
      '[',
      '(?i)',
      'a'.repeat(5000),
      'parameters.sql.matches("(")',
      'parameters.x.y.z > 1',
      '1 +',
      'size(parameters) == "a"',
      '$'.concat('{NOT_SET}'),
      '$'.concat('{file:/nonexistent}'),
      'http://',
      'postgres://',
    ),
  );
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 5 }),
          fc.option(scalar, { nil: undefined, freq: 6 }),
        )
        .map(([pick, value]) => stringify(mutateAt(doc, pick, value))),
    },
    fc
      .tuple(
        fc.nat({ max: lines.length - 1 }),
        fc.oneof(printable(60), fc.constant(''), fc.constant('  - x')),
      )
      .map(([i, s]) => [...lines.slice(0, i), s, ...lines.slice(i + 1)].join('\n')),
    fc.nat({ max: lines.length - 1 }).map((i) => [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n')),
    fc.string({ maxLength: 300 }),
    fc.constantFrom(
      '',
      '---',
      '~',
      '[]',
      '"x"',
      '&a [*a]',
      'a: &a [*a, *a, *a]\nb: *a',
      '? [a]\n: b',
      '!!binary x',
    ),
  );
}

/** Runs fn; the property fails on anything but a normal return or an error of the expected type. */
function loadsOrRefuses<E extends Error & { issues: readonly unknown[] }>(
  fn: () => unknown,
  type: new (...args: never[]) => E,
  what: string,
): E | undefined {
  const started = Date.now();
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof type)) {
      throw new Error(`${what}: threw ${(err as Error)?.name}: ${(err as Error)?.message ?? String(err)}`);
    }
    expect(err.issues.length, what).toBeGreaterThan(0);
    expect(err.message.length, what).toBeGreaterThan(0);
    return err;
  } finally {
    expect(Date.now() - started, `${what}: took too long`).toBeLessThan(2000);
  }
}

describe('fault 6: fuzzing the policy file, the service configuration and the environment', () => {
  it('policy files: load, or a PolicyLoadError naming the file and field', async (ctx) => {
    const arb = fc.oneof(nearYaml(CORE_POLICY), nearYaml(channelsPolicy()));
    await checkProperty(
      ctx,
      fc.property(arb, (text) => {
        const err = loadsOrRefuses(
          () => parsePolicy(text, 'fuzz-policy.yaml'),
          PolicyLoadError,
          text.slice(0, 300),
        );
        if (err) {
          for (const line of err.message.split('\n'))
            expect(line).toMatch(/^policy file fuzz-policy\.yaml: \S/);
          for (const issue of err.issues) expect(issue.message.length).toBeGreaterThan(0);
        }
      }),
      size(150, 3000),
    );
  });

  it('CEL `when` expressions: compile, or a load error (never a crash or a silent false)', async (ctx) => {
    const expr = fc.oneof(
      printable(80),
      fc
        .array(
          fc.constantFrom(
            'parameters',
            '.sql',
            '.matches(',
            '"(?i)drop"',
            ')',
            ' && ',
            ' || ',
            '!',
            'size(',
            'labels',
            '["x"]',
            ' == ',
            '1',
            '"a"',
            'requester',
            '.startsWith("x")',
            'now',
            ' > ',
            'timestamp("2020-01-01T00:00:00Z")',
            '(',
            ' in ',
            '[1,2]',
            'has(',
            'context.recent.requester',
          ),
          { maxLength: 12 },
        )
        .map((parts) => parts.join('')),
    );
    await checkProperty(
      ctx,
      fc.property(expr, (when) => {
        const text = `version: 1
groups: { dba: [dana@example.com] }
rules:
  - name: fuzzed
    match: { action: "db.*" }
    when: ${JSON.stringify(when)}
    effect: deny
default: { effect: require_approval, stages: [{ approvers: [dba], timeout: 1h }] }
`;
        loadsOrRefuses(() => parsePolicy(text, 'fuzz-cel.yaml'), PolicyLoadError, when);
      }),
      size(150, 3000),
    );
  });

  it('service configuration: load, or a ConfigError naming the file and field', async (ctx) => {
    const valid = `apiKeys:\n  - { principal: ci@example.com, roles: [requester], sha256: ${'a'.repeat(64)} }\n${coreConfig(
      'http://127.0.0.1:9000',
      'postgres://u@127.0.0.1:5432/db',
    )}`;
    await checkProperty(
      ctx,
      fc.property(nearYaml(valid), (text) => {
        const err = loadsOrRefuses(
          () =>
            parseServiceConfig(text, 'fuzz-airlock.yaml', { SOME_VAR: 'x' }, { readFile: () => 'secret' }),
          ConfigError,
          text.slice(0, 300),
        );
        if (err) for (const line of err.issues) expect(line).toMatch(/^fuzz-airlock\.yaml(:| )/);
      }),
      size(150, 3000),
    );
  });

  it('environment: parse, or a ConfigError naming each variable, without secret values', async (ctx) => {
    const SECRET = 'S3CRET-fuzz-value-7f2a';
    const names = [
      'AIRLOCK_ROLE',
      'AIRLOCK_DEMO',
      'LOG_LEVEL',
      'PORT',
      'AIRLOCK_PUBLIC_URL',
      'AIRLOCK_CONFIG',
      'AIRLOCK_POLICY',
      'OIDC_ISSUER',
      'OIDC_AUDIENCE',
      'OIDC_JWKS_URL',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_TASK_QUEUE',
      'TEMPORAL_UI_URL',
      'TEMPORAL_UI_PORT',
      'TEMPORAL_PORT',
      'DATABASE_URL',
      'AIRLOCK_DATA_DIR',
      'AIRLOCK_ENCRYPTION_KEY',
      'AIRLOCK_ENCRYPTION_KEYS_OLD',
      'AIRLOCK_MIGRATION_DATABASE_URL',
      'AIRLOCK_ARCHIVE_INTERVAL',
      'AIRLOCK_WORKER_CACHED_WORKFLOWS',
      'TEAMS_APP_ID',
      'TEAMS_APP_PASSWORD',
      'TEAMS_APP_TENANT_ID',
      'TEAMS_ALLOWED_TENANTS',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'SLACK_EMAIL_LOOKUP',
      'BOTFRAMEWORK_OPENID_METADATA_URL',
      'BOTFRAMEWORK_TOKEN_ISSUER',
      'BOTFRAMEWORK_LOGIN_URL',
      'SLACK_API_URL',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'OTEL_SERVICE_NAME',
      'OTEL_SDK_DISABLED',
    ];
    const secrets = new Set([
      'AIRLOCK_ENCRYPTION_KEY',
      'AIRLOCK_ENCRYPTION_KEYS_OLD',
      'AIRLOCK_MIGRATION_DATABASE_URL',
      'DATABASE_URL',
      'TEAMS_APP_PASSWORD',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
    ]);
    const value = (name: string) =>
      fc.oneof(
        fc.constantFrom(
          '',
          ' ',
          'true',
          'yes',
          '0',
          '-1',
          '65536',
          '1e3',
          'http://x',
          'https://login.example',
          'ftp://x',
          'postgres://u:p@h:5432/db',
          'localhost:7233',
          ':0',
          'a,b,,c',
          '5m',
          '0s',
          'P1D',
          Buffer.alloc(32, 1).toString('base64'),
          Buffer.alloc(31, 1).toString('base64'),
          'silent',
          'worker',
        ),
        printable(40),
        // A secret-shaped value: if it lands in a secret variable, it must not be echoed.
        secrets.has(name) ? fc.constant(`${SECRET}${name}`) : printable(10),
      );
    const envArb = fc
      .subarray(names, { maxLength: 12 })
      .chain((chosen) => fc.record(Object.fromEntries(chosen.map((n) => [n, value(n)]))));
    await checkProperty(
      ctx,
      fc.property(envArb, (env) => {
        const err = loadsOrRefuses(
          () => parseEnv(env as NodeJS.ProcessEnv),
          ConfigError,
          JSON.stringify(env),
        );
        if (!err) return;
        expect(err.message).not.toContain(SECRET);
        for (const line of err.issues) expect(line).toMatch(/^[A-Z][A-Z0-9_]*(, [A-Z][A-Z0-9_]*)*[:, ]/);
      }),
      size(200, 5000),
    );
  });
});
