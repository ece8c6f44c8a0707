// Failure types the workflow tells apart, set by activities. Pure constants: the workflow bundle
// imports them, and activities import them from here.

/** An activity could not write the audit events it was handed, so it did nothing else. */
export const AUDIT_UNAVAILABLE = 'AuditUnavailable';

/**
 * The audit store can never accept the events an activity was handed (a data exception or a size
 * limit, not an outage): not retryable. The request must end `failed` with this as its reason.
 */
export const AUDIT_REJECTED = 'AuditRejected';
