// Splits SQL text into statements on top-level `;` (quotes, dollar quotes and comments
// respected), so each statement runs and is counted on its own, and transaction control
// inside the approved SQL can be refused before it could break the one-transaction rule.
// Known limit: `BEGIN ATOMIC ... END` function bodies are split too (the server then refuses).

export function splitSql(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === '-' && next === '-') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (ch === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        const pair = text.slice(i, i + 2);
        if (pair === '/*' || pair === '*/') {
          depth += pair === '/*' ? 1 : -1;
          i += 2;
        } else i++;
      }
    } else if (ch === "'" || ch === '"') {
      const escapes = ch === "'" && i > 0 && /[eE]/.test(text[i - 1] ?? '') && !/\w/.test(text[i - 2] ?? '');
      i++;
      while (i < n) {
        if (escapes && text[i] === '\\') i += 2;
        else if (text[i] === ch && text[i + 1] === ch) i += 2;
        else if (text[i] === ch) break;
        else i++;
      }
      i++;
    } else if (ch === '$' && !/[\w$]/.test(text[i - 1] ?? '')) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i))?.[0];
      if (tag === undefined) i++;
      else {
        const end = text.indexOf(tag, i + tag.length);
        i = end === -1 ? n : end + tag.length;
      }
    } else if (ch === ';') {
      out.push(text.slice(start, i));
      i++;
      start = i;
    } else i++;
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => stripLeadingComments(s).length > 0);
}

/** The statement without leading whitespace and comments. */
export function stripLeadingComments(stmt: string): string {
  let s = stmt.trimStart();
  for (;;) {
    if (s.startsWith('--')) {
      const nl = s.indexOf('\n');
      s = nl === -1 ? '' : s.slice(nl + 1).trimStart();
    } else if (s.startsWith('/*')) {
      const end = s.indexOf('*/');
      s = end === -1 ? '' : s.slice(end + 2).trimStart();
    } else return s;
  }
}

const TX_CONTROL =
  /^(begin|start\s+transaction|commit|end|rollback|abort|savepoint|release|prepare\s+transaction|set\s+transaction|set\s+session\s+characteristics)\b/i;

/** Whether a statement would end, nest or reshape the surrounding transaction. */
export function isTransactionControl(stmt: string): boolean {
  return TX_CONTROL.test(stripLeadingComments(stmt));
}
