// Where Teams cards can go: the conversation references the bot collected when it was installed,
// and which policy channel (conversationRef) each conversation is linked to. Kept in the service
// database (PostgreSQL or PGlite) so every API/worker process posts to the same places.
import type { ConversationReference } from 'botbuilder';
import type { Migration } from '../../db/migrations.js';
import type { SqlDb } from '../../db/sql.js';

export const TEAMS_MIGRATIONS: Migration[] = [
  {
    version: 'teams.001_conversations',
    statements: [
      `CREATE TABLE IF NOT EXISTS teams_conversations (
         conversation_id text PRIMARY KEY,
         tenant_id text NOT NULL,
         conversation_type text,
         team_id text,
         reference text NOT NULL,
         installed_at timestamptz NOT NULL DEFAULT now(),
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE IF NOT EXISTS teams_bindings (
         ref_name text NOT NULL,
         conversation_id text NOT NULL REFERENCES teams_conversations (conversation_id) ON DELETE CASCADE,
         bound_by text NOT NULL,
         bound_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (ref_name, conversation_id)
       )`,
      'CREATE INDEX IF NOT EXISTS teams_bindings_conversation_idx ON teams_bindings (conversation_id)',
    ],
  },
];

export interface StoredConversation {
  conversationId: string;
  tenantId: string;
  reference: Partial<ConversationReference>;
}

/** A channel thread id ("19:x@thread.tacv2;messageid=1") names its channel ("19:x@thread.tacv2"). */
export function rootConversationId(id: string): string {
  return id.split(';messageid=')[0] ?? id;
}

export class ConversationStore {
  constructor(private readonly db: SqlDb) {}

  /** Saves (or refreshes: the service URL can move) the reference of a conversation. */
  async save(
    reference: Partial<ConversationReference>,
    meta: { tenantId: string; teamId?: string },
  ): Promise<string> {
    const conversationId = rootConversationId(reference.conversation?.id ?? '');
    if (!conversationId) throw new Error('conversation reference without a conversation id');
    // Proactive posts start new threads: never keep the id of the activity that brought the reference.
    const clean: Partial<ConversationReference> = {
      ...reference,
      activityId: undefined,
      conversation: { ...reference.conversation!, id: conversationId },
    };
    await this.db.query(
      `INSERT INTO teams_conversations (conversation_id, tenant_id, conversation_type, team_id, reference)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (conversation_id) DO UPDATE
         SET tenant_id = EXCLUDED.tenant_id, conversation_type = EXCLUDED.conversation_type,
             team_id = COALESCE(EXCLUDED.team_id, teams_conversations.team_id),
             reference = EXCLUDED.reference, updated_at = now()`,
      [
        conversationId,
        meta.tenantId,
        reference.conversation?.conversationType ?? null,
        meta.teamId ?? null,
        JSON.stringify(clean),
      ],
    );
    return conversationId;
  }

  /** Forgets a conversation (the app was uninstalled) and its links. */
  async remove(conversationId: string): Promise<void> {
    await this.db.query('DELETE FROM teams_conversations WHERE conversation_id = $1', [
      rootConversationId(conversationId),
    ]);
  }

  async get(conversationId: string): Promise<StoredConversation | undefined> {
    const { rows } = await this.db.query<{ conversation_id: string; tenant_id: string; reference: string }>(
      'SELECT conversation_id, tenant_id, reference FROM teams_conversations WHERE conversation_id = $1',
      [rootConversationId(conversationId)],
    );
    const row = rows[0];
    return row ? toStored(row) : undefined;
  }

  async bind(refName: string, conversationId: string, by: string): Promise<void> {
    await this.db.query(
      `INSERT INTO teams_bindings (ref_name, conversation_id, bound_by) VALUES ($1, $2, $3)
       ON CONFLICT (ref_name, conversation_id) DO UPDATE SET bound_by = EXCLUDED.bound_by, bound_at = now()`,
      [refName, rootConversationId(conversationId), by],
    );
  }

  /** Removes one link, or every link of the conversation when `refName` is undefined; returns the names removed. */
  async unbind(conversationId: string, refName?: string): Promise<string[]> {
    const { rows } = await this.db.query<{ ref_name: string }>(
      `DELETE FROM teams_bindings WHERE conversation_id = $1 AND ($2::text IS NULL OR ref_name = $2)
       RETURNING ref_name`,
      [rootConversationId(conversationId), refName ?? null],
    );
    return rows.map((r) => r.ref_name).sort();
  }

  async bindingsOf(conversationId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ ref_name: string }>(
      'SELECT ref_name FROM teams_bindings WHERE conversation_id = $1 ORDER BY ref_name',
      [rootConversationId(conversationId)],
    );
    return rows.map((r) => r.ref_name);
  }

  /** The conversations linked to a policy conversationRef, oldest link first. */
  async bound(refName: string): Promise<StoredConversation[]> {
    const { rows } = await this.db.query<{ conversation_id: string; tenant_id: string; reference: string }>(
      `SELECT c.conversation_id, c.tenant_id, c.reference
         FROM teams_bindings b JOIN teams_conversations c USING (conversation_id)
        WHERE b.ref_name = $1 ORDER BY b.bound_at, c.conversation_id`,
      [refName],
    );
    return rows.map(toStored);
  }
}

function toStored(row: {
  conversation_id: string;
  tenant_id: string;
  reference: string;
}): StoredConversation {
  return {
    conversationId: row.conversation_id,
    tenantId: row.tenant_id,
    reference: JSON.parse(row.reference) as Partial<ConversationReference>,
  };
}
