// An activity environment for tests whose activities fail on purpose: the SDK's "Activity failed"
// warnings of those expected failures stay out of a green run's output.
import { MockActivityEnvironment } from '@temporalio/testing';

const noop = () => {};
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export const quietActivityEnvironment = (): MockActivityEnvironment =>
  new MockActivityEnvironment({}, { logger: quietLogger });
