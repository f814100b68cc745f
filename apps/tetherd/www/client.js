// SPDX-License-Identifier: Apache-2.0
// One client's page (#/clients/EP): its registration details and the object
// / instance / resource tree built from its object links and the object
// models (/api/objectspecs), with Read, Write (an editor typed by the
// model), Execute (optional arguments) and Observe on every node, and the
// values that Reads and notifications bring. Values live in one map
// (path -> content node) so that rebuilding the tree after an Update that
// changed the object links keeps what was already read. Observations are
// remembered per endpoint for the life of the tab (tetherd keeps them).

import { request, enc } from './api.js';
import { h, toast, showError, clock, timeEl, fullDate, duration, stateBadge, valueText } from './dom.js';

const observedByEp = new Map();            // ep -> Set of observed paths
const FORMATS = ['', 'TEXT', 'TLV', 'JSON', 'SENML_JSON', 'SENML_CBOR', 'CBOR', 'OPAQUE'];

export function clientView(root, ep, { objectSpecs }) {
  if (!observedByEp.has(ep)) observedByEp.set(ep, new Set());
  const observed = observedByEp.get(ep);
  const values = new Map();                // '/3/0/0' -> content node (singleResource / multiResource)
  const nodes = new Map();                 // '/3', '/3/0', '/3/0/0' -> {el, status, ...}
  let client = null;
  let specs = new Map();
  let gone = false;
  let built = false;                       // the tree was drawn once (later rebuilds keep what is open)
  let destroyed = false;
  const base = '/api/clients/' + enc(ep);

  const head = h('div', { class: 'card-head' });
  const banner = h('div', { class: 'banner', role: 'status', hidden: true });
  const details = h('dl', { class: 'details', id: 'client-details' });
  const treeRoot = h('div', { class: 'tree', id: 'object-tree' });
  const fmt = h('select', { id: 'op-format' }, FORMATS.map((f) => h('option', { value: f }, f || 'Device chooses')));
  fmt.value = localStorage.getItem('tether.format') || '';
  fmt.addEventListener('change', () => localStorage.setItem('tether.format', fmt.value));
  const tmo = h('input', { id: 'op-timeout', type: 'number', min: 1, max: 300, placeholder: 'default', inputmode: 'numeric' });
  tmo.value = localStorage.getItem('tether.timeout') || '';
  tmo.addEventListener('change', () => localStorage.setItem('tether.timeout', tmo.value));

  root.append(
    h('section', { class: 'card', 'aria-labelledby': 'client-title' }, head, banner, details),
    h('section', { class: 'card', 'aria-labelledby': 'objects-title' },
      h('div', { class: 'card-head' },
        h('h2', { id: 'objects-title' }, 'Objects'),
        h('div', { class: 'toolbar' },
          h('label', { for: 'op-format' }, 'Format'), fmt,
          h('label', { for: 'op-timeout' }, 'Timeout (s)'), tmo,
          h('button', { type: 'button', class: 'ghost small', onclick: () => expandAll(true) }, 'Expand all'),
          h('button', { type: 'button', class: 'ghost small', onclick: () => expandAll(false) }, 'Collapse all'))),
      treeRoot));

  // ------------------------------------------------------------ details
  function renderHead() {
    head.replaceChildren(
      h('h1', { id: 'client-title' }, h('span', { class: 'ep-name' }, ep), ' ', client ? stateBadge(client) : null),
      h('div', { class: 'toolbar' },
        h('a', { class: 'button ghost small', href: '#/' }, '← All clients')));
  }

  function renderDetails() {
    const c = client;
    const row = (k, v, cls) => [h('dt', null, k), h('dd', { class: cls || null }, v)];
    details.replaceChildren(...[
      row('Registration ID', c.registrationId, 'mono'),
      row('Address', c.address, 'mono'),
      row('Lifetime', `${duration(c.lifetime)}` + (c.lifetime >= 120 ? ` (${c.lifetime} s)` : '')),
      row('Binding', (c.bindingMode || '—') + (c.queuemode ? ' · queue mode' : '')),
      row('LwM2M version', c.lwM2mVersion || '—'),
      row('SMS number', c.smsNumber || '—'),
      row('Root path', c.rootPath || '/', 'mono'),
      row('Registered', [timeEl(c.registrationDate), h('span', { class: 'muted' }, ' · ' + fullDate(c.registrationDate))]),
      row('Last update', [timeEl(c.lastUpdate), h('span', { class: 'muted' }, ' · ' + fullDate(c.lastUpdate))]),
      row('Expires', [timeEl(c.expires), h('span', { class: 'muted' }, ' · ' + fullDate(c.expires))]),
    ].flat());
  }

  // ------------------------------------------------------------ tree
  // objectLinks -> [{o, version, instances: [i...]}], sorted.
  function structure(links, rootPath) {
    const objs = new Map();
    const rp = (rootPath || '/').replace(/\/+$/, '');
    for (const l of links || []) {
      let url = l.url || '';
      if (rp && url.startsWith(rp + '/')) url = url.slice(rp.length);
      const m = /^\/(\d+)(?:\/(\d+))?$/.exec(url);
      if (!m) continue;
      const o = +m[1];
      if (!objs.has(o)) objs.set(o, { o, version: null, instances: [] });
      const e = objs.get(o);
      if (m[2] !== undefined) { if (!e.instances.includes(+m[2])) e.instances.push(+m[2]); }
      const attrs = l.attributes || {};
      if (attrs.ver) e.version = String(attrs.ver).replace(/"/g, '');
    }
    for (const e of objs.values()) e.instances.sort((a, b) => a - b);
    return [...objs.values()].sort((a, b) => a.o - b.o);
  }

  function buildTree() {
    const open = new Set([...treeRoot.querySelectorAll('[aria-expanded="true"]')].map((b) => b.dataset.for));
    const first = !built;
    built = true;
    nodes.clear();
    treeRoot.replaceChildren();
    const objs = structure(client.objectLinks, client.rootPath);
    if (objs.length === 0) {
      treeRoot.append(h('p', { class: 'muted' }, 'This client registered no objects.'));
      return;
    }
    for (const e of objs) {
      const el = objectEl(e.o, e.version);
      treeRoot.append(el);
      for (const i of e.instances) ensureInstance(e.o, i);
      setOpen('/' + e.o, first ? true : open.has('/' + e.o));
      for (const i of e.instances) setOpen(`/${e.o}/${i}`, first ? e.instances.length <= 4 : open.has(`/${e.o}/${i}`));
    }
    for (const [p, v] of values) showValue(p, v);
    for (const p of observed) markObserved(p, true);
  }

  function specOf(o) { return specs.get(o) || null; }
  function resSpec(o, r) {
    const s = specOf(o);
    return s && (s.resources || []).find((x) => Number(x.id) === r) || null;
  }

  function disclosure(path, label) {
    return h('button', {
      type: 'button', class: 'disclosure', 'aria-expanded': 'false', dataset: { for: path },
      'aria-controls': 'body-' + path.replace(/\//g, '_'),
      onclick: (ev) => setOpen(path, ev.currentTarget.getAttribute('aria-expanded') !== 'true'),
    }, h('span', { class: 'chev', 'aria-hidden': 'true' }), label);
  }

  function setOpen(path, open) {
    const n = nodes.get(path);
    if (!n || !n.toggle) return;
    n.toggle.setAttribute('aria-expanded', String(open));
    n.body.hidden = !open;
  }

  function expandAll(open) {
    for (const [p, n] of nodes) if (n.toggle) setOpen(p, open);
  }

  function objectEl(o, version) {
    const s = specOf(o);
    const path = '/' + o;
    const status = h('span', { class: 'op-status', 'aria-live': 'polite' });
    const body = h('div', { class: 'obj-body', id: 'body-' + path.replace(/\//g, '_') });
    const toggle = disclosure(path, [h('span', { class: 'node-id' }, '/' + o), ' ',
      h('span', { class: 'node-name', title: s && s.description ? s.description : null }, s ? s.name : 'Unknown object')]);
    const el = h('div', { class: 'obj', dataset: { path } },
      h('div', { class: 'node-head' },
        toggle,
        h('span', { class: 'tags' },
          version ? h('span', { class: 'tag', title: 'Object version' }, 'v' + version) : null,
          s && s.instancetype === 'multiple' ? h('span', { class: 'tag', title: 'Several instances allowed' }, 'multi') : null,
          s && s.mandatory ? h('span', { class: 'tag', title: 'Mandatory object' }, 'mandatory') : null),
        status,
        h('span', { class: 'ops' }, readBtn(path), observeBtn(path), attrBtn(path))),
      body);
    nodes.set(path, { el, status, toggle, body });
    return el;
  }

  function ensureObject(o) {
    if (nodes.has('/' + o)) return nodes.get('/' + o);
    const el = objectEl(o, null);
    const after = [...treeRoot.children].find((c) => c.dataset.path && +c.dataset.path.slice(1) > o);
    treeRoot.insertBefore(el, after || null);
    setOpen('/' + o, true);
    return nodes.get('/' + o);
  }

  function ensureInstance(o, i) {
    const path = `/${o}/${i}`;
    if (nodes.has(path)) return nodes.get(path);
    const obj = ensureObject(o);
    const s = specOf(o);
    const status = h('span', { class: 'op-status', 'aria-live': 'polite' });
    const tbody = h('tbody');
    const table = h('table', { class: 'grid resources' },
      h('caption', { class: 'sr-only' }, `Resources of ${path}`),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col', class: 'rid' }, 'ID'),
        h('th', { scope: 'col' }, 'Resource'),
        h('th', { scope: 'col', class: 'valcol' }, 'Value'),
        h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col', class: 'opscol' }, h('span', { class: 'sr-only' }, 'Operations')))),
      tbody);
    const body = h('div', { class: 'inst-body', id: 'body-' + path.replace(/\//g, '_') }, h('div', { class: 'table-wrap' }, table));
    const toggle = disclosure(path, [h('span', { class: 'node-id' }, path), ' ', h('span', { class: 'node-name' }, 'Instance ' + i)]);
    const el = h('div', { class: 'inst', dataset: { path } },
      h('div', { class: 'node-head' }, toggle, status,
        h('span', { class: 'ops' }, readBtn(path), observeBtn(path), attrBtn(path),
          s && s.instancetype === 'multiple' ? h('button', {
            type: 'button', class: 'ghost small danger', 'aria-label': 'Delete ' + path,
            onclick: () => del(path),
          }, 'Delete') : null)),
      body);
    const after = [...obj.body.children].find((c) => +c.dataset.path.split('/')[2] > i);
    obj.body.insertBefore(el, after || null);
    const n = { el, status, toggle, body, tbody };
    nodes.set(path, n);
    for (const r of (s && s.resources) || []) ensureResource(o, i, Number(r.id));
    if (!tbody.children.length) {
      tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: 5 },
        'tetherd has no model for object ' + o + '. Read the instance to list its resources.')));
    }
    return n;
  }

  function ensureResource(o, i, r) {
    const path = `/${o}/${i}/${r}`;
    if (nodes.has(path)) return nodes.get(path);
    const inst = ensureInstance(o, i);
    if (nodes.has(path)) return nodes.get(path);
    const rs = resSpec(o, r);
    const ops = rs ? String(rs.operations || '').toUpperCase() : 'R';
    const type = rs ? typeName(rs.type) : '';
    const valueEl = h('span', { class: 'value empty' }, '—');
    const status = h('span', { class: 'op-status', 'aria-live': 'polite' });
    const valueCell = h('td', { class: 'valcol' }, h('div', { class: 'value-line' }, valueEl, status));
    const tr = h('tr', { class: 'res', dataset: { path, ops } },
      h('td', { class: 'rid mono' }, r),
      h('th', { scope: 'row', class: 'rname' },
        h('span', { title: rs && rs.description ? rs.description : null }, rs ? rs.name : 'Resource ' + r),
        rs && rs.instancetype === 'multiple' ? h('span', { class: 'tag', title: 'Multiple-instance resource' }, 'multi') : null,
        rs && rs.mandatory ? h('span', { class: 'req', title: 'Mandatory resource', 'aria-label': 'mandatory' }, '*') : null),
      valueCell,
      h('td', { class: 'rtype' }, type ? type.toLowerCase().replace('_', ' ') : (ops === 'E' ? '—' : '?'),
        rs && rs.units ? h('span', { class: 'units' }, ' · ' + rs.units) : null,
        rs && rs.range ? h('span', { class: 'range', title: 'Range' }, ' · ' + rs.range) : null),
      h('td', { class: 'opscol' }, h('span', { class: 'ops' },
        ops.includes('R') ? readBtn(path) : null,
        ops.includes('W') && !(rs && rs.instancetype === 'multiple') ? h('button', {
          type: 'button', class: 'ghost small', 'aria-label': 'Write ' + path, onclick: () => openEditor(path),
        }, 'Write') : null,
        ops.includes('E') ? h('button', {
          type: 'button', class: 'ghost small', 'aria-label': 'Execute ' + path, onclick: () => openExec(path),
        }, 'Execute') : null,
        ops.includes('R') ? observeBtn(path) : null,
        ops.includes('R') ? attrBtn(path) : null)));
    for (const x of inst.tbody.querySelectorAll('tr.empty-row')) x.remove();
    const rows = [...inst.tbody.children].filter((x) => x.dataset.path);
    const after = rows.find((x) => +x.dataset.path.split('/')[3] > r);
    inst.tbody.insertBefore(tr, after || null);
    const n = { el: tr, status, valueEl, valueCell, rs, type, o, i, r };
    nodes.set(path, n);
    return n;
  }

  function readBtn(path) {
    return h('button', { type: 'button', class: 'ghost small', 'aria-label': 'Read ' + path, onclick: () => read(path) }, 'Read');
  }

  function attrBtn(path) {
    return h('button', {
      type: 'button', class: 'ghost small icon', title: 'Notification attributes (pmin, pmax, gt, lt, st)',
      'aria-label': 'Attributes ' + path, onclick: () => openAttrs(path),
    }, h('span', { 'aria-hidden': 'true' }, '⚙'));
  }

  function observeBtn(path) {
    const on = observed.has(path);
    return h('button', {
      type: 'button', class: 'ghost small observe', 'aria-pressed': String(on), dataset: { observe: path },
      'aria-label': (on ? 'Stop observing ' : 'Observe ') + path, onclick: () => toggleObserve(path),
    }, on ? 'Stop' : 'Observe');
  }

  function markObserved(path, on) {
    const n = nodes.get(path);
    if (n) n.el.classList.toggle('observed', on);
    for (const b of root.querySelectorAll(`button[data-observe="${CSS.escape(path)}"]`)) {
      b.setAttribute('aria-pressed', String(on));
      b.setAttribute('aria-label', (on ? 'Stop observing ' : 'Observe ') + path);
      b.textContent = on ? 'Stop' : 'Observe';
    }
  }

  // ------------------------------------------------------------ values
  // Spreads a content node read at `path` over the resource rows.
  function apply(path, node) {
    const p = path.split('/').filter(Boolean).map(Number);
    if (!node || typeof node !== 'object') return;
    if (node.kind === 'obj') {
      for (const inst of node.instances || []) apply(`/${p[0]}/${inst.id}`, inst);
    } else if (node.kind === 'instance') {
      const o = p[0];
      const i = p.length >= 2 ? p[1] : node.id;
      if (built) ensureInstance(o, i);
      for (const r of node.resources || []) apply(`/${o}/${i}/${r.id}`, r);
    } else if (node.kind === 'resourceInstance') {
      if (p.length < 4) return;
      const rp = `/${p[0]}/${p[1]}/${p[2]}`;
      const cur = values.get(rp);
      const multi = cur && cur.kind === 'multiResource' ? cur : { kind: 'multiResource', id: p[2], type: node.type, values: {} };
      multi.values = Object.assign({}, multi.values, { [p[3]]: node.value });
      values.set(rp, multi);
      if (built) showValue(rp, multi, true);
    } else if (node.kind === 'singleResource' || node.kind === 'multiResource') {
      if (p.length < 3) return;
      const rp = `/${p[0]}/${p[1]}/${p[2]}`;
      values.set(rp, node);
      if (built) showValue(rp, node, true);      // else buildTree() shows it
    }
  }

  function showValue(path, node, fresh) {
    const p = path.split('/').map(Number);
    const n = ensureResource(p[1], p[2], p[3]);
    const rs = n.rs;
    const units = rs && rs.units ? ' ' + rs.units : '';
    let content;
    if (node.kind === 'multiResource') {
      const entries = Object.entries(node.values || {});
      content = entries.length
        ? h('ul', { class: 'multi' }, entries.map(([k, v]) => h('li', null, h('span', { class: 'ri' }, k), ' ', fmtValue(node.type, v), units)))
        : h('span', { class: 'muted' }, 'no instances');
    } else {
      content = [fmtValue(node.type, node.value), units ? h('span', { class: 'units' }, units) : null];
    }
    const v = h('span', { class: 'value', dataset: { type: node.type || '' } }, content);
    n.valueEl.replaceWith(v);
    n.valueEl = v;
    if (fresh) {
      n.el.classList.remove('flash');
      void n.el.offsetWidth;   // restart the animation
      n.el.classList.add('flash');
    }
  }

  function fmtValue(type, v) {
    if (v === undefined || v === null) return '—';
    if (type === 'TIME' && typeof v === 'number') {
      return h('span', { title: v + ' s since 1970' }, v === 0 ? '0' : new Date(v * 1000).toISOString().replace('.000Z', 'Z'));
    }
    if (type === 'OPAQUE') {
      const s = String(v);
      return h('span', { class: 'mono', title: s.length / 2 + ' bytes' }, s.length > 48 ? s.slice(0, 48) + '…' : s || '(empty)');
    }
    if (type === 'BOOLEAN') return v ? 'true' : 'false';
    if (type === 'STRING' && v === '') return h('span', { class: 'muted' }, '(empty)');
    return String(v);
  }

  // ------------------------------------------------------------ operations
  function opQuery(extra) {
    const q = Object.assign({}, extra);
    if (fmt.value) q.format = fmt.value;
    if (tmo.value) q.timeout = tmo.value;
    return q;
  }

  function setStatus(path, kind, text, title) {
    const n = nodes.get(path);
    if (!n) return;
    n.status.className = 'op-status ' + kind;
    n.status.textContent = text;
    n.status.title = title || '';
  }

  // Runs one device operation on `path`; shows progress and the outcome on
  // the node; returns the response body or null.
  async function op(label, path, method, suffix, opts) {
    setStatus(path, 'busy', label + '…');
    try {
      const { data, ms } = await request(method, base + path + (suffix || ''), opts);
      if (destroyed) return null;
      const d = data && typeof data === 'object' ? data : {};
      if (d.success === false || d.failure === true) {
        const msg = d.status + (d.code ? ' ' + d.code : '') + (d.errormessage ? ': ' + d.errormessage : '');
        setStatus(path, 'fail', d.status || 'failed', msg);
        toast(`${label} ${path}: the device answered ${msg}`, 'warn', ep);
        return null;
      }
      setStatus(path, 'ok', `${d.status || 'OK'} · ${ms} ms`, `${d.code || ''} at ${clock()}`);
      return d;
    } catch (e) {
      if (destroyed) return null;
      setStatus(path, 'fail', e.status ? 'HTTP ' + e.status : 'error', e.message);
      showError(e, `${label} ${path}`);
      return null;
    }
  }

  async function read(path) {
    const d = await op('Read', path, 'GET', '', { query: opQuery() });
    if (d && d.content) apply(path, d.content);
  }

  async function del(path) {
    if (!confirm(`Delete ${path} on ${ep}?`)) return;
    const d = await op('Delete', path, 'DELETE', '', { query: opQuery() });
    if (d) {
      const n = nodes.get(path);
      if (n) n.el.classList.add('deleted');
    }
  }

  async function toggleObserve(path) {
    if (observed.has(path)) {
      const d = await op('Cancel', path, 'DELETE', '/observe', { query: opQuery() });
      if (d !== null) { observed.delete(path); markObserved(path, false); }
    } else {
      const d = await op('Observe', path, 'POST', '/observe', { query: opQuery() });
      if (d) {
        observed.add(path);
        markObserved(path, true);
        if (d.content) apply(path, d.content);
      }
    }
  }

  function closeInline(n) {
    if (n.inline) { n.inline.remove(); n.inline = null; }
  }

  // The Write editor: one input typed by the model, in place of the value.
  function openEditor(path) {
    const n = nodes.get(path);
    if (!n || n.inline) { if (n && n.inline) n.inline.querySelector('input,select').focus(); return; }
    const type = n.type || 'STRING';
    const cur = values.get(path);
    const id = 'edit-' + path.replace(/\//g, '_');
    let input;
    if (type === 'BOOLEAN') {
      input = h('select', { id }, h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
      if (cur && cur.value === false) input.value = 'false';
    } else {
      const numeric = ['INTEGER', 'UNSIGNED_INTEGER', 'FLOAT', 'TIME'].includes(type);
      input = h('input', {
        id, type: numeric ? 'number' : 'text', autocomplete: 'off', spellcheck: 'false',
        step: type === 'FLOAT' ? 'any' : numeric ? '1' : null,
        min: type === 'UNSIGNED_INTEGER' || type === 'TIME' ? '0' : null,
        placeholder: { OPAQUE: 'hex bytes, e.g. 0a1b', OBJLNK: 'object:instance, e.g. 3:0', TIME: 'seconds since 1970' }[type] || null,
      });
      const range = /^\s*(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s*$/.exec((n.rs && n.rs.range) || '');
      if (numeric && range) { input.min = range[1]; input.max = range[2]; }
      if (cur && cur.kind === 'singleResource' && cur.value !== undefined) input.value = String(cur.value);
    }
    const err = h('span', { class: 'field-error', role: 'alert' });
    const form = h('form', { class: 'inline-form editor', 'aria-label': 'Write ' + path },
      h('label', { for: id, class: 'sr-only' }, `New value for ${path} (${type.toLowerCase()})`),
      input,
      n.rs && n.rs.units ? h('span', { class: 'units' }, n.rs.units) : null,
      h('button', { type: 'submit', class: 'primary small' }, 'Write'),
      h('button', { type: 'button', class: 'ghost small', onclick: () => { closeInline(n); n.el.querySelector(`[aria-label="Write ${path}"]`).focus(); } }, 'Cancel'),
      err);
    form.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); closeInline(n); n.el.querySelector(`[aria-label="Write ${path}"]`).focus(); } });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      let value;
      try { value = parseTyped(type, input.value); } catch (x) { err.textContent = x.message; input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
      err.textContent = '';
      input.removeAttribute('aria-invalid');
      const node = { kind: 'singleResource', id: n.r, value };
      if (n.type) node.type = n.type;
      const d = await op('Write', path, 'PUT', '', { query: opQuery(), body: node });
      if (d) {
        closeInline(n);
        if ((n.el.dataset.ops || '').includes('R')) {
          read(path);                    // show what the device now holds, not what was sent
        } else {
          values.set(path, Object.assign({ type: n.type }, node));
          showValue(path, values.get(path), true);
        }
      }
    });
    n.inline = form;
    n.valueCell.append(form);
    input.focus();
    if (input.select) input.select();
  }

  // Where an inline form goes: under the value of a resource, under the
  // head line of an object or an instance.
  function placeInline(n, form, wide) {
    if (n.valueCell && wide) {
      const tr = h('tr', { class: 'inline-row' }, h('td', { colspan: 5 }, form));
      n.el.after(tr);
      n.inline = tr;
    } else if (n.valueCell) {
      n.inline = form;
      n.valueCell.append(form);
    } else {
      n.inline = form;
      n.el.querySelector('.node-head').after(form);
    }
  }

  // Write-Attributes: pmin, pmax, gt, lt, st; an empty field is left out.
  function openAttrs(path) {
    const n = nodes.get(path);
    if (!n) return;
    if (n.inline) { const f = n.inline.querySelector('input'); if (f) f.focus(); return; }
    const fields = [['pmin', 'Minimum period (s)'], ['pmax', 'Maximum period (s)'],
      ['gt', 'Greater than'], ['lt', 'Less than'], ['st', 'Step']];
    const isRes = path.split('/').length === 4;
    const inputs = {};
    const form = h('form', { class: 'inline-form attrs', 'aria-label': 'Attributes of ' + path },
      fields.filter(([k]) => isRes || k === 'pmin' || k === 'pmax').map(([k, label]) => {
        const id = `attr-${k}-${path.replace(/\//g, '_')}`;
        inputs[k] = h('input', { id, type: 'number', step: 'any', min: k.startsWith('p') || k === 'st' ? '0' : null, class: 'attr-input' });
        return h('span', { class: 'attr-field' }, h('label', { for: id, title: label }, k), inputs[k]);
      }),
      h('button', { type: 'submit', class: 'primary small' }, 'Set'),
      h('button', { type: 'button', class: 'ghost small', onclick: () => closeInline(n) }, 'Cancel'));
    form.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); closeInline(n); } });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const q = {};
      for (const [k, el] of Object.entries(inputs)) if (el.value.trim() !== '') q[k] = el.value.trim();
      if (!Object.keys(q).length) { inputs.pmin.focus(); toast('Give at least one attribute.', 'warn', 'Attributes ' + path); return; }
      const d = await op('Attributes', path, 'PUT', '/attributes', { query: opQuery(q) });
      if (d) closeInline(n);
    });
    placeInline(n, form, true);
    inputs.pmin.focus();
  }

  function openExec(path) {
    const n = nodes.get(path);
    if (!n) return;
    if (n.inline) { n.inline.querySelector('input').focus(); return; }
    const id = 'exec-' + path.replace(/\//g, '_');
    const input = h('input', { id, type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: "optional, e.g. 0='abc',1" });
    const form = h('form', { class: 'inline-form exec', 'aria-label': 'Execute ' + path },
      h('label', { for: id }, 'Arguments'),
      input,
      h('button', { type: 'submit', class: 'primary small' }, 'Execute'),
      h('button', { type: 'button', class: 'ghost small', onclick: () => closeInline(n) }, 'Cancel'));
    form.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); closeInline(n); } });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const d = await op('Execute', path, 'POST', '', { query: opQuery(), text: input.value });
      if (d) closeInline(n);
    });
    placeInline(n, form);
    input.focus();
  }

  // ------------------------------------------------------------ load / events
  async function load() {
    try {
      const [{ data }, sp] = await Promise.all([request('GET', base), objectSpecs()]);
      if (destroyed) return;
      specs = sp;
      client = data;
      gone = false;
      banner.hidden = true;
      renderHead();
      renderDetails();
      buildTree();
    } catch (e) {
      if (destroyed) return;
      renderHead();
      if (e.status === 404) {
        gone = true;
        details.replaceChildren();
        treeRoot.replaceChildren(h('p', { class: 'muted' }, 'Nothing to show.'));
        showBanner(`No client named “${ep}” is registered. This page loads it as soon as it registers.`);
      } else {
        showError(e, 'Loading ' + ep);
      }
    }
  }

  function showBanner(text) {
    banner.textContent = text;
    banner.hidden = false;
  }

  function onEvent(name, data) {
    if (!data || typeof data !== 'object') return;
    const who = name === 'UPDATED' ? data.registration && data.registration.endpoint : (data.endpoint || data.ep);
    if (who !== ep) return;
    switch (name) {
      case 'REGISTRATION':
        if (client && data.registrationId !== client.registrationId) observed.clear();
        values.clear();
        load();
        break;
      case 'UPDATED': {
        const linksChanged = JSON.stringify(data.registration.objectLinks) !== JSON.stringify(client && client.objectLinks);
        client = data.registration;
        renderHead();
        renderDetails();
        if (linksChanged) buildTree();
        break;
      }
      case 'DEREGISTRATION':
      case 'EXPIRED':
        gone = true;
        observed.clear();
        for (const b of root.querySelectorAll('button[data-observe]')) b.disabled = true;
        showBanner(`${ep} ${name === 'EXPIRED' ? 'expired' : 'de-registered'} at ${clock()}. Its last known state is shown; the page reloads when it registers again.`);
        break;
      case 'SLEEPING':
      case 'AWAKE':
        if (client) { client.sleeping = name === 'SLEEPING'; renderHead(); }
        break;
      case 'OBSERVE_END':
        observed.delete(data.res);
        markObserved(data.res, false);
        setStatus(data.res, 'fail', 'observation ended', data.reason || '');
        break;
      case 'NOTIFICATION':
        if (data.val) apply(data.res, data.val);
        if (data.status && data.status !== 'CONTENT' && data.status !== 'CHANGED') setStatus(data.res, 'fail', data.status);
        else setStatus(data.res, 'ok live', 'notified ' + clock().slice(0, 8));
        break;
    }
  }

  renderHead();
  load();
  return {
    onEvent,
    onReconnect() { if (!gone) load(); },
    destroy() { destroyed = true; },
  };
}

