// `npm run teams:package`: a zip Teams accepts (manifest with the app id and the public host,
// two PNG icons of the required sizes), and a clear refusal when the app id or URL is wrong.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../scripts/teams-package.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'airlock-pkg-'));
const APP_ID = '0a1b2c3d-0000-4000-8000-00000000abcd';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Entries of a zip whose local headers carry the sizes (no data descriptors), as this script writes. */
function unzip(buf: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let at = 0;
  while (buf.readUInt32LE(at) === 0x04034b50) {
    const method = buf.readUInt16LE(at + 8);
    const size = buf.readUInt32LE(at + 18);
    const nameLength = buf.readUInt16LE(at + 26);
    const extra = buf.readUInt16LE(at + 28);
    const name = buf.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const data = buf.subarray(at + 30 + nameLength + extra, at + 30 + nameLength + extra + size);
    files.set(name, method === 8 ? inflateRawSync(data) : data);
    at += 30 + nameLength + extra + size;
  }
  return files;
}

const pngSize = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];

describe('teams:package', () => {
  it('zips the manifest with the app id and host, and both icons', async () => {
    const out = join(dir, 'app.zip');
    await run(process.execPath, [script, out], {
      env: {
        PATH: process.env.PATH,
        TEAMS_APP_ID: APP_ID,
        AIRLOCK_PUBLIC_URL: 'https://airlock.example.com/x',
      },
    });
    const files = unzip(readFileSync(out));
    expect([...files.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8'));
    expect(manifest.id).toBe(APP_ID);
    expect(manifest.bots[0].botId).toBe(APP_ID);
    expect(manifest.validDomains).toEqual(['airlock.example.com']);
    expect(manifest.developer.websiteUrl).toBe('https://airlock.example.com');
    expect(JSON.stringify(manifest)).not.toContain('${{');
    expect(pngSize(files.get('color.png')!)).toEqual([192, 192]);
    expect(pngSize(files.get('outline.png')!)).toEqual([32, 32]);
  });

  it.each([
    [{ TEAMS_APP_ID: 'not-a-guid', AIRLOCK_PUBLIC_URL: 'https://a.example' }, /TEAMS_APP_ID/],
    [{ TEAMS_APP_ID: APP_ID, AIRLOCK_PUBLIC_URL: 'http://a.example' }, /must be https/],
  ])('refuses %o', async (env, message) => {
    const failed = await run(process.execPath, [script, join(dir, 'bad.zip')], {
      env: { PATH: process.env.PATH, ...env },
    }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(message);
  });
});
