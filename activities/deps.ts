// What the activities need from the outside world, injected by the composition root (real
// clients) or by tests (fakes of Teams, Slack and executor targets only).
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AuditStore } from '../audit/store.js';
import type { AuditEventInput } from '../audit/types.js';
import type { ChannelRouter } from '../bots/channel.js';
import type { ServiceConfig } from '../config/types.js';
import type { ExecutorRegistry } from '../executors/registry.js';
import type { SigningKey } from '../lib/keys.js';
import type { LoadedPolicy } from '../policy/load.js';
import type { MessageProver } from '../temporal/message-proof.js';
import type { StateSealer } from '../temporal/state-snapshot.js';

export interface ActivityDeps {
  policy: { current(): LoadedPolicy };
  audit: AuditStore;
  channels: ChannelRouter;
  executors: ExecutorRegistry;
  config: ServiceConfig;
  /** Derives grant passwords, gate tokens and the callback signing key; never leaves the server. */
  masterKey: Buffer;
  /** Checks that a workflow's start and messages come from the API or a channel that verified the person. */
  prover: MessageProver;
  logger: Logger;
  /** Seals the state snapshots GET reads (absent: no snapshots, GET queries the workflow). */
  stateSealer?: StateSealer;
  /** Told of every event written (the audit metrics); its failures are logged, never raised. */
  onAudit?: (events: AuditEventInput[]) => Promise<void>;
  /** What the history archiver needs. */
  evidence: EvidenceDeps;
}

export interface EvidenceDeps {
  /** A client with the payload codec; histories are fetched raw (ciphertext) all the same. */
  client: Client;
  /** Only request workflows of this task queue (this deployment) are archived. */
  taskQueue: string;
  /** Signs the periodic chain checkpoints. */
  signing: SigningKey;
}
