// The callback allow-list matches the URL as fetch will see it (WHATWG URL), not its raw text:
// user information is refused, scheme, host and port match exactly, paths by glob.
import { describe, expect, it } from 'vitest';
import { callbackAllowed, callbackUrlProblem, parseCallbackPattern } from '../../../config/callback-allow.js';

const DEMO = ['http://127.0.0.1:*', 'http://localhost:*'];
const CI = ['https://ci.example.com/hooks/*'];

describe('callback allow-list', () => {
  it.each([
    // The string looks like 127.0.0.1 (and the old raw-string glob said yes); the host is not it.
    ['http://127.0.0.1:1@2130706433:8080/x', DEMO],
    ['http://127.0.0.1:1@evil.example.com/x', DEMO],
    ['http://127.0.0.1@evil.example.com/x', DEMO],
    ['http://127.0.0.1:80@evil.example.com:80/x', DEMO],
    ['http://user:pass@127.0.0.1:8080/x', DEMO],
    ['http://@127.0.0.1:8080/x', DEMO],
    ['http://127.0.0.1.evil.example.com:8080/x', DEMO],
    ['https://127.0.0.1:8080/x', DEMO],
    ['https://ci.example.com.evil.example.com/hooks/x', CI],
    ['https://ci.example.com:8443/hooks/x', CI],
    ['http://ci.example.com/hooks/x', CI],
    ['https://ci.example.com/other', CI],
    ['https://user@ci.example.com/hooks/x', CI],
    ['https://evil.example.com/https://ci.example.com/hooks/x', CI],
  ])('refuses %s', (url, allow) => {
    expect(callbackAllowed(allow, url)).toBe(false);
  });

  it.each([
    ['http://127.0.0.1:8080/hook', DEMO],
    ['http://localhost:3000/a/b?c=d', DEMO],
    ['http://LOCALHOST:3000/x', DEMO],
    // WHATWG reads these as 127.0.0.1 as well, and so does fetch: the same host.
    ['http://2130706433:8080/x', DEMO],
    ['http://0x7f.0.0.1:8080/x', DEMO],
    // A backslash ends the host for http(s): this is a path on 127.0.0.1, where fetch goes.
    ['http://127.0.0.1:8080\\@evil.example.com/x', DEMO],
    ['https://ci.example.com/hooks/build-1', CI],
    ['https://ci.example.com:443/hooks/build-1', CI],
    ['https://CI.example.com/hooks/x?y=1', CI],
  ])('allows %s', (url, allow) => {
    expect(callbackAllowed(allow, url)).toBe(true);
  });

  it('names why a URL with user information is refused before any allow-list', () => {
    expect(callbackUrlProblem('http://127.0.0.1:1@2130706433:8080/x')).toMatch(/user information/);
    expect(callbackUrlProblem('http://@127.0.0.1/x')).toMatch(/user information/);
    expect(callbackUrlProblem('ftp://127.0.0.1/x')).toMatch(/http/);
    expect(callbackUrlProblem('http://127.0.0.1:8080/x')).toBeUndefined();
  });

  it('matches the default port when an entry names none, and only that port', () => {
    expect(callbackAllowed(['http://hooks.example.com'], 'http://hooks.example.com/x')).toBe(true);
    expect(callbackAllowed(['http://hooks.example.com'], 'http://hooks.example.com:80/x')).toBe(true);
    expect(callbackAllowed(['http://hooks.example.com'], 'http://hooks.example.com:8080/x')).toBe(false);
    expect(callbackAllowed(['http://hooks.example.com:8080/'], 'http://hooks.example.com:8080/')).toBe(true);
    expect(callbackAllowed(['http://hooks.example.com:8080/'], 'http://hooks.example.com:8080/x')).toBe(
      false,
    );
  });

  it.each([
    'https://*.example.com/x',
    'https://ci.example.com*',
    'http://user@ci.example.com/',
    'ftp://ci.example.com/',
    'https://ci.example.com:99999/',
    'https://exa mple.com/',
    'https://',
  ])('refuses the allow-list entry %s', (entry) => {
    expect(typeof parseCallbackPattern(entry)).toBe('string');
  });
});
