// SPDX-License-Identifier: Apache-2.0
// The web UI's entry point: the hash router (#/ the clients list,
// #/clients/EP one client), the clients list, the event log and the
// connection badge. Events from /api/event go to the log and to the view on
// screen. The list is paged by the server (?prefix&offset&limit, total in
// X-Total-Count), so it costs the same with 10 registrations or 10,000;
// a burst of events becomes at most a few page fetches per second.

import { request, connectEvents, getToken, askToken, enc } from './api.js';
import { h, toast, showError, clock, timeEl, refreshTimes, duration, nf, valueText, stateBadge } from './dom.js';
import { clientView } from './client.js';

const main = document.getElementById('main');
const crumbs = document.getElementById('crumbs');
let view = null;           // {onEvent(name, data), destroy()}

// ---------------------------------------------------------------- models
// /api/objectspecs, fetched once and shared: Map id -> spec.
let specsPromise = null;
export function objectSpecs() {
  if (!specsPromise) {
    specsPromise = request('GET', '/api/objectspecs')
      .then(({ data }) => new Map((Array.isArray(data) ? data : []).map((o) => [Number(o.id), o])))
      .catch((e) => { specsPromise = null; showError(e, 'Loading object models'); return new Map(); });
  }
  return specsPromise;
}

// Filled once the models are in, for the names in the list's tooltips.
let specNames = new Map();

// ---------------------------------------------------------------- router
function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(qs || '') };
}

function route() {
  if (view) view.destroy();
  view = null;
  main.replaceChildren();
  const { parts, query } = parseHash();
  if (parts[0] === 'clients' && parts[1]) {
    setCrumbs([['Clients', '#/'], [parts[1]]]);
    document.title = parts[1] + ' · Tether';
    view = clientView(main, parts[1], { objectSpecs });
  } else {
    setCrumbs([['Clients']]);
    document.title = 'Clients · Tether';
    view = clientsView(main, query);
  }
  eventLog.setScope(parts[0] === 'clients' ? parts[1] : null);
}

function setCrumbs(items) {
  crumbs.replaceChildren(h('ol', null, items.map(([label, href], i) =>
    h('li', null, href && i < items.length - 1
      ? h('a', { href }, label)
      : h('span', { 'aria-current': 'page' }, label)))));
}

// ---------------------------------------------------------------- clients list
const LIST_EVENTS = new Set(['REGISTRATION', 'UPDATED', 'DEREGISTRATION', 'EXPIRED', 'SLEEPING', 'AWAKE']);

