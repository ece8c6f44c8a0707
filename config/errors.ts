// Why: bad configuration must stop start-up with one line per problem that names the variable
// or file + field and what is wrong, never a zod dump and never a secret's value.
import type { z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** One human-readable problem per entry, each naming the variable or file + field. */
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(issues.join('\n'));
    this.issues = issues;
  }
}

/** `targets.admin-api.baseUrl`, `actions[2].target`: dots for keys, brackets for indexes. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

export interface IssueLine {
  /** Path of the offending field; empty for the root. */
  path: PropertyKey[];
  detail: string;
}

/** Turns zod 4 issues into `{path, detail}` pairs, one per problem (unknown keys one per key).
 * Parse with `{ reportInput: true }` so a missing field reads "is required". */
export function zodIssueLines(error: z.core.$ZodError): IssueLine[] {
  const lines: IssueLine[] = [];
  for (const issue of error.issues) {
    const path = [...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) lines.push({ path: [...path, key], detail: 'unknown field' });
        break;
      case 'invalid_type': {
        // With `reportInput: true` the input tells a missing field from a wrong one; it is never echoed.
        const hasInput = 'input' in issue;
        const input: unknown = hasInput ? issue.input : undefined;
        const received = /received (\w+)/.exec(issue.message)?.[1];
        if (hasInput ? input === undefined : received === 'undefined')
          lines.push({ path, detail: 'is required' });
        else if (!issue.message.startsWith('Invalid input')) lines.push({ path, detail: issue.message });
        else
          lines.push({
            path,
            detail: `must be ${article(issue.expected)}, got ${hasInput ? kindOf(input) : received === 'null' ? 'null' : article(received ?? 'something else')}`,
          });
        break;
      }
      case 'invalid_value':
        lines.push({
          path,
          detail: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        });
        break;
      case 'invalid_union':
        lines.push({
          path,
          detail:
            'options' in issue && Array.isArray(issue.options)
              ? `must be one of ${issue.options.map((v) => JSON.stringify(v)).join(', ')}`
              : 'does not match any allowed shape',
        });
        break;
      case 'invalid_key':
        lines.push({ path, detail: `is not a valid name: ${issue.issues[0]?.message ?? issue.message}` });
        break;
      default:
        lines.push({ path, detail: issue.message });
    }
  }
  return lines;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : article(typeof value);
}

function article(expected: string): string {
  if (expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** `file: field.path: detail` lines, ready for ConfigError. */
export function zodErrorToLines(error: z.core.$ZodError, prefix: string): string[] {
  return zodIssueLines(error).map(({ path, detail }) => {
    const field = formatPath(path);
    return field === '' ? `${prefix}: ${detail}` : `${prefix}: ${field}: ${detail}`;
  });
}
