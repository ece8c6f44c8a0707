#!/usr/bin/env node
// Builds the Teams app package (manifest.json + color.png + outline.png, zipped) that an admin
// uploads to Teams. The manifest in bots/teams/app-package/ is a template: ${{TEAMS_APP_ID}} and
// ${{AIRLOCK_PUBLIC_URL}} come from the environment. Icons are drawn here (a padlock) when
// bots/teams/app-package/ has none, so the repository needs no binary tooling. No dependencies: zlib only.
//   TEAMS_APP_ID=<bot app id> AIRLOCK_PUBLIC_URL=https://airlock.example.com npm run teams:package
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, deflateSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packageDir = join(root, 'bots/teams/app-package');
const outFile = resolve(process.argv[2] ?? join(root, '.airlock', 'teams', 'airlock-teams.zip'));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// --- icons ------------------------------------------------------------------------------
function png(size, pixel) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let x = 0; x < size; x++)
      Buffer.from(pixel((x + 0.5) / size, (y + 0.5) / size)).copy(row, 1 + x * 4);
    rows.push(row);
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A padlock: body rectangle plus the upper half of a ring (the shackle). */
function isPadlock(x, y) {
  const body = x >= 0.26 && x <= 0.74 && y >= 0.46 && y <= 0.84;
  const r = Math.hypot(x - 0.5, y - 0.46);
  const shackle = y <= 0.46 && r >= 0.12 && r <= 0.2;
  const keyhole = Math.hypot(x - 0.5, y - 0.6) < 0.05 || (Math.abs(x - 0.5) < 0.02 && y > 0.6 && y < 0.72);
  return (body && !keyhole) || shackle;
}

const ACCENT = [0x1f, 0x6f, 0xeb, 0xff];
const WHITE = [0xff, 0xff, 0xff, 0xff];
const CLEAR = [0, 0, 0, 0];
const icons = {
  // Teams: color 192x192 full-bleed; outline 32x32, white on transparent.
  color: () => png(192, (x, y) => (isPadlock(x, y) ? WHITE : ACCENT)),
  outline: () => png(32, (x, y) => (isPadlock(x, y) ? WHITE : CLEAR)),
};

// --- zip (stored central directory, deflated entries) -------------------------------------
function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBuf = Buffer.from(name, 'utf8');
    const deflated = deflateRawSync(data);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00, fixed for reproducible packages
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(deflated.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, deflated);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + deflated.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

// --- manifest -----------------------------------------------------------------------------
function fail(message) {
  process.stderr.write(`teams:package: ${message}\n`);
  process.exit(1);
}

const appId = process.env.TEAMS_APP_ID?.trim() ?? '';
if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(appId)) {
  fail("TEAMS_APP_ID must be the bot's Microsoft app id (a GUID)");
}
let publicUrl;
try {
  publicUrl = new URL(process.env.AIRLOCK_PUBLIC_URL ?? '');
} catch {
  fail('AIRLOCK_PUBLIC_URL must be the https URL Teams reaches Airlock at');
}
if (publicUrl.protocol !== 'https:') fail('AIRLOCK_PUBLIC_URL must be https (Teams refuses other links)');

const values = {
  TEAMS_APP_ID: appId,
  AIRLOCK_PUBLIC_URL: publicUrl.origin,
  AIRLOCK_PUBLIC_HOST: publicUrl.host,
};
const template = readFileSync(join(packageDir, 'manifest.json'), 'utf8');
const manifestText = template.replace(/\$\{\{(\w+)\}\}/g, (whole, name) => values[name] ?? whole);
const leftover = /\$\{\{(\w+)\}\}/.exec(manifestText);
if (leftover)
  fail(`bots/teams/app-package/manifest.json uses \${{${leftover[1]}}}, which this script does not know`);
const manifest = JSON.parse(manifestText);

const files = [['manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)]];
for (const [kind, draw] of Object.entries(icons)) {
  const name = manifest.icons?.[kind];
  if (typeof name !== 'string' || name.includes('/'))
    fail(`manifest.icons.${kind} must name a file in bots/teams/app-package/`);
  const path = join(packageDir, name);
  if (!existsSync(path)) writeFileSync(path, draw());
  files.push([name, readFileSync(path)]);
}
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, zip(files));
process.stdout.write(`Teams app package written to ${outFile}\n`);
