// Runs as a child process of the worker (temporal/bundle.ts), plain JavaScript so it needs no
// TypeScript loader: bundles the workflow code with the options it receives over IPC and sends
// back { code } or { error } (with webpack's own error lines). webpack's memory, well over 100 MB
// while it runs, goes away with the process and never counts in the worker's RSS or its peak.
import { bundleWorkflowCode } from '@temporalio/worker';

const problems = [];
const keep = (message) => problems.push(String(message));
const noop = () => {};
const logger = { trace: noop, debug: noop, info: noop, warn: keep, error: keep, log: noop };
// The worker went away (killed while starting): nobody waits for the bundle.
process.once('disconnect', () => process.exit(0));
process.once('message', async (options) => {
  let answer;
  try {
    const { code } = await bundleWorkflowCode({ ...options, logger });
    answer = { code };
  } catch (err) {
    answer = { error: [String(err?.message ?? err), ...problems].join('\n') };
  }
  process.send?.(answer, () => process.exit(0));
});
