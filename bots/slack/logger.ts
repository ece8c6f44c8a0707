// Bolt and the Slack Web API client log through our pino logger (structured JSON, one stream).
// Their debug output (request bodies) is dropped: it is noise, and the fewer copies of Slack
// traffic in logs the better. The client already redacts the token from what it logs.
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from 'pino';

export function slackLogger(logger: Logger): SlackLogger {
  const log = logger.child({ component: 'slack' });
  const text = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ');
  return {
    debug: () => {},
    info: (...msg: unknown[]) => log.info(text(msg)),
    warn: (...msg: unknown[]) => log.warn(text(msg)),
    error: (...msg: unknown[]) => log.error(text(msg)),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}
