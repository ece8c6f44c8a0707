// The console's HTML: every interpolated value escaped, states readable without colour, a diff
// marked by sign and words, and sign-in never sending anyone outside the console.
import { describe, expect, it } from 'vitest';
import { html, statusBadge, time } from '../../../console/html.js';
import { diffBlock } from '../../../console/pages.js';
import { safeReturnTo } from '../../../console/security.js';

describe('console HTML', () => {
  it('escapes what it interpolates, unless it is already markup', () => {
    const evil = `<script>alert(1)</script>" onmouseover="x' &`;
    const out = html`<p title="${evil}">${evil}${html`<b>ok</b>`}${[evil, html`<i>i</i>`]}</p>`.value;
    expect(out).not.toContain('<script>');
    expect(out).not.toMatch(/" onmouseover="/);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39; &amp;');
    expect(out).toContain('<b>ok</b>');
    expect(out).toContain('<i>i</i>');
  });

  it('names a state in words and a symbol, not by colour alone', () => {
    expect(statusBadge('denied').value).toContain('Denied');
    expect(statusBadge('pending_approval').value).toContain('Pending approval');
    expect(statusBadge('break_glass').value).toContain('Break-glass');
    expect(statusBadge('something_new').value).toContain('something_new');
  });

  it('shows an instant in UTC without script, with the machine-readable time', () => {
    expect(time('2030-01-02T04:05:06.000Z').value).toBe(
      '<time datetime="2030-01-02T04:05:06.000Z" title="2030-01-02T04:05:06.000Z">2030-01-02 04:05 UTC</time>',
    );
    expect(time('not a time').value).toBe('<span>not a time</span>');
  });

  it('marks added and removed diff lines for screen readers too', () => {
    const out = diffBlock('--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new <x>', 'diff').value;
    expect(out).toContain('<span class="d-del"><span class="sr-only">removed: </span>-old</span>');
    expect(out).toContain('<span class="d-add"><span class="sr-only">added: </span>+new &lt;x&gt;</span>');
    expect(out).toContain('<span class="d-file">--- a</span>');
  });

  it('returns after sign-in only to a console page', () => {
    expect(safeReturnTo('/console/requests/abc?done=1')).toBe('/console/requests/abc?done=1');
    for (const bad of ['https://evil.example/', '//evil.example/console', '/consolex', '/v1/actions', 42]) {
      expect(safeReturnTo(bad)).toBeUndefined();
    }
  });
});
