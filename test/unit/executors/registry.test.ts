// Registry: first matching binding wins, unknown executors resolve to nothing, and checkConfig
// names every broken binding so that start-up can refuse it.
import { describe, expect, it } from 'vitest';
import type { ActionBinding, ServiceConfig } from '../../../config/types.js';
import { createBuiltinRegistry } from '../../../executors/index.js';
import { ExecutorRegistry } from '../../../executors/registry.js';
import type { Executor } from '../../../executors/types.js';

const fake = (name: string): Executor => ({ name, execute: async () => ({ ok: true }) });

function config(actions: ActionBinding[]): ServiceConfig {
  return {
    apiKeys: [],
    targets: {
      api: {
        type: 'http',
        baseUrl: 'http://127.0.0.1:1',
        headers: {},
        timeoutMs: 1000,
        maxResponseBytes: 1000,
      },
      db: { type: 'postgres', url: 'postgres://x@127.0.0.1/db', statementTimeoutMs: 1000 },
    },
    actions,
    callbacks: { allow: [] },
    grants: { defaultTtlMs: 3_600_000, maxTtlMs: 86_400_000 },
    gate: { tokenTtlMs: 600_000, completionTimeoutMs: 3_600_000 },
  };
}

describe('ExecutorRegistry.resolve', () => {
  const registry = new ExecutorRegistry().register(fake('a')).register(fake('b')).register(fake('c'));
  const bindings: ActionBinding[] = [
    { match: 'db.schema.*', executor: 'a', target: 'db' },
    { match: 'db.*', executor: 'b' },
    { match: '*', executor: 'c' },
  ];

  it('picks the first matching binding', () => {
    expect(registry.resolve('db.schema.migrate', bindings)?.executor.name).toBe('a');
    expect(registry.resolve('db.schema.migrate', bindings)?.target).toBe('db');
    expect(registry.resolve('db.export', bindings)?.executor.name).toBe('b');
    expect(registry.resolve('http.call', bindings)?.executor.name).toBe('c');
  });

  it('returns undefined without a match, or when the first match names an unknown executor', () => {
    expect(registry.resolve('http.call', bindings.slice(0, 2))).toBeUndefined();
    expect(registry.resolve('x', [{ match: 'x', executor: 'nope' }, ...bindings])).toBeUndefined();
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
      { match: '*', executor: 'callback' },
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
      ]),
    );
    expect(problems).toHaveLength(6);
    expect(problems[0]).toMatch(/actions\[0\].*unknown executor "shell.exec"/);
    expect(problems[1]).toMatch(/actions\[1\].*unknown target "nowhere"/);
    expect(problems[2]).toMatch(/actions\[2\].*type http.*needs postgres/);
    expect(problems[3]).toMatch(/actions\[3\].*needs a target of type http/);
    expect(problems[4]).toMatch(/actions\[4\].*takes no target/);
    expect(problems[5]).toMatch(/actions\[5\].*unknown target "toString"/);
  });
});
