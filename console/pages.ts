// The console's pages, rendered on the server from the same models every channel uses: the
// channel-neutral card (bots/card.ts) for what a card shows, presentAction for what the API
// shows this viewer (the requester's own view withholds the preview's figures).
import { ACTION_STATUSES, type ActionView } from '../api/response-schemas.js';
import type { RequestSummary, StoredAuditEvent, VerifyResult } from '../audit/types.js';
import type { ApprovalCard } from '../bots/card.js';
import type { ActionPreview } from '../workflows/preview-types.js';
import type { ActionState } from '../workflows/types.js';
import { type Html, html, type LayoutOptions, layout, riskBadge, statusBadge, time } from './html.js';
import type { InboxItem } from './inbox.js';

export type Who = NonNullable<LayoutOptions['who']>;

export function signInPage(opts: {
  keySignIn: boolean;
  oidc: boolean;
  csrf: string;
  message?: string;
  returnTo?: string;
}): string {
  const body = html`<h1>Sign in</h1>
    ${opts.message ? html`<p class="notice" role="alert">${opts.message}</p>` : ''}
    ${opts.oidc ? html`<p><a class="button primary" href="/console/oidc/start${opts.returnTo ? `?returnTo=${encodeURIComponent(opts.returnTo)}` : ''}">Sign in with single sign-on</a></p>` : ''}
    ${
      opts.keySignIn
        ? html`<form method="post" action="/console/sign-in" class="card">
        <input type="hidden" name="csrf" value="${opts.csrf}">
        ${opts.returnTo ? html`<input type="hidden" name="returnTo" value="${opts.returnTo}">` : ''}
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autocomplete="off" required spellcheck="false">
        <p class="hint">The demo prints an approver key when it starts (npm start).</p>
        <button type="submit" class="primary">Sign in with the key</button>
      </form>`
        : ''
    }
    ${!opts.keySignIn && !opts.oidc ? html`<p>No sign-in method is configured: set OIDC_ISSUER and CONSOLE_OIDC_CLIENT_ID.</p>` : ''}`;
  return layout({ title: 'Sign in', current: 'sign-in' }, body);
}

const liveUrl = (path: string, version: string | undefined) =>
  version === undefined ? path : `${path}?since=${encodeURIComponent(version)}`;

export function inboxPage(who: Who, inbox: { items: InboxItem[]; total: number }, version?: string): string {
  const rows = inbox.items.map(
    (i) => html`<tr>
      <td data-label="Request"><a href="/console/requests/${i.id}">${i.action ?? i.id}</a><div class="sub">${i.resource ?? ''}</div></td>
      <td data-label="Requester">${i.requester ?? '—'}</td>
      <td data-label="Environment">${i.environment ?? '—'}</td>
      <td data-label="Risk">${riskBadge(i.risk)}</td>
      <td data-label="Decide by">${time(i.deadline)}</td>
    </tr>`,
  );
  const body = html`<h1>Waiting for me</h1>
    <p class="lead" aria-live="polite">${inbox.total === 0 ? 'Nothing is waiting for your decision.' : `${inbox.total} request${inbox.total === 1 ? '' : 's'} waiting for your decision, the most urgent first.`}${inbox.total > inbox.items.length ? ` Showing the first ${inbox.items.length}.` : ''}</p>
    ${
      inbox.items.length > 0
        ? html`<table class="list">
      <caption class="sr-only">Requests waiting for your decision</caption>
      <thead><tr><th scope="col">Request</th><th scope="col">Requester</th><th scope="col">Environment</th><th scope="col">Risk</th><th scope="col">Decide by</th></tr></thead>
      <tbody>${rows}</tbody>
    </table>`
        : ''
    }`;
  return layout(
    { title: 'Waiting for me', who, current: 'inbox', live: liveUrl('/console/inbox/events', version) },
    body,
  );
}

export interface ListFilters {
  status?: string;
  requester?: string;
  action?: string;
  environment?: string;
}

// Every status but the first moment's (a request is evaluating for a few milliseconds).
const STATUS_CHOICES = ACTION_STATUSES.filter((s) => s !== 'evaluating');

