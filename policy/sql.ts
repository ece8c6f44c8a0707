// SQL as PostgreSQL itself reads it: the real parser (libpg-query), shared by policy rules
// (`sqlKinds`, `sqlStatements` in CEL), the postgres.sql executor and previews, so that what a
// rule inspects, what is refused and what runs are the same statements. Regexes over SQL text
// are fooled by comments (`DROP/**/TABLE`), case and quoting; the parse tree is not.
// Text that does not parse raises SqlParseError: a caller that inspects SQL must fail closed.

import { loadModule, parseSync } from 'libpg-query';

// The parser is WebAssembly and loads once, asynchronously; after that parsing is synchronous,
// which CEL functions and validators need.
await loadModule();

export interface SqlStatement {
  /** The parse node's type, e.g. `SelectStmt`, `DropStmt`, `VariableSetStmt`, `TransactionStmt`. */
  kind: string;
  /** The statement's own text (no separating `;`), trimmed. */
  text: string;
  /** The parse node as libpg-query returns it (JSON). */
  node: Record<string, unknown>;
}

export class SqlParseError extends Error {
  override readonly name = 'SqlParseError';
}

interface RawStatement {
  stmt?: Record<string, unknown>;
  stmt_location?: number;
  stmt_len?: number;
}

/** The statements of `text` in order; throws SqlParseError when PostgreSQL could not parse it. */
export function parseSql(text: string): SqlStatement[] {
  // The parser refuses empty input; no statements is an answer, not an error.
  if (text.trim() === '') return [];
  let raw: RawStatement[];
  try {
    raw = (parseSync(text) as { stmts?: RawStatement[] }).stmts ?? [];
  } catch (error) {
    throw new SqlParseError(`SQL does not parse: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Locations are byte offsets into the UTF-8 text.
  const bytes = Buffer.from(text, 'utf8');
  return raw.map((entry) => {
    const [kind, node] = Object.entries(entry.stmt ?? {})[0] ?? ['Unknown', {}];
    const start = entry.stmt_location ?? 0;
    const end = entry.stmt_len === undefined || entry.stmt_len === 0 ? bytes.length : start + entry.stmt_len;
    return {
      kind,
      text: bytes.subarray(start, end).toString('utf8').trim(),
      node: node as Record<string, unknown>,
    };
  });
}

/** The statements of a `sql` parameter: one string or a list of strings, parsed each in turn. */
export function parseSqlParameter(value: unknown): SqlStatement[] {
  if (typeof value === 'string') return parseSql(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.flatMap(parseSql);
  throw new SqlParseError(`SQL must be a string or a list of strings, not ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list with non-strings';
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}

/** Every node of a parse tree (objects keyed by node type), depth first, for rules that look inside. */
export function* walkNodes(tree: unknown): Generator<{ type: string; node: Record<string, unknown> }> {
  if (Array.isArray(tree)) {
    for (const item of tree) yield* walkNodes(item);
    return;
  }
  if (typeof tree !== 'object' || tree === null) return;
  for (const [key, value] of Object.entries(tree)) {
    if (/^[A-Z]/.test(key) && typeof value === 'object' && value !== null && !Array.isArray(value))
      yield { type: key, node: value as Record<string, unknown> };
    yield* walkNodes(value);
  }
}
