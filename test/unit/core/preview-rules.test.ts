// The pure rules of verified previews: how far rows may drift from the preview, which statements
// are held to it, how a drift reads, and when a rule's requirePreview stops a request.
import { describe, expect, it } from 'vitest';
import type { ActionPreview } from '../../../workflows/preview-types.js';
import {
  allowedRowsDrift,
  describeRowsDrift,
  missingRequiredPreview,
  rowsDrift,
} from '../../../workflows/rules.js';

describe('rows drift', () => {
  it('is exact by default, and allows a percentage (rounded down) or a number of rows', () => {
    expect(allowedRowsDrift(1204, undefined)).toBe(0);
    expect(allowedRowsDrift(1204, { percent: 5 })).toBe(60);
    expect(allowedRowsDrift(10, { percent: 5 })).toBe(0);
    expect(allowedRowsDrift(0, { percent: 50 })).toBe(0);
    expect(allowedRowsDrift(1204, { absolute: 3 })).toBe(3);
  });

  it('holds each previewed statement to its figure and ignores the ones the preview did not run', () => {
    expect(rowsDrift([1204, undefined, 5], [1204, 99, 5], undefined)).toEqual([]);
    expect(rowsDrift([1204, undefined, 5], [1210, 99, 4], undefined)).toEqual([
      { statement: 0, previewed: 1204, actual: 1210, allowed: 0 },
      { statement: 2, previewed: 5, actual: 4, allowed: 0 },
    ]);
    expect(rowsDrift([1204], [1264], { percent: 5 })).toEqual([]);
    expect(rowsDrift([1204], [1265], { percent: 5 })).toHaveLength(1);
    expect(rowsDrift([1204], [1144], { percent: 5 })).toEqual([]);
  });

  it('reads as both figures and the tolerance', () => {
    expect(describeRowsDrift([{ statement: 0, previewed: 1204, actual: 1210, allowed: 0 }])).toBe(
      'statement 1 affected 1,210 rows, the approved preview 1,204 (exact match required)',
    );
    expect(describeRowsDrift([{ statement: 1, previewed: 1000, actual: 1100, allowed: 50 }])).toBe(
      'statement 2 affected 1,100 rows, the approved preview 1,000 (±50 allowed)',
    );
  });
});

describe('requirePreview', () => {
  const preview = (status: ActionPreview['status'], reason?: string): ActionPreview => ({
    status,
    computedBy: 'airlock',
    executor: 'postgres.sql',
    computedAt: '2030-01-02T03:00:00.000Z',
    durationMs: 1,
    summary: [],
    ...(reason ? { reason } : {}),
  });

  it('lets a request on only with a preview that is ok', () => {
    expect(missingRequiredPreview(true, 'r', preview('ok'))).toBeUndefined();
    expect(missingRequiredPreview(undefined, 'r', preview('failed', 'x'))).toBeUndefined();
    expect(missingRequiredPreview(true, 'r', preview('partial', 'statement 2 is VACUUM'))).toBe(
      'rule r requires a verified preview, and the preview is partial: statement 2 is VACUUM',
    );
    // The target's own error stays in the preview, for approvers; the requester reads the reason.
    expect(missingRequiredPreview(true, 'r', preview('failed', 'relation "payroll" does not exist'))).toBe(
      'rule r requires a verified preview, and the preview failed',
    );
    expect(missingRequiredPreview(true, 'r', undefined)).toBe(
      'rule r requires a verified preview, and this action has no preview',
    );
  });
});
