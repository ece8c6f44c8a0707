// Secrets are scrubbed in the forms a target reflects them in, and nothing else is touched.
import { describe, expect, it } from 'vitest';
import { maxEncodedLength, REDACTED, redact, secretVariants } from '../../../executors/redact.js';

const TOKEN = 'tok_3Jq9ZpX7vLm2Rk8W';
const secrets = secretVariants([`Bearer ${TOKEN}`]);
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('redact', () => {
  it('scrubs the token at any byte offset inside a longer base64 text', () => {
    for (const prefix of ['', 'a', 'ab', 'abc', 'Authorization: Bearer ']) {
      const out = redact(b64(`${prefix}${TOKEN}, and more after it`), secrets);
      expect(out).toContain(REDACTED);
      // What is left around the cut decodes to at most two bytes of the token on either side.
      const left = out.split(REDACTED).map((part) => Buffer.from(part, 'base64').toString('latin1'));
      expect(left.join('')).not.toContain(TOKEN.slice(2, -2));
    }
  });

  it('scrubs mixed spellings: case, escapes and percent-encoding in one occurrence', () => {
    const mixed = `t\\u006F%6B_3jq9zpx7VLM2rk8w`;
    expect(redact(`x ${mixed} y`, secrets)).toBe(`x ${REDACTED} y`);
    expect(redact(`Bearer%20${TOKEN}`, secrets)).toBe(REDACTED);
    const unicode = secretVariants(['pässwörd🔑long']);
    expect(
      redact(
        'PÄSSWÖRD🔑LONG p%C3%A4ssw%C3%B6rd%F0%9F%94%91long \\u0070\\u00e4sswörd\\ud83d\\udd11long',
        unicode,
      ),
    ).toBe(`${REDACTED} ${REDACTED} ${REDACTED}`);
  });

  it('leaves text without a secret as it was, special characters included', () => {
    const text = 'Bearer tokens (see /docs) cost $5 [each] | tok_3Jq9 only * ^ + ? \\ é 🔑';
    expect(redact(text, secrets)).toBe(text);
    expect(redact('anything', [])).toBe('anything');
  });

  it('bounds how long an encoded secret can be, for reading past a cut', () => {
    expect(maxEncodedLength(secrets)).toBeGreaterThanOrEqual(`%${'XX%'.repeat(TOKEN.length)}`.length);
    expect(maxEncodedLength([])).toBe(0);
  });
});
