// The OpenAPI document passes redocly's recommended rules and spectral:oas, and its examples
// are bodies the API accepts as they are (what "Try it out" in /docs sends).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../../api/openapi.js';
import {
  actionRequestSchema,
  cancelSchema,
  completeSchema,
  decisionSchema,
  evaluateSchema,
  redeemSchema,
} from '../../../api/schemas.js';

const run = promisify(execFile);
const bin = (name: string) => join(process.cwd(), 'node_modules', '.bin', name);
const dir = mkdtempSync(join(tmpdir(), 'airlock-oas-'));
const document = buildOpenApi('https://airlock.acme.dev');
const file = join(dir, 'openapi.json');
writeFileSync(file, JSON.stringify(document, null, 1));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a linter that exits non-zero when it finds errors; its JSON report is on stdout either way. */
async function report(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off' } })).stdout;
  } catch (err) {
    return (err as { stdout?: string }).stdout ?? '';
  }
}

// Liveness, readiness and the public JWKS take no input and no credentials: no 4xx to describe.
const NO_4XX = ['healthz', 'readyz', '.well-known~1airlock-audit-keys.json'].map(
  (path) => `#/paths/~1${path}/get/responses`,
);

describe('lint', () => {
  it('redocly (recommended): no errors, no warnings but the three operations without a 4xx', async () => {
    const out = await report(bin('redocly'), ['lint', file, '--format=json']);
    const problems = (JSON.parse(out) as { problems: any[] }).problems.map((p) => ({
      rule: p.ruleId as string,
      severity: p.severity as string,
      at: p.location?.[0]?.pointer as string,
    }));
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const warnings = problems.filter((p) => !(p.rule === 'operation-4xx-response' && NO_4XX.includes(p.at)));
    expect(warnings).toEqual([]);
  });

  it('spectral:oas: no errors and no warnings', async () => {
    writeFileSync(join(dir, '.spectral.yaml'), 'extends: ["spectral:oas"]\n');
    const out = join(dir, 'spectral.json');
    await report(bin('spectral'), ['lint', file, '-f', 'json', '-o', out, '-r', join(dir, '.spectral.yaml')]);
    const found = (JSON.parse(readFileSync(out, 'utf8')) as any[]).map(
      (r) => `${r.code} at ${r.path.join('.')}`,
    );
    expect(found).toEqual([]);
  });
});

describe('the document', () => {
  const ops = Object.values(document.paths as Record<string, Record<string, any>>).flatMap((item) =>
    Object.values(item),
  );

  it('every operation has a unique operationId, a tag and typed responses', () => {
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ops.length);
    for (const o of ops) {
      expect(o.tags, o.operationId).toHaveLength(1);
      for (const [status, response] of Object.entries(o.responses as Record<string, any>)) {
        const schemas = Object.values(response.content ?? {}).map((c: any) => c.schema);
        expect(schemas.length, `${o.operationId} ${status}`).toBeGreaterThan(0);
        // A bare `{type: object}` tells a generated client nothing.
        for (const s of schemas) expect(s, `${o.operationId} ${status}`).not.toEqual({ type: 'object' });
      }
    }
  });

  it('every route that reads a JSON body describes it, and its refusals (413, 415)', () => {
    for (const o of ops.filter((op) => op.requestBody)) {
      expect(Object.keys(o.responses), o.operationId).toEqual(expect.arrayContaining(['400', '413', '415']));
    }
    const posts = Object.values(document.paths as Record<string, any>).flatMap((i) =>
      i.post ? [i.post] : [],
    );
    for (const post of posts) expect(post.requestBody, post.operationId).toBeDefined();
  });

  it('the examples are bodies the API accepts as they are', () => {
    const schemaOf: Record<string, { safeParse(v: unknown): { success: boolean; error?: unknown } }> = {
      ActionRequest: actionRequestSchema,
      EvaluateRequest: evaluateSchema,
      Decision: decisionSchema,
      Cancel: cancelSchema,
      Redeem: redeemSchema,
      Complete: completeSchema,
    };
    let checked = 0;
    for (const o of ops.filter((op) => op.requestBody)) {
      const media = o.requestBody.content['application/json'];
      const name = (media.schema.$ref as string).split('/').pop()!;
      expect(media.example, o.operationId).toBeDefined();
      const zod = schemaOf[name];
      if (!zod) continue; // the codec's Payloads: checked by the codec tests
      const parsed = zod.safeParse(media.example);
      expect(parsed.success, `${o.operationId}: ${String(parsed.error)}`).toBe(true);
      checked++;
    }
    expect(checked).toBe(6);
  });
});
