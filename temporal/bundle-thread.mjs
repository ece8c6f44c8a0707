// Runs in a worker thread (temporal/bundle.ts), plain JavaScript because worker threads do not
// get the parent's TypeScript loader: bundles the workflow code with the options it is given and
// posts the code back. webpack's memory goes away with the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { bundleWorkflowCode } from '@temporalio/worker';

const noop = () => {};
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
const { code } = await bundleWorkflowCode({ ...workerData, logger: quiet });
parentPort?.postMessage(code);
