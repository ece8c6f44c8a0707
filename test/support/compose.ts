// docker-compose.temporal.yml parsed, for the tests that check it statically
// (test/unit/compose.test.ts) and for the cluster test, which runs its search-attribute one-shot
// against the real server.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const COMPOSE_PATH = fileURLToPath(new URL('../../docker-compose.temporal.yml', import.meta.url));

export interface Service {
  image?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number)[];
  expose?: (string | number)[];
  healthcheck?: { test?: string | string[] };
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: string[];
  entrypoint?: string | string[];
  command?: string | string[];
  restart?: string;
}
export interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

export const compose = parse(readFileSync(COMPOSE_PATH, 'utf8')) as Compose;
export const services = Object.entries(compose.services);

/** Compose's own interpolation, as far as this file uses it: `${VAR:-default}` (VAR unset) and `$$`. */
export function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (m, _name, fallback) =>
    m === '$$' ? '$' : (fallback ?? ''),
  );
}

export function envOf(service: Service): Record<string, string> {
  const env: Record<string, string> = {};
  const raw = service.environment ?? {};
  if (Array.isArray(raw)) {
    for (const line of raw) {
      const at = line.indexOf('=');
      env[at < 0 ? line : line.slice(0, at)] = at < 0 ? '' : interpolate(line.slice(at + 1));
    }
  } else {
    for (const [k, v] of Object.entries(raw)) env[k] = v === null ? '' : interpolate(String(v));
  }
  return env;
}

/** [host, container] for each published port ("7233:7233", "127.0.0.1:8080:8080/tcp"). */
export function publishedPorts(service: Service): [number, number][] {
  return (service.ports ?? []).map((p) => {
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const container = Number(parts.at(-1));
    const host = parts.length > 1 ? Number(parts.at(-2)) : Number.NaN;
    return [host, container];
  });
}

export const searchAttributeService = services.find(([, s]) =>
  JSON.stringify(s.command ?? '').includes('search-attribute create'),
);

/** The one-shot's shell script as the container's /bin/sh -c receives it (compose's `$$` undone). */
export function searchAttributeScript(): { script: string; env: Record<string, string> } {
  const [, service] = searchAttributeService ?? [];
  if (!service) throw new Error('docker-compose.temporal.yml has no search-attribute one-shot');
  return { script: interpolate([service.command ?? []].flat().join('\n')), env: envOf(service) };
}
