// Waiting for a decision, the same way for `submit --wait`, `run` and the hook: long polls (the
// API's `?wait=`, never a busy loop) until the request settles; when the caller stops waiting (its time is up, or Ctrl-C), the undecided
// request is cancelled, so that a late approval cannot run what nobody waits for any more.
import { type Action, type AirlockClient, isSettled } from '../sdk/index.js';
import { usageError } from './exit-codes.js';
import type { CliIo } from './io.js';

/** `--wait` alone: no limit of its own (the policy's stage timeouts end the wait); `--wait=N`: N seconds. */
export function waitSecondsOf(value: string | boolean | undefined): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return Number.POSITIVE_INFINITY;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw usageError(`--wait must be a whole number of seconds (1 or more), not "${value}"`);
  return Number(value);
}

export interface WaitResult {
  action: Action;
  /** Nobody decided in time and the request was cancelled (or it settled while we cancelled). */
  gaveUp: boolean;
}

/** How long one long poll may hold: short enough that a new stage is told within it. */
const POLL_SECONDS = 20;

export async function waitOrCancel(
  client: AirlockClient,
  io: CliIo,
  id: string,
  seconds: number,
  onUpdate: (action: Action) => void,
): Promise<WaitResult> {
  const deadline = Date.now() + seconds * 1000;
  const signal = io.signal ? { signal: io.signal } : {};
  let action: Action | undefined;
  try {
    action = await client.get(id);
    onUpdate(action);
    // The API's long poll answers when the request settles; while the policy is still being
    // asked, short reads (backing off) let the caller see who is asked as soon as it is known.
    let pause = 100;
    while (!isSettled(action) && Date.now() < deadline) {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (action.status === 'evaluating') {
        await sleep(Math.min(pause, left * 1000), io.signal);
        pause = Math.min(pause * 2, 1000);
        action = await client.get(id, signal);
      } else action = await client.get(id, { wait: Math.min(POLL_SECONDS, left), ...signal });
      onUpdate(action);
    }
    if (isSettled(action)) return { action, gaveUp: false };
  } catch (err) {
    if (!io.signal?.aborted) throw err;
  }
  const why = io.signal?.aborted
    ? 'the caller was interrupted while waiting'
    : `nobody decided within ${seconds} s`;
  io.err(`${why}; cancelling ${id} so that a late approval cannot run it`);
  // A request that settled in the meantime can no longer be cancelled (409): report what it is.
  await client.cancel(id, { reason: why }).catch(() => undefined);
  action = await settled(client, id);
  onUpdate(action);
  return { action, gaveUp: true };
}

/** The request once the workflow has taken in a change (a cancel is a message it handles). */
export function settled(client: AirlockClient, id: string): Promise<Action> {
  return client.waitFor(id, { timeoutSeconds: 10 });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
