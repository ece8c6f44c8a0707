// Every fault case is run by `npm test` in its short version or, on purpose, only by
// `npm run test:faults`: a new file in test/faults must be put in one of the two lists.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FULL_ONLY_FAULT_CASES, SHORT_FAULT_CASES } from '../../faults/cases.js';

const dir = fileURLToPath(new URL('../../faults/', import.meta.url));

describe('fault cases', () => {
  it('lists every case file exactly once, and only files that exist', () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => f.replace(/\.test\.ts$/, ''))
      .sort();
    const listed = [...SHORT_FAULT_CASES, ...FULL_ONLY_FAULT_CASES].sort();
    expect(listed).toEqual(files);
  });
});
