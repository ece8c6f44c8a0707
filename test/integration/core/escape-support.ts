// The world of the escape-hatch scenarios (break-glass, standing approvals, delegation): the real
// service with a policy of their own and a fake http target; and what they read of a request:
// its state as an auditor sees it, waited for, and its trail's event types.
import { afterAll, beforeAll } from 'vitest';
import { type HttpTargetFake, startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, type HarnessOptions, startHarness } from '../../support/harness.js';
import { coreConfig } from './fixtures.js';

/** Starts the service for the file's tests (and stops it after); read `h` and `target` inside tests. */
export function escapeWorld(opts: Omit<HarnessOptions, 'config'>) {
  const world = {} as { h: Harness; target: HttpTargetFake };
  beforeAll(async () => {
    world.target = await startHttpTarget();
    world.h = await startHarness({
      ...opts,
      config: coreConfig(world.target.url, 'postgres://unused@127.0.0.1:1/unused'),
    });
  }, 180_000);
  afterAll(async () => {
    await world.h?.stop();
    await world.target?.close();
  });
  return world;
}

export function requestReader(harness: () => Harness) {
  const read = async (id: string) => (await harness().api('audit@example.com', `/v1/actions/${id}`)).body;
  return {
    read,
    waitFor: (id: string, predicate: (s: any) => boolean, what: string) =>
      eventually(
        async () => {
          const s = await read(id);
          return predicate(s) ? s : undefined;
        },
        20_000,
        what,
      ),
    eventTypes: async (id: string): Promise<string[]> =>
      (
        (await harness().api('audit@example.com', `/v1/actions/${id}/audit`)).body.events as {
          type: string;
        }[]
      ).map((e) => e.type),
  };
}
