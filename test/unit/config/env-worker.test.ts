// AIRLOCK_WORKER_CACHED_WORKFLOWS bounds the worker's memory; a bad value stops start-up
// naming the variable.
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.js';
import { errorOf } from './parse-env-error.js';

describe('parseEnv: worker cache', () => {
  it('defaults to 100 cached workflows and takes a positive integer', () => {
    expect(parseEnv({}).workerCachedWorkflows).toBe(100);
    expect(parseEnv({ AIRLOCK_WORKER_CACHED_WORKFLOWS: '2000' }).workerCachedWorkflows).toBe(2000);
  });

  it.each(['0', '-5', '1.5', 'many', '100001'])('refuses %s with the variable named', (value) => {
    expect(errorOf({ AIRLOCK_WORKER_CACHED_WORKFLOWS: value }).message).toContain(
      `AIRLOCK_WORKER_CACHED_WORKFLOWS: must be an integer between 1 and 100000, got "${value}"`,
    );
  });
});
