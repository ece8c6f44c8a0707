// What a request id looks like: a UUID (random, or derived from an idempotency key in
// api/ids.ts), lower-case hex. Every door that takes an id from outside (the API path, a card's
// button, an MCP task id) checks it with this one rule before it goes near Temporal.
export const REQUEST_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value);
}
