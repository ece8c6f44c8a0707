// Runs in a worker thread (temporal/bundle.ts), plain JavaScript because worker threads do not
// get the parent's TypeScript loader: bundles the workflow code with the options it is given and
// posts back { code } or { error } (with webpack's own error lines). webpack's memory goes away
// with the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { bundleWorkflowCode } from '@temporalio/worker';

const problems = [];
const keep = (message) => problems.push(String(message));
const noop = () => {};
const logger = { trace: noop, debug: noop, info: noop, warn: keep, error: keep, log: noop };
try {
  const { code } = await bundleWorkflowCode({ ...workerData, logger });
  parentPort?.postMessage({ code });
} catch (err) {
  parentPort?.postMessage({ error: [String(err?.message ?? err), ...problems].join('\n') });
}
