// Failure types the workflow tells apart. Its own module: the workflow bundle imports it, and it
// must not pull in the activities' Node.js dependencies.

/** An activity could not write the audit events it was handed, so it did nothing else. */
export const AUDIT_UNAVAILABLE = 'AuditUnavailable';
