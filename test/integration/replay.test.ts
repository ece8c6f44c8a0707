// The determinism guard: every workflow history recorded by scripts/record-histories.ts (one
// closed request per scenario, in test/fixtures/histories/) replays against the current workflow
// bundle without a determinism violation or any other replay failure. A change to
// workflows/ that would break requests already running fails here (before the first release:
// re-record; after it: version the change, see docs/versioning.md). A negative control replays one history
// against a deliberately different workflow and expects the determinism error, so this test
// is known to be able to fail.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type History, historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, type ReplayResult, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { payloadKeyFrom } from '../../lib/keys.js';
import { HISTORIES_DIR, RECORDING_ENCRYPTION_KEY, SCENARIOS } from '../../scripts/record-histories.js';
import { EncryptionCodec } from '../../temporal/codec.js';
import { installRuntimeLogger } from '../../temporal/runtime-logger.js';
import { silentLogger } from '../support/harness.js';

const dataConverter = {
  payloadCodecs: [new EncryptionCodec(payloadKeyFrom(Buffer.from(RECORDING_ENCRYPTION_KEY, 'base64')))],
};

const NONDETERMINISTIC_WORKFLOWS = fileURLToPath(
  new URL('../fixtures/nondeterministic-workflow.ts', import.meta.url),
);

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const names = files.map((f) => basename(f, '.json'));

/**
 * The SDK's `historyFromJSON`, or the same decoding with the protobufjs copy @temporalio/proto was
 * built with: with this lock file each @temporalio package nests its own protobufjs 8 (the
 * top-level one is @grpc/proto-loader's 7), so the SDK helper's `instanceof Type` check throws
 * "type must be a Type". `Worker.runReplayHistory` calls it for JSON input, so it gets the
 * decoded History instead.
 */
function loadHistory(file: string): History {
  const json: unknown = JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'));
  try {
    return historyFromJSON(json);
  } catch (err) {
    if (!(err instanceof TypeError) || !/must be a Type/.test(err.message)) throw err;
    const require = createRequire(import.meta.url);
    const protoMain = require.resolve('@temporalio/proto');
    const protojson = createRequire(protoMain)('protobufjs/ext/protojson') as {
      fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
    };
    const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as {
      patchProtobufRoot(root: unknown): { lookupType(name: string): unknown };
    };
    const historyType = patchProtobufRoot(require(protoMain)).lookupType('temporal.api.history.v1.History');
    return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
  }
}

const describeError = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : err === undefined ? 'none' : String(err);

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

describe('workflow determinism (recorded histories replayed against the current code)', () => {
  const histories = new Map<string, History>();
  const results = new Map<string, ReplayResult>();

  beforeAll(async () => {
    // The negative control's nondeterminism is expected: the SDK's lines about it go to the
    // (silent) logger as in the service, not to the test output.
    installRuntimeLogger(silentLogger);
    for (const [i, file] of files.entries()) histories.set(names[i]!, loadHistory(file));
    const replay = Worker.runReplayHistories(
      {
        workflowBundle: { codePath: inject('workflowBundlePath') },
        replayName: 'airlock-replay',
        // Histories recorded since the payload codec carry ciphertext (scripts/record-histories.ts).
        dataConverter,
      },
      [...histories].map(([workflowId, history]) => ({ workflowId, history })),
    );
    for await (const result of replay) results.set(result.workflowId, result);
  });

  it('has a recorded, closed actionRequest history for every scenario of the recorder', () => {
    expect(names).toEqual(expect.arrayContaining(SCENARIOS.map((s) => s.name)));
    for (const [name, history] of histories) {
      const events = history.events ?? [];
      const first = events[0]?.workflowExecutionStartedEventAttributes;
      expect(first?.workflowType?.name, name).toBe('actionRequest');
      expect(events.at(-1)?.workflowExecutionCompletedEventAttributes, `${name} closed`).toBeTruthy();
    }
  });

  it.each(names)('replays %s without a determinism violation', (name) => {
    const result = results.get(name);
    expect(result, `no replay result for ${name}`).toBeDefined();
    expect(describeError(result?.error)).toBe('none');
  });

  it('fails with a determinism error when the workflow issues different commands (negative control)', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: NONDETERMINISTIC_WORKFLOWS,
      logger: quietLogger,
    });
    const history = histories.get('approve-then-execute') ?? histories.values().next().value;
    expect(history).toBeDefined();
    const replay = Worker.runReplayHistory(
      { workflowBundle: bundle, replayName: 'airlock-replay-control', dataConverter },
      history,
    );
    await expect(replay).rejects.toMatchObject({
      name: 'DeterminismViolationError',
      message: expect.stringMatching(/nondeterminism/i),
    });
  });
});