function clientsView(root, query) {
  const state = {
    prefix: query.get('prefix') || '',
    offset: Math.max(0, parseInt(query.get('offset') || '0', 10) || 0),
    limit: [25, 50, 100, 250, 500].includes(+query.get('limit')) ? +query.get('limit') : 100,
    total: null,
    rows: [],
    shown: new Set(),       // endpoints on screen, to mark newcomers
    seq: 0,
    ctrl: null,
    lastFetch: 0,
    lastMs: 0,
    timer: null,
    loading: false,
    dirty: false,
  };

  const search = h('input', {
    id: 'client-search', type: 'search', placeholder: 'Endpoint name starts with…',
    value: state.prefix, autocomplete: 'off', spellcheck: 'false',
  });
  const pageSize = h('select', { id: 'page-size' },
    [25, 50, 100, 250, 500].map((n) => h('option', { value: n, selected: n === state.limit }, n + ' per page')));
  const summary = h('p', { class: 'summary', id: 'clients-summary', 'aria-live': 'polite' }, 'Loading…');
  const tbody = h('tbody');
  const table = h('table', { class: 'grid clients', id: 'clients-table', 'aria-describedby': 'clients-summary' },
    h('caption', { class: 'sr-only' }, 'Registered clients'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Endpoint'),
      h('th', { scope: 'col' }, 'State'),
      h('th', { scope: 'col', class: 'col-addr' }, 'Address'),
      h('th', { scope: 'col' }, 'Binding'),
      h('th', { scope: 'col', class: 'num' }, 'Lifetime'),
      h('th', { scope: 'col', class: 'col-objs' }, 'Objects'),
      h('th', { scope: 'col', class: 'col-reg' }, 'Registered'),
      h('th', { scope: 'col' }, 'Last update'))),
    tbody);
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages', hidden: true });

  root.append(
    h('section', { class: 'card', 'aria-labelledby': 'clients-title' },
      h('div', { class: 'card-head' },
        h('h1', { id: 'clients-title' }, 'Clients'),
        h('div', { class: 'toolbar' },
          h('label', { for: 'client-search', class: 'sr-only' }, 'Search by endpoint prefix'),
          h('div', { class: 'search' }, search),
          h('label', { for: 'page-size', class: 'sr-only' }, 'Page size'),
          pageSize)),
      summary,
      h('div', { class: 'table-wrap' }, table),
      pager));

  let searchTimer = null;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { state.prefix = search.value.trim(); state.offset = 0; syncHash(); load(); }, 200);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { clearTimeout(searchTimer); state.prefix = search.value.trim(); state.offset = 0; syncHash(); load(); }
  });
  pageSize.addEventListener('change', () => { state.limit = +pageSize.value; state.offset = 0; syncHash(); load(); });

  function syncHash() {
    const q = new URLSearchParams();
    if (state.prefix) q.set('prefix', state.prefix);
    if (state.offset) q.set('offset', state.offset);
    if (state.limit !== 100) q.set('limit', state.limit);
    const s = q.toString();
    history.replaceState(null, '', '#/' + (s ? '?' + s : ''));
  }

  // live: the fetch follows events, so rows new since the last render are
  // flashed; a search or a page change shows a new set without flashing.
  async function load(live) {
    clearTimeout(state.timer);
    state.timer = null;
    if (state.ctrl) state.ctrl.abort();
    const ctrl = state.ctrl = new AbortController();
    const seq = ++state.seq;
    state.loading = true;
    state.dirty = false;
    state.lastFetch = performance.now();
    try {
      const { data, headers, ms } = await request('GET', '/api/clients', {
        query: { prefix: state.prefix, offset: state.offset, limit: state.limit }, signal: ctrl.signal,
      });
      if (seq !== state.seq) return;
      state.lastMs = ms;
      const rows = Array.isArray(data) ? data : [];
      const total = parseInt(headers.get('X-Total-Count'), 10);
      state.total = isNaN(total) ? state.offset + rows.length : total;
      if (rows.length === 0 && state.offset > 0 && state.total > 0) {
        state.offset = Math.max(0, Math.floor((state.total - 1) / state.limit) * state.limit);
        syncHash();
        state.loading = false;
        return load(live);
      }
      state.rows = rows;
      render(live === true);
    } catch (e) {
      if (e.name === 'AbortError') return;
      summary.textContent = 'Could not load the clients.';
      showError(e, 'Loading clients');
    } finally {
      if (seq === state.seq) {
        state.loading = false;
        if (state.dirty) schedule();
      }
    }
  }

  // Live refresh: the first event after a quiet spell refetches at once
  // (a new client shows within a few milliseconds); during a burst pages
  // are fetched at most every max(300 ms, 4 x the last fetch time).
  function schedule() {
    if (state.loading) { state.dirty = true; return; }
    if (state.timer) return;
    const gap = Math.max(300, state.lastMs * 4);
    const wait = Math.max(0, state.lastFetch + gap - performance.now());
    if (wait === 0) load(true);
    else state.timer = setTimeout(() => load(true), wait);
  }

  function render(live) {
    const prev = state.shown;
    state.shown = new Set(state.rows.map((c) => c.endpoint));
    const frag = document.createDocumentFragment();
    for (const c of state.rows) {
      const tr = rowFor(c);
      if (live && !prev.has(c.endpoint)) tr.classList.add('flash');
      frag.append(tr);
    }
    const focused = document.activeElement && tbody.contains(document.activeElement)
      ? document.activeElement.closest('tr') && document.activeElement.closest('tr').dataset.ep : null;
    tbody.replaceChildren(frag);
    if (focused) {
      const a = tbody.querySelector(`tr[data-ep="${CSS.escape(focused)}"] a`);
      if (a) a.focus({ preventScroll: true });
    }
    if (state.rows.length === 0) {
      tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: 8 },
        state.prefix ? 'No client’s endpoint starts with “' + state.prefix + '”.'
          : 'No client is registered yet. Point a device at this server’s CoAP address and it appears here.')));
    }
    const from = state.rows.length ? state.offset + 1 : 0;
    const to = state.offset + state.rows.length;
    summary.textContent = state.total === 0 ? (state.prefix ? 'No match.' : 'No clients.')
      : `${nf.format(from)}–${nf.format(to)} of ${nf.format(state.total)} client${state.total === 1 ? '' : 's'}`
        + (state.prefix ? ` matching “${state.prefix}”` : '');
    renderPager();
  }

  function rowFor(c) {
    const objs = objectIds(c.objectLinks);
    return h('tr', { dataset: { ep: c.endpoint } },
      h('th', { scope: 'row' }, h('a', { href: '#/clients/' + enc(c.endpoint) }, c.endpoint)),
      h('td', null, stateBadge(c)),
      h('td', { class: 'mono col-addr' }, c.address || '—'),
      h('td', null, c.bindingMode || '—'),
      h('td', { class: 'num', title: c.lifetime + ' s' }, duration(c.lifetime)),
      h('td', { class: 'objs col-objs', title: objs.map((id) => (specNames.has(+id) ? `${id} ${specNames.get(+id).name}` : id)).join('\n') }, objs.slice(0, 8).join(' · ') + (objs.length > 8 ? ' …' : '')),
      h('td', { class: 'col-reg' }, timeEl(c.registrationDate)),
      h('td', null, timeEl(c.lastUpdate)));
  }

  // The pager's buttons are made once and only updated, so a click or the
  // keyboard focus survives the live re-renders.
  const pageOf = h('span', { class: 'page-of' });
  const pagerButtons = [
    ['« First', 'First page', () => 1],
    ['‹ Previous', 'Previous page', (page) => page - 1],
    ['Next ›', 'Next page', (page) => page + 1],
    ['Last »', 'Last page', (page, pages) => pages],
  ].map(([label, aria, target]) => {
    const b = h('button', { type: 'button', class: 'ghost small', 'aria-label': aria }, label);
    b.target = target;
    b.addEventListener('click', () => {
      const { page, pages } = pageInfo();
      const p = Math.min(pages, Math.max(1, target(page, pages)));
      state.offset = (p - 1) * state.limit;
      syncHash();
      load();
    });
    return b;
  });
  pager.append(pagerButtons[0], pagerButtons[1], pageOf, pagerButtons[2], pagerButtons[3]);

  function pageInfo() {
    return {
      pages: Math.max(1, Math.ceil((state.total || 0) / state.limit)),
      page: Math.floor(state.offset / state.limit) + 1,
    };
  }

  function renderPager() {
    const { page, pages } = pageInfo();
    for (const b of pagerButtons) {
      const p = b.target(page, pages);
      b.disabled = p < 1 || p > pages || p === page;
    }
    pageOf.textContent = `Page ${nf.format(page)} of ${nf.format(pages)}`;
    pager.hidden = pages <= 1;
  }

  // Events change the page at once from their own data (the event carries
  // the client object), batched to one render per frame; a registration or
  // a removal also refetches the page (throttled, see schedule()) so the
  // page stays exact: sorted, full, with the right total. Updates, sleeping
  // and awake only patch rows: 10,000 clients updating cost no fetch.
  let pending = [];
  let frame = 0;
  function onEvent(name, data) {
    if (!LIST_EVENTS.has(name)) return;
    const ep = epOf(name, data);
    if (!ep || (state.prefix && !ep.startsWith(state.prefix))) return;
    pending.push([name, ep, name === 'UPDATED' ? data.registration : data]);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function flush() {
    frame = 0;
    const batch = pending;
    pending = [];
    let membership = false;
    let changed = false;
    for (const [name, ep, c] of batch) {
      const at = state.rows.findIndex((r) => r.endpoint === ep);
      if (name === 'REGISTRATION') {
        membership = true;
        if (at >= 0) { state.rows[at] = c; changed = true; continue; }
        const rows = state.rows;
        const afterFirst = state.offset === 0 || (rows.length && ep > rows[0].endpoint);
        const beforeLast = rows.length < state.limit || ep < rows[rows.length - 1].endpoint;
        if (state.total !== null) state.total++;
        if (afterFirst && beforeLast) {
          let k = rows.findIndex((r) => r.endpoint > ep);
          if (k < 0) k = rows.length;
          rows.splice(k, 0, c);
          if (rows.length > state.limit) rows.pop();
        }
        changed = true;
      } else if (name === 'DEREGISTRATION' || name === 'EXPIRED') {
        membership = true;
        if (state.total) state.total--;
        if (at >= 0) state.rows.splice(at, 1);
        changed = true;
      } else if (at >= 0 && c && typeof c === 'object') {
        if (name === 'UPDATED') state.rows[at] = c;
        else state.rows[at] = Object.assign({}, state.rows[at], { sleeping: name === 'SLEEPING' });
        const tr = tbody.querySelector(`tr[data-ep="${CSS.escape(ep)}"]`);
        if (tr && !changed) tr.replaceWith(rowFor(state.rows[at]));
      }
    }
    if (changed) render(true);
    if (membership) schedule();
  }

  load();
  objectSpecs().then((m) => { specNames = m; });
  const focusSearch = (e) => {
    if (e.key === '/' && document.activeElement === document.body) { e.preventDefault(); search.focus(); }
  };
  document.addEventListener('keydown', focusSearch);
  return {
    onEvent,
    onReconnect: () => load(true),
    destroy() {
      cancelAnimationFrame(frame);
      clearTimeout(state.timer);
      clearTimeout(searchTimer);
      if (state.ctrl) state.ctrl.abort();
      document.removeEventListener('keydown', focusSearch);
    },
  };
}

