// Evidence end to end over the real service: a request with a refused self-approval and an
// approval, archived on schedule; the auditor exports a pack (JSONL and CSV, by API and CLI) that
// verifies offline against the key published at the well-known URL and tells the request in one
// readable record; decryption only on request and only for an auditor; the codec server decodes
// the real Temporal payloads for the auditor and nobody else.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyPack } from '../../../audit/pack-verify.js';
import { run } from '../../../cli/airlock.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../core/fixtures.js';
import { payloadTexts, temporalClient } from './support.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let targetDb: TestDatabase;
let dir: string;
let id: string;
const marker = `pack-marker-${randomBytes(8).toString('hex')}`;
const AUDITOR = 'audit@example.com';

async function download(principal: string | undefined, path: string) {
  const res = await fetch(`${h.url}${path}`, {
    headers: principal ? { authorization: `Bearer ${h.keys[principal]}` } : {},
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-export-'));
  target = await startHttpTarget();
  targetDb = await createTestDatabase('airlock_target');
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, targetDb.url),
    principals: PRINCIPALS,
    env: { AIRLOCK_ARCHIVE_INTERVAL: '2s' },
  });
  const submitted = await h.api('dana@example.com', '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { apiToken: marker } } }),
  });
  id = submitted.body.id;
  await eventually(async () =>
    (await h.api(AUDITOR, `/v1/actions/${id}`)).body.status === 'pending_approval' ? true : undefined,
  );
  const self = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
    body: { decision: 'approve' },
  });
  expect(self.status).toBe(403);
  const ok = await h.api('dev@example.com', `/v1/actions/${id}/decisions`, {
    body: { decision: 'approve', reason: 'checked the diff' },
  });
  expect(ok.status).toBe(200);
  await eventually(
    async () => ((await download(AUDITOR, `/v1/actions/${id}/history`)).status === 200 ? true : undefined),
    30_000,
    'archive',
  );
  writeFileSync(
    join(dir, 'keys.json'),
    (await download(undefined, '/.well-known/airlock-audit-keys.json')).text,
  );
});

