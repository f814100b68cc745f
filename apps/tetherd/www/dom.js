// SPDX-License-Identifier: Apache-2.0
// Small DOM and formatting helpers shared by the views: an element builder,
// the toast area (non-blocking messages, errors stay until closed or 10 s),
// and time / number formatting. No state besides the toast container.

// h('button', {class: 'x', onclick: f}, 'text', child...) -> Element.
// Attributes whose value is null, undefined or false are left out; "on*"
// functions become listeners; "dataset" takes an object.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'class') el.className = v;
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function toast(message, kind = 'error', title) {
  const box = document.getElementById('toasts');
  const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss' }, '×');
  const t = h('div', { class: 'toast toast-' + kind, role: kind === 'error' ? 'alert' : 'status' },
    h('div', { class: 'toast-body' }, title ? h('strong', null, title) : null, h('span', null, message)),
    close);
  const remove = () => { t.classList.add('leaving'); setTimeout(() => t.remove(), 200); };
  close.addEventListener('click', remove);
  box.append(t);
  while (box.children.length > 5) box.firstElementChild.remove();
  setTimeout(remove, kind === 'error' ? 10000 : 4000);
}

// An ApiError (or anything thrown) as a toast: "404 · unknown endpoint".
export function showError(e, what) {
  if (e && e.name === 'AbortError') return;
  const status = e && e.status ? 'HTTP ' + e.status : (e && e.status === 0 ? 'Offline' : 'Error');
  toast((e && e.message) || String(e), 'error', (what ? what + ' failed · ' : '') + status);
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function clock(d = new Date()) {
  return timeFmt.format(d) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export function fullDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : dateTimeFmt.format(d);
}

// "12 s ago", "in 4 min", with the full date as the title of the element.
export function relative(iso) {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (isNaN(t)) return String(iso);
  const s = Math.round((t - Date.now()) / 1000);
  const a = Math.abs(s);
  let txt;
  if (a < 5) return 'just now';
  if (a < 60) txt = a + ' s';
  else if (a < 3600) txt = Math.round(a / 60) + ' min';
  else if (a < 86400) txt = Math.round(a / 3600) + ' h';
  else txt = Math.round(a / 86400) + ' d';
  return s < 0 ? txt + ' ago' : 'in ' + txt;
}

export function timeEl(iso) {
  return h('time', { datetime: iso || '', title: fullDate(iso), dataset: { rel: iso || '' } }, relative(iso));
}

// Refreshes every <time data-rel> under root (called every few seconds).
export function refreshTimes(root = document) {
  for (const t of root.querySelectorAll('time[data-rel]')) {
    if (t.dataset.rel) t.textContent = relative(t.dataset.rel);
  }
}

export function duration(sec) {
  if (sec === undefined || sec === null || sec === '') return '—';
  sec = Number(sec);
  if (!isFinite(sec)) return String(sec);
  if (sec < 120) return sec + ' s';
  if (sec < 7200) return Math.round(sec / 60) + ' min';
  if (sec < 172800) return (sec / 3600).toFixed(sec % 3600 ? 1 : 0) + ' h';
  return (sec / 86400).toFixed(sec % 86400 ? 1 : 0) + ' d';
}

export const nf = new Intl.NumberFormat();

export function valueText(node) {
  if (node === undefined || node === null) return '—';
  if (typeof node !== 'object') return String(node);
  if (node.kind === 'singleResource' || node.kind === 'resourceInstance') return String(node.value);
  if (node.kind === 'multiResource') return '{' + Object.entries(node.values || {}).map(([k, v]) => `${k}: ${v}`).join(', ') + '}';
  if (node.kind === 'instance') return `instance ${node.id} (${(node.resources || []).length} resources)`;
  if (node.kind === 'obj') return `object ${node.id} (${(node.instances || []).length} instances)`;
  return JSON.stringify(node);
}

export function stateBadge(c) {
  if (c.sleeping) return h('span', { class: 'badge sleeping', title: 'Queue mode: the device is asleep; requests wait until it wakes' }, 'Sleeping');
  if (c.queuemode) return h('span', { class: 'badge awake', title: 'Queue mode: the device is awake' }, 'Awake');
  return h('span', { class: 'badge online', title: 'Registered' }, 'Online');
}