export function listPage(
  who: Who,
  filters: ListFilters,
  page: { items: RequestSummary[]; nextCursor?: string | undefined },
): string {
  const next = page.nextCursor
    ? `/console/requests?${new URLSearchParams({ ...definedOf(filters), cursor: page.nextCursor }).toString()}`
    : undefined;
  const rows = page.items.map(
    (i) => html`<tr>
      <td data-label="Request"><a href="/console/requests/${i.id}">${i.action ?? i.id}</a></td>
      <td data-label="Status">${statusBadge(i.status)}</td>
      <td data-label="Requester">${i.requester ?? '—'}</td>
      <td data-label="Environment">${i.environment ?? '—'}</td>
      <td data-label="Risk">${riskBadge(i.risk)}</td>
      <td data-label="Submitted">${time(i.startedAt)}</td>
    </tr>`,
  );
  const body = html`<h1>All requests</h1>
    <form method="get" action="/console/requests" class="filters" role="search" aria-label="Filter requests">
      <div><label for="f-status">Status</label>
        <select id="f-status" name="status"><option value="">any</option>${STATUS_CHOICES.map(
          (s) => html`<option value="${s}"${filters.status === s ? html` selected` : ''}>${s}</option>`,
        )}</select></div>
      <div><label for="f-requester">Requester</label><input id="f-requester" name="requester" value="${filters.requester ?? ''}"></div>
      <div><label for="f-action">Action</label><input id="f-action" name="action" value="${filters.action ?? ''}"></div>
      <div><label for="f-environment">Environment</label><input id="f-environment" name="environment" value="${filters.environment ?? ''}"></div>
      <div><button type="submit">Filter</button></div>
    </form>
    ${
      page.items.length === 0
        ? html`<p>No requests match.</p>`
        : html`<table class="list">
      <caption class="sr-only">Requests, newest first</caption>
      <thead><tr><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Requester</th><th scope="col">Environment</th><th scope="col">Risk</th><th scope="col">Submitted</th></tr></thead>
      <tbody>${rows}</tbody>
    </table>`
    }
    ${next ? html`<p><a class="button" href="${next}" rel="next">Older requests</a></p>` : ''}`;
  return layout({ title: 'All requests', who, current: 'all' }, body);
}

function definedOf(filters: ListFilters): Record<string, string> {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => typeof v === 'string' && v !== ''));
}

export interface RequestPageModel {
  /** What the API shows this viewer (presentAction): the preview as this viewer may see it. */
  view: ActionView;
  state: ActionState;
  card: ApprovalCard;
  /** Who may still decide at the current stage (canonical ids), without those who decided. */
  othersWhoMayDecide: string[];
  /** Why this viewer's decision would be refused, when the rules already say so. */
  wouldRefuse?: string;
  /** The approver this viewer decides for, under a delegation they hold now. */
  asDelegateOf?: string;
  /** May this viewer try at all (approver or requester role, request pending). */
  mayTry: boolean;
  /** A break-glass request that waits for its review, and this viewer is an approver. */
  mayReview?: boolean;
  isAuditor: boolean;
  /** The request's version when this page was read (its live stream starts from it). */
  version?: string | undefined;
  /** What just happened (after a decision) or why it was refused. */
  flash?: { kind: 'ok' | 'error'; text: string };
}

