// The ConfigError parseEnv throws for a bad environment (a test fails if it accepts it).
import { parseEnv } from '../../../config/env.js';
import { ConfigError } from '../../../config/errors.js';

export function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    parseEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('parseEnv accepted a bad environment');
}
