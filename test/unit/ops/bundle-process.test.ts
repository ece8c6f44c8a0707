// The worker bundles the workflow code in a child process (temporal/bundle.ts); a broken workflow file
// must fail start-up with webpack's reason, not hang or say only "finished with errors".
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleInChildProcess } from '../../../temporal/bundle.js';

// Inside the repository, so the workflow modules resolve @temporalio/workflow like ours do.
const artifacts = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
mkdirSync(artifacts, { recursive: true });
const dir = mkdtempSync(join(artifacts, 'bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bundleInChildProcess', () => {
  it('bundles a workflow module and returns its code', async () => {
    const path = join(dir, 'good.ts');
    writeFileSync(path, 'export async function hello(): Promise<string> { return "hi"; }\n');
    const code = await bundleInChildProcess({ workflowsPath: path });
    expect(code).toContain('hello');
  }, 60_000);

  it('rejects with the reason when the workflow code does not build', async () => {
    const path = join(dir, 'broken.ts');
    writeFileSync(path, "import { nothing } from './does-not-exist.js';\nexport const x = nothing;\n");
    await expect(bundleInChildProcess({ workflowsPath: path })).rejects.toThrow(
      /bundling the workflow code failed: [\s\S]*does-not-exist/,
    );
  }, 60_000);
});
