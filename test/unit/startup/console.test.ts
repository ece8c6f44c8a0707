// console.error/warn from dependencies reach the running service's logger as structured warnings,
// and console is itself again once the last service stops.
import { Writable } from 'node:stream';
import pino from 'pino';
import { expect, it } from 'vitest';
import { routeConsoleToLogger } from '../../../startup/console.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

const flush = () => new Promise((r) => setImmediate(r));

it('routes console.error and console.warn to the latest running service, then restores console', async () => {
  const before = { error: console.error, warn: console.warn };
  const first = capture();
  const second = capture();
  const stopFirst = routeConsoleToLogger(first.logger);
  console.error('Error finding key for token. Available keys: %s', 'kid-1');
  const stopSecond = routeConsoleToLogger(second.logger);
  console.warn(new Error('The token has expired'));
  await flush();
  expect(first.lines).toMatchObject([
    { level: 40, source: 'console.error', msg: 'Error finding key for token. Available keys: kid-1' },
  ]);
  expect(second.lines[0]).toMatchObject({ level: 40, source: 'console.warn' });
  expect(String(second.lines[0]!.msg)).toMatch(/^Error: The token has expired/);

  stopSecond();
  console.error('after the second stopped');
  await flush();
  expect(first.lines.at(-1)).toMatchObject({ msg: 'after the second stopped' });
  expect(console.error).not.toBe(before.error);
  stopFirst();
  expect(console.error).toBe(before.error);
  expect(console.warn).toBe(before.warn);
});
