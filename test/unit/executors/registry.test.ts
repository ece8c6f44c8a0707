// Registry: the first binding that matches action, environment and resource wins; a request that
// fits none is refused naming the field that disagrees; checkConfig names every broken binding.
import { describe, expect, it } from 'vitest';
import type { ActionBinding, ServiceConfig } from '../../../config/types.js';
import { createBuiltinRegistry } from '../../../executors/index.js';
import { type BindingClaims, ExecutorRegistry } from '../../../executors/registry.js';
import type { Executor } from '../../../executors/types.js';

const fake = (name: string): Executor => ({ name, execute: async () => ({ ok: true }) });

function config(actions: ActionBinding[]): ServiceConfig {
  return {
    apiKeys: [],
    targets: {
      api: {
        type: 'http',
        environment: 'production',
        resources: ['api:{path}'],
        baseUrl: 'http://127.0.0.1:1',
        headers: {},
        timeoutMs: 1000,
        maxResponseBytes: 1000,
      },
      db: {
        type: 'postgres',
        environment: 'production',
        resources: ['postgres://db/*'],
        url: 'postgres://x@127.0.0.1/db',
        statementTimeoutMs: 1000,
      },
      'db-dev': {
        type: 'postgres',
        environment: 'dev',
        resources: ['postgres://db/*'],
        url: 'postgres://x@127.0.0.1/dev',
        statementTimeoutMs: 1000,
      },
    },
    actions,
    callbacks: { allow: [] },
    grants: { defaultTtlMs: 3_600_000, maxTtlMs: 86_400_000 },
    gate: { tokenTtlMs: 600_000, completionTimeoutMs: 3_600_000 },
  };
}

const claims = (over: Partial<BindingClaims> = {}): BindingClaims => ({
  action: 'db.schema.migrate',
  environment: 'production',
  resource: 'postgres://db/customers',
  parameters: {},
  ...over,
});

