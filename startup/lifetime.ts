// The process's lifetime: every phase that opens something registers how to close it, and
// stopping closes them in reverse order (a failed step is logged, the rest still run).
import pino, { type Logger } from 'pino';

export class Lifetime {
  private readonly steps: (() => Promise<void>)[] = [];

  constructor(private readonly logger: Logger) {}

  onStop(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  async stop(): Promise<void> {
    for (const step of this.steps.reverse()) {
      await step().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'shutdown step failed'));
    }
    this.steps.length = 0;
  }
}

/** The service's logger; credentials and headers never reach a log line. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'airlock' },
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'approvalToken',
        '*.approvalToken',
        'headers',
        '*.headers',
        'authorization',
      ],
      censor: '[redacted]',
    },
  });
}