afterAll(async () => {
  await h?.stop();
  await target?.close();
  await targetDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  const lines: string[] = [];
  const code = await run(['audit', ...args], (l) => lines.push(l), { AIRLOCK_API_KEY: h.keys[AUDITOR] });
  return { code, text: lines.join('\n') };
}

describe('evidence export', () => {
  it('exports a pack that verifies offline against the published key, with one readable record', async () => {
    const res = await download(AUDITOR, '/v1/audit/export?format=jsonl');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(
      /attachment; filename="airlock-evidence-.*\.jsonl"/,
    );
    expect(res.text).not.toContain(marker);
    const file = join(dir, 'pack.jsonl');
    writeFileSync(file, res.text);
    const checked = await cli('verify-pack', file, '--keys', join(dir, 'keys.json'));
    expect(checked.code, checked.text).toBe(0);
    expect(checked.text).toContain('a key you trust');

    const items = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const record = items.find((i) => i.kind === 'record' && i.requestId === id);
    expect(record).toMatchObject({
      complete: true,
      requester: 'dana@example.com',
      action: 'http.config.update',
      parametersHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      justification: 'turn the feature on for the launch',
      policy: { rule: 'production', version: expect.any(String) },
      refusedAttempts: [{ code: 'self_approval', by: 'dana@example.com', channel: 'api' }],
      decisions: [{ decision: 'approve', by: 'dev@example.com', channel: 'api', reason: 'checked the diff' }],
      execution: { result: { ok: true } },
      outcome: { status: 'succeeded' },
      history: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(items.filter((i) => i.kind === 'history').map((i) => i.requestId)).toContain(id);
  });

  it('exports CSV that verifies too, and fails after one byte changes', async () => {
    const res = await download(
      AUDITOR,
      `/v1/audit/export?format=csv&from=${new Date(Date.now() - 3_600_000).toISOString()}`,
    );
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.text.startsWith('kind,id,request_id,type,actor,at,hash,json\r\n')).toBe(true);
    expect(verifyPack(res.text)).toMatchObject({ ok: true, format: 'csv' });
    const changed = res.text.replace('dev@example.com', 'dev@example.org');
    expect(verifyPack(changed).ok).toBe(false);
  });

  it('decrypts histories only when an auditor asks, and records every export in the chain', async () => {
    const plain = await download(AUDITOR, '/v1/audit/export');
    const decrypted = await download(AUDITOR, '/v1/audit/export?decrypt=true');
    const decoded = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((i) => i.kind === 'history')
        .flatMap((i) => payloadTexts(i.decoded ?? i.history));
    expect(decoded(plain.text).some((t) => t.includes(marker))).toBe(false);
    expect(decoded(decrypted.text).some((t) => t.includes(marker))).toBe(true);
    expect(verifyPack(decrypted.text).ok).toBe(true);
    const exports = await download(AUDITOR, '/v1/audit/export');
    expect(exports.text).toContain('"type":"evidence.exported"');
    expect(exports.text).toContain('"decrypted":true');
  });

  it('refuses export, history and decoding to anyone without the auditor role', async () => {
    for (const who of ['dana@example.com', 'ci@example.com']) {
      expect((await download(who, '/v1/audit/export')).status, who).toBe(403);
      expect((await download(who, `/v1/actions/${id}/history`)).status, who).toBe(403);
      expect((await download(who, '/v1/audit/verify')).status, who).toBe(403);
    }
    expect((await download(undefined, '/v1/audit/export')).status).toBe(401);
  });

  it('exports by CLI to a file that verifies', async () => {
    const file = join(dir, 'cli.jsonl');
    const out = await cli(
      'export',
      '--api',
      h.url,
      '--from',
      '2000-01-01',
      '--format',
      'jsonl',
      '--out',
      file,
    );
    expect(out.code, out.text).toBe(0);
    expect(out.text).toMatch(/verifies$/);
    expect(verifyPack(readFileSync(file)).ok).toBe(true);
  });

  it('reports the whole trail as verified', async () => {
    const res = await h.api(AUDITOR, '/v1/audit/verify');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ok: true,
      chain: { ok: true },
      checkpoints: { ok: true },
      histories: { ok: true },
    });
    expect(res.body.histories.count).toBeGreaterThan(0);
    expect(res.body.database).toMatchObject({ insertOnly: expect.any(Boolean) });
  });

  it('decodes the real Temporal payloads for the auditor through the codec server, for nobody else', async () => {
    const bare = await temporalClient(inject('temporalAddress'));
    let payloads: { metadata: Record<string, string>; data: string }[];
    try {
      const history = await bare.client.workflow.getHandle(`action-${id}`).fetchHistory();
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
      payloads = input.map((p) => {
        const m = proto.temporal.api.common.v1.Payload.create(p);
        return {
          metadata: Object.fromEntries(
            Object.entries(m.metadata).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(m.data).toString('base64'),
        };
      });
    } finally {
      await bare.close();
    }
    const decode = (who: string) =>
      fetch(`${h.url}/codec/decode`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-namespace': 'default',
          authorization: `Bearer ${h.keys[who]}`,
        },
        body: JSON.stringify({ payloads }),
      });
    const res = await decode(AUDITOR);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toContain(marker);
    // A tool without the role gets placeholders that say why (api/codec-tool-refusal.ts), never the data.
    const refused = await decode('dana@example.com');
    expect(refused.headers.get('airlock-codec-refused')).toBe('403');
    const placeholder = ((await refused.json()) as { payloads: { data: string }[] }).payloads[0]!;
    const shown = Buffer.from(placeholder.data, 'base64').toString();
    expect(shown).toContain('not decoded by Airlock: 403');
    expect(shown).not.toContain(marker);
  });
});
