// The world of the SDK and guard tests: gate-mode deploys, free in dev and approved by dana in
// production; http tools run by Airlock's executor against a fake target.
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

/** Gate-mode deploys and agent tools (callback executor), and an http target for managed tools. */
export function sdkConfig(targetUrl: string): string {
  return `targets:
  echo-dev: { type: http, environment: dev, resources: ["admin-api:*"], baseUrl: "${targetUrl}" }
  echo: { type: http, environment: production, resources: ["admin-api:*"], baseUrl: "${targetUrl}" }
actions:
  - { match: "http.*", executor: http.request, target: echo-dev }
  - { match: "http.*", executor: http.request, target: echo }
  - { match: "gate.*", executor: callback, environment: [production, dev], resources: ["k8s://*"] }
gate:
  tokenTtl: 1m
  completionTimeout: 1m
`;
}

export const SDK_PRINCIPALS = [
  { principal: 'ci@example.com', roles: ['requester'] },
  { principal: 'dana@example.com', roles: ['approver'] },
];
