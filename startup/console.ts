// Dependencies that print with console.error/warn (botframework-connector writes a line for every
// forged or expired Teams token) would put unstructured text beside the service's JSON lines, and
// in a test run beside the results. While a service runs, those calls go to its logger as
// warnings, with the text formatted as console would. Several services in one process (tests)
// share the redirect: the latest started gets the lines, and the last to stop restores console.
import { format } from 'node:util';
import type { Logger } from 'pino';

const loggers: Logger[] = [];
let original: { error: typeof console.error; warn: typeof console.warn } | undefined;

export function routeConsoleToLogger(logger: Logger): () => void {
  if (!original) {
    original = { error: console.error, warn: console.warn };
    const route =
      (level: 'error' | 'warn') =>
      (...args: unknown[]): void => {
        loggers.at(-1)?.warn({ source: `console.${level}` }, format(...args));
      };
    console.error = route('error');
    console.warn = route('warn');
  }
  loggers.push(logger);
  return () => {
    const at = loggers.lastIndexOf(logger);
    if (at >= 0) loggers.splice(at, 1);
    if (loggers.length === 0 && original) {
      console.error = original.error;
      console.warn = original.warn;
      original = undefined;
    }
  };
}
