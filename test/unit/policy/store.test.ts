import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoadedPolicy } from '../../../policy/load.js';
import { PolicyLoadError } from '../../../policy/load.js';
import { PolicyStore } from '../../../policy/store.js';
import { tempDir } from './helpers.js';

const policyText = (effect: 'allow' | 'deny') =>
  `version: 1\nrules:\n  - { name: dev, match: { environment: dev }, effect: ${effect} }\n`;

/** Resolves with the next value pushed to the returned callback, or rejects after `ms`. */
function nextEvent<T>(ms = 5_000): { callback: (value: T) => void; next: () => Promise<T> } {
  const queue: T[] = [];
  let waiter: ((value: T) => void) | undefined;
  return {
    callback(value) {
      if (waiter) {
        waiter(value);
        waiter = undefined;
      } else queue.push(value);
    },
    next() {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
        waiter = (value) => {
          clearTimeout(timer);
          resolve(value);
        };
      });
    },
  };
}

describe('PolicyStore', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: PolicyStore | undefined;

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    store?.close();
    store = undefined;
    await dir.cleanup();
  });

  it('refuses to open an invalid policy', async () => {
    const path = await dir.write('policy.yaml', 'version: 2\n');
    await expect(PolicyStore.open(path, { watch: false })).rejects.toBeInstanceOf(PolicyLoadError);
  });

  it('reloads when the file is rewritten in place', async () => {
    const path = await dir.write('policy.yaml', policyText('allow'));
    const reloads = nextEvent<LoadedPolicy>();
    store = await PolicyStore.open(path, { onReload: reloads.callback });
    const first = store.current();
    expect(first.rules[0]!.effect).toBe('allow');

    await writeFile(path, policyText('deny'));
    const reloaded = await reloads.next();
    expect(reloaded.rules[0]!.effect).toBe('deny');
    expect(reloaded.version).not.toBe(first.version);
    expect(store.current()).toBe(reloaded);
  });

  it('reloads when an editor replaces the file by rename', async () => {
    const path = await dir.write('policy.yaml', policyText('allow'));
    const reloads = nextEvent<LoadedPolicy>();
    store = await PolicyStore.open(path, { onReload: reloads.callback });

    const temp = join(dir.dir, '.policy.yaml.swp');
    await writeFile(temp, policyText('deny'));
    await rename(temp, path);
    expect((await reloads.next()).rules[0]!.effect).toBe('deny');

    // The watch survives the replacement: a second edit is seen too.
    await writeFile(path, policyText('allow'));
    expect((await reloads.next()).rules[0]!.effect).toBe('allow');
  });

  it('keeps the previous policy on a bad edit and reports the error', async () => {
    const path = await dir.write('policy.yaml', policyText('allow'));
    const errors = nextEvent<Error>();
    const reloads = nextEvent<LoadedPolicy>();
    store = await PolicyStore.open(path, { onError: errors.callback, onReload: reloads.callback });
    const good = store.current();

    await writeFile(path, `${policyText('allow')}  - { name: broken, effect: require_approval }\n`);
    const error = await errors.next();
    expect(error).toBeInstanceOf(PolicyLoadError);
    expect(error.message).toContain(
      'rules[1] (broken).stages: effect require_approval needs at least one stage',
    );
    expect(store.current()).toBe(good);

    // Fixing the file brings the watcher back to normal.
    await writeFile(path, policyText('deny'));
    expect((await reloads.next()).rules[0]!.effect).toBe('deny');
  });

  it('reload() re-reads on demand (SIGHUP) and reports failures without throwing', async () => {
    const path = await dir.write('policy.yaml', policyText('allow'));
    const errors: Error[] = [];
    const reloads: LoadedPolicy[] = [];
    store = await PolicyStore.open(path, {
      watch: false,
      onError: (e) => errors.push(e),
      onReload: (p) => reloads.push(p),
    });
    const first = store.current();

    expect(await store.reload()).toEqual({ policy: first, changed: false });
    expect(reloads).toHaveLength(0);

    await writeFile(path, 'version: 1\nrules: [\n');
    const failed = await store.reload();
    expect(failed.changed).toBe(false);
    expect(failed.error).toBeInstanceOf(PolicyLoadError);
    expect(failed.policy).toBe(first);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/YAML syntax error at line \d+, column \d+/);
    expect(store.current()).toBe(first);

    await writeFile(path, policyText('deny'));
    const ok = await store.reload();
    expect(ok.changed).toBe(true);
    expect(store.current().rules[0]!.effect).toBe('deny');
    expect(reloads).toEqual([store.current()]);
  });

  it('stops watching after close()', async () => {
    const path = await dir.write('policy.yaml', policyText('allow'));
    const reloads: LoadedPolicy[] = [];
    store = await PolicyStore.open(path, { onReload: (p) => reloads.push(p), debounceMs: 10 });
    store.close();
    await writeFile(path, policyText('deny'));
    // A short, bounded wait: 20x the debounce would have been plenty for a live watcher.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reloads).toHaveLength(0);
    expect(store.current().rules[0]!.effect).toBe('allow');
  });
});
