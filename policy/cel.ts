// Compiles rule `when` expressions (CEL) once at load time, so a broken expression is a load error,
// and evaluates them against a request. The caller decides how a failed evaluation fails closed.
//
// Variables: `action`, `resource`, `environment`, `requester`, `justification` (strings; a missing
// justification is ""); `parameters`, `agent`, `labels`, `context` (maps; missing ones are {});
// `now` (a CEL timestamp built from PolicyInput.now: `now.getHours("Europe/Berlin") < 8`,
// `now > timestamp("2030-01-01T00:00:00Z")`). Integral JSON numbers are passed as CEL ints, so
// `parameters.rows > 1000` and `parameters.rows + 1` both work; other numbers are doubles.
// `matches` takes RE2 syntax: a leading `(?i)`, `(?s)`, `(?m)` and `(?P<name>` are translated.
// SQL is inspected through PostgreSQL's own parser, never by regex: `sqlKinds(parameters.sql)` is
// the list of statement kinds (`"DropStmt"`, `"SelectStmt"`, ...) and `sqlStatements(parameters.sql)`
// the statements as maps (`kind`, `text`, `node`: the parse node). Both take a string or a list of
// strings and raise on SQL that does not parse, so the rule fails closed (see evaluate.ts).
// `preview` is Airlock's own preview of the action (workflows/preview-types.ts ActionPreview:
// `preview.status == "ok" && preview.rowsAffected > 1000`); a rule that reads it is evaluated
// once the preview exists. Before that, and for actions without a preview, it is
// `{status: "unavailable"}`, so `preview.rowsAffected` raises and the rule fails closed.

import { type ASTNode, Environment, type ParseResult } from '@marcbachmann/cel-js';
import { RegexTranslationError, translateRe2 } from './re2.js';
import { parseSqlParameter } from './sql.js';
import type { PolicyInput } from './types.js';

export type WhenResult = { ok: true; value: boolean } | { ok: false; error: string };

export interface CompiledWhen {
  source: string;
  /** The expression reads `preview`: it can only be decided once the preview exists. */
  readsPreview: boolean;
  evaluate(input: PolicyInput): WhenResult;
}

export class CelCompileError extends Error {
  override readonly name = 'CelCompileError';
}

const env = new Environment()
  .registerVariable('action', 'string')
  .registerVariable('resource', 'string')
  .registerVariable('environment', 'string')
  .registerVariable('requester', 'string')
  .registerVariable('justification', 'string')
  .registerVariable('parameters', 'map')
  .registerVariable('agent', 'map')
  .registerVariable('labels', 'map')
  .registerVariable('context', 'map')
  .registerVariable('preview', 'map')
  .registerVariable('now', 'google.protobuf.Timestamp')
  .registerFunction('sqlKinds(dyn): list<string>', (sql: unknown) =>
    parseSqlParameter(sql).map((s) => s.kind),
  )
  .registerFunction('sqlStatements(dyn): list<map<string, dyn>>', (sql: unknown) =>
    parseSqlParameter(sql).map((s) => ({ kind: s.kind, text: s.text, node: toCel(s.node) })),
  );

interface CelErrorLike {
  summary?: unknown;
  message: string;
  range?: { start: number };
}

function describeError(error: unknown, source: string): string {
  if (!(error instanceof Error)) return String(error);
  const { summary, range } = error as CelErrorLike;
  const text = typeof summary === 'string' ? summary : (error.message.split('\n')[0] ?? error.message);
  if (!range) return text;
  const before = source.slice(0, range.start).split('\n');
  const where =
    before.length > 1
      ? `line ${before.length}, column ${before.at(-1)!.length + 1}`
      : `column ${range.start + 1}`;
  return `${text} (at ${where})`;
}