// Model type ("float", "Unsigned Integer") -> content type ("FLOAT", "UNSIGNED_INTEGER").
function typeName(t) {
  const s = String(t || '').trim().toUpperCase().replace(/[\s-]+/g, '_');
  if (s === 'INTEGER' || s === 'FLOAT' || s === 'STRING' || s === 'BOOLEAN' || s === 'OPAQUE'
    || s === 'TIME' || s === 'OBJLNK' || s === 'UNSIGNED_INTEGER') return s;
  if (s === 'UNSIGNED' || s === 'UNSIGNEDINTEGER') return 'UNSIGNED_INTEGER';
  if (s === 'CORELNK' || s === 'CORELINK') return 'CORELINK';
  if (s === 'OBJECTLINK' || s === 'OBJECT_LINK') return 'OBJLNK';
  return s === 'NONE' || s === '' ? '' : s;
}

// Input text -> the JSON value for a content node of `type`; throws with a
// sentence the editor shows next to the field.
function parseTyped(type, text) {
  const t = text.trim();
  switch (type) {
    case 'INTEGER':
    case 'UNSIGNED_INTEGER':
    case 'TIME': {
      if (!/^-?\d+$/.test(t)) throw new Error('Enter a whole number.');
      const v = Number(t);
      if (type !== 'INTEGER' && v < 0) throw new Error('Must not be negative.');
      if (!Number.isSafeInteger(v)) throw new Error('Too large.');
      return v;
    }
    case 'FLOAT': {
      if (t === '' || !isFinite(Number(t))) throw new Error('Enter a number.');
      return Number(t);
    }
    case 'BOOLEAN':
      return t === 'true';
    case 'OPAQUE':
      if (!/^([0-9a-fA-F]{2})*$/.test(t)) throw new Error('Enter hex bytes (pairs of 0-9, a-f).');
      return t.toLowerCase();
    case 'OBJLNK':
      if (!/^\d+:\d+$/.test(t)) throw new Error('Enter object:instance, e.g. 3:0.');
      return t;
    default:
      return text;
  }
}
