// The framework guards against the real service, each framework driven by a scripted model (no
// network): a tool call becomes an Airlock request, and the model reads its outcome.
import { Agent, tool as agentsTool, Runner } from '@openai/agents';
import { tool as aiTool, generateText, stepCountIs } from 'ai';
import { MockLanguageModelV2 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { guardTool as guardAiTool } from '../../../sdk/guards/ai-sdk.js';
import { guardTool as guardAgentsTool } from '../../../sdk/guards/openai-agents.js';
import { AirlockClient } from '../../../sdk/index.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { ScriptedModel } from '../../support/scripted-model.js';
import { SDK_POLICY, SDK_PRINCIPALS, sdkConfig } from './fixtures.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let ci: AirlockClient;
let dana: AirlockClient;

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({ policy: SDK_POLICY, config: sdkConfig(target.url), principals: SDK_PRINCIPALS });
  ci = new AirlockClient({ baseUrl: h.url, token: h.keys['ci@example.com'] });
  dana = new AirlockClient({ baseUrl: h.url, token: h.keys['dana@example.com'] });
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

/** Approves (or denies) the request as soon as it waits for dana. */
async function decideWhenPending(id: Promise<string>, decision: 'approve' | 'deny') {
  const requestId = await id;
  await eventually(async () => ((await ci.get(requestId)).status === 'pending_approval' ? true : undefined));
  await dana.decide(requestId, { decision, reason: `${decision} by the test` });
}

function submittedId(): { promise: Promise<string>; onSubmitted: (a: { id: string }) => void } {
  let resolve!: (id: string) => void;
  const promise = new Promise<string>((r) => {
    resolve = r;
  });
  return { promise, onSubmitted: (a) => resolve(a.id) };
}

describe('OpenAI Agents SDK', () => {
  const runner = new Runner({ tracingDisabled: true });

  it('managed: Airlock runs the call through its executor (auto-allowed in dev); the model reads the result', async () => {
    const updateConfig = agentsTool({
      name: 'update_config',
      description: 'Turn a feature on or off',
      parameters: z.object({ feature: z.string() }),
      execute: async () => {
        throw new Error('managed mode never runs the tool here');
      },
    });
    const guarded = guardAgentsTool(updateConfig, {
      client: ci,
      action: 'http.config.update',
      resource: 'admin-api:/config',
      environment: 'dev',
      parameters: (input) => ({ method: 'POST', path: '/config', body: input }),
      agent: { name: 'config-bot' },
    });
    const model = new ScriptedModel('update_config', { feature: 'beta' });
    const result = await runner.run(new Agent({ name: 'ops', model, tools: [guarded] }), 'turn beta on');
    const outcome = JSON.parse(model.seen[0]!);
    expect(outcome).toMatchObject({ status: 'succeeded', result: { output: { status: 200 } } });
    expect(result.finalOutput).toContain('succeeded');
    expect(target.calls.at(-1)).toMatchObject({
      method: 'POST',
      path: '/config',
      body: '{"feature":"beta"}',
    });
  });

  it('gate: the tool runs in-process only after an approver approves', async () => {
    const ran: unknown[] = [];
    const deploy = agentsTool({
      name: 'deploy',
      description: 'Deploy an image',
      parameters: z.object({ image: z.string() }),
      execute: async ({ image }) => {
        ran.push(image);
        return `deployed ${image}`;
      },
    });
    const submitted = submittedId();
    const guarded = guardAgentsTool(deploy, {
      client: ci,
      mode: 'gate',
      action: 'gate.deploy',
      resource: 'k8s://prod/api',
      environment: 'production',
      justification: 'release 7',
      onSubmitted: submitted.onSubmitted,
    });
    const model = new ScriptedModel('deploy', { image: 'api:7' });
    const approving = decideWhenPending(submitted.promise, 'approve').then(() => [...ran]);
    await runner.run(new Agent({ name: 'ops', model, tools: [guarded] }), 'ship it');
    expect(await approving).toEqual([]); // nothing ran before the approval
    expect(ran).toEqual(['api:7']);
    expect(JSON.parse(model.seen[0]!)).toMatchObject({ status: 'succeeded', result: 'deployed api:7' });
    const done = await ci.get(await submitted.promise);
    expect(done.status).toBe('succeeded');
    expect(done.decidedBy).toBe('dana@example.com');
  });
});

describe('Vercel AI SDK', () => {
  /** A mock model: first a call of `toolName`, then a text answer. */
  function scripted(toolName: string, input: Record<string, unknown>) {
    let step = 0;
    return new MockLanguageModelV2({
      doGenerate: async () => {
        step++;
        const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
        if (step === 1)
          return {
            content: [{ type: 'tool-call', toolCallId: 'c1', toolName, input: JSON.stringify(input) }],
            finishReason: 'tool-calls',
            usage,
            warnings: [],
          };
        return { content: [{ type: 'text', text: 'done' }], finishReason: 'stop', usage, warnings: [] };
      },
    });
  }

  it('managed and denied: nothing runs, and the model reads the reason', async () => {
    const before = target.calls.length;
    const submitted = submittedId();
    const updateConfig = guardAiTool(
      aiTool({ description: 'Change production config', inputSchema: z.object({ feature: z.string() }) }),
      {
        client: ci,
        action: 'http.config.update',
        resource: 'admin-api:/config',
        environment: 'production',
        justification: 'the agent wants it',
        parameters: (input) => ({ method: 'POST', path: '/config', body: input }),
        onSubmitted: submitted.onSubmitted,
      },
    );
    const denying = decideWhenPending(submitted.promise, 'deny');
    const result = await generateText({
      model: scripted('updateConfig', { feature: 'risky' }),
      tools: { updateConfig },
      prompt: 'go',
      stopWhen: stepCountIs(2),
    });
    await denying;
    const output = result.steps[0]!.toolResults[0]!.output;
    expect(output).toMatchObject({ status: 'denied', reason: 'deny by the test' });
    expect(target.calls.length).toBe(before);
    expect(result.text).toBe('done');
  });

  it('gate, auto-allowed in dev: the tool runs and its result goes back to the model', async () => {
    const deploy = guardAiTool(
      aiTool({
        description: 'Deploy to dev',
        inputSchema: z.object({ image: z.string() }),
        execute: async ({ image }) => ({ deployed: image }),
      }),
      { client: ci, mode: 'gate', action: 'gate.deploy', resource: 'k8s://dev/api', environment: 'dev' },
    );
    const result = await generateText({
      model: scripted('deploy', { image: 'api:8' }),
      tools: { deploy },
      prompt: 'go',
      stopWhen: stepCountIs(2),
    });
    const output = result.steps[0]!.toolResults[0]!.output as {
      status: string;
      requestId: string;
      result: unknown;
    };
    expect(output).toMatchObject({ status: 'succeeded', result: { deployed: 'api:8' } });
    expect((await ci.get(output.requestId)).status).toBe('succeeded');
  });

  it('no decision in time: the request is cancelled and the model is told', async () => {
    const deploy = guardAiTool(
      aiTool({
        description: 'Deploy',
        inputSchema: z.object({ image: z.string() }),
        execute: async () => 'ran',
      }),
      {
        client: ci,
        mode: 'gate',
        action: 'gate.deploy',
        resource: 'k8s://prod/api',
        environment: 'production',
        justification: 'release 9',
        waitSeconds: 1,
      },
    );
    const result = await generateText({
      model: scripted('deploy', { image: 'api:9' }),
      tools: { deploy },
      prompt: 'go',
      stopWhen: stepCountIs(2),
    });
    const output = result.steps[0]!.toolResults[0]!.output as { status: string; requestId: string };
    expect(output.status).toBe('timed_out');
    expect((await ci.get(output.requestId)).status).toBe('cancelled');
  });
});
