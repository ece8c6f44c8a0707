// Why: an MCP tool's request (resource, environment, parameters) is written in the service config
// with `{{args.NAME}}` holes that the tool call's arguments fill. One grammar, parsed here, used by
// the config check (every hole names a declared argument) and by the gateway when it renders.

const HOLE = /\{\{\s*args\.([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\s*\}\}/g;
const WHOLE = /^\{\{\s*args\.([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\s*\}\}$/;
const ANY_BRACES = /\{\{|\}\}/;

/** The argument paths (`table`, `filter.column`) a template string refers to. */
export function templateReferences(template: string): string[] {
  return [...template.matchAll(HOLE)].map((m) => m[1]!);
}

/** What is wrong with a template string: braces that are not a `{{args.NAME}}` hole. */
export function templateProblem(template: string): string | undefined {
  const rest = template.replace(HOLE, '');
  return ANY_BRACES.test(rest)
    ? 'has a {{...}} that is not {{args.NAME}} (NAME: letters, digits, _ and -, dotted for nested values)'
    : undefined;
}

/** Every string in a tree of templates (the parameters mapping), with its path. */
export function templateStrings(
  tree: unknown,
  path: PropertyKey[] = [],
): { path: PropertyKey[]; text: string }[] {
  if (typeof tree === 'string') return [{ path, text: tree }];
  if (Array.isArray(tree)) return tree.flatMap((v, i) => templateStrings(v, [...path, i]));
  if (tree && typeof tree === 'object') {
    return Object.entries(tree).flatMap(([k, v]) => templateStrings(v, [...path, k]));
  }
  return [];
}

/** Thrown when a hole names an argument the call did not pass. */
export class MissingArgumentError extends Error {
  override readonly name = 'MissingArgumentError';
  constructor(readonly argument: string) {
    super(`argument ${argument} is needed and was not given`);
  }
}

function lookup(args: Record<string, unknown>, path: string): unknown {
  let node: unknown = args;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/**
 * Renders a template string: a string that is one whole hole keeps the argument's own JSON type
 * (a number stays a number); holes inside text are replaced by the argument as text.
 */
export function renderTemplate(template: string, args: Record<string, unknown>): unknown {
  const whole = WHOLE.exec(template);
  if (whole) {
    const value = lookup(args, whole[1]!);
    if (value === undefined) throw new MissingArgumentError(whole[1]!);
    return value;
  }
  return template.replace(HOLE, (_m, path: string) => {
    const value = lookup(args, path);
    if (value === undefined) throw new MissingArgumentError(path);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/** Renders every string of a tree of templates; other values stay as written. */
export function renderTree(tree: unknown, args: Record<string, unknown>): unknown {
  if (typeof tree === 'string') return renderTemplate(tree, args);
  if (Array.isArray(tree)) return tree.map((v) => renderTree(v, args));
  if (tree && typeof tree === 'object') {
    return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, renderTree(v, args)]));
  }
  return tree;
}
