// The chat channels: plugins the environment configures (TEAMS_*, SLACK_*; each SDK imported
// only when its channel is on) and those a caller adds, behind one router for the activities.
import type { Logger } from 'pino';
import type { createMetrics } from '../api/metrics.js';
import { type ChannelAdapter, ChannelRouter } from '../bots/channel.js';
import type { ChannelPlugin, ChannelPluginFactory } from '../bots/plugin.js';
import type { RefusalRecorder } from '../bots/refusals.js';
import type { AirlockEnv } from '../config/env.js';
import type { SqlDb } from '../db/sql.js';
import type { PolicyStore } from '../policy/store.js';
import type { ActionClient } from '../temporal/action-client.js';
import type { Lifetime } from './lifetime.js';

export async function startChannels(p: {
  env: AirlockEnv;
  policy: PolicyStore;
  actions: ActionClient;
  refusals: RefusalRecorder;
  db: SqlDb;
  logger: Logger;
  publicUrl: string;
  metrics: ReturnType<typeof createMetrics>;
  lifetime: Lifetime;
  extraPlugins?: ChannelPluginFactory[];
  extraAdapters?: ChannelAdapter[];
}): Promise<{ plugins: ChannelPlugin[]; channels: ChannelRouter }> {
  const { env, lifetime, extraPlugins = [], extraAdapters = [], ...context } = p;
  const plugins: ChannelPlugin[] = [];
  for (const factory of [...(await configuredPlugins(env)), ...extraPlugins]) {
    const plugin = await factory({ env, ...context });
    plugins.push(plugin);
    if (plugin.close) lifetime.onStop(plugin.close);
  }
  const channels = new ChannelRouter([
    ...extraAdapters,
    ...plugins.flatMap((plugin) => (plugin.adapter ? [plugin.adapter] : [])),
  ]);
  return { plugins, channels };
}

async function configuredPlugins(env: AirlockEnv): Promise<ChannelPluginFactory[]> {
  const plugins: ChannelPluginFactory[] = [];
  if (env.teams) plugins.push((await import('../bots/teams/index.js')).createTeamsPlugin());
  if (env.slack) plugins.push((await import('../bots/slack/index.js')).createSlackPlugin());
  return plugins;
}
