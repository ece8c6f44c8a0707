// Policy and config used by the core scenarios: short timeouts (seconds) so escalation and
// expiry run for real on the dev server without long sleeps.
export const CORE_POLICY = `version: 1
groups:
  dba: [dana@example.com, dev@example.com]
  oncall: [sam@example.com]
  pair: [p1@example.com, p2@example.com, p3@example.com]
identities:
  - email: dana@example.com
    slack: { userId: U0DANA }
channels:
  dba-chat: { slack: { channel: C0DBA } }
  oncall-chat: { slack: { channel: C0ONCALL } }
rules:
  - name: never-drop-table
    match: { action: "db.schema.*" }
    when: 'parameters.sql.matches("(?i)\\\\bdrop\\\\s+table\\\\b")'
    effect: deny
    reason: DROP TABLE is never run through automation
  - name: dev-is-free
    match: { environment: dev }
    effect: allow
  - name: two-person
    match: { action: "http.twoperson" }
    effect: require_approval
    risk: high
    stages:
      - { approvers: [pair], minApprovals: 2, timeout: 1m, notify: [dba-chat] }
  - name: escalating
    match: { action: "http.escalate" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 3s, reminderBefore: 2s, notify: [dba-chat] }
      - { approvers: [oncall], timeout: 3s, notify: [oncall-chat] }
  - name: production
    match: { environment: production }
    effect: require_approval
    risk: high
    requireJustification: { minLength: 10 }
    stages:
      - { approvers: [dba], timeout: 10m, notify: [dba-chat] }
default:
  effect: require_approval
  stages:
    - { approvers: [dba], timeout: 10m }
`;

/** The environments the core world serves; one fake target plays each environment's http target. */
export const CORE_ENVIRONMENTS = ['production', 'staging', 'dev', 'sandbox'] as const;

const DB_RESOURCES = '"postgres://analytics", "postgres://analytics/*", "postgres://target/*"';

/** `echo` is production's http target, `echo-<env>` the others'; `db` and `db-dev` the databases. */
const echoName = (env: string) => (env === 'production' ? 'echo' : `echo-${env}`);

export function coreConfig(targetUrl: string, targetDbUrl: string): string {
  const echo = CORE_ENVIRONMENTS.map(
    (env) =>
      `  ${echoName(env)}: { type: http, environment: ${env}, resources: ["admin-api:*"], baseUrl: "${targetUrl}", headers: { Authorization: "Bearer target-secret-token" } }`,
  );
  const http = CORE_ENVIRONMENTS.map(
    (env) => `  - { match: "http.*", executor: http.request, target: ${echoName(env)} }`,
  );
  return `targets:
${echo.join('\n')}
  db: { type: postgres, environment: production, resources: [${DB_RESOURCES}], url: "${targetDbUrl}" }
  db-dev: { type: postgres, environment: dev, resources: [${DB_RESOURCES}], url: "${targetDbUrl}" }
actions:
${http.join('\n')}
  - { match: "db.schema.*", executor: postgres.sql, target: db }
  - { match: "db.schema.*", executor: postgres.sql, target: db-dev }
  - { match: "db.grant", executor: postgres.grant, target: db }
  - { match: "db.grant", executor: postgres.grant, target: db-dev }
  - { match: "gate.*", executor: callback, environment: [production, staging, dev], resources: ["k8s://*"] }
callbacks:
  allow: ["http://127.0.0.1:*"]
grants:
  defaultTtl: 3s
  maxTtl: 1m
gate:
  tokenTtl: 1m
  completionTimeout: 1m
`;
}

export const PRINCIPALS = [
  { principal: 'ci@example.com', roles: ['requester'] },
  { principal: 'agent-runner@example.com', roles: ['requester'] },
  { principal: 'dana@example.com', roles: ['approver', 'requester'] },
  { principal: 'dev@example.com', roles: ['approver'] },
  { principal: 'sam@example.com', roles: ['approver'] },
  { principal: 'p1@example.com', roles: ['approver'] },
  { principal: 'p2@example.com', roles: ['approver'] },
  { principal: 'outsider@example.com', roles: ['approver'] },
  { principal: 'audit@example.com', roles: ['auditor'] },
  { principal: 'admin@example.com', roles: ['admin'] },
];

/** A production http request that needs one dba approval. */
export function httpRequest(overrides: Record<string, unknown> = {}) {
  return {
    action: 'http.config.update',
    resource: 'admin-api:/config',
    environment: 'production',
    parameters: { method: 'POST', path: '/config', body: { feature: 'on' } },
    justification: 'turn the feature on for the launch',
    ...overrides,
  };
}
