// What the escape-hatch scenarios (break-glass, standing approvals, delegation) read of a
// request: its state as an auditor sees it, waited for, and its trail's event types.
import { eventually, type Harness } from '../../support/harness.js';

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
