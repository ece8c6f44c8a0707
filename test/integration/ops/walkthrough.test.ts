// The README's "Five minutes with Airlock" as a newcomer does it: the service started as `npm
// start` runs it (demo mode, a fresh data dir), the curl lines copied from its banner and from the
// README run in a shell, and each answer they promise checked: the request waits for a DBA, the
// requester's own attempt and the approver's on a request made on her behalf are refused as
// self-approvals and recorded, the approval runs the action, the trail verifies, and the exported
// evidence verifies offline.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../temporal/dev-server.js';
import { eventually } from '../../support/harness.js';
import { haveBrowser, launchBrowser, personContext } from '../console/support.js';
import { type AirlockProcess, startAsNpmStart } from './processes.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

let proc: AirlockProcess;
let dir: string;
let banner: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-walk-'));
  proc = await startAsNpmStart(
    {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AIRLOCK_DATA_DIR: join(dir, 'data'),
      TEMPORAL_CLI_PATH: inject('temporalCliPath'),
      PORT: '0',
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
    },
    (out) => out.includes('Ctrl-C stops everything.'),
  );
  const out = proc.output();
  banner = out.slice(out.indexOf('Airlock is running.'));
}, 180_000);

afterAll(async () => {
  if (proc) {
    proc.child.kill('SIGTERM');
    await proc.exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The curl lines under each heading of the banner (a heading is a line that is not indented). */
function bannerCommands(text: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const lines = text.split('\n');
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\S/.test(line)) heading = line;
    else if (line.startsWith('  curl ')) {
      let cmd = line.trim();
      while (cmd.endsWith('\\')) cmd = `${cmd.slice(0, -1)} ${lines[++i]!.trim()}`;
      groups.set(heading, [...(groups.get(heading) ?? []), cmd]);
    }
  }
  return groups;
}

/** The commands of the README walk-through's shell blocks, continuation lines joined. */
function readmeCommands(): string[] {
  const section = README.slice(README.indexOf('## Five minutes'), README.indexOf('## How a request flows'));
  const commands: string[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let cmd = '';
    for (const raw of block[1]!.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      cmd += cmd ? ` ${line}` : line;
      const quoteOpen = (cmd.match(/'/g)?.length ?? 0) % 2 === 1;
      if (cmd.endsWith('\\')) cmd = cmd.slice(0, -1).trimEnd();
      else if (!quoteOpen) {
        commands.push(cmd);
        cmd = '';
      }
    }
  }
  return commands;
}

const keyOf = (who: string) => new RegExp(`${who}\\s+(airlock_\\S+)`).exec(banner)?.[1] ?? '';
const publicUrl = () => /API\s+(http:\/\/\S+)/.exec(banner)![1]!;

/** Runs one shell line as pasted and parses what curl printed. */
async function sh(command: string, env: Record<string, string> = {}): Promise<any> {
  const { stdout } = await run('bash', ['-c', command], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

function only(groups: Map<string, string[]>, heading: RegExp): string[] {
  const found = [...groups].filter(([h]) => heading.test(h));
  expect(found, `one banner heading like ${heading}`).toHaveLength(1);
  return found[0]![1];
}

const withId = (cmd: string, id: string) => cmd.replaceAll('<id>', id).replaceAll('<agent-id>', id);

async function statusOf(readCmd: string, id: string, want: string): Promise<any> {
  return eventually(
    async () => {
      const state = await sh(withId(readCmd, id));
      return state.status === want ? state : undefined;
    },
    60_000,
    `status ${want}`,
  );
}

describe("the README's walk-through against npm start", () => {
  it('prints the promised addresses and the four demo keys', () => {
    expect(banner).toMatch(/API\s+http:\/\/localhost:\d+\s+\(docs: http:\/\/localhost:\d+\/docs\)/);
    expect(banner).toMatch(/Temporal UI\s+http:\/\/localhost:\d+/);
    expect(banner).toContain('Listening on 127.0.0.1 only');
    for (const who of [
      'requester ci@example.com',
      'approver  dana@example.com',
      'auditor   audit@example.com',
    ]) {
      expect(keyOf(who)).toMatch(/^airlock_/);
    }
  });

  it("runs the banner's curl lines with the answers the README promises", async () => {
    const groups = bannerCommands(banner);
    const [submit] = only(groups, /^Submit a request/);
    const [selfTry] = only(groups, /^Try to approve it yourself/);
    const [approve] = only(groups, /^Approve it as the approver/);
    const [read, audit] = only(groups, /^Read it, and its audit trail/);
    const [agentSubmit, agentApprove] = only(groups, /^An agent acting for dana@example\.com/);
    const [exportCmd] = only(groups, /^Export signed evidence/);

    const submitted = await sh(submit!);
    expect(submitted).toMatchObject({ status: 'evaluating' });
    const id = submitted.id as string;
    expect(submitted.links.temporalUi).toContain(`/workflows/action-${id}`);
    const pending = await statusOf(read!, id, 'pending_approval');
    expect(pending.policy).toMatchObject({ rule: 'prod-http' });
    // What the approver sees Airlock computed itself: the demo target's state beside the proposal.
    expect(pending.preview).toMatchObject({
      status: 'ok',
      computedBy: 'airlock',
      http: { path: '/state/config' },
    });
    expect(pending.preview.http.diff).toContain('-  "feature": "off"\n+  "feature": "on"');

    // The requester's own attempt: refused as a self-approval, and recorded on the request.
    expect(await sh(withId(selfTry!, id))).toMatchObject({
      status: 403,
      type: 'urn:airlock:problem:self-approval',
    });
    await eventually(
      async () => {
        const state = await sh(withId(read!, id));
        return state.refusedAttempts?.some(
          (r: { code: string; actor: string }) => r.code === 'self_approval' && r.actor === 'ci@example.com',
        )
          ? true
          : undefined;
      },
      30_000,
      "the requester's refusal on the request",
    );

    expect(await sh(withId(approve!, id))).toMatchObject({ id, status: 'approved', approvals: 1, needed: 1 });
    const done = await statusOf(read!, id, 'succeeded');
    expect(done.result).toBeDefined();

    const trail = await sh(withId(audit!, id));
    const types = (trail.events as { type: string }[]).map((e) => e.type);
    for (const t of [
      'request.submitted',
      'policy.evaluated',
      'attempt.refused',
      'decision.recorded',
      'request.approved',
      'execution.started',
      'request.succeeded',
    ]) {
      expect(types).toContain(t);
    }
    expect(trail.verification).toMatchObject({ ok: true });
    // The demo names no chat channel it does not have: no failed card on any request.
    expect(types).not.toContain('notify.failed');

    // On behalf of the approver: she may not approve it, and her attempt is recorded.
    const agentRequest = await sh(agentSubmit!);
    const agentId = agentRequest.id as string;
    await statusOf(read!, agentId, 'pending_approval');
    expect(await sh(withId(agentApprove!, agentId))).toMatchObject({
      status: 403,
      type: 'urn:airlock:problem:self-approval',
    });
    const refused = await sh(withId(read!, agentId));
    expect(refused.status).toBe('pending_approval');
    expect(refused.refusedAttempts).toEqual([
      expect.objectContaining({ code: 'self_approval', actor: 'dana@example.com' }),
    ]);

    // Signed evidence, verified offline with the CLI line the banner prints.
    const evidence = join(dir, 'evidence.jsonl');
    await sh(exportCmd!.replace('> evidence.jsonl', `> '${evidence}'`));
    const verifyLine = banner.split('\n').find((l) => l.includes('audit verify-pack'))!;
    const { stdout } = await run(
      'bash',
      ['-c', verifyLine.trim().replace('evidence.jsonl', `'${evidence}'`)],
      {
        cwd: ROOT,
        timeout: 60_000,
      },
    );
    expect(stdout).toMatch(/^VALID: jsonl pack/);
  });

  it('keeps the banner on screen: no line per HTTP call, no card that cannot be posted', () => {
    const after = proc.output().slice(proc.output().indexOf('Ctrl-C stops everything.'));
    expect(after).not.toContain('"msg":"http"');
    expect(after).not.toContain('some cards were not posted');
  });

  it("runs the README's own shell lines the same way", async () => {
    const commands = readmeCommands().map((c) => c.replaceAll('http://localhost:8080', publicUrl()));
    expect(commands).toHaveLength(5);
    const [submit, selfTry, approve, agentSubmit, agentApprove] = commands;
    const env = {
      REQUESTER_KEY: keyOf('requester ci@example.com'),
      APPROVER_KEY: keyOf('approver  dana@example.com'),
    };
    const [read] = only(bannerCommands(banner), /^Read it, and its audit trail/);

    const { id } = await sh(submit!, env);
    await statusOf(read!, id, 'pending_approval');
    expect(await sh(selfTry!, { ...env, ID: id })).toMatchObject({
      status: 403,
      type: 'urn:airlock:problem:self-approval',
    });
    expect(await sh(approve!, { ...env, ID: id })).toMatchObject({ status: 'approved' });
    await statusOf(read!, id, 'succeeded');

    // The README's `temporal` line, on the address the banner prints: the auditor reads the
    // encrypted input decoded through the codec.
    const temporalLine = /`(temporal workflow show [^`]+)`/.exec(README)![1]!;
    expect(temporalLine).toContain('--address 127.0.0.1:7233');
    const temporalAddress = /Temporal {5}(\S+)/.exec(banner)![1]!;
    const show = temporalLine
      .replace(/^temporal/, inject('temporalCliPath'))
      .replace('127.0.0.1:7233', temporalAddress)
      .replaceAll('http://localhost:8080', publicUrl());
    const { stdout: history } = await run('bash', ['-c', show], {
      env: { ...process.env, ID: id, AUDITOR_KEY: keyOf('auditor   audit@example.com') },
      timeout: 60_000,
    });
    expect(history).toContain('demo-echo:/config');

    const agent = await sh(agentSubmit!, env);
    await statusOf(read!, agent.id, 'pending_approval');
    expect(await sh(agentApprove!, { ...env, AGENT_ID: agent.id })).toMatchObject({
      status: 403,
      type: 'urn:airlock:problem:self-approval',
    });
  });

  // Where Debian's chromium is installed: the banner's console link, the printed approver key,
  // one click, and the page follows the request to its end.
  it.skipIf(!haveBrowser)(
    "approves the walk-through's request in the console the banner links",
    async () => {
      const [submit] = only(bannerCommands(banner), /^Submit a request/);
      const [read] = only(bannerCommands(banner), /^Read it, and its audit trail/);
      const consoleUrl = /Console\s+(http:\/\/\S+)/.exec(banner)![1]!;
      const { id } = await sh(submit!);
      await statusOf(read!, id, 'pending_approval');
      const browser = await launchBrowser();
      try {
        const page = await (await personContext(browser)).newPage();
        await page.goto(consoleUrl);
        await page.getByLabel('API key').fill(keyOf('approver  dana@example.com'));
        await page.getByRole('button', { name: 'Sign in with the key' }).click();
        await page.locator(`a[href="/console/requests/${id}"]`).click();
        await page.getByRole('button', { name: 'Approve' }).click();
        await page.locator('main [data-status="succeeded"]').first().waitFor({ timeout: 30_000 });
      } finally {
        await browser.close();
      }
    },
    90_000,
  );
});
