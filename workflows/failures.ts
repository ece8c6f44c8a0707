// Reading activity failures in the workflow: by their stable type, never by message text.

/** The type of the ApplicationFailure behind an activity failure. */
export function failureType(err: unknown): string | undefined {
  const failure = err as { type?: unknown; cause?: { type?: unknown } } | null;
  const type = failure?.cause?.type ?? failure?.type;
  return typeof type === 'string' ? type : undefined;
}

/** The message a person should read: the activity's own error rather than the wrapper's. */
export function failureMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : err.message;
  }
  return String(err);
}

/** The first detail of the ApplicationFailure behind an activity failure. */
export function failureDetail(err: unknown): unknown {
  const failure = err as { details?: unknown; cause?: { details?: unknown } } | null;
  const details = failure?.cause?.details ?? failure?.details;
  return Array.isArray(details) ? details[0] : undefined;
}
