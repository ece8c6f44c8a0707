// The mcp.call executor's at-most-once record, kept in the request's own audit trail: an
// `mcp.call.sent` event (upstream, tool, parameters hash; never the arguments or the answer)
// appended before the call goes out. A retried activity that finds it does not call again.
import type { AuditStore } from '../audit/store.js';
import type { McpCallLedger } from '../executors/mcp-call.js';

const SENT = 'mcp.call.sent';

export function auditCallLedger(audit: () => Pick<AuditStore, 'append' | 'eventsFor'>): McpCallLedger {
  return {
    async wasSent(requestId) {
      return (await audit().eventsFor(requestId)).some((e) => e.type === SENT);
    },
    async markSent(requestId, what) {
      await audit().append({
        requestId,
        eventKey: 'mcp.call:sent',
        type: SENT,
        actor: 'system',
        at: new Date().toISOString(),
        data: { ...what },
      });
    },
  };
}
