// Airlock's own services in docker-compose.temporal.yml, checked statically (no Docker engine
// here): api and worker roles of one image built from the Dockerfile, their environment parses
// with config/env.ts and names only variables the code reads, and the ports, database and
// Temporal address agree with the services they point at.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseEnv } from '../../../config/env.js';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}
const compose = parse(readFileSync(root('docker-compose.temporal.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const dockerfile = readFileSync(root('Dockerfile'), 'utf8');
const HOST_VARS: Record<string, string> = { AIRLOCK_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };

/** Compose interpolation: ${VAR:-default}, ${VAR:?error} (from HOST_VARS, else an error). */
function interpolate(v: string): string {
  return v.replace(
    /\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      if (HOST_VARS[name] !== undefined) return HOST_VARS[name];
      if (op === '?') throw new Error(`${name} is required: ${arg}`);
      return arg ?? '';
    },
  );
}
const envOf = (s: Service) =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));

/** Every environment variable the code reads: config/env.ts (raw.X) and main.ts (rawEnv.X). */
const known = new Set(
  [readFileSync(root('config/env.ts'), 'utf8'), readFileSync(root('main.ts'), 'utf8')].flatMap((src) =>
    [...src.matchAll(/\b(?:raw|rawEnv)\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!),
  ),
);

const api = compose.services['airlock-api']!;
const worker = compose.services['airlock-worker']!;

describe('Airlock services in docker-compose.temporal.yml', () => {
  it('runs one image, built from the Dockerfile, as api and worker', () => {
    expect(api.build).toBe('.');
    expect(worker.image).toBe(api.image);
    expect(envOf(api).AIRLOCK_ROLE).toBe('api');
    expect(envOf(worker).AIRLOCK_ROLE).toBe('worker');
    expect(dockerfile).toMatch(/^CMD \["node", "--import", "tsx", "main\.ts"\]$/m);
  });

  it.each([
    ['airlock-api', api],
    ['airlock-worker', worker],
  ])('%s: its environment parses and names only variables the code reads', (_name, s) => {
    const env = envOf(s);
    for (const k of Object.keys(env)) expect(known, k).toContain(k);
    const parsed = parseEnv(env);
    expect(parsed.temporal.address).toBe('temporal:7233');
    expect(parsed.demoMode).toBe(false);
    expect(() => interpolate(String(s.environment?.AIRLOCK_ENCRYPTION_KEY))).not.toThrow();
    expect(String(s.environment?.AIRLOCK_ENCRYPTION_KEY)).toMatch(/^\$\{AIRLOCK_ENCRYPTION_KEY:\?/);
    expect(Object.keys(s.depends_on ?? {})).toEqual(
      expect.arrayContaining(['temporal', 'airlock-postgresql']),
    );
  });

  it('points DATABASE_URL at airlock-postgresql with its user, password and database', () => {
    const pg = envOf(compose.services['airlock-postgresql']!);
    const url = new URL(envOf(api).DATABASE_URL!);
    expect(url.hostname).toBe('airlock-postgresql');
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    expect(envOf(worker).DATABASE_URL).toBe(envOf(api).DATABASE_URL);
    expect(compose.services.temporal?.ports).toContain('7233:7233');
  });

  it('agrees on ports: API on PORT, worker metrics on METRICS_PORT, SDK metrics, Dockerfile EXPOSE', () => {
    const port = envOf(api).PORT!;
    expect(api.ports).toContain(`8080:${port}`);
    expect(api.healthcheck?.test?.join(' ')).toContain(`127.0.0.1:${port}/readyz`);
    const w = envOf(worker);
    expect(worker.expose).toEqual(
      expect.arrayContaining([w.METRICS_PORT, w.TEMPORAL_METRICS_ADDRESS!.split(':')[1]]),
    );
    expect(worker.healthcheck?.test?.join(' ')).toContain(`127.0.0.1:${w.METRICS_PORT}/healthz`);
    const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)?.[1]?.split(/\s+/) ?? [];
    expect(exposed).toEqual(
      expect.arrayContaining([port, w.METRICS_PORT, w.TEMPORAL_METRICS_ADDRESS!.split(':')[1]]),
    );
    expect(worker.ports ?? []).toEqual([]);
  });

  it('mounts the config read-only at the paths AIRLOCK_CONFIG and AIRLOCK_POLICY name', () => {
    for (const s of [api, worker]) {
      const env = envOf(s);
      const mount = (s.volumes ?? []).map(interpolate).find((v) => v.endsWith(':ro'))!;
      const target = mount.split(':')[1]!;
      expect(env.AIRLOCK_CONFIG?.startsWith(`${target}/`)).toBe(true);
      expect(env.AIRLOCK_POLICY?.startsWith(`${target}/`)).toBe(true);
    }
  });
});