describe('ExecutorRegistry.bind', () => {
  const registry = new ExecutorRegistry().register(fake('a')).register(fake('b')).register(fake('c'));
  const bindings: ActionBinding[] = [
    { match: 'db.schema.*', executor: 'a', target: 'db' },
    { match: 'db.schema.*', executor: 'a', target: 'db-dev' },
    { match: 'http.*', executor: 'b', target: 'api' },
    { match: 'gate.*', executor: 'c', environments: ['staging', 'production'], resources: ['k8s://*'] },
  ];
  const bind = (over: Partial<BindingClaims>, actions = bindings) =>
    registry.bind(claims(over), { ...config(actions), actions });

  it('picks the first binding that matches action, environment and resource', () => {
    const prod = bind({});
    expect(prod.ok && [prod.executor.name, prod.target]).toEqual(['a', 'db']);
    const dev = bind({ environment: 'dev' });
    expect(dev.ok && dev.target).toBe('db-dev');
    const gate = bind({ action: 'gate.deploy', environment: 'staging', resource: 'k8s://prod/api' });
    expect(gate.ok && [gate.executor.name, gate.target]).toEqual(['c', undefined]);
  });

  it('refuses an environment no binding of the action serves, saying where it runs', () => {
    expect(bind({ action: 'http.config.update', environment: 'dev' })).toEqual({
      ok: false,
      field: 'environment',
      detail: 'http.config.update does not run in dev: it runs on target "api" in production',
    });
    expect(bind({ action: 'gate.deploy', environment: 'dev', resource: 'k8s://x' })).toMatchObject({
      ok: false,
      field: 'environment',
      detail: expect.stringContaining('the c binding for "gate.*" in staging, production'),
    });
  });

  it('refuses a resource the target does not hold, with the resource its parameters make', () => {
    expect(bind({ resource: 'postgres://other/customers' })).toMatchObject({
      ok: false,
      field: 'resource',
      detail: expect.stringContaining('target "db" holds postgres://db/*'),
    });
    const http = { action: 'http.config.update', parameters: { path: '/config' } };
    expect(bind({ ...http, resource: 'api:/config' }).ok).toBe(true);
    expect(bind({ ...http, resource: 'api:/harmless' })).toEqual({
      ok: false,
      field: 'resource',
      detail:
        'api:/harmless is not a resource of http.config.update in production: target "api" holds api:{path} (here: api:/config)',
    });
  });

  it('fills {name} from the parameters literally: globs in a parameter match only themselves', () => {
    const http = { action: 'http.x', resource: 'api:/a*' };
    expect(bind({ ...http, parameters: { path: '/a*' } }).ok).toBe(true);
    expect(bind({ ...http, parameters: { path: '/a*b' } }).ok).toBe(false);
    expect(bind({ ...http, resource: 'api:/abc', parameters: { path: '/a*' } }).ok).toBe(false);
    expect(bind({ ...http, parameters: {} }).ok).toBe(false);
    expect(bind({ ...http, parameters: { path: ['/a*'] } }).ok).toBe(false);
  });

  it('keeps the executor the action chose: a catch-all of another executor takes nothing it refuses', async () => {
    const catchAll: ActionBinding = { match: '*', executor: 'c', environments: ['dev'], resources: ['*'] };
    const withCatchAll = [...bindings, catchAll];
    expect(bind({ action: 'http.x', environment: 'dev' }, withCatchAll)).toMatchObject({
      ok: false,
      field: 'environment',
    });
    expect(
      bind({ action: 'http.x', resource: 'api:/other', parameters: { path: '/x' } }, withCatchAll),
    ).toMatchObject({ ok: false, field: 'resource' });
    const other = bind({ action: 'shell.exec', environment: 'dev', resource: 'x' }, withCatchAll);
    expect(other.ok && other.executor.name).toBe('c');
  });

  it('refuses an action without a binding, or whose deciding binding names an unknown executor', () => {
    expect(bind({ action: 'shell.exec' })).toMatchObject({ ok: false, field: 'action' });
    expect(bind({}, [{ match: 'db.*', executor: 'nope', target: 'db' }, ...bindings])).toMatchObject({
      ok: false,
      field: 'action',
    });
  });

  it('refuses a second executor with the same name', () => {
    expect(() => new ExecutorRegistry().register(fake('a')).register(fake('a'))).toThrow(
      /already registered/,
    );
  });
});

describe('ExecutorRegistry.checkConfig', () => {
  const registry = createBuiltinRegistry();

  it('accepts the configuration of SPEC 9', () => {
    const actions: ActionBinding[] = [
      { match: 'http.*', executor: 'http.request', target: 'api' },
      { match: 'db.schema.*', executor: 'postgres.sql', target: 'db' },
      { match: 'db.grant', executor: 'postgres.grant', target: 'db' },
      { match: '*', executor: 'callback', environments: ['production'] },
    ];
    expect(registry.checkConfig(config(actions))).toEqual([]);
  });

  it('names unknown executors, unknown targets, wrong target types and missing targets', () => {
    const problems = registry.checkConfig(
      config([
        { match: 'a', executor: 'shell.exec' },
        { match: 'b', executor: 'http.request', target: 'nowhere' },
        { match: 'c', executor: 'postgres.sql', target: 'api' },
        { match: 'd', executor: 'http.request' },
        { match: 'e', executor: 'callback', target: 'db' },
        { match: 'f', executor: 'postgres.grant', target: 'toString' },
        { match: 'g', executor: 'callback' },
      ]),
    );
    expect(problems).toHaveLength(7);
    expect(problems[0]).toMatch(/actions\[0\].*unknown executor "shell.exec"/);
    expect(problems[1]).toMatch(/actions\[1\].*unknown target "nowhere"/);
    expect(problems[2]).toMatch(/actions\[2\].*type http.*needs postgres/);
    expect(problems[3]).toMatch(/actions\[3\].*needs a target of type http/);
    expect(problems[4]).toMatch(/actions\[4\].*takes no target/);
    expect(problems[5]).toMatch(/actions\[5\].*unknown target "toString"/);
    expect(problems[6]).toMatch(/actions\[6\].*without a target must name the environments/);
  });
});
