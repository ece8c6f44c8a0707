// Small helpers for the benchmark: percentiles, a bounded-concurrency loop with a running count,
// child processes that print "worker running", and a process's resident memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(samples: number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : Number.NaN);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : Number.NaN;
  return {
    count: s.length,
    p50Ms: round(at(0.5)),
    p95Ms: round(at(0.95)),
    p99Ms: round(at(0.99)),
    maxMs: round(s[s.length - 1] ?? Number.NaN),
    meanMs: round(mean),
  };
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Runs fn(0..n-1) with at most `concurrency` in flight, printing a running count to stderr. */
export async function pool<T>(
  label: string,
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  let done = 0;
  const started = Date.now();
  const tty = process.stderr.isTTY;
  const report = () => {
    const line = `  ${label}: ${done}/${n} (${((Date.now() - started) / 1000).toFixed(1)} s)`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
  const timer = setInterval(report, tty ? 250 : 5000);
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, n) }, async () => {
        for (;;) {
          const i = next++;
          if (i >= n) return;
          out[i] = await fn(i);
          done++;
        }
      }),
    );
  } finally {
    clearInterval(timer);
    report();
    if (tty) process.stderr.write('\n');
  }
  return out;
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Spawns `node --import tsx <script>`; resolves once its output satisfies `ready` (at once without one). */
export async function spawnService(
  script: string,
  env: NodeJS.ProcessEnv,
  ready?: (output: string) => boolean,
  { timeoutMs = 180_000, nodeArgs = [] }: { timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stderr?.on('data', keep);
  if (!ready) {
    child.stdout?.on('data', keep);
    return child;
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not start: ${output.slice(-2000)}`)),
      timeoutMs,
    );
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}: ${output.slice(-2000)}`));
    };
    child.once('exit', onExit);
    child.stdout?.on('data', (d: Buffer) => {
      keep(d);
      if (ready(output)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      }
    });
  });
  // Keep draining the pipes so a chatty child never blocks on a full buffer.
  child.stdout?.resume();
  return child;
}

export async function stopChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Resident set size (and its peak) of a process, in MB, from /proc (Linux). */
export interface Rss {
  rssMb: number;
  /** VmHWM: the most the process has held so far. */
  peakRssMb: number;
}

export function rssMb(pid: number | undefined): Rss | undefined {
  if (!pid) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
    return { rssMb: round(kb('VmRSS') / 1024), peakRssMb: round(kb('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}

/** A process, or several whose CPU time counts together (the cluster's Temporal services). */
export type Pids = number | (number | undefined)[] | undefined;

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
export function cpuMs(pid: Pids): number {
  if (Array.isArray(pid)) return pid.reduce<number>((sum, p) => sum + cpuMs(p), 0);
  if (!pid) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), counted in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** The machine's CPU ticks so far: all of them, and those the hypervisor gave to others (steal). */
export interface HostTicks {
  total: number;
  steal: number;
}

export function hostTicks(): HostTicks | undefined {
  try {
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (proc(5)); the guest
    // columns are already counted in user and nice.
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9);
    const ticks = fields.map(Number);
    return { total: ticks.reduce((a, b) => a + b, 0), steal: ticks[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/**
 * The share of CPU time the host took for other guests between two readings, in percent: a
 * run with much of it is slower across the board, the baseline too.
 */
export function stealPercent(from: HostTicks | undefined, to: HostTicks | undefined): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return round(((to.steal - from.steal) / (to.total - from.total)) * 100);
}

/**
 * Until the API at `url` answers /healthz. A timeout on each probe: main.ts listens before it
 * attaches the app, and a request that arrives in between is never answered.
 */
export function waitForHealth(url: string): Promise<true> {
  return waitFor(
    'API health',
    async () =>
      (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined))?.ok
        ? true
        : undefined,
    120_000,
    200,
  );
}
