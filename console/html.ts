// Server-side HTML for the console: a tagged template that escapes every interpolated value
// unless it is already Html, so a request's parameters, reasons or names can never become markup.
// No inline scripts or styles anywhere (the Content-Security-Policy forbids them).

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Html(out);
}

/** An instant: UTC text without script, the viewer's own zone with it (static/console.js). */
export function time(iso: string | undefined): Html {
  if (!iso) return html`<span>—</span>`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`<span>${iso}</span>`;
  const utc = `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${d.toISOString()}" title="${d.toISOString()}">${utc}</time>`;
}

/**
 * A status badge readable without colour: a symbol and the words, the colour only repeats them.
 * Statuses this map does not know still show, by their own name.
 */
const STATUS_LABELS: Record<string, [symbol: string, label: string, tone: string]> = {
  evaluating: ['…', 'Evaluating', 'neutral'],
  pending_approval: ['◷', 'Pending approval', 'pending'],
  approved: ['✓', 'Approved', 'good'],
  executing: ['▶', 'Executing', 'good'],
  succeeded: ['✓', 'Succeeded', 'good'],
  failed: ['✕', 'Failed', 'bad'],
  denied: ['✕', 'Denied', 'bad'],
  expired: ['◌', 'Expired', 'bad'],
  cancelled: ['⊘', 'Cancelled', 'neutral'],
  active: ['●', 'Active grant', 'good'],
  revoked: ['⊘', 'Revoked', 'neutral'],
  break_glass: ['‼', 'Break-glass', 'alert'],
};

export function statusBadge(status: string | undefined, extra?: string): Html {
  const [symbol, label, tone] = STATUS_LABELS[status ?? ''] ?? ['•', status ?? 'unknown', 'neutral'];
  return html`<span class="badge badge-${tone}" data-status="${status ?? ''}"><span aria-hidden="true">${symbol}</span> ${label}${extra ? ` (${extra})` : ''}</span>`;
}

export function riskBadge(risk: string | undefined): Html {
  if (!risk) return html`<span>—</span>`;
  const symbol = risk === 'critical' ? '‼' : risk === 'high' ? '!' : '';
  return html`<span class="risk risk-${risk}">${symbol ? html`<span aria-hidden="true">${symbol} </span>` : ''}${risk}</span>`;
}

export interface LayoutOptions {
  title: string;
  /** Signed-in principal, for the header and the sign-out form. */
  who?: { id: string; roles: string[]; csrf: string };
  /** Which nav entry is current. */
  current?: 'inbox' | 'all' | 'delegations' | 'sign-in';
  /** data-live: the SSE address static/console.js follows to refresh <main>. */
  live?: string;
}

export function layout(opts: LayoutOptions, body: Html): string {
  const nav = opts.who
    ? html`<nav aria-label="Console">
        <a href="/console/inbox"${opts.current === 'inbox' ? html` aria-current="page"` : ''}>Waiting for me</a>
        <a href="/console/requests"${opts.current === 'all' ? html` aria-current="page"` : ''}>All requests</a>
        ${opts.who.roles.some((r) => r === 'approver' || r === 'admin' || r === 'auditor') ? html`<a href="/console/delegations"${opts.current === 'delegations' ? html` aria-current="page"` : ''}>Delegations</a>` : ''}
      </nav>
      <div class="who">
        <span>Signed in as <strong>${opts.who.id}</strong> <span class="roles">(${opts.who.roles.join(', ')})</span></span>
        <form method="post" action="/console/sign-out">
          <input type="hidden" name="csrf" value="${opts.who.csrf}">
          <button type="submit" class="link">Sign out</button>
        </form>
      </div>`
    : '';
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · Airlock console</title>
<link rel="icon" href="/console/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/static/console.css">
<script src="/console/static/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/console">Airlock</a>
  ${nav}
</header>
<main id="main" tabindex="-1"${opts.live ? html` data-live="${opts.live}"` : ''}>
${body}
</main>
</body>
</html>`}`;
}
