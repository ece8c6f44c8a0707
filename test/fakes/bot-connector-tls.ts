// TLS for the fake Entra login authority: botframework/MSAL insist on an https login URL, so the
// tests make a throw-away self-signed certificate with openssl and trust it. In production a
// private authority is trusted with NODE_EXTRA_CA_CERTS; that variable is only read when a process
// starts, so in-process tests add the CA to https.globalAgent (what MSAL uses) instead, and one
// test runs a child process with NODE_EXTRA_CA_CERTS to prove the production path.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';

export interface SelfSignedCert {
  key: string;
  cert: string;
}

/** A certificate for 127.0.0.1 and localhost, valid for a day. */
export function selfSignedCert(): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Trusts `caPem` for this process's default https agent; returns the undo. */
export function trustInProcess(caPem: string): () => void {
  const options = https.globalAgent.options as https.AgentOptions;
  const before = options.ca;
  options.ca = [...tls.rootCertificates, caPem];
  return () => {
    options.ca = before;
  };
}
