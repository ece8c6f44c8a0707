// The console's delegations page (SPEC 14): an approver hands their approvals to one person for a
// period, sees what they gave and hold, and ends one; the same delegationService as
// /v1/delegations, so every rule and refusal (and its trail) is the API's.
import type { DelegationView } from '../api/delegation-routes.js';
import { html, layout, time } from './html.js';
import type { Who } from './pages.js';

/** The periods offered (a duration, not a date: no time zone to get wrong); the API allows 90 days. */
export const DURATIONS: [number, string][] = [
  [1, '1 day'],
  [3, '3 days'],
  [7, '1 week'],
  [14, '2 weeks'],
  [30, '30 days'],
  [90, '90 days'],
];

export function delegationsPage(
  who: Who,
  items: DelegationView[],
  flash?: { kind: 'ok' | 'error'; text: string },
): string {
  const rows = items.map(
    (d) => html`<tr>
      <td data-label="From">${d.delegator}</td>
      <td data-label="To">${d.delegate}</td>
      <td data-label="When">${time(d.startsAt)} – ${time(d.endsAt)}</td>
      <td data-label="Status"><span class="badge" data-status="${d.status}">${d.status}</span></td>
      <td data-label="Reason">${d.reason}</td>
      <td data-label="">${
        d.status === 'active' || d.status === 'scheduled'
          ? html`<form method="post" action="/console/delegations/${d.id}/end">
          <input type="hidden" name="csrf" value="${who.csrf}">
          <button type="submit" class="link">End</button>
        </form>`
          : ''
      }</td>
    </tr>`,
  );
  const body = html`<h1>Delegations</h1>
    ${flash ? html`<p class="${flash.kind === 'ok' ? 'flash-ok' : 'flash-error'}" role="status">${flash.text}</p>` : ''}
    <section aria-labelledby="h-new" class="card">
      <h2 id="h-new">Hand my approvals to someone</h2>
      <form method="post" action="/console/delegations">
        <input type="hidden" name="csrf" value="${who.csrf}">
        <label for="delegate">Delegate (e-mail)</label>
        <input id="delegate" name="delegate" type="email" required maxlength="320" autocomplete="off">
        <label for="days">For</label>
        <select id="days" name="days">${DURATIONS.map(([days, label]) => html`<option value="${String(days)}">${label}</option>`)}</select>
        <p class="hint">From now. They decide in your name meanwhile, never their own requests, and cannot pass it on.</p>
        <label for="delegation-reason">Reason</label>
        <input id="delegation-reason" name="reason" required maxlength="2000">
        <button type="submit" class="primary">Delegate</button>
      </form>
    </section>
    <h2>Given and held</h2>
    ${
      items.length
        ? html`<table class="list">
      <caption class="sr-only">Delegations you gave or hold</caption>
      <thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col">When</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${rows}</tbody>
    </table>`
        : html`<p>None.</p>`
    }`;
  return layout({ title: 'Delegations', who, current: 'delegations' }, body);
}
