// Reading activity failures in the workflow: by their stable type, never by message text.

/** The type of the ApplicationFailure behind an activity failure. */
export function failureType(err: unknown): string | undefined {
  const cause = (err as { cause?: { type?: unknown } } | null)?.cause;
  return typeof cause?.type === 'string' ? cause.type : undefined;
}

/** The message a person should read: the activity's own error rather than the wrapper's. */
export function failureMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : err.message;
  }
  return String(err);
}
