// One real Temporal dev server (in memory, headless) and one workflow bundle for the whole
// test run; each test file gets its own task queue and database on top of them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { type DevServer, startDevServer } from '../../temporal/dev-server.js';
import { ensureTemporalCli } from '../../temporal/ensure-cli.mjs';
import { workflowBundleOptions } from '../../temporal/worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    temporalCliPath: string;
    /** The dev server's process id (its command line shows how it was started). */
    temporalPid: number;
  }
}

let server: DevServer | undefined;
let dir: string | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cliPath = ensureTemporalCli();
  if (!cliPath) throw new Error('the tests need the Temporal CLI: install Go or set TEMPORAL_CLI_PATH');
  dir = mkdtempSync(join(tmpdir(), 'airlock-test-'));
  const [dev, bundle] = await Promise.all([
    startDevServer({ cliPath, headless: true }),
    // The same options as the worker's own bundling: failure converter and workflow interceptors.
    // With the tracing interceptors, so the tracing test can use it; untraced runs skip them.
    bundleWorkflowCode({ ...workflowBundleOptions({ tracing: true }), logger: quietLogger }),
  ]);
  server = dev;
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', dev.address);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalCliPath', cliPath);
  project.provide('temporalPid', dev.process?.pid ?? 0);
  return async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
