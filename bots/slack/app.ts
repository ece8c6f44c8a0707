// Bolt's App, answering every authentic request at once. Slack sends more than this app listens
// for (other buttons' action ids, shortcuts, view_closed, events subscribed later, payloads Bolt
// cannot route); Bolt leaves those unacknowledged until its 3 s timer answers 404, and Slack then
// retries and may disable the request URL. Here a request no listener acknowledged is answered
// 200 as soon as Bolt is done with it, and logged (info). Signatures are checked before any of it
// (verify.ts, then Bolt's own check): only Slack's requests get this far.
import { type AckFn, App, type AppOptions, type HTTPModuleFunctions, type ReceiverEvent } from '@slack/bolt';
import type { Logger } from 'pino';

type UnhandledArgs = HTTPModuleFunctions.ReceiverUnhandledRequestHandlerArgs;

export class AirlockSlackApp extends App {
  private readonly log: Logger;

  constructor(options: AppOptions, log: Logger) {
    super(options);
    this.log = log;
  }

  override async processEvent(event: ReceiverEvent): Promise<void> {
    let acked = false;
    // biome-ignore lint/suspicious/noExplicitAny: Bolt's own type for a receiver's ack
    const ack: AckFn<any> = async (response) => {
      acked = true;
      await event.ack(response);
    };
    try {
      await super.processEvent({ ...event, ack });
    } catch (err) {
      // Listener failures go to app.error; what lands here is Bolt failing to read the payload.
      this.log.warn(
        { err: err instanceof Error ? err.message.slice(0, 200) : 'error', ...describe(event.body) },
        'slack: could not route a request; acknowledged it',
      );
    }
    if (acked) return;
    this.log.info(describe(event.body), 'slack: acknowledged a request no listener handles');
    try {
      await event.ack();
    } catch {
      // Already answered (the receiver's timer): nothing left to send.
    }
  }
}

/**
 * The receiver's last resort, for a listener that has not acknowledged within Bolt's timer
 * (ours ack first, so this means a stuck one): a 200, so Slack does not retry, and a warning.
 */
export function unhandledRequestHandler(logger: Logger): (args: UnhandledArgs) => void {
  return ({ response }) => {
    logger.warn('slack: a listener did not acknowledge a request in time; answered 200');
    if (!response.headersSent) {
      response.writeHead(200);
      response.end();
    }
  };
}

/** What a request was, for the log line: its type and the ids that route it, bounded. */
export function describe(body: unknown): Record<string, string | string[]> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : undefined);
  const out: Record<string, string | string[]> = {};
  const type = text(b.type);
  if (type) out.type = type;
  const event = b.event as { type?: unknown } | undefined;
  const eventType = text(event?.type);
  if (eventType) out.eventType = eventType;
  const view = b.view as { callback_id?: unknown } | undefined;
  const callbackId = text(view?.callback_id) ?? text(b.callback_id);
  if (callbackId) out.callbackId = callbackId;
  if (Array.isArray(b.actions)) {
    const ids = b.actions
      .slice(0, 5)
      .map((a) => text((a as { action_id?: unknown } | null)?.action_id))
      .filter((id): id is string => id !== undefined);
    if (ids.length) out.actionIds = ids;
  }
  return out;
}
