// Holds the active policy and swaps it on file change or reload() (SIGHUP). A reload that fails keeps
// the previous policy and reports the error: a typo in production must not open or close everything.

import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { LoadedPolicy } from './compile.js';
import { parsePolicy, policyVersion } from './load.js';

export interface PolicyStoreOptions {
  /** Called after a reload that changed the policy content. */
  onReload?: (policy: LoadedPolicy, previous: LoadedPolicy) => void;
  /** Called when a reload fails (the previous policy stays active) or the watcher breaks. */
  onError?: (error: Error) => void;
  /** Watch the file for changes (default true). */
  watch?: boolean;
  /** Quiet period after the last file event before reloading (default 100 ms). */
  debounceMs?: number;
}

export interface ReloadResult {
  policy: LoadedPolicy;
  changed: boolean;
  error?: Error;
}

export class PolicyStore {
  #active: LoadedPolicy;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** Hash of the last content read (good or bad), so unrelated directory events stay quiet. */
  #lastSeen: string;
  #closed = false;

  private constructor(
    readonly path: string,
    initial: LoadedPolicy,
    private readonly options: PolicyStoreOptions,
  ) {
    this.#active = initial;
    this.#lastSeen = initial.version;
  }

  /** Loads the policy (throwing PolicyLoadError if it is invalid) and starts watching it. */
  static async open(path: string, options: PolicyStoreOptions = {}): Promise<PolicyStore> {
    const text = await readFile(path, 'utf8');
    const store = new PolicyStore(path, parsePolicy(text, path), options);
    if (options.watch !== false) store.#startWatching();
    return store;
  }

  current(): LoadedPolicy {
    return this.#active;
  }

  /** Re-reads the file now. Never throws: failures keep the active policy and go to onError. */
  reload(): Promise<ReloadResult> {
    return this.#enqueue(true);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #enqueue(force: boolean): Promise<ReloadResult> {
    const run = this.#queue.then(() => this.#load(force));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #load(force: boolean): Promise<ReloadResult> {
    const previous = this.#active;
    try {
      const text = await readFile(this.path, 'utf8');
      const version = policyVersion(text);
      if (!force && version === this.#lastSeen) return { policy: previous, changed: false };
      this.#lastSeen = version;
      const next = parsePolicy(text, this.path);
      if (next.version === previous.version) return { policy: previous, changed: false };
      this.#active = next;
      this.options.onReload?.(next, previous);
      return { policy: next, changed: true };
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      this.options.onError?.(err);
      return { policy: previous, changed: false, error: err };
    }
  }

  // Watch the directory, not the file: editors and atomic writers replace the file by rename, which
  // would leave a file watcher on the old inode. Events for the file itself, or for Kubernetes'
  // `..data` symlink swap, trigger a debounced re-read that only reloads when the content hash changed.
  #startWatching(): void {
    const name = basename(this.path);
    this.#watcher = watch(dirname(this.path), { persistent: false }, (_event, filename) => {
      if (filename !== null && filename !== name && !filename.startsWith('..')) return;
      this.#schedule();
    });
    this.#watcher.on('error', (error) => this.options.onError?.(error));
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#enqueue(false), this.options.debounceMs ?? 100);
    this.#timer.unref();
  }
}
