// policy/identity.ts: the one canonical form of an identity, what it refuses, and the
// tag-blind comparison the no-self-approval rule uses.
import { describe, expect, it } from 'vitest';
import {
  canonicalAddress,
  canonicalPrincipal,
  sameForSelfApproval,
  sameIdentity,
  selfApprovalKey,
} from '../../../policy/identity.js';

const ok = (raw: string) => {
  const result = canonicalAddress(raw);
  return result.ok ? result.identity : `refused: ${result.reason}`;
};

describe('canonicalAddress', () => {
  it.each([
    ['dana@example.com', 'dana@example.com'],
    ['  Dana@Example.COM ', 'dana@example.com'],
    ['ｄａｎａ@example.com', 'dana@example.com'], // fullwidth letters fold under NFKC
    ['dana@ｅｘａｍｐｌｅ．ｃｏｍ', 'dana@example.com'],
    ['dana@example.com.', 'dana@example.com'], // the DNS root dot names the same domain
    ['dana+ci@example.com', 'dana+ci@example.com'], // the tag stays: it is its own address
    ["o'brien.x_y@mail.example.co.uk", "o'brien.x_y@mail.example.co.uk"],
  ])('%j is %j', (raw, canonical) => {
    expect(ok(raw)).toBe(canonical);
  });

  it.each([
    ['dana\u200b@example.com', 'invisible'],
    ['dana@example.com\u200d', 'invisible'],
    ['\u202edana@example.com', 'invisible'], // right-to-left override
    ['da\u00adna@example.com', 'invisible'], // soft hyphen
    ['dana@exa\u2060mple.com', 'invisible'], // word joiner
    ['\ufeffdana@example.com', 'invisible'],
    ['dana@example.com\n', 'control'],
    ['dana\u0000@example.com', 'control'],
    ['mailto:dana@example.com', 'mailto'],
    ['MAILTO:dana@example.com', 'mailto'],
    ['Dana <dana@example.com>', 'spaces'],
    ['<dana@example.com>', 'display name'],
    ['"dana"@example.com', 'display name'],
    ['dana@example.com@evil.com', 'one address'],
    ['dana', 'one address'],
    ['@example.com', 'one address'],
    ['dana@localhost', 'local@domain.tld'],
    ['dana@example..com', 'local@domain.tld'],
    ['dаna@example.com', 'ASCII'], // Cyrillic а: NFKC keeps it, so it is refused
    ['dana@exаmple.com', 'ASCII'],
    ['', 'empty'],
    ['   ', 'empty'],
  ])('refuses %j (%s)', (raw, why) => {
    const result = canonicalAddress(raw);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(why);
  });
});

describe('canonicalPrincipal', () => {
  it('keeps service names in their case and canonicalises addresses', () => {
    expect(canonicalPrincipal('repo:acme/deploy:ref:refs/heads/main')).toEqual({
      ok: true,
      identity: 'repo:acme/deploy:ref:refs/heads/main',
    });
    expect(canonicalPrincipal('auth0|5f7c8ec7c33c')).toEqual({ ok: true, identity: 'auth0|5f7c8ec7c33c' });
    expect(canonicalPrincipal(' Dana@Example.com ')).toEqual({ ok: true, identity: 'dana@example.com' });
    expect(canonicalPrincipal('mailto:dana@example.com').ok).toBe(false);
  });

  it.each(['u-1\nroles: admin', 'u-1\r', 'u\u200b1', 'deploy bot', '-leading-dash', 'ünïcode'])(
    'refuses %j',
    (raw) => {
      expect(canonicalPrincipal(raw).ok).toBe(false);
    },
  );
});

describe('comparisons', () => {
  it('sameIdentity compares canonical forms exactly; a refused value matches nothing', () => {
    expect(sameIdentity('ｄａｎａ@example.com', 'Dana@Example.com.')).toBe(true);
    expect(sameIdentity('dana+x@example.com', 'dana@example.com')).toBe(false);
    expect(sameIdentity('dana\u200b@example.com', 'dana@example.com')).toBe(false);
    expect(sameIdentity('dana\u200b@example.com', 'dana\u200b@example.com')).toBe(false);
  });

  it.each([
    'ｄａｎａ@example.com',
    'dana\u200b@example.com',
    'dana@example.com.',
    'mailto:dana@example.com',
    'dana+x@example.com',
    'DANA+ci@EXAMPLE.com',
    'Dana <dana@example.com>',
    '\u202edana@example.com',
  ])('the self-approval rule takes %j for dana@example.com', (lookAlike) => {
    expect(sameForSelfApproval(lookAlike, 'dana@example.com')).toBe(true);
    expect(selfApprovalKey(lookAlike)).toBe('dana@example.com');
  });

  it('the self-approval rule does not take another person for dana', () => {
    expect(sameForSelfApproval('dan@example.com', 'dana@example.com')).toBe(false);
    expect(sameForSelfApproval('dana@example.org', 'dana@example.com')).toBe(false);
    expect(sameForSelfApproval('', 'dana@example.com')).toBe(false);
    expect(sameForSelfApproval(undefined, 'dana@example.com')).toBe(false);
  });
});
