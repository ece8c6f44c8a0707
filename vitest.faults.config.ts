// `npm run test:faults`: the full fault suite (test/faults) with its larger runs; `npm test` runs
// the same files in their short version through vitest.config.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    env: { AIRLOCK_FAULTS: 'full' },
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 900_000,
    hookTimeout: 180_000,
    reporters: ['default', './test/faults/table-reporter.ts'],
  },
});
