import { describe, expect, it } from 'vitest';
import { justificationShortfall } from '../../../policy/justification.js';

const rule = (effect: 'allow' | 'require_approval' | 'deny', minLength?: number) => ({
  effect,
  rule: 'prod-writes',
  ...(minLength === undefined ? {} : { requireJustification: { minLength } }),
});

describe('justificationShortfall', () => {
  it('names the rule and the length when the justification is too short', () => {
    expect(justificationShortfall(rule('require_approval', 20), 'because')).toBe(
      'policy rule prod-writes requires a justification of at least 20 characters',
    );
  });

  it('counts a missing justification and one of only spaces as empty', () => {
    expect(justificationShortfall(rule('allow', 1), undefined)).toMatch(/at least 1 characters/);
    expect(justificationShortfall(rule('allow', 3), '     ')).toMatch(/at least 3 characters/);
  });

  it('measures the trimmed text, so exactly the minimum passes', () => {
    expect(justificationShortfall(rule('allow', 5), '  abcde  ')).toBeUndefined();
    expect(justificationShortfall(rule('allow', 5), '  abcd  ')).toBeDefined();
  });

  it('asks nothing of a rule without the requirement', () => {
    expect(justificationShortfall(rule('require_approval'), undefined)).toBeUndefined();
  });

  it('leaves a denial alone: no justification would change it', () => {
    expect(justificationShortfall(rule('deny', 50), 'short')).toBeUndefined();
  });
});
