// `npm ci` (.ci/run, the Dockerfile, a fresh clone's `npm test`) refuses a lockfile out of sync
// with package.json. This catches the usual way that happens, a package.json edited without
// `npm install`, in the unit tests already, without a registry: the lockfile's root entry must
// list exactly package.json's dependencies, and each must be locked.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const read = (name: string) =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../../${name}`, import.meta.url)), 'utf8'));
const pkg = read('package.json');
const lock = read('package-lock.json');
const root = lock.packages[''];

describe('package-lock.json', () => {
  it('is a v3 lockfile of this package', () => {
    expect(lock.lockfileVersion).toBe(3);
    expect(lock.name).toBe(pkg.name);
    expect(root.version).toBe(pkg.version);
  });

  it.each(['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'engines'])(
    'has package.json’s %s in its root entry',
    (field) => {
      expect(root[field] ?? {}).toEqual(pkg[field] ?? {});
    },
  );

  it('locks every direct dependency at the top of node_modules', () => {
    const direct = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
    const missing = direct.filter((name) => !lock.packages[`node_modules/${name}`]?.version);
    expect(missing).toEqual([]);
  });
});
