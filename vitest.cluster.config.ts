// `npm run test:cluster`: Airlock on a real Temporal cluster (test/cluster): the server built from
// its Go module on PostgreSQL, one process per service, two API and two worker processes of
// Airlock. Not part of `npm test` (vitest.config.ts does not include test/cluster).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 600_000,
    // The first run builds the server with go install (about two minutes, longer on a busy machine).
    hookTimeout: 900_000,
    reporters: ['default'],
  },
});
