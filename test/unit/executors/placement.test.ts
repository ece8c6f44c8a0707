// The worker's second look before an executor runs: the target must still be in the environment,
// and still hold the resource, that the decision was about.
import { describe, expect, it } from 'vitest';
import type { Target } from '../../../config/types.js';
import { placementDrift } from '../../../executors/placement.js';

const target: Target = {
  type: 'postgres',
  environment: 'production',
  resources: ['postgres://analytics/*'],
  url: 'postgres://x@127.0.0.1/db',
  statementTimeoutMs: 1000,
};
const bound = { executor: 'postgres.sql', target: 'analytics', mode: 'once' as const };

describe('placementDrift', () => {
  it('lets a binding run on the target it was checked against', () => {
    const binding = { ...bound, environment: 'production', resource: 'postgres://analytics/customers' };
    expect(placementDrift(binding, target, {})).toBeUndefined();
  });

  it('holds back a target moved to another environment, or no longer holding the resource', () => {
    expect(
      placementDrift(
        { ...bound, environment: 'dev', resource: 'postgres://analytics/customers' },
        target,
        {},
      ),
    ).toBe('target analytics is in production, the request was decided for dev');
    expect(
      placementDrift({ ...bound, environment: 'production', resource: 'postgres://billing/x' }, target, {}),
    ).toBe('target analytics no longer holds postgres://billing/x');
  });

  it('holds back a binding made before bindings carried their environment and resource', () => {
    expect(placementDrift(bound, target, {})).toMatch(/without its environment and resource/);
  });
});