export function requestPage(who: Who, m: RequestPageModel): string {
  const v = m.view;
  const st = m.state;
  const c = m.card;
  const title = c.title;
  const body = html`<p class="crumbs"><a href="/console/inbox">Waiting for me</a> › request</p>
    <h1>${title}</h1>
    <div id="live-status" aria-live="polite">
      <p class="status-line">${statusBadge(v.status)}${st.breakGlass ? html` ${statusBadge('break_glass')}` : ''} <span>${c.statusLine}</span></p>
      ${m.flash ? html`<p class="flash flash-${m.flash.kind}" role="${m.flash.kind === 'error' ? 'alert' : 'status'}">${m.flash.kind === 'error' ? html`<strong>Refused: </strong>` : html`<strong>Done: </strong>`}${m.flash.text}</p>` : ''}
    </div>
    ${decisionForm(who, m)}
    ${reviewForm(who, m)}
    <section aria-labelledby="h-facts"><h2 id="h-facts">Request</h2>
      <dl class="facts">
        <dt>Id</dt><dd><code>${v.id}</code></dd>
        <dt>Action</dt><dd><code>${v.request.action}</code></dd>
        ${c.fields.map((f) => html`<dt>${f.label}</dt><dd>${f.value}</dd>`)}
        <dt>Risk</dt><dd>${riskBadge(v.risk)}</dd>
        <dt>Executor</dt><dd>${v.executor}${v.target ? ` on ${v.target}` : ''}</dd>
        <dt>Rule</dt><dd>${st.policy ? html`${st.policy.rule} <span class="sub">(${st.policy.effect}; policy version <code title="${st.policy.policyVersion}">${st.policy.policyVersion.slice(0, 12)}</code>)</span>${st.policy.reason ? html`<div class="sub">${st.policy.reason}</div>` : ''}` : '—'}</dd>
        ${
          v.stage
            ? html`<dt>Stage</dt><dd>${v.stage.number} of ${v.stage.of ?? 1}: ${v.stage.approvers.join(', ')} (${v.stage.minApprovals} approval${v.stage.minApprovals === 1 ? '' : 's'} needed)</dd>
        <dt>Decide by</dt><dd>${time(v.stage.deadline)}</dd>
        <dt>Who else may decide</dt><dd>${m.othersWhoMayDecide.length ? m.othersWhoMayDecide.join(', ') : 'nobody else'}</dd>`
            : ''
        }
        <dt>Submitted</dt><dd>${time(v.submittedAt)}</dd>
        ${v.decidedAt ? html`<dt>Decided</dt><dd>${time(v.decidedAt)}</dd>` : ''}
        ${v.executedAt ? html`<dt>Executed</dt><dd>${time(v.executedAt)}</dd>` : ''}
        ${v.endedAt ? html`<dt>Ended</dt><dd>${time(v.endedAt)}</dd>` : ''}
        ${c.history ? html`<dt>History</dt><dd>${c.history}</dd>` : ''}
      </dl>
    </section>
    <section aria-labelledby="h-params"><h2 id="h-params">Parameters</h2>
      <p class="sub">SHA-256 <code class="hash">${v.parametersHash}</code></p>
      <pre class="code" tabindex="0" aria-label="Parameters as JSON">${JSON.stringify(v.request.parameters, null, 2)}</pre>
    </section>
    ${previewSection(v)}
    ${c.diff ? html`<section aria-labelledby="h-diff"><h2 id="h-diff">Requester's diff <span class="sub">(their claim, not verified)</span></h2>${diffBlock(c.diff.text, "Requester's diff")}</section>` : ''}
    <section aria-labelledby="h-decisions"><h2 id="h-decisions">Decisions</h2>
      ${
        st.decisions.length
          ? html`<ul class="events">${st.decisions.map(
              (d) =>
                html`<li>${statusBadge(d.decision === 'approve' ? 'approved' : 'denied')} by <strong>${d.approver.id}</strong>${d.asDelegateOf ? html` as delegate of <strong>${d.asDelegateOf}</strong>` : ''}${d.standing ? ' (and the same again)' : ''} via ${d.approver.channel}, stage ${d.stage + 1}, ${time(d.at)}${d.reason ? html`<div class="reason">“${d.reason}”</div>` : ''}</li>`,
            )}</ul>`
          : html`<p>No decisions yet.</p>`
      }
      <h3>Refused attempts</h3>
      ${
        st.refusals.length
          ? html`<ul class="events">${st.refusals.map(
              (r) =>
                html`<li><span class="badge badge-bad"><span aria-hidden="true">⊘</span> ${r.code}</span> ${r.what} by <strong>${r.actor}</strong> via ${r.channel}${r.count && r.count > 1 ? ` (${r.count} times)` : ''}, ${time(r.at)}: ${r.detail}</li>`,
            )}</ul>`
          : html`<p>None.</p>`
      }
    </section>
    ${
      st.result
        ? html`<section aria-labelledby="h-result"><h2 id="h-result">Result</h2>
      <p>${st.result.ok ? statusBadge('succeeded') : statusBadge('failed')}${st.result.error ? html` ${st.result.error.type}: ${st.result.error.message}` : ''}</p>
      ${st.result.output ? html`<pre class="code" tabindex="0" aria-label="Result output">${JSON.stringify(st.result.output, null, 2)}</pre>` : ''}
    </section>`
        : ''
    }
    <section aria-labelledby="h-links"><h2 id="h-links">Links</h2>
      <ul class="links">
        ${m.isAuditor ? html`<li><a href="/console/requests/${v.id}/audit">Audit trail and verification</a></li>` : ''}
        ${v.links.self ? html`<li><a href="${v.links.self}">API (JSON)</a></li>` : ''}
        ${v.links.temporalUi ? html`<li><a href="${v.links.temporalUi}">Temporal UI</a></li>` : ''}
      </ul>
    </section>`;
  return layout({ title, who, live: liveUrl(`/console/requests/${v.id}/events`, m.version) }, body);
}

function decisionForm(who: Who, m: RequestPageModel): Html | '' {
  if (!m.mayTry) return '';
  const required = m.card.actions?.denyReasonRequired ?? true;
  return html`<section aria-labelledby="h-decide" class="card decide"><h2 id="h-decide">Your decision</h2>
    ${m.wouldRefuse ? html`<p class="notice" id="would-refuse"><strong>You cannot decide this request:</strong> ${m.wouldRefuse}.</p>` : ''}
    ${m.asDelegateOf ? html`<p class="notice" id="as-delegate">You decide as delegate of <strong>${m.asDelegateOf}</strong>.</p>` : ''}
    <form method="post" action="/console/requests/${m.view.id}/decision">
      <input type="hidden" name="csrf" value="${who.csrf}">
      <label for="reason">Reason <span class="sub">(${required ? 'required to deny' : 'optional'})</span></label>
      <textarea id="reason" name="reason" rows="3" maxlength="2000"${m.wouldRefuse ? html` aria-describedby="would-refuse"` : ''}></textarea>
      <div class="buttons">
        <button type="submit" name="decision" value="approve" class="primary">Approve</button>
        <button type="submit" name="decision" value="deny" class="danger">Deny</button>
      </div>
      ${standingChoice(m)}
      ${m.view.preview?.hash ? html`<p class="hint">It runs only if what it would do still matches the preview Airlock computed (<code>${m.view.preview.hash.slice(0, 16)}</code>).</p>` : ''}
    </form>
  </section>`;
}

/** The after-the-fact review of a break-glass request: acknowledge it, or flag an incident (with a reason). */
function reviewForm(who: Who, m: RequestPageModel): Html | '' {
  if (!m.mayReview) return '';
  return html`<section aria-labelledby="h-review" class="card decide"><h2 id="h-review">Review this break-glass</h2>
    <form method="post" action="/console/requests/${m.view.id}/review">
      <input type="hidden" name="csrf" value="${who.csrf}">
      <label for="review-reason">Reason <span class="sub">(required to flag an incident)</span></label>
      <textarea id="review-reason" name="reason" rows="3" maxlength="2000"></textarea>
      <div class="buttons">
        <button type="submit" name="outcome" value="acknowledge" class="primary">Acknowledge</button>
        <button type="submit" name="outcome" value="incident" class="danger">Flag as incident</button>
      </div>
    </form>
  </section>`;
}

/**
 * "Approve this and the same again" where the rule allows a standing approval (never for a
 * delegate: the workflow refuses it). Its TTL is the rule's longest; the workflow holds it to it.
 */
function standingChoice(m: RequestPageModel): Html | '' {
  const standing = m.card.actions?.standing;
  if (!standing || m.asDelegateOf || m.wouldRefuse) return '';
  return html`<div class="buttons standing">
        <input type="hidden" name="standing_ttl" value="${String(Math.round(standing.ttlMs / 1000))}s">
        <button type="submit" name="decision" value="approve-standing" class="primary" aria-describedby="standing-hint">Approve + same again ${standing.label}</button>
      </div>
      <p class="hint" id="standing-hint">Also approves, until ${standing.label} from now, later requests of the same requester for the same action, resource and parameters (the rule says which may vary). Revocable at any time over the API.</p>`;
}

function previewSection(v: ActionView): Html | '' {
  const p = v.preview as ActionPreview | undefined;
  if (!p) return '';
  const lines = [...p.summary];
  return html`<section aria-labelledby="h-preview"><h2 id="h-preview">Preview computed by Airlock</h2>
    <p>${statusBadge(p.status === 'ok' ? 'succeeded' : p.status === 'partial' ? 'pending_approval' : 'failed', `preview ${p.status}`)} ${p.reason ?? ''}</p>
    ${lines.length ? html`<ul>${lines.map((l) => html`<li>${l}</li>`)}</ul>` : ''}
    ${p.withheld ? html`<p class="notice">${p.withheld}</p>` : ''}
    ${p.http ? html`<p class="sub">Current state: ${p.http.method} ${p.http.path} → ${p.http.status}</p>${diffBlock(p.http.diff || '(the proposed body equals the current state)', 'Preview diff')}` : ''}
    ${p.sql ? html`${p.sql.statements.map((s, i) => html`<h3>${i + 1}. ${s.kind}${s.table ? ` on ${s.table}` : ''}: ${s.mode}${s.rows !== undefined ? `, ${s.rows} rows` : ''}</h3><pre class="code" tabindex="0">${s.text}</pre>${s.note ? html`<p class="sub">${s.note}</p>` : ''}`)}` : ''}
    ${p.grant ? html`<pre class="code" tabindex="0">${p.grant.statements.join('\n')}</pre>` : ''}
    ${p.hash ? html`<p class="sub">Preview hash <code class="hash">${p.hash}</code></p>` : ''}
  </section>`;
}

/** A unified diff, each line marked by its sign and its words, not by colour alone. */
export function diffBlock(text: string, label: string): Html {
  const lines = text.split('\n').map((line) => {
    const kind =
      line.startsWith('+++') || line.startsWith('---')
        ? 'file'
        : line.startsWith('@@')
          ? 'hunk'
          : line.startsWith('+')
            ? 'add'
            : line.startsWith('-')
              ? 'del'
              : 'ctx';
    const sr = kind === 'add' ? 'added: ' : kind === 'del' ? 'removed: ' : '';
    return html`<span class="d-${kind}">${sr ? html`<span class="sr-only">${sr}</span>` : ''}${line}</span>\n`;
  });
  return html`<pre class="code diff" tabindex="0" aria-label="${label}">${lines}</pre>`;
}

export function auditPage(
  who: Who,
  id: string,
  events: StoredAuditEvent[],
  verification: VerifyResult,
  csrf: string,
): string {
  const body = html`<p class="crumbs"><a href="/console/requests/${id}">Request</a> › audit trail</p>
    <h1>Audit trail</h1>
    <p class="status-line">${
      verification.ok
        ? html`<span class="badge badge-good"><span aria-hidden="true">✓</span> Verified</span> ${verification.count} events, hash chain intact`
        : html`<span class="badge badge-bad"><span aria-hidden="true">✕</span> Broken</span> the chain breaks at event ${verification.firstBroken.id} (${verification.firstBroken.eventKey}) after ${verification.count} intact events`
    }</p>
    <table class="list">
      <caption class="sr-only">Audit events of this request, oldest first</caption>
      <thead><tr><th scope="col">#</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">At</th><th scope="col">Data</th></tr></thead>
      <tbody>${events.map(
        (e) => html`<tr>
          <td data-label="#">${e.id}</td>
          <td data-label="Event"><code>${e.type}</code></td>
          <td data-label="Actor">${e.actor}</td>
          <td data-label="At">${time(e.at)}</td>
          <td data-label="Data"><details><summary>data</summary><pre class="code">${JSON.stringify(e.data, null, 2)}</pre><p class="sub">hash <code class="hash">${e.hash}</code></p></details></td>
        </tr>`,
      )}</tbody>
    </table>
    <section aria-labelledby="h-export" class="card"><h2 id="h-export">Export evidence</h2>
      <form method="post" action="/console/audit/export">
        <input type="hidden" name="csrf" value="${csrf}">
        <div class="filters">
          <div><label for="x-from">From</label><input id="x-from" name="from" type="date"></div>
          <div><label for="x-to">To</label><input id="x-to" name="to" type="date"></div>
          <div><label for="x-format">Format</label><select id="x-format" name="format"><option value="jsonl">JSON lines</option><option value="csv">CSV</option></select></div>
          <div><button type="submit">Download the signed evidence pack</button></div>
        </div>
      </form>
    </section>`;
  return layout({ title: 'Audit trail', who }, body);
}

export function errorPage(status: number, title: string, detail: string, who?: Who): string {
  const body = html`<h1>${title}</h1>
    <p class="notice" role="alert">${detail}</p>
    <p><a href="/console">Back to the console</a></p>`;
  return layout({ title: `${status} ${title}`, ...(who ? { who } : {}) }, body);
}
