// Shared by the fuzzing fault cases (case 6): run a fast-check property, report its run count to
// the table reporter (task.meta.runs), and the checks every answer of the API must pass.
import fc from 'fast-check';
import { expect, type TestContext } from 'vitest';

/** FUZZ_SEED=<n> replays a run; the seed of a failing run is in the failure message. */
export const fuzzSeed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/** Runs `property` numRuns times, reports the runs to the reporter, and throws fast-check's report on failure. */
export async function checkProperty<Ts>(
  ctx: TestContext,
  property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>,
  numRuns: number,
): Promise<void> {
  const details = await fc.check(property as fc.IAsyncPropertyWithHooks<Ts>, { numRuns, seed: fuzzSeed });
  ctx.task.meta.runs = (ctx.task.meta.runs ?? 0) + details.numRuns;
  ctx.task.meta.failedRuns = (ctx.task.meta.failedRuns ?? 0) + (details.failed ? 1 : 0);
  if (details.failed) {
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${fc.defaultReportMessage(details) ?? 'property failed'}\nCause: ${cause}`);
  }
}

export const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));

/** A 4xx answer is an RFC 9457 problem: problem+json, a stable type, title, status and a detail. */
export function expectProblem(res: Response, text: string, what: string): void {
  expect(res.headers.get('content-type'), `${what}: ${text}`).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(text) as Record<string, unknown>;
  expect(problem.type, what).toMatch(/^urn:airlock:problem:[a-z-]+$/);
  expect(problem.status, what).toBe(res.status);
  expect(typeof problem.title, what).toBe('string');
  expect(typeof problem.detail, what).toBe('string');
  expect((problem.detail as string).length, what).toBeGreaterThan(0);
}

/**
 * Characters no request field may hold: C0 controls (without tab, LF and CR, which free-text
 * fields allow), DEL, C1 controls, and UTF-16 surrogates without their pair.
 */
export const badCharacter = fc.oneof(
  fc
    .integer({ min: 0, max: 0x1f })
    .filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d)
    .map((c) => String.fromCharCode(c)),
  fc.constant('\u007f'),
  fc.integer({ min: 0x80, max: 0x9f }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0xd800, max: 0xdbff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0xdc00, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);

type Segment = string | number;

/** Where a poisoned character goes: a string value, or a key of a free-form map (`keysUnder`). */
interface Spot {
  path: Segment[];
  key: boolean;
}

function spots(value: unknown, path: Segment[], keysUnder: readonly string[]): Spot[] {
  if (typeof value === 'string') return [{ path, key: false }];
  if (Array.isArray(value)) return value.flatMap((v, i) => spots(v, [...path, i], keysUnder));
  if (!value || typeof value !== 'object') return [];
  const inMap = path.length > 0 && keysUnder.includes(String(path[0]));
  return Object.entries(value).flatMap(([k, v]) => [
    ...(inMap ? [{ path: [...path, k], key: true }] : []),
    ...spots(v, [...path, k], keysUnder),
  ]);
}

/** The field path the API names (config/errors.ts formatPath). */
export function fieldName(path: readonly Segment[]): string {
  return path.reduce<string>(
    (out, s) => (typeof s === 'number' ? `${out}[${s}]` : out === '' ? s : `${out}.${s}`),
    '',
  );
}

function poison(body: unknown, spot: Spot, bad: string, at: number): { body: unknown; field: string } {
  const copy = structuredClone(body) as Record<Segment, unknown>;
  let parent: Record<Segment, unknown> = copy;
  for (const s of spot.path.slice(0, -1)) parent = parent[s] as Record<Segment, unknown>;
  const last = spot.path.at(-1)!;
  const insert = (s: string) => {
    const i = at % (s.length + 1);
    return `${s.slice(0, i)}${bad}${s.slice(i)}`;
  };
  if (spot.key) {
    const renamed = insert(String(last));
    parent[renamed] = parent[last];
    delete parent[last];
    return { body: copy, field: fieldName([...spot.path.slice(0, -1), renamed]) };
  }
  parent[last] = insert(parent[last] as string);
  return { body: copy, field: fieldName(spot.path) };
}

/**
 * A valid body with one control character or lone surrogate put into one of its strings (or a
 * key under `keysUnder`), and the field the 400 must name.
 */
export function poisonedBody(
  valid: Record<string, unknown>,
  keysUnder: readonly string[] = [],
): fc.Arbitrary<{ body: unknown; field: string; bad: string }> {
  const all = spots(valid, [], keysUnder);
  return fc
    .record({ spot: fc.constantFrom(...all), bad: badCharacter, at: fc.nat({ max: 64 }) })
    .map(({ spot, bad, at }) => ({ ...poison(valid, spot, bad, at), bad }));
}

/** Asserts the answer to a poisoned body: 400 problem+json naming the poisoned field. */
export function expectFieldRefused(res: Response, text: string, field: string, what: string): void {
  expect(res.status, `${what}: ${text}`).toBe(400);
  expectProblem(res, text, what);
  const problem = JSON.parse(text) as Record<string, unknown>;
  expect(problem.field, `${what}: ${text}`).toBe(field);
}
