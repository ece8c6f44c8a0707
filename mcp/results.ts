// How a request looks to an MCP client: its task (status and a message naming who must approve
// and where they were asked) and its tool result (the executor's output, or a refusal the agent
// can read). Pure functions of the request state.
import type { CallToolResult, Task } from '@modelcontextprotocol/sdk/types.js';
import { consoleLinkOf } from '../console/links.js';
import type { ChannelDestination } from '../policy/types.js';
import { isSettled } from '../temporal/action-client.js';
import type { ActionState } from '../workflows/types.js';

/** How often a client should poll a task; the request state is one database read. */
export const TASK_POLL_MS = 1000;

const REFUSED = ['denied', 'expired', 'cancelled', 'failed'] as const;

/** The task status of a request: Airlock never needs input from the client (approvers are not it). */
export function taskStatusOf(status: string, settled: boolean): Task['status'] {
  if (status === 'succeeded' || status === 'active' || status === 'revoked') return 'completed';
  if (status === 'cancelled') return 'cancelled';
  if (status === 'failed' || status === 'denied' || status === 'expired') return 'failed';
  return settled ? 'completed' : 'working';
}

/** The policy's channels, to say where a stage's approvers were asked (`slack C0DBA`). */
export type Channels = readonly ChannelDestination[];

export function taskOf(state: ActionState, channels: Channels = []): Task {
  return {
    taskId: state.requestId,
    status: taskStatusOf(state.status, isSettled(state)),
    // A task lives as long as its request (and its audit trail): no expiry of its own.
    ttl: null,
    createdAt: state.submittedAt,
    lastUpdatedAt: state.updatedAt,
    pollInterval: TASK_POLL_MS,
    statusMessage: statusMessage(state, channels),
  };
}

/** One line for a person or a model: where the request stands and what happens next. */
export function statusMessage(state: ActionState, channels: Channels = []): string {
  const id = `request ${state.requestId}`;
  switch (state.status) {
    case 'evaluating':
      return `Airlock is evaluating the policy for ${id}`;
    case 'pending_approval':
      return `${waitingFor(state, channels)}; ${id}, ${consoleLinkOf(state.links.api)}`;
    case 'approved':
      return state.gate
        ? `approved by ${state.decidedBy ?? 'policy'}: redeem the approval token (${id})`
        : `approved by ${state.decidedBy ?? 'policy'}, about to run (${id})`;
    case 'executing':
      return `approved by ${state.decidedBy ?? 'policy'}, running (${id})`;
    case 'succeeded':
    case 'active':
    case 'revoked':
      return `done: approved by ${state.decidedBy ?? 'policy'} (${id})`;
    default:
      return refusalText(state);
  }
}

/** "waiting for approval by dba (stage 1 of 2, 1 approval needed), asked in teams dba, slack C0DBA" */
function waitingFor(state: ActionState, channels: Channels): string {
  const stage = state.policy?.stages[state.stageIndex];
  if (!stage) return 'waiting for approval';
  const of = state.policy?.stages.length ?? 1;
  const needed = stage.minApprovals - state.decisions.filter((d) => d.stage === state.stageIndex).length;
  const where =
    stage.notify.length > 0
      ? stage.notify.map((n) => channelText(n, channels)).join(', ')
      : 'the Airlock API (no chat channel)';
  const until = state.stageDeadline ? `, until ${state.stageDeadline}` : '';
  return `waiting for approval by ${stage.approvers.join(' or ')} (stage ${state.stageIndex + 1} of ${of}, ${Math.max(needed, 1)} approval${needed > 1 ? 's' : ''} needed${until}), asked in ${where}`;
}

function channelText(name: string, channels: Channels): string {
  const destination = channels.find((c) => c.name === name);
  const kinds = [
    ...(destination?.teams ? [`Teams ${destination.teams.conversationRef}`] : []),
    ...(destination?.slack ? [`Slack ${destination.slack.channel}`] : []),
  ];
  return kinds.length > 0 ? `${name} (${kinds.join(', ')})` : name;
}

function refusalText(state: ActionState): string {
  const why = state.outcomeReason ?? state.result?.error?.message;
  const by = state.decidedBy ? ` by ${state.decidedBy}` : '';
  const verb =
    state.status === 'failed'
      ? 'failed'
      : state.status === 'expired'
        ? 'expired without a decision'
        : `${state.status}${by}`;
  return `${verb}${why ? `: ${why}` : ''} (request ${state.requestId})`;
}

/** The tool result of a request that has settled; a refusal is a result with isError. */
export function toolResultOf(state: ActionState): CallToolResult {
  const meta = { requestId: state.requestId, status: state.status, links: state.links };
  // An upstream tool that answered (even with its own error) speaks for itself.
  const upstream = upstreamResult(state);
  if (upstream) return upstream;
  if ((REFUSED as readonly string[]).includes(state.status)) {
    return {
      content: [{ type: 'text', text: statusMessage(state) }],
      structuredContent: { ...meta, reason: state.outcomeReason ?? state.result?.error?.message },
      isError: true,
    };
  }
  const output = state.result?.output;
  return {
    content: [{ type: 'text', text: output === undefined ? statusMessage(state) : JSON.stringify(output) }],
    structuredContent: { ...meta, decidedBy: state.decidedBy, output },
  };
}

/** An upstream tool's own result, which the mcp.call executor kept as it was (structure and all). */
function upstreamResult(state: ActionState): CallToolResult | undefined {
  if (
    state.execution.executor !== 'mcp.call' ||
    (state.status !== 'succeeded' && state.status !== 'failed')
  ) {
    return undefined;
  }
  const result = state.result?.output?.toolResult as CallToolResult | undefined;
  if (!result || !Array.isArray(result.content)) return undefined;
  return { ...result, _meta: { ...result._meta, 'airlock/request': state.requestId } };
}

/** The answer to a call that did not finish in time: still pending, and how to follow it. */
export function pendingResult(state: ActionState, channels: Channels = []): CallToolResult {
  return {
    content: [
      {
        type: 'text',
        text: `Still pending: ${statusMessage(state, channels)}. Call airlock_wait with {"requestId": "${state.requestId}"} to wait for the outcome.`,
      },
    ],
    structuredContent: {
      requestId: state.requestId,
      status: state.status,
      pending: true,
      statusMessage: statusMessage(state, channels),
      links: state.links,
    },
  };
}
