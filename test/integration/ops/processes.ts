// Spawns main.ts as a separate process in one role (api or worker), or `npm start` itself, and
// collects its JSON log lines, for the ops tests of split roles, graceful shutdown, log content
// and the README's walk-through.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../main.ts', import.meta.url));

export interface AirlockProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  exited: Promise<number | null>;
}

export function startProcess(
  env: NodeJS.ProcessEnv,
  ready: (output: string) => boolean,
  timeoutMs = 90_000,
  logLevel: 'info' | 'debug' = 'info',
): Promise<AirlockProcess> {
  return spawnUntil(['--import', 'tsx', MAIN], { ...env, LOG_LEVEL: logLevel }, ready, timeoutMs);
}

/**
 * The service as `npm start` runs it: main.ts under tsx with the memory settings of
 * scripts/start.mjs and its default log level. The script's own first step (installing what is
 * missing) stays out: a test must not install anything.
 */
export function startAsNpmStart(
  env: NodeJS.ProcessEnv,
  ready: (output: string) => boolean,
  timeoutMs = 120_000,
): Promise<AirlockProcess> {
  const startEnv = { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-old-space-size=512', ...env };
  return spawnUntil(['--import', 'tsx', MAIN], startEnv, ready, timeoutMs);
}

async function spawnUntil(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: (output: string) => boolean,
  timeoutMs: number,
): Promise<AirlockProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: AirlockProcess = {
    child,
    exited,
    output: () => out,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`process did not start: ${out.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      out += d;
      if (ready(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`process exited with ${code}: ${out.slice(-2000)}`));
    });
  });
  return proc;
}

export const workerReady = (out: string) => out.includes('"msg":"worker running"');
export const apiReady = (out: string) => /API\s+http:\/\/localhost:\d+/.test(out);
export const apiUrl = (p: AirlockProcess) =>
  `http://127.0.0.1:${/API\s+http:\/\/localhost:(\d+)/.exec(p.output())![1]}`;
