// Bundles the workflow code at worker start in a worker thread: webpack needs well over 100 MB
// while it runs, which the worker process would otherwise keep for its whole life (RSS).
import { Worker as Thread } from 'node:worker_threads';
import type { BundleOptions } from '@temporalio/worker';

/** `options` must be plain data (paths): it is copied to the thread. */
export function bundleInThread(
  options: Pick<BundleOptions, 'workflowsPath' | 'workflowInterceptorModules' | 'failureConverterPath'>,
): Promise<string> {
  const thread = new Thread(new URL('./bundle-thread.mjs', import.meta.url), { workerData: options });
  return new Promise((resolve, reject) => {
    thread.once('message', (m: { code?: string; error?: string }) =>
      m.code !== undefined
        ? resolve(m.code)
        : reject(new Error(`bundling the workflow code failed: ${m.error}`)),
    );
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`the workflow bundler thread exited with code ${code}`)));
  });
}
