// The envelope of an inbound activity: the fields botbuilder and teams-ai read without checking
// (ids of the sender, the bot and the conversation, the mention entities, the member lists), so
// that a malformed one is a 400 naming the fields instead of a TypeError deep in a turn (a 500).
// Checked after authentication: only the channel can send an authenticated activity, and a forged
// request learns nothing but 401. Unknown fields pass through untouched.
import { z } from 'zod';

/** Absent, or null as some channels send absent values: only for fields nothing dereferences. */
const nullable = z.string().nullish();
/** Absent, or of the type: fields read as strings or objects when present. */
const text = z.string().optional();
const withId = z.looseObject({ id: z.string(), name: text, aadObjectId: text });
const members = z.array(z.looseObject({ id: z.string() })).optional();

const Entity = z.looseObject({ type: z.string() });
/** A mention: removeRecipientMention reads mentioned.id of each. */
const Mention = z.looseObject({ type: z.string(), mentioned: z.looseObject({ id: z.unknown() }) });
const isMention = (e: { type: string }) => e.type.toLowerCase() === 'mention';

const Envelope = z.looseObject({
  type: z.string(),
  channelId: z.string(),
  serviceUrl: z.string(),
  id: nullable,
  name: nullable,
  action: nullable,
  replyToId: nullable,
  deliveryMode: nullable,
  text,
  from: withId,
  recipient: withId,
  conversation: z.looseObject({ id: z.string(), tenantId: text, conversationType: text }),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: text }).optional(),
      team: z.looseObject({ id: text }).optional(),
    })
    .optional(),
  // removeRecipientMention reads every entity's type.
  entities: z.array(Entity).optional(),
  membersAdded: members,
  membersRemoved: members,
  attachments: z.array(z.looseObject({})).optional(),
});

export const ActivityEnvelope = Envelope.superRefine((a, ctx) => {
  // teams-ai strips the bot's mention from a message's text: each mention needs its `mentioned`,
  // and a message mentioning anyone needs a text to strip it from.
  const entities = a.entities ?? [];
  entities.forEach((e, i) => {
    if (isMention(e) && !Mention.safeParse(e).success) {
      ctx.addIssue({ code: 'custom', path: ['entities', i, 'mentioned'], message: 'a mention names no one' });
    }
  });
  if (a.type === 'message' && typeof a.text !== 'string' && entities.some(isMention)) {
    ctx.addIssue({ code: 'custom', path: ['text'], message: 'a message with a mention has no text' });
  }
});

/** The paths of the malformed fields (at most five), or undefined when the envelope is sound. */
export function envelopeProblems(activity: unknown): string[] | undefined {
  const parsed = ActivityEnvelope.safeParse(activity);
  if (parsed.success) return undefined;
  const paths = parsed.error.issues.map((i) => i.path.map(String).join('.') || '(activity)');
  return [...new Set(paths)].slice(0, 5);
}
