// The commands an admin types to the bot where cards should go: `link <channel>` binds this
// conversation to a policy channel's conversationRef (approver-group members only), `unlink`,
// `status` and `help`. The policy names the destinations; this only points them at conversations.
import type { TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import type { LoadedPolicy } from '../../policy/compile.js';
import { bound } from '../card.js';
import { type IdentityVerdict, mayLink } from './identity.js';
import type { ConversationStore } from './store.js';

export interface CommandDeps {
  store: ConversationStore;
  policy: { current(): LoadedPolicy };
  logger: Logger;
  identify(context: TurnContext): Promise<IdentityVerdict>;
  say(context: TurnContext, text: string): Promise<void>;
}

export const HELP = [
  'Airlock posts approval cards here once this conversation is linked to a policy channel.',
  'Commands:',
  '  link <channel>    post the cards of a policy channel (for example "link dba-teams") here',
  '  unlink [channel]  stop posting one channel (or all) here',
  '  status            show what is linked here and who you are to Airlock',
  '  help              this text',
].join('\n');

export async function runCommand(context: TurnContext, deps: CommandDeps): Promise<void> {
  const [verb = '', ...args] = commandText(context.activity.text ?? '').split(' ');
  const name = args.join(' ').trim() || undefined;
  switch (verb.toLowerCase()) {
    case 'link':
      return link(context, deps, name);
    case 'unlink':
      return unlink(context, deps, name);
    case 'status':
      return status(context, deps);
    default:
      return deps.say(context, HELP);
  }
}

async function status(context: TurnContext, deps: CommandDeps): Promise<void> {
  const links = await deps.store.bindingsOf(context.activity.conversation.id);
  const who = await deps.identify(context);
  await deps.say(
    context,
    [
      links.length ? `Linked here: ${links.join(', ')}.` : 'Nothing is linked here yet.',
      who.ok ? `You are ${who.identity} to Airlock.` : `Airlock does not know you: ${who.detail}.`,
    ].join('\n'),
  );
}

/** The identity of an approver-group member, or undefined after telling the sender no. */
async function linker(context: TurnContext, deps: CommandDeps): Promise<string | undefined> {
  const who = await deps.identify(context);
  if (who.ok && mayLink(deps.policy.current(), who.identity)) return who.identity;
  await deps.say(
    context,
    'Only members of an approver group of the policy can link or unlink conversations.',
  );
  return undefined;
}

async function link(context: TurnContext, deps: CommandDeps, name: string | undefined): Promise<void> {
  const by = await linker(context, deps);
  if (!by) return;
  if (!name) return deps.say(context, 'Usage: link <channel>, for example "link dba-teams".');
  const policy = deps.policy.current();
  const ref = refNameFor(policy, name);
  if (!ref) {
    const known = teamsChannels(policy).join(', ') || 'none';
    return deps.say(
      context,
      `The policy has no Teams channel ${bound(name, 80).text}. Teams channels: ${known}.`,
    );
  }
  const conversationId = context.activity.conversation.id;
  await deps.store.bind(ref, conversationId, by);
  deps.logger.info({ ref, conversationId, by }, 'teams: conversation linked');
  await deps.say(context, `Linked: cards for ${ref} (${name}) will be posted here.`);
}

async function unlink(context: TurnContext, deps: CommandDeps, name: string | undefined): Promise<void> {
  const by = await linker(context, deps);
  if (!by) return;
  const ref = name ? (refNameFor(deps.policy.current(), name) ?? name) : undefined;
  const removed = await deps.store.unbind(context.activity.conversation.id, ref);
  deps.logger.info({ removed, by }, 'teams: conversation unlinked');
  await deps.say(context, removed.length ? `Unlinked: ${removed.join(', ')}.` : 'Nothing to unlink here.');
}

/** Command text without mentions, markup or extra spaces. */
export function commandText(text: string): string {
  return text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function teamsChannels(policy: LoadedPolicy): string[] {
  return Object.entries(policy.policy.channels)
    .filter(([, c]) => c.teams)
    .map(([name]) => name)
    .sort();
}

/** A policy channel name (`dba-teams`) or a conversationRef (`dba`) to the conversationRef cards are posted to. */
export function refNameFor(policy: LoadedPolicy, name: string): string | undefined {
  const byChannel = policy.policy.channels[name]?.teams?.conversationRef;
  if (byChannel) return byChannel;
  return Object.values(policy.policy.channels).some((c) => c.teams?.conversationRef === name)
    ? name
    : undefined;
}
