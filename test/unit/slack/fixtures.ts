// A request state for the Slack unit tests: production db.export with agent, labels, a diff,
// history and a one-stage dba policy, pending approval. Overrides change one thing at a time.
import type { ActionState } from '../../../workflows/types.js';

export const ID = '11111111-2222-4333-8444-555555555555';

export function state(over: Partial<ActionState> = {}): ActionState {
  return {
    requestId: ID,
    status: 'pending_approval',
    requester: 'ci@example.com',
    request: {
      action: 'db.export',
      resource: 'postgres://analytics/customers',
      environment: 'production',
      parameters: { table: 'customers', where: 'region = <EU>' },
      justification: 'quarterly report for finance, <!channel> please',
      agent: { name: 'deploy-bot', model: 'gpt-x', onBehalfOf: 'dana@example.com' },
      labels: { ticket: 'OPS-42' },
    },
    parametersHash: 'a'.repeat(64),
    bodyHash: 'e'.repeat(64),
    execution: { executor: 'http.request', target: 'echo', mode: 'once' },
    risk: 'high',
    policy: {
      effect: 'require_approval',
      risk: 'high',
      rule: 'prod-data-export',
      policyVersion: '0123456789abcdef'.repeat(4),
      stages: [
        { approvers: ['dba'], approverIdentities: [], minApprovals: 1, timeoutMs: 900_000, notify: [] },
      ],
      denyReasonRequired: true,
    },
    stageIndex: 0,
    stageDeadline: '2030-01-02T04:00:00.000Z',
    decisions: [],
    refusals: [],
    cards: [],
    enrichment: {
      degraded: [],
      diffPreview: '--- a\n+++ b\n-old\n+new',
      history: {
        byRequester: { total: 3, byOutcome: { succeeded: 3 } },
        onResource: { total: 1, byOutcome: { denied: 1 } },
        windowDays: 30,
      },
    },
    submittedAt: '2030-01-02T03:00:00.000Z',
    updatedAt: '2030-01-02T03:00:00.000Z',
    links: { api: `http://airlock.test/v1/actions/${ID}`, temporalUi: 'http://temporal.test/wf?id=a|b' },
    ...over,
  };
}
