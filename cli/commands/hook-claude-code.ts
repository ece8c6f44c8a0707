// `airlock hook claude-code`: a Claude Code PreToolUse or PermissionRequest hook. It reads the
// hook event on stdin, asks Airlock about the tool call (action `agent.tool.<tool name>`, the tool
// input as parameters), waits within the hook's time budget, and prints the decision JSON the hook
// protocol expects. It fails closed: a malformed event, an unreachable Airlock, a refused token or
// no decision in time is a deny with the reason, never an allow.
import type { Command } from 'commander';
import { z } from 'zod';
import type { Action, AirlockClient } from '../../sdk/index.js';
import { clientFor, describeError } from '../client.js';
import type { CliIo } from '../io.js';
import { progressReporter } from '../io.js';
import { waitOrCancel } from '../wait.js';

/** Claude Code's default hook timeout is 60 s: answer well inside it unless told otherwise. */
const DEFAULT_WAIT_SECONDS = 50;

const hookEvent = z.looseObject({
  hook_event_name: z.enum(['PreToolUse', 'PermissionRequest']),
  session_id: z.string().min(1).max(200),
  cwd: z.string().min(1).max(1000),
  tool_name: z.string().min(1).max(200),
  tool_input: z.record(z.string(), z.unknown()),
  tool_use_id: z.string().min(1).max(200).optional(),
});
type HookEvent = z.infer<typeof hookEvent>;

/** Action types are dotted lower-case words: `Bash` is `agent.tool.bash`, MCP tools keep their `__`. */
export function actionOfTool(toolName: string): string {
  return `agent.tool.${
    toolName
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '_')
      .replace(/^[_-]+/, '') || 'unnamed'
  }`;
}

interface Decision {
  allow: boolean;
  reason: string;
}

/** The hook's answer, in the shape of the event that asked. */
export function hookOutput(eventName: HookEvent['hook_event_name'], decision: Decision): unknown {
  if (eventName === 'PermissionRequest')
    return {
      hookSpecificOutput: {
        hookEventName: 'PermissionRequest',
        decision: decision.allow ? { behavior: 'allow' } : { behavior: 'deny', message: decision.reason },
      },
    };
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: decision.allow ? 'allow' : 'deny',
      permissionDecisionReason: decision.reason,
    },
  };
}

interface HookFlags {
  url?: string;
  environment: string;
  wait: string;
}

export function registerHooks(program: Command, io: CliIo): void {
  const hook = program.command('hook').description('hooks for coding agents');
  hook
    .command('claude-code')
    .description('a Claude Code PreToolUse / PermissionRequest hook: reads the event on stdin')
    .option('--url <url>', 'Airlock base URL (default AIRLOCK_URL, else http://localhost:8080)')
    .option('-e, --environment <env>', 'the environment the agent works in', 'dev')
    .option(
      '--wait <seconds>',
      'how long to wait for a decision (keep it under the hook timeout)',
      String(DEFAULT_WAIT_SECONDS),
    )
    .action(async (opts: HookFlags) => {
      const text = await io.readStdin();
      let eventName: HookEvent['hook_event_name'] = 'PreToolUse';
      let decision: Decision;
      try {
        const parsed = hookEvent.safeParse(safeJson(text));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const named = (safeJson(text) as { hook_event_name?: unknown } | undefined)?.hook_event_name;
          if (named === 'PermissionRequest') eventName = named;
          decision = {
            allow: false,
            reason: `Airlock could not read the hook event (${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'not JSON'}); denied`,
          };
        } else {
          eventName = parsed.data.hook_event_name;
          const wait = Number(opts.wait);
          if (!Number.isInteger(wait) || wait < 1)
            throw new Error(`--wait must be whole seconds, not "${opts.wait}"`);
          decision = await decide(clientFor(io, opts.url), io, parsed.data, opts.environment, wait);
        }
      } catch (err) {
        decision = { allow: false, reason: `Airlock: ${describeError(err).message}; denied` };
      }
      io.err(decision.reason);
      io.out(JSON.stringify(hookOutput(eventName, decision)));
    });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function decide(
  client: AirlockClient,
  io: CliIo,
  event: HookEvent,
  environment: string,
  wait: number,
): Promise<Decision> {
  const submitted = await client.submit({
    action: actionOfTool(event.tool_name),
    resource: `claude-code:${event.cwd}`,
    environment,
    parameters: event.tool_input,
    agent: { name: 'claude-code', session: event.session_id },
    justification: `Claude Code wants to use ${event.tool_name}`,
    // The same tool call asked twice (a retried hook) is the same request.
    ...(event.tool_use_id ? { idempotencyKey: `claude-code:${event.session_id}:${event.tool_use_id}` } : {}),
  });
  const { action, gaveUp } = await waitOrCancel(client, io, submitted.id, wait, progressReporter(io));
  if (gaveUp && action.status === 'cancelled')
    return { allow: false, reason: `Airlock ${action.id}: no decision within ${wait} s; denied` };
  if (action.status === 'approved' && action.approvalToken) return handOver(client, action);
  const why = action.reason ? `: ${action.reason}` : '';
  const by = action.decidedBy ? ` by ${action.decidedBy}` : '';
  return { allow: false, reason: `Airlock ${action.id}: ${action.status}${by}${why}` };
}

/**
 * The tool runs in Claude Code once the hook allows it, so the approval is used up here: the
 * token is redeemed (once, bound to the parameters) and the request completed as handed over.
 */
async function handOver(client: AirlockClient, action: Action): Promise<Decision> {
  await client.redeem(action.id, { token: action.approvalToken!, parametersHash: action.parametersHash });
  await client.complete(action.id, { outcome: 'succeeded', details: { handedTo: 'claude-code' } });
  const by = ` by ${action.decidedBy ?? 'policy'}`;
  return { allow: true, reason: `Airlock ${action.id}: approved${by}` };
}
