// Bundles the workflow code at worker start in a child process: webpack needs well over 100 MB
// while it runs. In a thread of the worker that memory stayed in the worker's RSS (glibc keeps
// freed arenas) and set its lifetime peak; a process gives all of it back when it exits.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BundleOptions } from '@temporalio/worker';

/** `options` must be plain data (paths): it is sent to the child process. */
export function bundleInChildProcess(
  options: Pick<BundleOptions, 'workflowsPath' | 'workflowInterceptorModules' | 'failureConverterPath'>,
): Promise<string> {
  // Plain node: the script is JavaScript, and the parent's loaders (tsx) would only slow it.
  const child = fork(fileURLToPath(new URL('./bundle-process.mjs', import.meta.url)), [], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let answered = false;
    child.once('message', (m: { code?: string; error?: string }) => {
      answered = true;
      if (m.code !== undefined) resolve(m.code);
      else reject(new Error(`bundling the workflow code failed: ${m.error}`));
    });
    child.once('error', reject);
    // 'close', not 'exit': it waits for the IPC channel, so the last bytes of a multi-MB answer
    // are read before we conclude there was none.
    child.once('close', (code, signal) => {
      if (!answered)
        reject(new Error(`the workflow bundler process exited with ${signal ?? `code ${code}`}`));
    });
    child.send(options);
  });
}
