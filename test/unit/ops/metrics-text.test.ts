// The exposition reader the ops tests rely on: exact label sets, absent series are undefined.
import { describe, expect, it } from 'vitest';
import { sample } from '../../integration/ops/metrics-text.js';

const TEXT = `# HELP x_total help
x_total{a="1",b="2"} 3
x_total{a="1"} 7
y_bucket{le="+Inf",a="q"} 2
z 5`;

describe('sample', () => {
  it('matches the exact label set in any order', () => {
    expect(sample(TEXT, 'x_total', { b: '2', a: '1' })).toBe(3);
    expect(sample(TEXT, 'x_total', { a: '1' })).toBe(7);
    expect(sample(TEXT, 'y_bucket', { a: 'q', le: '+Inf' })).toBe(2);
    expect(sample(TEXT, 'z')).toBe(5);
    expect(sample(TEXT, 'x_total', { a: '2' })).toBeUndefined();
  });
});
