// The start-up banner: every demo key the README promises, and where the API can be reached from.
import { describe, expect, it } from 'vitest';
import { bannerText } from '../../../api/banner.js';

const demo = {
  keys: [
    { principal: 'ci@example.com', roles: ['requester' as const], key: 'airlock_req_R' },
    { principal: 'dana@example.com', roles: ['approver' as const], key: 'airlock_appr_P' },
    { principal: 'audit@example.com', roles: ['auditor' as const], key: 'airlock_aud_U' },
    { principal: 'admin@example.com', roles: ['admin' as const], key: 'airlock_adm_A' },
  ],
};
const base = {
  publicUrl: 'http://localhost:8080',
  temporalAddress: '127.0.0.1:7233',
  callbackSecret: 'cb-secret',
};

describe('bannerText', () => {
  it('prints the four demo keys, the admin key among them', () => {
    const text = bannerText({ ...base, host: '127.0.0.1', demo });
    expect(text).toMatch(/requester ci@example\.com +airlock_req_R\n/);
    expect(text).toMatch(/approver {2}dana@example\.com +airlock_appr_P\n/);
    expect(text).toMatch(/auditor {3}audit@example\.com +airlock_aud_U\n/);
    expect(text).toMatch(/admin {5}admin@example\.com +airlock_adm_A\n/);
  });

  it('says that demo mode listens on this machine only, and how to open it', () => {
    const text = bannerText({ ...base, host: '127.0.0.1', demo });
    expect(text).toContain('Listening on 127.0.0.1 only: this machine (demo mode; HOST=0.0.0.0');
    expect(bannerText({ ...base, host: '0.0.0.0', demo })).toContain(
      'Listening on 0.0.0.0 (reachable from the network, with the demo keys below)',
    );
    expect(bannerText({ ...base, host: '10.0.0.5' })).toContain('Listening on 10.0.0.5\n');
  });

  it('prints the console link, and in demo mode how to approve there', () => {
    const text = bannerText({ ...base, host: '127.0.0.1', demo });
    expect(text).toContain('  Console      http://localhost:8080/console');
    expect(text).toContain(
      'Or approve it in the browser: open http://localhost:8080/console, sign in with the approver key',
    );
    expect(bannerText({ ...base })).toContain('Console      http://localhost:8080/console');
  });

  it('prints no key outside demo mode', () => {
    const text = bannerText({ ...base });
    expect(text).toContain('Listening on every interface');
    expect(text).not.toContain('airlock_');
    expect(text).not.toContain('cb-secret');
  });
});
