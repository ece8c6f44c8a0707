// The world of the SDK and guard tests: gate-mode deploys, free in dev and approved by dana in
// production, and agent tools on the callback executor (gate mode).
export const SDK_POLICY = `version: 1
groups:
  dba: [dana@example.com]
rules:
  - name: dev-is-free
    match: { environment: dev }
    effect: allow
  - name: production
    match: { environment: production }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 10m }
default:
  effect: deny
  reason: not in this world
`;

export const SDK_CONFIG = `actions:
  - { match: "gate.*", executor: callback, environment: [production, dev], resources: ["k8s://*"] }
  - { match: "agent.*", executor: callback, environment: [production, dev], resources: ["agent://*"] }
gate:
  tokenTtl: 1m
  completionTimeout: 1m
`;

export const SDK_PRINCIPALS = [
  { principal: 'ci@example.com', roles: ['requester'] },
  { principal: 'dana@example.com', roles: ['approver'] },
];
