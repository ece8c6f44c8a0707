// The airlock CLI against the real service: every SPEC 11 exit code produced for real, `run`
// executing its command only after approval and reporting its exit status, the binary itself
// (bad usage, bad key, nothing listening), and a GitHub Actions job signing in with its OIDC token.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { type FakeOidcIssuer, startFakeOidcIssuer } from '../../fakes/oidc-issuer.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CLI_POLICY, CLI_PRINCIPALS, cliConfig, startCli, submittedId } from './world.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let issuer: FakeOidcIssuer;
const as = (principal: string) => ({ AIRLOCK_URL: h.url, AIRLOCK_TOKEN: h.keys[principal] });
const cli = (args: string[], principal = 'ci@example.com') => startCli(args, as(principal)).done;

beforeAll(async () => {
  target = await startHttpTarget();
  issuer = await startFakeOidcIssuer('airlock');
  h = await startHarness({
    policy: CLI_POLICY,
    config: cliConfig(target.url),
    principals: CLI_PRINCIPALS,
    env: { OIDC_ISSUER: issuer.issuer, OIDC_AUDIENCE: issuer.audience, OIDC_JWKS_URL: issuer.jwksUrl },
  });
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
  await issuer?.close();
});

const deploy = (environment: string, image = 'api:1') => [
  'submit',
  '--action',
  'deploy.api',
  '--resource',
  'k8s://prod/api',
  '--environment',
  environment,
  '--param',
  `image=${image}`,
  '--justification',
  'ship the release',
];

/** A dev config change the http executor runs on the fake target. */
const managedUpdate = ['submit', '-a', 'http.config.update', '-r', 'admin-api:/config', '-e', 'dev'];

/** Waits until the request the CLI submitted is pending, then lets `decide` act on it. */
async function pendingOf(stderr: string[]): Promise<string> {
  const id = await eventually(async () => submittedId(stderr), 15_000, 'the CLI to submit');
  await eventually(async () => {
    const r = await h.api('ci@example.com', `/v1/actions/${id}`);
    return r.body.status === 'pending_approval' ? true : undefined;
  });
  return id;
}

