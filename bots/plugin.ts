// How a chat channel plugs into the service: a factory that gets the shared clients and
// returns its adapter (cards out) and its HTTP router (clicks in). The composition root calls
// each configured factory once; nothing else knows which channels exist.
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { AirlockEnv } from '../config/env.js';
import type { SqlDb } from '../db/sql.js';
import type { LoadedPolicy } from '../policy/load.js';
import type { ActionClient } from '../temporal/action-client.js';
import type { ChannelAdapter } from './channel.js';
import type { RefusalRecorder } from './refusals.js';

export interface ChannelPluginContext {
  env: AirlockEnv;
  policy: { current(): LoadedPolicy };
  /** Sends decisions and refusals to request workflows. */
  actions: ActionClient;
  /** Records refusals a channel makes (through the workflow, or the trail once it has closed). */
  refusals: RefusalRecorder;
  /** The service database (conversation references and the like live here). */
  db: SqlDb;
  logger: Logger;
  publicUrl: string;
  /** Counters the channels feed (absent in embeddings and tests that do not scrape them). */
  metrics?: ChannelMetrics;
}

/**
 * Why a webhook request was refused before it authenticated. Low cardinality on purpose: the
 * detail (which check, which issuer) goes to the warn log line, not to a label.
 */
export type WebhookRefusal = 'signature' | 'stale_timestamp' | 'token' | 'issuer' | 'no_service_url';

export interface ChannelMetrics {
  /** One forged, stale or unauthenticated webhook request (airlock_webhook_refused_total). */
  webhookRefused(channel: 'slack' | 'teams', reason: WebhookRefusal): void;
}

export interface ChannelPlugin {
  adapter?: ChannelAdapter;
  router?: Router;
  close?(): Promise<void>;
}

export type ChannelPluginFactory = (ctx: ChannelPluginContext) => Promise<ChannelPlugin>;
