// Load errors that name the file, the rule and the field ("rules[1] (prod-data-export).stages[0].timeout"),
// so an operator can fix a broken policy without guessing.

export type IssuePath = readonly (string | number)[];

export interface PolicyIssue {
  /** Human path, e.g. `rules[1] (prod-data-export).stages[0].timeout`; "" for the whole file. */
  path: string;
  message: string;
}

export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError';
  readonly file: string;
  readonly issues: readonly PolicyIssue[];

  constructor(file: string, issues: readonly PolicyIssue[]) {
    const lines = issues.map(
      (issue) => `policy file ${file}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`,
    );
    super(lines.join('\n'));
    this.file = file;
    this.issues = issues;
  }
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Formats a data path, naming rules by their `name` when the raw document has one. */
export function formatPath(path: IssuePath, raw: unknown): string {
  let out = '';
  let node: unknown = raw;
  for (const [i, key] of path.entries()) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += PLAIN_KEY.test(key) ? `${out ? '.' : ''}${key}` : `[${JSON.stringify(key)}]`;
    node =
      isRecord(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[key] : undefined;
    if (
      i === 1 &&
      path[0] === 'rules' &&
      typeof key === 'number' &&
      isRecord(node) &&
      typeof node.name === 'string'
    ) {
      out += ` (${node.name})`;
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
