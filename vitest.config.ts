import { defineConfig } from 'vitest/config';
import { shortFaultFiles } from './test/faults/cases.js';

export default defineConfig({
  test: {
    // Unit and integration tests, and the fault cases chosen for their short version.
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', ...shortFaultFiles()],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Two cores: more parallel files only queue up behind one Temporal dev server.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
