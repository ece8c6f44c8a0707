// Card activities are a convenience: one that fails through all its
// attempts is recorded and retried, never the end of the request. The real workflow on the real
// dev server, with activities replaced by fakes that fail the way a broken channel plugin would.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import type { RecordBatch } from '../../../activities/audit.js';
import type { DestinationKind } from '../../../bots/channel.js';
import { decideUpdate } from '../../../workflows/messages.js';
import type { ActionState, PostedCard } from '../../../workflows/types.js';
import { eventually } from '../../support/harness.js';
import {
  needsDana,
  requestInput,
  signedDecision,
  testProver,
  useTemporal,
  verifyWith,
} from './workflow-support.js';

const NEEDS_DANA = needsDana(['ops-teams']);

const CARD: PostedCard = { channel: 'teams', destination: 'ops-teams', messageId: 'm-1', stage: 0 };
const broken = (what: string) =>
  ApplicationFailure.create({ type: 'PluginBug', message: `${what}: plugin bug`, nonRetryable: true });

const temporal = useTemporal();

const TEAMS: DestinationKind = { name: 'ops-teams', kind: 'teams' };
const SLACK_CARD: PostedCard = { channel: 'slack', destination: 'ops-slack', messageId: 's-1', stage: 0 };

type PostCards = (args: { only?: DestinationKind[] }) => Promise<unknown>;

/** Runs one request needing Dana on fake activities; Dana approves once `ready` holds. */
async function run(postCards: PostCards, ready: () => boolean) {
  let updates = 0;
  const events: string[] = [];
  const taskQueue = `cards-best-effort-${randomUUID()}`;
  const worker = await Worker.create({
    connection: temporal.worker(),
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: {
      verifyMessage: verifyWith(testProver),
      async assessRequest() {
        return { enrichment: { degraded: [] }, policy: NEEDS_DANA };
      },
      postCards,
      async updateCards() {
        updates++;
        throw broken('update');
      },
      async recordEvents(batch: RecordBatch) {
        events.push(...batch.events.map((e) => e.type));
      },
      async executeAction(input: { record?: RecordBatch }) {
        events.push(...(input.record?.events.map((e) => e.type) ?? []), 'executed');
        return { ok: true, output: { status: 200 } };
      },
    },
  });
  const input = requestInput();
  let history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> | undefined;
  const state = await worker.runUntil(async () => {
    const handle = await temporal.client().workflow.start('actionRequest', {
      taskQueue,
      workflowId: `action-${input.requestId}`,
      args: [input],
    });
    await eventually(async () => (ready() ? true : undefined), 30_000, 'reposts');
    const answer = await handle.executeUpdate(decideUpdate, {
      args: [
        signedDecision(handle.workflowId, {
          decision: 'approve',
          approver: { id: 'dana@example.com', channel: 'api' },
        }),
      ],
    });
    expect(answer).toMatchObject({ status: 'approved' });
    const result = (await handle.result()) as ActionState;
    history = await handle.fetchHistory();
    return result;
  });
  // The failure-and-repost path replays deterministically.
  await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history!);
  return { state, events, updates };
}

describe('card activities that fail', () => {
  it('record the failure, post again later, and let the request be decided and run', async () => {
    const posts: Array<{ only?: unknown }> = [];
    const { state, events, updates } = await run(
      async ({ only }) => {
        posts.push({ only });
        if (posts.length === 1) throw broken('post');
        return { cards: [CARD], errors: [], failed: [] };
      },
      // The failed post is in the trail, and the whole stage is posted again (about 5 s later).
      () => posts.length >= 2,
    );

    expect(state.status).toBe('succeeded');
    expect(posts).toEqual([{ only: undefined }, { only: undefined }]);
    expect(state.cards).toEqual([CARD]);
    // The decision's card refresh and the end's both failed, and neither stopped the request.
    expect(updates).toBeGreaterThanOrEqual(2);
    expect(events).toContain('notify.failed');
    expect(events.indexOf('notify.recovered')).toBeGreaterThan(events.indexOf('notify.failed'));
    expect(events.indexOf('executed')).toBeGreaterThan(events.indexOf('request.approved'));
    expect(events.at(-1)).toBe('request.succeeded');
  });

  it('a repost for one channel that fails is tried again for that channel only', async () => {
    const posts: Array<{ only?: unknown }> = [];
    const { state } = await run(
      async ({ only }) => {
        posts.push({ only });
        // Slack takes its card and Teams refuses; the Teams repost then fails for good.
        if (posts.length === 1) return { cards: [SLACK_CARD], errors: ['teams: 503'], failed: [TEAMS] };
        if (posts.length === 2) throw broken('repost');
        return { cards: [CARD], errors: [], failed: [] };
      },
      () => posts.length >= 3,
    );
    expect(posts).toEqual([{ only: undefined }, { only: [TEAMS] }, { only: [TEAMS] }]);
    expect(state.cards).toEqual([SLACK_CARD, CARD]);
    expect(state.status).toBe('succeeded');
  });
});