export function objectIds(links) {
  const ids = [];
  for (const l of links || []) {
    const m = /(?:^|\/)(\d+)(?:\/\d+)?$/.exec(l.url || '');
    if (m && !ids.includes(m[1])) ids.push(m[1]);
  }
  return ids;
}


function epOf(name, data) {
  if (!data || typeof data !== 'object') return null;
  if (name === 'UPDATED') return data.registration && data.registration.endpoint;
  return data.endpoint || data.ep || null;
}

// ---------------------------------------------------------------- event log
const eventLog = (() => {
  const list = document.getElementById('eventlog-list');
  const count = document.getElementById('eventlog-count');
  const filter = document.getElementById('eventlog-filter');
  const pause = document.getElementById('eventlog-pause');
  const MAX = 500;
  let paused = [];
  let total = 0;
  let scope = null;

  const only = document.getElementById('eventlog-only');
  const onlyLabel = document.getElementById('eventlog-only-label');

  function matches(li) {
    const f = filter.value.trim().toLowerCase();
    if (scope && only.checked && li.dataset.ep !== scope) return false;
    return !f || li.dataset.search.includes(f);
  }
  const refilter = () => { for (const li of list.children) li.hidden = !matches(li); };

  function summaryOf(name, data) {
    switch (name) {
      case 'REGISTRATION': return `registered from ${data.address || '?'}, lifetime ${duration(data.lifetime)}, binding ${data.bindingMode || '?'}`;
      case 'UPDATED': {
        const u = data.update || {};
        const what = Object.keys(u).filter((k) => u[k] !== undefined && u[k] !== null);
        return what.length ? 'update: ' + what.map((k) => k === 'objectLinks' ? 'object links' : `${k} ${u[k]}`).join(', ') : 'update (refresh)';
      }
      case 'DEREGISTRATION': return 'de-registered';
      case 'EXPIRED': return 'registration expired';
      case 'SLEEPING': return 'went to sleep (queue mode)';
      case 'AWAKE': return 'woke up';
      case 'NOTIFICATION': return `${data.res} = ${data.val ? valueText(data.val) : '(undecodable)'}` + (data.status && data.status !== 'CONTENT' ? ` (${data.status})` : '');
      case 'OBSERVE_END': return `observation of ${data.res} ended` + (data.reason ? `: ${data.reason}` : '');
      default: return typeof data === 'string' ? data : JSON.stringify(data);
    }
  }

  // Events are queued and drawn once per frame (at most the newest MAX),
  // so a flood of notifications costs one DOM update a frame.
  let queue = [];
  let frame = 0;
  function add(name, data) {
    total++;
    queue.push([name, data, clock()]);
    if (queue.length > MAX) queue.splice(0, queue.length - MAX);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function build([name, data, at]) {
    const ep = epOf(name, data) || '';
    const text = summaryOf(name, data);
    const li = h('li', { class: 'ev' + (scope && ep === scope ? ' ev-here' : ''), dataset: { event: name, ep, search: (name + ' ' + ep + ' ' + text).toLowerCase() } },
      h('time', { class: 'ev-time' }, at),
      h('span', { class: 'ev-name ev-' + name.toLowerCase() }, name),
      ep ? h('a', { class: 'ev-ep', href: '#/clients/' + enc(ep) }, ep) : null,
      h('span', { class: 'ev-text' }, text));
    li.hidden = !matches(li);
    return li;
  }

  function flush() {
    frame = 0;
    count.textContent = nf.format(total);
    const lis = queue.map(build);
    queue = [];
    if (pause.checked) {
      paused.push(...lis);
      if (paused.length > MAX) paused.splice(0, paused.length - MAX);
      return;
    }
    const frag = document.createDocumentFragment();
    for (let k = lis.length - 1; k >= 0; k--) frag.append(lis[k]);   // newest first
    list.prepend(frag);
    while (list.children.length > MAX) list.lastElementChild.remove();
  }

  filter.addEventListener('input', refilter);
  only.addEventListener('change', refilter);
  pause.addEventListener('change', () => {
    if (!pause.checked) {
      const frag = document.createDocumentFragment();
      for (let k = paused.length - 1; k >= 0; k--) frag.append(paused[k]);
      list.prepend(frag);
      paused = [];
      while (list.children.length > MAX) list.lastElementChild.remove();
    }
  });
  document.getElementById('eventlog-clear').addEventListener('click', () => {
    list.replaceChildren(); paused = []; queue = []; total = 0; count.textContent = '0';
  });
  return {
    add,
    setScope(ep) {
      // On a client's page its events are marked, and "This client" hides the rest.
      scope = ep;
      onlyLabel.hidden = !scope;
      for (const li of list.children) li.classList.toggle('ev-here', !!scope && li.dataset.ep === scope);
      refilter();
    },
    get scope() { return scope; },
  };
})();


// ---------------------------------------------------------------- connection
const conn = document.getElementById('conn');
const connText = conn.querySelector('.conn-text');
const CONN_TEXT = { live: 'Live', connecting: 'Connecting…', offline: 'Reconnecting…', auth: 'Token needed' };
let everLive = false;

connectEvents({
  onState(s) {
    conn.dataset.state = s;
    connText.textContent = CONN_TEXT[s] || s;
    conn.title = s === 'live' ? 'Receiving live events from tetherd' : 'The live event stream is not connected';
  },
  onOpen() {
    if (everLive && view && view.onReconnect) view.onReconnect();
    everLive = true;
  },
  onEvent(name, data) {
    eventLog.add(name, data);
    if (view) view.onEvent(name, data);
  },
});

// ---------------------------------------------------------------- chrome
const tokenButton = document.getElementById('token-button');
function showTokenButton() { tokenButton.hidden = !getToken(); }
tokenButton.addEventListener('click', () => askToken(false));
document.addEventListener('tether:token-cancelled', () => { tokenButton.hidden = false; });
document.addEventListener('tether:token', () => { showTokenButton(); toast('Token saved for this tab.', 'info'); if (view && view.onReconnect) view.onReconnect(); });
showTokenButton();

const logToggle = document.getElementById('log-toggle');
function setLog(open) {
  document.body.classList.toggle('log-closed', !open);
  logToggle.setAttribute('aria-expanded', String(open));
  localStorage.setItem('tether.logOpen', open ? '1' : '0');
}
logToggle.addEventListener('click', () => setLog(document.body.classList.contains('log-closed')));
setLog(localStorage.getItem('tether.logOpen') !== '0');

setInterval(() => refreshTimes(main), 5000);
window.addEventListener('hashchange', () => { route(); main.focus({ preventScroll: true }); });
route();
