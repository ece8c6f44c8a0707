// Helpers for the audit-evidence scenarios: the codec and a Temporal client made from a harness's
// own key (as an SRE with the key would), raw history bytes, and payload texts of a history JSON.
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import pg from 'pg';
import { buildKeyring } from '../../../lib/keys.js';
import { EncryptionCodec } from '../../../temporal/codec.js';
import { MessageProver } from '../../../temporal/message-proof.js';

export function codecFor(env: NodeJS.ProcessEnv): EncryptionCodec {
  const keyring = buildKeyring(Buffer.from(env.AIRLOCK_ENCRYPTION_KEY!, 'base64'));
  return new EncryptionCodec(keyring.payload, keyring.payloadKeys);
}

/** Proves messages as the service does (its master key). */
export function proverFor(env: NodeJS.ProcessEnv): MessageProver {
  return new MessageProver([Buffer.from(env.AIRLOCK_ENCRYPTION_KEY!, 'base64')]);
}

/** A Temporal client; with `codec` it reads what the service wrote, without it sees only ciphertext. */
export async function temporalClient(
  address: string,
  codec?: EncryptionCodec,
): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address });
  return {
    client: new Client({ connection, ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}) }),
    close: () => connection.close(),
  };
}

/** The history exactly as Temporal stores it, as protobuf bytes (what a database dump would show). */
export async function rawHistoryBytes(client: Client, workflowId: string): Promise<Buffer> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
}

/** Every payload `data` of a protobuf-JSON history, base64-decoded to text. */
export function payloadTexts(json: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.metadata && typeof o.data === 'string') out.push(Buffer.from(o.data, 'base64').toString('utf8'));
      for (const child of Object.values(o)) walk(child);
    }
  };
  walk(json);
  return out;
}

export async function sql<T = Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}
