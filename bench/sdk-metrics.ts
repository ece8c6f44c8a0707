// The worker's side of a request's time, from the Temporal SDK's own Prometheus histograms
// (TEMPORAL_METRICS_ADDRESS): scraped before and after the one-at-a-time runs, each histogram's
// sum and count differences give its mean over exactly those runs: how long the worker spent on
// a workflow task, on each (local) activity, and how long its calls to Temporal took.
import { round } from './lib.js';

/** The histograms read, by their name in the SDK (Prometheus adds the temporal_ prefix). */
const HISTOGRAMS = [
  'workflow_task_schedule_to_start_latency',
  'workflow_task_execution_latency',
  'workflow_task_replay_latency',
  'local_activity_execution_latency',
  'activity_schedule_to_start_latency',
  'activity_execution_latency',
  'request_latency',
] as const;
/** Counters read: a cache miss is a workflow replayed from its history. */
const COUNTERS = ['sticky_cache_hit', 'sticky_cache_miss'];
/** The labels that tell the series of one histogram apart here. */
const KEY_LABELS = ['activity_type', 'operation'];

/** A histogram's sum (ms) and count; a counter's value is its count. */
type Totals = Map<string, { sum: number; count: number }>;

export async function scrapeSdkMetrics(address: string): Promise<Totals> {
  const res = await fetch(`http://${address}/metrics`);
  if (!res.ok) throw new Error(`SDK metrics at ${address}: HTTP ${res.status}`);
  return parseHistograms(await res.text());
}

/** Sums and counts of the histograms above, keyed "name{label=value}" by KEY_LABELS. */
export function parseHistograms(text: string): Totals {
  const totals: Totals = new Map();
  for (const line of text.split('\n')) {
    const counter = /^temporal_([a-z_]+?)(?:_total)?(?:\{[^}]*\})? (\S+)/.exec(line);
    if (counter && COUNTERS.includes(counter[1]!)) {
      const entry = totals.get(counter[1]!) ?? { sum: 0, count: 0 };
      entry.count += Number(counter[2]);
      totals.set(counter[1]!, entry);
      continue;
    }
    const m = /^temporal_([a-z_]+?)(?:_milliseconds)?_(sum|count)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!m || !HISTOGRAMS.includes(m[1] as (typeof HISTOGRAMS)[number])) continue;
    const labels = Object.fromEntries(
      [...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!] as const),
    );
    const keyed = KEY_LABELS.filter((k) => labels[k]).map((k) => `${k}=${labels[k]}`);
    const key = keyed.length ? `${m[1]}{${keyed.join(',')}}` : m[1]!;
    const entry = totals.get(key) ?? { sum: 0, count: 0 };
    entry[m[2] as 'sum' | 'count'] += Number(m[4]);
    totals.set(key, entry);
  }
  return totals;
}

export type SdkMeans = Record<string, { count: number; meanMs?: number }>;

/** Per series seen between the two scrapes: how many, and for histograms their mean (ms). */
export function meanBetween(before: Totals, after: Totals): SdkMeans {
  const out: SdkMeans = {};
  for (const [key, a] of after) {
    const b = before.get(key) ?? { sum: 0, count: 0 };
    const count = a.count - b.count;
    if (count <= 0) continue;
    out[key] = COUNTERS.includes(key) ? { count } : { count, meanMs: round((a.sum - b.sum) / count) };
  }
  return out;
}
