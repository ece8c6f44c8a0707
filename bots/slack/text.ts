// Text for Slack: mrkdwn needs &, < and > escaped everywhere (or "<!channel>" in a justification
// would ping a channel), and Slack counts lengths in UTF-16 units, so every piece is fitted after
// escaping, without splitting an entity or a surrogate pair.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (c) => ENTITIES[c]!);
}

/** Cuts already-safe pieces (code points or entities) so the result is at most `max` UTF-16 units. */
function fitPieces(pieces: Iterable<string>, max: number): string {
  const all = [...pieces];
  const total = all.reduce((n, p) => n + p.length, 0);
  if (total <= max) return all.join('');
  let out = '';
  for (const p of all) {
    if (out.length + p.length > max - 1) break;
    out += p;
  }
  return `${out}…`;
}

/** Plain text (header, button labels, modal titles) fitted to `max`. */
export function fitPlain(text: string, max: number): string {
  return fitPieces(text, max);
}

/** Escaped mrkdwn fitted to `max`. */
export function fitMrkdwn(raw: string, max: number): string {
  return fitPieces(
    Array.from(raw, (c) => ENTITIES[c] ?? c),
    max,
  );
}

/** A fenced code block whose content cannot close the fence early; at most `max` units in all. */
export function codeBlock(raw: string, max: number): string {
  // A zero-width space between backticks keeps them visible but stops them closing the fence.
  const safe = raw.replace(/`(?=`)/g, '`\u200b');
  return `\`\`\`\n${fitMrkdwn(safe, Math.max(1, max - 8))}\n\`\`\``;
}

/** A Slack link; the URL must be http(s) and may not carry the | or > that end the link syntax. */
export function link(url: string, label: string): string {
  let safe: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return escapeMrkdwn(label);
    safe = parsed.href.replace(/\|/g, '%7C');
  } catch {
    return escapeMrkdwn(label);
  }
  return `<${escapeMrkdwn(safe)}|${escapeMrkdwn(label)}>`;
}

/** A deadline shown in each reader's own time zone, with the ISO time as the fallback. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${escapeMrkdwn(iso)}>`;
}
