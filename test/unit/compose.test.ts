// docker-compose.temporal.yml (SPEC 8) cannot be started here (no Docker engine), so its
// contract is checked statically: pinned images, the search attributes the one-shot service
// registers (its shell script is run against a fake `temporal` CLI) equal to
// SEARCH_ATTRIBUTE_TYPES, the UI wired to the temporal service, and only 7233, the UI and the API published.
// Its versions, driver, namespace, ports, search attributes and Airlock's environment are the ones
// the cluster test runs for real (test/cluster/contract.ts, read by both).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AIRLOCK_ENV,
  SEARCH_ATTRIBUTE_TYPES,
  TEMPORAL_DB_PLUGIN,
  TEMPORAL_FRONTEND_PORT,
  TEMPORAL_HISTORY_SHARDS,
  TEMPORAL_NAMESPACE,
  TEMPORAL_SERVER_MODULES,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_CODEC_INCLUDE_CREDENTIALS,
  TEMPORAL_UI_VERSION,
} from '../cluster/contract.js';
import {
  compose,
  envOf,
  publishedPorts,
  searchAttributeScript,
  searchAttributeService,
  services,
} from '../support/compose.js';

const CLUSTER_CONFIG_PATH = fileURLToPath(new URL('../cluster/temporal-cluster.yaml', import.meta.url));

