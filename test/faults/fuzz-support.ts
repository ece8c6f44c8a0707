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
