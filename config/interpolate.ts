// Why: config files reference secrets as `${ENV_VAR}` or `${file:/run/secrets/x}` instead of holding them.
// Interpolation runs over parsed YAML string values, never the raw text, so a value cannot inject YAML.
import { readFileSync } from 'node:fs';
import { formatPath } from './errors.js';

export interface InterpolationContext {
  /** File name used in messages (`airlock.yaml`). */
  fileName: string;
  env: NodeJS.ProcessEnv;
  /** Reads a secret file; defaults to a synchronous UTF-8 read. */
  readFile?: (path: string) => string;
}

export interface InterpolationProblem {
  path: PropertyKey[];
  detail: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Replaces `${VAR}` / `${file:/path}` in every string value; `$${` stays a literal `${`. */
export function interpolateTree(
  value: unknown,
  ctx: InterpolationContext,
): { value: unknown; problems: InterpolationProblem[] } {
  const problems: InterpolationProblem[] = [];
  // A YAML anchor may contain its own alias (`a: &a [*a]`): the parsed tree is then circular, and
  // walking it would overflow the stack instead of failing with a line naming the field.
  const ancestors = new Set<object>();
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      const result = interpolateString(node, ctx);
      for (const detail of result.problems) problems.push({ path, detail });
      return result.value;
    }
    if (node === null || typeof node !== 'object') return node;
    if (ancestors.has(node)) {
      problems.push({
        path,
        detail: 'refers to itself through a YAML alias (recursive anchors are not allowed)',
      });
      return undefined;
    }
    ancestors.add(node);
    try {
      if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) out[key] = walk(child, [...path, key]);
      return out;
    } finally {
      ancestors.delete(node);
    }
  };
  return { value: walk(value, []), problems };
}

/** Interpolates one string; problems are details without the path (the caller adds it). */
export function interpolateString(
  input: string,
  ctx: Pick<InterpolationContext, 'env' | 'readFile'>,
): { value: string; problems: string[] } {
  const problems: string[] = [];
  let out = '';
  let i = 0;
  while (i < input.length) {
    if (input.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!input.startsWith('${', i)) {
      out += input[i];
      i += 1;
      continue;
    }
    const end = input.indexOf('}', i + 2);
    if (end < 0) {
      problems.push('unterminated "${" (write "$${" for a literal "${")');
      break;
    }
    const reference = input.slice(i + 2, end);
    out += resolveReference(reference, ctx, problems);
    i = end + 1;
  }
  return { value: out, problems };
}

function resolveReference(
  reference: string,
  ctx: Pick<InterpolationContext, 'env' | 'readFile'>,
  problems: string[],
): string {
  if (reference.startsWith('file:')) {
    const file = reference.slice('file:'.length);
    if (file === '') {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: names the reference syntax, not a template.
      problems.push('"${file:}" needs a path');
      return '';
    }
    try {
      // Secret files (Kubernetes/Docker) usually end in a newline that is not part of the secret.
      return (ctx.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(file).trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`cannot read secret file ${file}${code ? ` (${code})` : ''}`);
      return '';
    }
  }
  if (!ENV_NAME.test(reference)) {
    problems.push(`"\${${reference}}" is not a valid reference (use \${ENV_VAR} or \${file:/path})`);
    return '';
  }
  const value = ctx.env[reference];
  if (value === undefined) problems.push(`environment variable ${reference} is not set`);
  else if (value === '') problems.push(`environment variable ${reference} is empty`);
  return value ?? '';
}

/** `airlock.yaml: targets.x.headers.Authorization: environment variable X is not set` lines. */
export function interpolationLines(fileName: string, problems: InterpolationProblem[]): string[] {
  return problems.map((p) => `${fileName}: ${formatPath(p.path)}: ${p.detail}`);
}
