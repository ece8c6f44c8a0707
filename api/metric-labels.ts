// The `action` and `environment` labels of every metric, bounded by the configuration: callers
// write both fields, and a label that takes whatever they send lets any requester create series
// without end (Prometheus' memory, every dashboard). An action is labelled with the pattern of the
// action binding it matches (`db.schema.*`), an environment with itself when a target or binding
// declares it; anything else is `other`.
import type { ServiceConfig } from '../config/types.js';
import { globToRegExp } from '../policy/glob.js';

export const OTHER = 'other';

export interface LabelBounds {
  /** The action bindings' `match` globs, in binding order (the first match names the series). */
  actions: readonly string[];
  /** The environments targets and bindings declare. */
  environments: readonly string[];
}

export type MetricLabeler = (
  action: unknown,
  environment: unknown,
) => { action: string; environment: string };

/** What a service configuration allows as label values. */
export function labelBoundsOf(config: Pick<ServiceConfig, 'actions' | 'targets'>): LabelBounds {
  const environments = new Set<string>();
  for (const target of Object.values(config.targets)) environments.add(target.environment);
  for (const binding of config.actions) for (const e of binding.environments ?? []) environments.add(e);
  return { actions: config.actions.map((b) => b.match), environments: [...environments] };
}

/** Without bounds (tests of the series themselves) every value is kept as it is. */
export function metricLabeler(bounds?: LabelBounds): MetricLabeler {
  if (!bounds) return (action, environment) => ({ action: str(action), environment: str(environment) });
  const patterns = bounds.actions.map((glob) => ({ glob, re: globToRegExp(glob) }));
  const environments = new Set(bounds.environments);
  return (action, environment) => ({
    action: (typeof action === 'string' && patterns.find((p) => p.re.test(action))?.glob) || OTHER,
    environment: typeof environment === 'string' && environments.has(environment) ? environment : OTHER,
  });
}

function str(v: unknown): string {
  return typeof v === 'string' && v !== '' ? v : 'unknown';
}
