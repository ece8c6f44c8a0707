// submit, status, ls, approve, deny, cancel: the request's life from a terminal or a pipeline.
import type { Command } from 'commander';
import { clientFor } from '../client.js';
import { EXIT, exitCodeOf } from '../exit-codes.js';
import { type CliIo, formatOf, printAction, progressReporter } from '../io.js';
import { type RequestFlags, requestFrom } from '../request-input.js';
import { settled, waitOrCancel, waitSecondsOf } from '../wait.js';

export type SetExit = (code: number) => void;

interface Common {
  url?: string;
  output?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The flags that describe a request, shared by `submit` and `run`. */
export function requestOptions(cmd: Command, withParameters: boolean): Command {
  cmd
    .option('-f, --file <request.json>', 'the request as a JSON file; flags override its fields')
    .option('-a, --action <type>', 'action type, e.g. db.export')
    .option('-r, --resource <resource>', 'what the action touches')
    .option('-e, --environment <env>', 'production, staging, dev, ...')
    .option('-j, --justification <text>', 'why, for the approvers')
    .option('--label <key=value>', 'a label (repeatable)', collect)
    .option('--idempotency-key <key>', 'the same key returns the same request')
    .option('--on-behalf-of <email>', 'the human the agent acts for')
    .option('--break-glass <reason>', 'run at once where the rule lets you break the glass');
  if (withParameters)
    cmd
      .option(
        '-p, --param <key=value>',
        'one parameter; the value as JSON when it reads as JSON (repeatable)',
        collect,
      )
      .option('--parameters <json>', 'all parameters as one JSON object')
      .option('--callback-url <url>', 'where Airlock posts the outcome');
  return cmd.option('--wait [seconds]', 'wait for the outcome (no limit, or SECONDS; then cancel it)');
}

export function registerRequestCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const common = (cmd: Command) =>
    cmd
      .option('--url <url>', 'Airlock base URL (default AIRLOCK_URL, else http://localhost:8080)')
      .option('-o, --output <format>', 'json or text (default: text on a terminal, else json)');

  common(requestOptions(program.command('submit').description('submit a request'), true)).action(
    async (opts: RequestFlags & Common & { wait?: string | boolean }) => {
      const wait = waitSecondsOf(opts.wait);
      const client = clientFor(io, opts.url);
      const submitted = await client.submit(requestFrom(opts));
      io.err(`submitted ${submitted.id}: ${submitted.status}`);
      if (wait === undefined) {
        const action = await client.get(submitted.id);
        printAction(io, action, formatOf(opts.output, io));
        return;
      }
      const { action } = await waitOrCancel(client, io, submitted.id, wait, progressReporter(io));
      printAction(io, action, formatOf(opts.output, io));
      setExit(exitCodeOf(action) ?? EXIT.expired);
    },
  );

  common(program.command('status').description("a request's state").argument('<id>'))
    .option('--wait [seconds]', 'wait until it settles (never cancels it)')
    .action(async (id: string, opts: Common & { wait?: string | boolean }) => {
      const wait = waitSecondsOf(opts.wait);
      const client = clientFor(io, opts.url);
      const format = formatOf(opts.output, io);
      if (wait === undefined) {
        const action = await client.get(id);
        printAction(io, action, format);
        setExit(exitCodeOf(action) ?? EXIT.ok);
        return;
      }
      const action = await client.waitFor(id, {
        ...(Number.isFinite(wait) ? { timeoutSeconds: wait } : {}),
        onUpdate: progressReporter(io),
      });
      printAction(io, action, format);
      const code = exitCodeOf(action);
      if (code === undefined) io.err(`still ${action.status} after ${wait} s (not cancelled)`);
      setExit(code ?? EXIT.expired);
    });

  common(program.command('ls').description('list requests, newest first'))
    .option('--status <status>')
    .option('--requester <principal>')
    .option('--action <type>')
    .option('--environment <env>')
    .option('--limit <n>', 'at most n (1-200, default 50)')
    .option('--cursor <cursor>', 'the next page (nextCursor of the last)')
    .action(async (opts: Common & Record<string, string | undefined>) => {
      const client = clientFor(io, opts.url);
      const query: Record<string, string | number> = {};
      for (const key of ['status', 'requester', 'action', 'environment', 'cursor'])
        if (opts[key] !== undefined) query[key] = opts[key]!;
      if (opts.limit !== undefined) query.limit = Number(opts.limit);
      const page = await client.list(query);
      if (formatOf(opts.output, io) === 'json') {
        io.out(JSON.stringify(page, null, 2));
        return;
      }
      for (const item of page.items as Record<string, unknown>[])
        io.out(
          [item.id, item.status, item.action, item.environment, item.requester]
            .map((v) => String(v ?? '-'))
            .join('  '),
        );
      if (page.nextCursor) io.err(`more: airlock ls --cursor ${page.nextCursor}`);
    });

  const decide = (name: 'approve' | 'deny') =>
    common(program.command(name).description(`${name} a request`).argument('<id>'))
      [name === 'deny' ? 'requiredOption' : 'option']('--reason <text>', 'why (shown to the requester)')
      .action(async (id: string, opts: Common & { reason?: string }) => {
        const client = clientFor(io, opts.url);
        const result =
          name === 'approve' ? await client.approve(id, opts.reason) : await client.deny(id, opts.reason!);
        io.err(`${name === 'approve' ? 'approved' : 'denied'} ${id}`);
        io.out(JSON.stringify(result, null, 2));
      });
  decide('approve');
  decide('deny');

  common(program.command('cancel').description('cancel your request').argument('<id>'))
    .option('--reason <text>')
    .action(async (id: string, opts: Common & { reason?: string }) => {
      const client = clientFor(io, opts.url);
      await client.cancel(id, opts.reason ? { reason: opts.reason } : {});
      printAction(io, await settled(client, id), formatOf(opts.output, io));
    });
}