describe('exit codes (SPEC 11), produced for real', () => {
  it('0: a managed request the policy allows runs and succeeds', async () => {
    const r = await cli([
      ...managedUpdate,
      '--parameters',
      '{"method":"POST","path":"/config","body":{"on":true}}',
      '--wait',
    ]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ status: 'succeeded', requester: 'ci@example.com' });
    expect(target.sideEffects()).toBeGreaterThanOrEqual(1);
  });

  it('0: a gate-mode request is approved and its token printed on stdout', async () => {
    const r = await cli([...deploy('dev'), '--wait=30']);
    expect(r.code).toBe(0);
    expect(r.json.status).toBe('approved');
    expect(r.json.approvalToken).toMatch(/^v2\./);
  });

  it('10: denied, with who and why on stderr', async () => {
    const running = startCli([...deploy('production', 'api:2'), '--wait'], as('ci@example.com'));
    const id = await pendingOf(running.stderr);
    const asked = /waiting for 1 approval\(s\) from dba \(stage 1 of 1, deadline /;
    await eventually(
      async () => running.stderr.some((l) => asked.test(l)) || undefined,
      15_000,
      'who is asked',
    );
    expect(running.stderr.join('\n')).toMatch(/decide at http:\/\/.*\/console\/requests\//);
    const denied = await cli(['deny', id, '--reason', 'not during the freeze'], 'dana@example.com');
    expect(denied.code).toBe(0);
    const r = await running.done;
    expect(r.code).toBe(10);
    expect(r.json).toMatchObject({ id, status: 'denied', decidedBy: 'dana@example.com' });
    expect(r.stderr.join('\n')).toMatch(/denied by dana@example\.com: not during the freeze/);
  });

  it('11: the stage times out and the request expires', async () => {
    const r = await cli([...deploy('staging'), '--wait']);
    expect(r.code).toBe(11);
    expect(r.json.status).toBe('expired');
  });

  it('12: nobody decides within --wait=N, so the CLI cancels it; `cancel` too', async () => {
    const r = await cli([...deploy('production', 'api:3'), '--wait=1']);
    expect(r.code).toBe(12);
    expect(r.json.status).toBe('cancelled');
    expect(r.stderr.join('\n')).toMatch(/nobody decided within 1 s; cancelling/);
    const later = await cli(['status', r.json.id]);
    expect(later.code).toBe(12);

    const submitted = await cli(deploy('production', 'api:4'));
    expect(submitted.code).toBe(0);
    expect(['evaluating', 'pending_approval']).toContain(submitted.json.status);
    const cancelled = await cli(['cancel', submitted.json.id, '--reason', 'wrong image']);
    expect(cancelled.code).toBe(0);
    expect((await cli(['status', submitted.json.id])).json.status).toBe('cancelled');
  });

  it('13: the executor fails', async () => {
    target.respondWith(() => ({
      status: 400,
      body: '{"error":"bad flag"}',
      headers: { 'content-type': 'application/json' },
    }));
    try {
      const r = await cli([...managedUpdate, '-p', 'method=POST', '-p', 'path=/config', '--wait']);
      expect(r.code).toBe(13);
      expect(r.json.status).toBe('failed');
    } finally {
      target.respondWith((call) => ({ status: 200, body: JSON.stringify({ ok: true, path: call.path }) }));
    }
  });

  it('2: bad input names the flag or the file and field, and the server refusal its field', async () => {
    const noAction = await cli(['submit', '-r', 'x', '-e', 'dev']);
    expect(noAction.code).toBe(2);
    expect(noAction.stderr).toEqual(['airlock: --action is required (or "action" in --file)']);
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
    writeFileSync(join(dir, 'bad.json'), '{"action": "deploy.api",');
    const badFile = await cli(['submit', '--file', join(dir, 'bad.json')]);
    expect(badFile.code).toBe(2);
    expect(badFile.stderr[0]).toMatch(/^airlock: --file .*bad\.json: not JSON/);
    writeFileSync(
      join(dir, 'typo.json'),
      '{"action":"deploy.api","resource":"r","environment":"dev","paramters":{}}',
    );
    const typo = await cli(['submit', '--file', join(dir, 'typo.json')]);
    expect(typo.stderr[0]).toMatch(/unknown field "paramters"/);
    const badWait = await cli([...deploy('dev'), '--wait=soon']);
    expect(badWait.code).toBe(2);
    expect(badWait.stderr[0]).toMatch(/--wait must be a whole number of seconds/);
    // The server's own validation: an action type the API refuses, named.
    const server = await cli(['submit', '-a', 'Deploy API', '-r', 'x', '-e', 'dev']);
    expect(server.code).toBe(2);
    expect(server.stderr[0]).toMatch(/^airlock: 400 .*action/);
    const unknownId = await cli(['status', '00000000-0000-0000-0000-000000000000']);
    expect(unknownId.code).toBe(2);
    expect(unknownId.stderr[0]).toMatch(/^airlock: 404/);
  });

  it('3: a refused decision (self-approval) is the authentication/authorization code, with the reason', async () => {
    const submitted = await cli(deploy('production', 'api:5'));
    const self = await cli(['approve', submitted.json.id]);
    expect(self.code).toBe(3);
    expect(self.stderr[0]).toMatch(/^airlock: 403/);
    await cli(['cancel', submitted.json.id]);
  });

  it('ls lists with the API filters', async () => {
    // The list reads the index, which the workflow writes as the request moves on.
    const r = await eventually(async () => {
      const page = await cli(['ls', '--status', 'denied', '--limit', '5']);
      return page.json?.items?.length ? page : undefined;
    });
    expect(r.code).toBe(0);
    expect(r.json.items.every((i: { status: string }) => i.status === 'denied')).toBe(true);
  });
});

describe('airlock run (gate mode end to end)', () => {
  it('runs the command only after approval, reports its exit status, exits with its code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-run-'));
    const marker = join(dir, 'ran');
    const script = "require('fs').writeFileSync(process.argv[1], 'ran'); process.exit(3)";
    const running = startCli(
      [
        'run',
        '-a',
        'deploy.api',
        '-r',
        'k8s://prod/api',
        '-e',
        'production',
        '--',
        process.execPath,
        '-e',
        script,
        marker,
      ],
      as('ci@example.com'),
    );
    const id = await pendingOf(running.stderr);
    const pending = await h.api('dana@example.com', `/v1/actions/${id}`);
    expect(pending.body.request.parameters).toEqual({
      command: [process.execPath, '-e', script, marker],
      cwd: process.cwd(),
    });
    expect(existsSync(marker)).toBe(false);
    expect((await cli(['approve', id, '--reason', 'ok'], 'dana@example.com')).code).toBe(0);
    const r = await running.done;
    expect(r.code).toBe(3);
    expect(existsSync(marker)).toBe(true);
    const done = await eventually(async () => {
      const a = await h.api('ci@example.com', `/v1/actions/${id}`);
      return a.body.status === 'failed' ? a.body : undefined;
    });
    expect(JSON.stringify(done.result)).toContain('"exitCode":3');
  });

  it('a denied command never runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-run-'));
    const marker = join(dir, 'ran');
    const running = startCli(
      ['run', '-a', 'deploy.api', '-r', 'k8s://prod/api', '-e', 'production', '--', 'touch', marker],
      as('ci@example.com'),
    );
    const id = await pendingOf(running.stderr);
    await cli(['deny', id, '--reason', 'no'], 'dana@example.com');
    expect((await running.done).code).toBe(10);
    expect(existsSync(marker)).toBe(false);
  });
});