describe('docker-compose.temporal.yml', () => {
  it('has the Temporal-on-PostgreSQL services, the UI and a search-attribute one-shot', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-admin-tools', 'temporal-ui']),
    );
    expect(searchAttributeService).toBeDefined();
    const temporal = envOf(compose.services.temporal!);
    expect(compose.services.temporal?.image).toMatch(/^temporalio\/auto-setup:/);
    expect(temporal).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql', DB_PORT: '5432' });
    const pg = envOf(compose.services.postgresql!);
    expect(temporal.POSTGRES_USER).toBe(pg.POSTGRES_USER);
    expect(temporal.POSTGRES_PWD).toBe(pg.POSTGRES_PASSWORD);
    expect(compose.services.postgresql?.image).toMatch(/^postgres:16(\.|$)/);
    expect(compose.services['temporal-ui']?.image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
  });

  it.each(services)('pins the image tag of %s (no latest, no variable)', (_name, service) => {
    const image = service.image ?? '';
    expect(image).not.toContain('$');
    const match =
      /^(?<repo>[a-z0-9][a-z0-9./_-]*):(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]*)(@sha256:[a-f0-9]{64})?$/.exec(
        image,
      );
    expect(match, `image "${image}" has no tag`).not.toBeNull();
    expect(match?.groups?.tag).not.toMatch(/^(latest|stable|main|master|edge)$/i);
    expect(match?.groups?.tag).toMatch(/\d/);
  });

  it('registers exactly SEARCH_ATTRIBUTE_TYPES, idempotently (script run against a fake CLI)', () => {
    const [, service] = searchAttributeService!;
    const env = envOf(service);
    const declared = Object.fromEntries(
      (env.AIRLOCK_SEARCH_ATTRIBUTES ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    );
    expect(declared).toEqual(SEARCH_ATTRIBUTE_TYPES);

    const rawScript = [service.command ?? []].flat().join('\n');
    // Every `$` is meant for the shell: compose would interpolate a single one from the host.
    expect(rawScript.replaceAll('$$', '')).not.toContain('$');
    expect(service.entrypoint).toEqual(['/bin/sh', '-c']);
    const { script } = searchAttributeScript();

    const run = (existing: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'airlock-compose-'));
      try {
        const log = join(dir, 'calls.log');
        writeFileSync(log, '');
        const fake = join(dir, 'temporal');
        writeFileSync(
          fake,
          [
            '#!/bin/sh',
            'echo "$*" >> "$FAKE_LOG"',
            'if [ "$2" = "search-attribute" ] && [ "$3" = "list" ]; then printf "%s\\n" "$FAKE_EXISTING"; fi',
            'exit 0',
          ].join('\n'),
        );
        chmodSync(fake, 0o755);
        const res = spawnSync('/bin/sh', ['-c', script], {
          env: { ...env, PATH: `${dir}:/usr/bin:/bin`, FAKE_LOG: log, FAKE_EXISTING: existing },
          encoding: 'utf8',
        });
        expect(res.status, res.stderr).toBe(0);
        const created: Record<string, string> = {};
        for (const line of readFileSync(log, 'utf8').split('\n')) {
          const m = /^operator search-attribute create --namespace default --name (\S+) --type (\S+)$/.exec(
            line,
          );
          if (m) created[m[1]!] = m[2]!;
        }
        return created;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    expect(run('')).toEqual(SEARCH_ATTRIBUTE_TYPES);
    const { AirlockAction: _already, ...rest } = SEARCH_ATTRIBUTE_TYPES;
    expect(run('  Name  Type\n  AirlockAction  Keyword\n  WorkflowType  Keyword')).toEqual(rest);
    expect(service.restart).toBe('no');
  });

  it('points the Web UI at the temporal service, and its codec at Airlock', () => {
    const ui = compose.services['temporal-ui']!;
    const env = envOf(ui);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(publishedPorts(compose.services.temporal!).map(([, c]) => c)).toContain(7233);
    expect(env.TEMPORAL_CODEC_ENDPOINT).toMatch(/^https?:\/\/.+\/codec$/);
    // The endpoint comes from a variable, so users point it at their Airlock.
    expect(JSON.stringify(ui.environment)).toMatch(/TEMPORAL_CODEC_ENDPOINT.*\$\{AIRLOCK_CODEC_ENDPOINT/);
    expect(env.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe(String(TEMPORAL_UI_CODEC_INCLUDE_CREDENTIALS));
    expect(Object.keys(ui.depends_on ?? {})).toContain('temporal');
  });

  it('publishes only 7233 (frontend), 8233 (UI) and 8080 (Airlock API) on the host', () => {
    const published = services.flatMap(([name, s]) =>
      publishedPorts(s).map(([host, c]) => ({ name, host, c })),
    );
    expect(published).toEqual(
      expect.arrayContaining([
        { name: 'temporal', host: 7233, c: 7233 },
        { name: 'temporal-ui', host: 8233, c: 8080 },
        { name: 'airlock-api', host: 8080, c: 8080 },
      ]),
    );
    expect(published).toHaveLength(3);
  });

  it('has healthchecks on the long-running services, depends on existing services, and uses named volumes', () => {
    for (const [name, s] of services) {
      if (s === searchAttributeService?.[1]) continue;
      expect(s.healthcheck?.test, `${name} healthcheck`).toBeDefined();
    }
    for (const [name, s] of services) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const dep of deps) expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
    }
    for (const pg of ['postgresql', 'airlock-postgresql']) {
      const pgVolumes = compose.services[pg]?.volumes ?? [];
      expect(pgVolumes.some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
      for (const v of pgVolumes) {
        const source = v.split(':')[0]!;
        expect(source, 'named volume, not a bind mount').not.toMatch(/^[./~]/);
        expect(Object.keys(compose.volumes ?? {})).toContain(source);
      }
    }
  });

  describe('is what the cluster test runs (test/cluster/contract.ts)', () => {
    it('pins the server release the cluster builds, with its driver and namespace', () => {
      expect(compose.services.temporal?.image).toBe(`temporalio/auto-setup:${TEMPORAL_SERVER_VERSION}`);
      for (const name of ['temporal-admin-tools', 'temporal-search-attributes']) {
        expect(compose.services[name]?.image).toMatch(
          new RegExp(`^temporalio/admin-tools:${TEMPORAL_SERVER_VERSION.replaceAll('.', '\\.')}-`),
        );
      }
      for (const m of TEMPORAL_SERVER_MODULES) expect(m).toMatch(new RegExp(`@v${TEMPORAL_SERVER_VERSION}$`));
      const temporal = envOf(compose.services.temporal!);
      expect(temporal.DB).toBe(TEMPORAL_DB_PLUGIN);
      expect(temporal.DEFAULT_NAMESPACE).toBe(TEMPORAL_NAMESPACE);
      // auto-setup's default shard count, which the cluster's config uses too.
      expect(temporal.NUM_HISTORY_SHARDS ?? String(TEMPORAL_HISTORY_SHARDS)).toBe(
        String(TEMPORAL_HISTORY_SHARDS),
      );
    });

    it('has the frontend port, driver and shard count in the cluster config defaults', () => {
      const config = readFileSync(CLUSTER_CONFIG_PATH, 'utf8');
      const defaultOf = (name: string) => new RegExp(`env "${name}" \\| default "([^"]+)"`).exec(config)?.[1];
      expect(defaultOf('AIRLOCK_CLUSTER_FRONTEND_PORT')).toBe(String(TEMPORAL_FRONTEND_PORT));
      expect(defaultOf('AIRLOCK_CLUSTER_SHARDS')).toBe(String(TEMPORAL_HISTORY_SHARDS));
      const plugins = [...config.matchAll(/pluginName: "([^"]+)"/g)].map((m) => m[1]);
      expect(plugins).toEqual([TEMPORAL_DB_PLUGIN, TEMPORAL_DB_PLUGIN]);
      expect(publishedPorts(compose.services.temporal!)).toContainEqual([
        TEMPORAL_FRONTEND_PORT,
        TEMPORAL_FRONTEND_PORT,
      ]);
    });

    it.each([
      ['airlock-api', 'api'],
      ['airlock-worker', 'worker'],
    ] as const)('gives %s the environment the cluster gives its %s processes', (name, role) => {
      const env = envOf(compose.services[name]!);
      expect(Object.keys(env).sort()).toEqual([...AIRLOCK_ENV.common, ...AIRLOCK_ENV[role]].sort());
      expect(env.AIRLOCK_ROLE).toBe(role);
      expect(env.TEMPORAL_NAMESPACE).toBe(TEMPORAL_NAMESPACE);
      expect(env.TEMPORAL_ADDRESS).toBe(`temporal:${TEMPORAL_FRONTEND_PORT}`);
    });
  });
});
