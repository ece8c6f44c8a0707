import { describe, expect, it } from 'vitest';
import { requestIdFor } from '../../../api/ids.js';
import { isRequestId } from '../../../lib/request-id.js';

describe('isRequestId: the one rule for an id from outside', () => {
  it('accepts the ids the API makes, random and derived from an idempotency key', () => {
    expect(isRequestId(requestIdFor('ci@example.com', undefined))).toBe(true);
    expect(isRequestId(requestIdFor('ci@example.com', 'deploy-42'))).toBe(true);
  });

  it('refuses anything else, including what the old looser checks let through', () => {
    for (const bad of [
      undefined,
      42,
      '',
      'req-1',
      '------------------------------------',
      '0F8FAD5B-D9CB-469F-A165-70867728950E',
      '0f8fad5b-d9cb-469f-a165-70867728950e\n',
      '0f8fad5b-d9cb-469f-a165-70867728950e/../x',
    ]) {
      expect(isRequestId(bad), String(bad)).toBe(false);
    }
  });
});