/** The real binary: node cli/bin.mjs, its exit code and output. */
function spawnAirlock(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['cli/bin.mjs', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('the airlock binary', () => {
  it('exits 0 with the final state as JSON on stdout, progress on stderr', async () => {
    const r = await spawnAirlock(
      [...deploy('dev', 'api:9'), '--wait=30'],
      as('ci@example.com') as Record<string, string>,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('approved');
    expect(r.stderr).toMatch(/^submitted [0-9a-f-]{36}: /);
  });

  it('2: an unknown flag is one line naming it, no stack trace', async () => {
    const r = await spawnAirlock(
      ['submit', '--colour', 'red'],
      as('ci@example.com') as Record<string, string>,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option '--colour'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("3: a bad key, with the server's detail", async () => {
    const r = await spawnAirlock(['status', '00000000-0000-0000-0000-000000000000'], {
      AIRLOCK_URL: h.url,
      AIRLOCK_TOKEN: 'airlock_test_not-a-key',
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^airlock: 401 /);
  });

  it('4: nothing listening', async () => {
    const r = await spawnAirlock(['status', '00000000-0000-0000-0000-000000000000'], {
      AIRLOCK_URL: 'http://127.0.0.1:9',
      AIRLOCK_TOKEN: 'x',
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^airlock: Airlock is unreachable at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('GitHub Actions: the job OIDC token when no AIRLOCK_TOKEN is set', () => {
  let server: Server;
  let tokenUrl = '';
  const asked: { audience: string | null; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    // A stand-in for GitHub's token endpoint: checks the runtime's bearer, signs for the asked audience.
    server = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      asked.push({ audience: url.searchParams.get('audience'), authorization: req.headers.authorization });
      if (req.headers.authorization !== 'bearer runtime-token') {
        res.writeHead(401).end();
        return;
      }
      const value = await issuer.sign(
        { sub: 'repo:acme/deploy:ref:refs/heads/main', repository: 'acme/deploy' },
        { audience: url.searchParams.get('audience') ?? 'none' },
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: 1, value }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token?api-version=2.0`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('submits as the repository the token names', async () => {
    const env = {
      AIRLOCK_URL: h.url,
      GITHUB_ACTIONS: 'true',
      ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-token',
    };
    const r = await startCli([...deploy('dev', 'api:gh'), '--wait=30'], env).done;
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ status: 'approved', requester: 'github:acme/deploy' });
    expect(asked.at(-1)).toEqual({ audience: 'airlock', authorization: 'bearer runtime-token' });
  });

  it('a token for another audience is refused (3); no id-token permission is a clear 3', async () => {
    const wrong = await startCli(['status', '00000000-0000-0000-0000-000000000000'], {
      AIRLOCK_URL: h.url,
      ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-token',
      AIRLOCK_OIDC_AUDIENCE: 'someone-else',
    }).done;
    expect(wrong.code).toBe(3);
    const none = await startCli(['status', '00000000-0000-0000-0000-000000000000'], {
      AIRLOCK_URL: h.url,
      GITHUB_ACTIONS: 'true',
    }).done;
    expect(none.code).toBe(3);
    expect(none.stderr[0]).toMatch(/permissions: id-token: write/);
  });
});
