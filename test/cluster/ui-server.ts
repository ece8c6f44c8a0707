// The Temporal Web UI of the compose file (temporalio/ui), run here for the cluster: its server
// module built with `go install` like the Temporal server (test/cluster/server-binaries.ts), pointed
// at the cluster's frontend and at Airlock's codec. Its binary is called `server` too, so it goes
// to a directory of its own next to Go's bin directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goBinDirs, goInstall, hasGo } from '../../temporal/ensure-cli.mjs';
import {
  TEMPORAL_UI_CODEC_INCLUDE_CREDENTIALS,
  TEMPORAL_UI_MODULE,
  TEMPORAL_UI_VERSION,
} from './contract.js';
import { builtFrom } from './server-binaries.js';

export interface UiServer {
  /** The UI's base URL on `localhost` (the API's host name, so the codec cookie is same-site). */
  url: string;
  stop(): Promise<void>;
}

const UI_PACKAGE = 'github.com/temporalio/ui-server/v2/cmd/server';

/** The UI server binary at the pinned version, built when missing. */
export function ensureUiServer(log: (m: string) => void = (m) => console.error(m)): string {
  if (!hasGo()) throw new Error(`the cluster's Web UI builds ${TEMPORAL_UI_MODULE} with Go; install Go`);
  const gobin = join(goBinDirs()[0]!, `temporal-ui-${TEMPORAL_UI_VERSION}`);
  const binary = join(gobin, 'server');
  const pinned =
    existsSync(binary) &&
    builtFrom(binary, UI_PACKAGE, 'github.com/temporalio/ui-server/v2', `v${TEMPORAL_UI_VERSION}`);
  if (!pinned) {
    mkdirSync(gobin, { recursive: true });
    goInstall([TEMPORAL_UI_MODULE], { log, what: `the Temporal Web UI ${TEMPORAL_UI_VERSION}`, gobin });
    if (!existsSync(binary)) throw new Error(`go install succeeded but ${binary} is not there`);
  }
  return binary;
}

/** Starts the UI on `port` against the frontend at `temporalAddress`, its codec at `codecEndpoint`. */
export async function startUiServer(opts: {
  temporalAddress: string;
  port: number;
  codecEndpoint: string;
}): Promise<UiServer> {
  const binary = ensureUiServer();
  const root = mkdtempSync(join(tmpdir(), 'airlock-ui-'));
  mkdirSync(join(root, 'config'));
  // The keys of the module's config/development.yaml that matter here; the rest keep their defaults.
  writeFileSync(
    join(root, 'config', 'cluster.yaml'),
    [
      `temporalGrpcAddress: ${opts.temporalAddress}`,
      `port: ${opts.port}`,
      'enableUi: true',
      'defaultNamespace: default',
      'codec:',
      `  endpoint: ${opts.codecEndpoint}`,
      `  includeCredentials: ${TEMPORAL_UI_CODEC_INCLUDE_CREDENTIALS}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    binary,
    ['--root', root, '--config', 'config', '--env', 'cluster', 'start'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://localhost:${opts.port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(root, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${url}/api/v1/settings`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the Temporal UI server did not answer on ${url}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop };
}
