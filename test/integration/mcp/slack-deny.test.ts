// An agent's tool call waits as an MCP task while a DBA decides in Slack: the card (posted through
// the fake Slack Web API, which enforces Slack's rules) says the call came from the agent via MCP,
// the DBA denies it with a reason through the modal, and the task ends with that reason as a tool
// error; the upstream target is never called.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import {
  cardFor,
  clickPayload,
  expectSlackAccepted,
  postToSlackEvents,
  type SlackWorld,
  startSlackWorld,
  submitPayload,
} from '../slack/support.js';
import { connectAgent, MCP_POLICY, MCP_PRINCIPALS, mcpConfig, textOf } from './fixtures.js';

let w: SlackWorld;
let client: Client;

beforeAll(async () => {
  const policy = MCP_POLICY.replace(
    'channels:',
    'identities:\n  - email: dana@example.com\n    slack: { userId: U0DANA }\nchannels:',
  );
  w = await startSlackWorld({ policy, config: mcpConfig, principals: MCP_PRINCIPALS });
  client = await connectAgent(w.h.url, w.h.keys['agent@example.com']!, 'deploy-bot');
});

afterAll(async () => {
  await client?.close();
  await w?.stop();
});

expectSlackAccepted(() => w);

describe('MCP task denied in Slack', () => {
  it('ends the task with the Slack reason as a tool error, and nothing runs', async () => {
    const { task } = await client.request(
      {
        method: 'tools/call',
        params: { name: 'export_table', arguments: { table: 'orders', rows: 5 }, task: { ttl: 60_000 } },
      },
      CreateTaskResultSchema,
    );
    const card = await cardFor(w, task.taskId);
    expect(JSON.stringify(card.blocks)).toContain('deploy-bot');
    expect(JSON.stringify(card.blocks)).toContain('MCP');

    const opened = w.slack.views.length;
    expect((await postToSlackEvents(w, clickPayload(w, card, 'airlock_deny', 'U0DANA'))).status).toBe(200);
    const modal = await eventually(async () => w.slack.views[opened], 10_000, 'deny modal');
    const sent = await postToSlackEvents(
      w,
      submitPayload(modal.view, 'U0DANA', 'orders are frozen this week'),
    );
    expect(sent.status).toBe(200);

    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('orders are frozen this week');
    expect(textOf(result)).toContain(task.taskId);
    const state = (await w.h.api('audit@example.com', `/v1/actions/${task.taskId}`)).body;
    expect(state.decisions[0]).toMatchObject({
      decision: 'deny',
      approver: { id: 'dana@example.com', channel: 'slack', channelUserId: 'U0DANA' },
    });
    expect(w.target.calls.filter((c) => c.path === '/export/orders')).toHaveLength(0);
  });
});
