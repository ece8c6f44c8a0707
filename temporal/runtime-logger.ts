// Routes the Temporal SDK's own logs (worker state, core) into the service's pino logger, so
// every line is structured JSON; installed once per process, before the first worker. With a
// bind address the SDK also serves its own worker metrics (Prometheus, /metrics) there.
import { type LogLevel, type LogMetadata, Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';

let installed = false;

export function installRuntimeLogger(logger: Logger, opts: { prometheusBindAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  const child = logger.child({ component: 'temporal-sdk' });
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'debug',
    WARN: 'warn',
    ERROR: 'error',
  };
  const log = (level: LogLevel, message: string, meta?: LogMetadata) =>
    child[levels[level]](meta ?? {}, message);
  try {
    Runtime.install({
      logger: {
        log,
        trace: (m, meta) => log('TRACE', m, meta),
        debug: (m, meta) => log('DEBUG', m, meta),
        info: (m, meta) => log('INFO', m, meta),
        warn: (m, meta) => log('WARN', m, meta),
        error: (m, meta) => log('ERROR', m, meta),
      },
      telemetryOptions: {
        // The SDK core's own lines (retries while the server is away, slow workflow tasks) go to
        // the logger too; by default the core writes them to stderr as unstructured text.
        logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
        ...(opts.prometheusBindAddress
          ? { metrics: { prometheus: { bindAddress: opts.prometheusBindAddress } } }
          : {}),
      },
    });
  } catch {
    // Already installed by someone else in this process: keep theirs.
  }
}
