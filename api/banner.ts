// What `npm start` prints: where everything is and, in demo mode, the four demo keys with
// ready-to-paste curl lines. Pure (text only), so what the README promises is tested.
import type { DemoSecrets } from '../config/demo-secrets.js';

export interface BannerFacts {
  publicUrl: string;
  /** The address the API listens on; undefined: every interface. */
  host?: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  demo?: Pick<DemoSecrets, 'keys'>;
  /** The demo requester's callback signing key. */
  callbackSecret: string;
}

/** The demo's requester, whose callback signing key the banner prints. */
export const DEMO_REQUESTER = 'ci@example.com';
/** The demo's approver, for whom the demo agent request acts. */
const DEMO_APPROVER = 'dana@example.com';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function bannerText(a: BannerFacts): string {
  const publicUrl = a.publicUrl;
  const lines = [
    '',
    'Airlock is running.',
    `  API          ${publicUrl}   (docs: ${publicUrl}/docs)`,
    `  Console      ${publicUrl}/console   (approvers and auditors, in a browser)`,
    `  Listening on ${listening(a.host, a.demo !== undefined)}`,
    `  Temporal UI  ${a.temporalUiUrl ?? '(not started)'}`,
    `  Temporal     ${a.temporalAddress}`,
    `  Audit keys   ${publicUrl}/.well-known/airlock-audit-keys.json   (codec server: ${publicUrl}/codec)`,
    `  Codec login  ${publicUrl}/codec/login   (auditors: read payloads in the Temporal UI; docs/audit.md)`,
  ];
  if (a.demo) {
    const key = (principal: string) => a.demo?.keys.find((k) => k.principal === principal)?.key;
    const requester = key('ci@example.com');
    const approver = key(DEMO_APPROVER);
    const auditor = key('audit@example.com');
    const admin = key('admin@example.com');
    lines.push(
      '',
      'Demo API keys (stored in the data dir; demo mode only):',
      `  requester ci@example.com    ${requester}`,
      `  approver  dana@example.com  ${approver}`,
      `  auditor   audit@example.com ${auditor}`,
      `  admin     admin@example.com ${admin}`,
      `  callback signing secret     ${a.callbackSecret}   (${DEMO_REQUESTER}'s; each requester's own: GET /v1/callback-secret)`,
      '',
      'Submit a request (it waits for an approver):',
      `  curl -s -X POST '${publicUrl}/v1/actions' -H 'Authorization: Bearer ${requester}' -H 'Content-Type: application/json' \\`,
      `    -d '{"action":"http.config.update","resource":"demo-echo:/config","environment":"production","parameters":{"method":"POST","path":"/config","body":{"feature":"on"}},"justification":"turn the feature on for the launch"}'`,
      'Try to approve it yourself, with the requester key (use the id from the answer; 403 self-approval, recorded):',
      `  curl -s -X POST '${publicUrl}/v1/actions/<id>/decisions' -H 'Authorization: Bearer ${requester}' -H 'Content-Type: application/json' -d '{"decision":"approve"}'`,
      'Approve it as the approver:',
      `  curl -s -X POST '${publicUrl}/v1/actions/<id>/decisions' -H 'Authorization: Bearer ${approver}' -H 'Content-Type: application/json' -d '{"decision":"approve"}'`,
      `Or approve it in the browser: open ${publicUrl}/console, sign in with the approver key above, open the request under "Waiting for me" and click Approve.`,
      'Read it, and its audit trail:',
      `  curl -s '${publicUrl}/v1/actions/<id>' -H 'Authorization: Bearer ${approver}'`,
      `  curl -s '${publicUrl}/v1/actions/<id>/audit' -H 'Authorization: Bearer ${auditor}'`,
      `An agent acting for ${DEMO_APPROVER}: ${DEMO_APPROVER} may not approve it (403 self-approval, recorded):`,
      `  curl -s -X POST '${publicUrl}/v1/actions' -H 'Authorization: Bearer ${requester}' -H 'Content-Type: application/json' \\`,
      `    -d '{"action":"http.config.update","resource":"demo-echo:/config","environment":"production","parameters":{"method":"POST","path":"/config","body":{"feature":"off"}},"agent":{"name":"demo-agent","onBehalfOf":"${DEMO_APPROVER}"}}'`,
      `  curl -s -X POST '${publicUrl}/v1/actions/<agent-id>/decisions' -H 'Authorization: Bearer ${approver}' -H 'Content-Type: application/json' -d '{"decision":"approve"}'`,
      'Export signed evidence and verify it offline (docs/audit.md):',
      `  curl -s '${publicUrl}/v1/audit/export?format=jsonl' -H 'Authorization: Bearer ${auditor}' > evidence.jsonl`,
      '  npm run --silent airlock -- audit verify-pack evidence.jsonl',
    );
  }
  lines.push('', 'Ctrl-C stops everything.', '');
  return `${lines.join('\n')}\n`;
}

function listening(host: string | undefined, demo: boolean): string {
  if (host === undefined) return 'every interface (set HOST to choose one)';
  if (LOOPBACK.has(host)) {
    return `${host} only: this machine${demo ? ' (demo mode; HOST=0.0.0.0 opens it to the network, with these keys)' : ''}`;
  }
  return demo ? `${host} (reachable from the network, with the demo keys below)` : host;
}
