// Headless Debian Chromium through playwright-core (never a downloaded browser), for the Web UI
// test. `chromiumPath` is undefined when the Debian package is not installed.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

const PATH = '/usr/bin/chromium';
export const chromiumPath: string | undefined = existsSync(PATH) ? PATH : undefined;

/** A fresh profile each time (playwright-core passes it as --user-data-dir). */
export async function launchChromium(): Promise<BrowserContext> {
  if (!chromiumPath) throw new Error(`${PATH} is missing: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'airlock-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 900 },
  });
}
