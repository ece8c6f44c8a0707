// The history archiver on a real Temporal dev server and PostgreSQL: the Schedule archives every
// closed request with its SHA-256 in the chain, a second run doubles nothing, the archived history
// replays with the current workflow code (only with the codec: its payloads stay ciphertext), and
// Temporal itself never holds a parameter in plaintext.
import { createHash, randomBytes } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { historyFromJson } from '../../../temporal/history-json.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../core/fixtures.js';
import { codecFor, payloadTexts, rawHistoryBytes, sql, temporalClient } from './support.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let targetDb: TestDatabase;
const marker = `secret-marker-${randomBytes(8).toString('hex')}`;
let id: string;

beforeAll(async () => {
  target = await startHttpTarget();
  targetDb = await createTestDatabase('airlock_target');
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, targetDb.url),
    principals: PRINCIPALS,
    env: { AIRLOCK_ARCHIVE_INTERVAL: '2s' },
  });
  const res = await h.api('ci@example.com', '/v1/actions?wait=20', {
    body: httpRequest({
      environment: 'dev',
      parameters: { method: 'POST', path: '/archive', body: { token: marker } },
    }),
  });
  expect(res.body.status).toBe('succeeded');
  id = res.body.id;
});

afterAll(async () => {
  await h?.stop();
  await target?.close();
  await targetDb?.drop();
});

async function archivedHistory(requestId: string): Promise<Response | undefined> {
  const res = await fetch(`${h.url}/v1/actions/${requestId}/history`, {
    headers: { authorization: `Bearer ${h.keys['audit@example.com']}` },
  });
  return res.status === 200 ? res : undefined;
}

describe('history archiver', () => {
  it('archives a closed request on schedule, with its SHA-256 in the chain', async () => {
    const res = await eventually(() => archivedHistory(id), 30_000, 'the scheduled archive');
    const text = await res.text();
    const sha = createHash('sha256').update(text, 'utf8').digest('hex');
    expect(res.headers.get('x-airlock-history-sha256')).toBe(sha);
    const audit = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
    const archived = audit.body.events.filter((e: { type: string }) => e.type === 'history.archived');
    expect(archived).toHaveLength(1);
    expect(archived[0].data).toMatchObject({ sha256: sha, workflowId: `action-${id}` });
    expect(audit.body.verification.ok).toBe(true);
    const json = JSON.parse(text);
    expect(json.events[0].workflowExecutionStartedEventAttributes.workflowType.name).toBe('actionRequest');
    expect(json.events.at(-1).eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  });

  it('runs twice without doubling anything', async () => {
    await eventually(() => archivedHistory(id), 30_000, 'the scheduled archive');
    const count = async () =>
      (
        await sql<{ histories: number; events: number }>(
          h.db.url,
          `SELECT (SELECT count(*)::int FROM archived_histories) AS histories,
                  (SELECT count(*)::int FROM audit_events WHERE type = 'history.archived') AS events`,
        )
      )[0]!;
    const before = await count();
    expect(before.histories).toBeGreaterThan(0);
    const t = await temporalClient(inject('temporalAddress'), codecFor(h.env));
    try {
      const run = () =>
        t.client.workflow.execute('historyArchiver', {
          taskQueue: h.env.TEMPORAL_TASK_QUEUE!,
          workflowId: `archiver-test-${randomBytes(4).toString('hex')}`,
          args: [{}],
        });
      const [first, second] = [await run(), await run()];
      expect(first).toMatchObject({ archived: 0 });
      expect(second).toMatchObject({ archived: 0, unavailable: 0 });
    } finally {
      await t.close();
    }
    expect(await count()).toEqual(before);
    expect(before.events).toBe(before.histories);
    const dupes = await sql(
      h.db.url,
      "SELECT request_id FROM audit_events WHERE type = 'history.archived' GROUP BY request_id HAVING count(*) > 1",
    );
    expect(dupes).toEqual([]);
    const cursor = await sql<{ c: Date }>(h.db.url, 'SELECT close_time_cursor AS c FROM archive_state');
    expect(cursor[0]?.c).toBeInstanceOf(Date);
  });

  it('replays the archived history with the current workflow code, only with the codec', async () => {
    const res = await eventually(() => archivedHistory(id), 30_000, 'the scheduled archive');
    const history = historyFromJson(JSON.parse(await res.text()));
    const workflowBundle = { codePath: inject('workflowBundlePath') };
    await Worker.runReplayHistory(
      { workflowBundle, replayName: 'archived-replay', dataConverter: { payloadCodecs: [codecFor(h.env)] } },
      history,
      `action-${id}`,
    );
    // Negative control: without the key the payloads are ciphertext and nothing can replay.
    await expect(
      Worker.runReplayHistory(
        { workflowBundle, replayName: 'archived-replay-nokey' },
        history,
        `action-${id}`,
      ),
      // The workflow task failure is encoded too: its encoded attributes start with
      // {"message":"Unknown encoding: (the base64 below).
    ).rejects.toThrow(
      /Encoded failure.*encoded_attributes: Some\(\[eyJtZXNzYWdlIjoiVW5rbm93biBlbmNvZGluZzog/,
    );
  });

  it('keeps parameters out of Temporal in plaintext; an auditor can decrypt them', async () => {
    const bare = await temporalClient(inject('temporalAddress'));
    let raw: Buffer;
    try {
      raw = await rawHistoryBytes(bare.client, `action-${id}`);
    } finally {
      await bare.close();
    }
    expect(raw.includes(marker)).toBe(false);
    // Control: the search is able to find plaintext; search attributes stay plaintext by design.
    expect(raw.includes('http.config.update')).toBe(true);
    expect(raw.includes('binary/encrypted')).toBe(true);

    const archived = await eventually(() => archivedHistory(id), 30_000, 'the scheduled archive');
    const archivedText = await archived.text();
    expect(payloadTexts(JSON.parse(archivedText)).some((t) => t.includes(marker))).toBe(false);
    const decrypted = await h.api('audit@example.com', `/v1/actions/${id}/history?decrypt=true`);
    expect(decrypted.status).toBe(200);
    expect(payloadTexts(decrypted.body).some((t) => t.includes(marker))).toBe(true);
    const refused = await h.api('dana@example.com', `/v1/actions/${id}/history?decrypt=true`);
    expect(refused.status).toBe(403);
  });
});