/** Parses and type-checks `source`; throws CelCompileError naming what is wrong and where. */
export function compileWhen(source: string): CompiledWhen {
  let parsed: ParseResult;
  try {
    parsed = env.parse(source);
  } catch (error) {
    throw new CelCompileError(`syntax error: ${describeError(error, source)}`);
  }
  const checked = parsed.check();
  if (!checked.valid) throw new CelCompileError(`type error: ${describeError(checked.error, source)}`);
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw new CelCompileError(`must evaluate to a bool, but has type ${checked.type}`);
  }
  const program = withRe2Patterns(source, parsed);
  return {
    source,
    readsPreview: readsVariable(parsed.ast, 'preview'),
    evaluate(input) {
      try {
        const value: unknown = program(celContext(input));
        if (typeof value === 'boolean') return { ok: true, value };
        return { ok: false, error: `when returned ${describeValue(value)}, not a bool` };
      } catch (error) {
        return { ok: false, error: describeError(error, source) };
      }
    },
  };
}

/** Re-parses the expression with every literal `matches` pattern translated from RE2. */
function withRe2Patterns(source: string, parsed: ParseResult): ParseResult {
  const edits: { start: number; end: number; text: string }[] = [];
  for (const literal of matchPatternLiterals(parsed.ast)) {
    const pattern = literal.args as string;
    let translated: string;
    try {
      translated = translateRe2(pattern);
      new RegExp(translated);
    } catch (error) {
      const why = error instanceof RegexTranslationError ? error.message : (error as Error).message;
      throw new CelCompileError(`invalid regular expression ${JSON.stringify(pattern)}: ${why}`);
    }
    if (translated !== pattern)
      edits.push({ start: literal.start, end: literal.end, text: celString(translated) });
  }
  if (edits.length === 0) return parsed;
  let rewritten = source;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    rewritten = rewritten.slice(0, edit.start) + edit.text + rewritten.slice(edit.end);
  }
  return env.parse(rewritten);
}

/** String literals used as the pattern of `x.matches(p)` or `matches(x, p)`, anywhere in the tree. */
function matchPatternLiterals(root: ASTNode): ASTNode[] {
  const found: ASTNode[] = [];
  const visit = (node: ASTNode): void => {
    let pattern: ASTNode | undefined;
    if (node.op === 'rcall' && node.args[0] === 'matches') pattern = node.args[2][0];
    if (node.op === 'call' && node.args[0] === 'matches') pattern = node.args[1][1];
    if (pattern?.op === 'value' && typeof pattern.args === 'string') found.push(pattern);
    for (const child of children(node)) visit(child);
  };
  visit(root);
  return found;
}

/** Whether the identifier `name` appears anywhere in the tree. */
function readsVariable(root: ASTNode, name: string): boolean {
  if (root.op === 'id' && root.args === name) return true;
  return children(root).some((child) => readsVariable(child, name));
}

function children(node: ASTNode): ASTNode[] {
  const out: ASTNode[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) collect(item);
    else if (isAstNode(value)) out.push(value);
  };
  if (node.op !== 'value' && node.op !== 'id') collect(node.args);
  return out;
}

function isAstNode(value: unknown): value is ASTNode {
  return typeof value === 'object' && value !== null && 'op' in value && 'args' in value;
}

/** A CEL double-quoted string literal (JSON escapes are a subset of CEL's). */
function celString(text: string): string {
  return JSON.stringify(text);
}

function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `int ${value}`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)}`;
}

/** The CEL activation for a request: integral numbers become BigInt (CEL int), absent maps are {}. */
export function celContext(input: PolicyInput): Record<string, unknown> {
  const now = new Date(input.now);
  if (Number.isNaN(now.getTime()))
    throw new Error(`now is not a valid timestamp: ${JSON.stringify(input.now)}`);
  return {
    action: input.action,
    resource: input.resource,
    environment: input.environment,
    requester: input.requester,
    justification: input.justification ?? '',
    parameters: toCel(input.parameters ?? {}),
    agent: toCel(input.agent ?? {}),
    labels: toCel(input.labels ?? {}),
    context: toCel(input.context ?? {}),
    preview: toCel(input.preview ?? NO_PREVIEW),
    now,
  };
}

/** What `preview` is before a preview exists, or for an action that has none. */
export const NO_PREVIEW = { status: 'unavailable' } as const;

export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toCel(item);
    return out;
  }
  return value;
}
