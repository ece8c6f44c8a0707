// The console's only script (served from /console/static, as the Content-Security-Policy
// requires): times in the viewer's own zone, and live updates over server-sent events. Every page
// works without it; it only makes times local and keeps an open page current.
(() => {
  // dateStyle/timeStyle cannot be combined with timeZoneName: the fields one by one.
  const localFormat = new Intl.DateTimeFormat(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

  function localizeTimes(root) {
    for (const el of root.querySelectorAll('time[datetime]')) {
      const d = new Date(el.getAttribute('datetime'));
      if (Number.isNaN(d.getTime())) continue;
      el.textContent = localFormat.format(d);
      el.title = `${fullFormat.format(d)} (${d.toISOString()})`;
    }
  }

  async function refresh(main) {
    const res = await fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store' });
    if (res.redirected || !res.ok) {
      if (res.status === 401 || res.redirected) window.location.reload();
      return;
    }
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const next = doc.querySelector('main');
    if (!next) return;
    // Keep what the person is typing, and where they are, across the swap.
    const reason = main.querySelector('#reason');
    const typed = reason ? reason.value : '';
    const focusedId = document.activeElement?.id;
    main.innerHTML = next.innerHTML;
    const again = main.querySelector('#reason');
    if (again && typed) again.value = typed;
    if (focusedId) {
      const el = document.getElementById(focusedId);
      if (el) el.focus();
    }
    localizeTimes(main);
    main.dataset.refreshed = String(Number(main.dataset.refreshed || '0') + 1);
  }

  function follow(main) {
    const url = main.dataset.live;
    if (!url || typeof EventSource === 'undefined') return;
    const events = new EventSource(url);
    events.addEventListener('open', () => {
      main.dataset.liveState = 'open';
    });
    events.addEventListener('error', () => {
      main.dataset.liveState = 'retrying';
    });
    let pending = false;
    events.addEventListener('changed', () => {
      if (pending) return;
      pending = true;
      refresh(main)
        .catch(() => undefined)
        .finally(() => {
          pending = false;
        });
    });
    events.addEventListener('ended', () => {
      events.close();
      window.location.assign('/console/sign-in?why=ended');
    });
  }

  function start() {
    localizeTimes(document);
    const main = document.querySelector('main[data-live]');
    if (main) follow(main);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
