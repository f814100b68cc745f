// SPDX-License-Identifier: Apache-2.0
// A stand-in for tetherd's REST API (docs/API.md) to work on the web UI
// without devices: serves apps/tetherd/www/ and answers /api/... from fake
// registrations. Not a test; a development tool.
//
//   node tests/browser/mock_api.mjs [--port 8089] [--clients 10000] [--token T] [--churn]
//
// --churn registers / updates / de-registers a fake client every 200 ms,
// to watch the live table; observing anything sends a notification a second.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const www = path.resolve(here, '../../apps/tetherd/www');
const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const port = +arg('--port', 8089);
const nClients = +arg('--clients', 40);
const token = arg('--token', '');
const churn = process.argv.includes('--churn');

const specs = [
  { id: 1, name: 'LwM2M Server', instancetype: 'multiple', mandatory: true, version: '1.0', resources: [
    { id: 0, name: 'Short Server ID', operations: 'R', instancetype: 'single', mandatory: true, type: 'integer', range: '1..65534', units: '' },
    { id: 1, name: 'Lifetime', operations: 'RW', instancetype: 'single', mandatory: true, type: 'integer', range: '', units: 's' },
    { id: 2, name: 'Default Minimum Period', operations: 'RW', instancetype: 'single', mandatory: false, type: 'integer', range: '', units: 's' },
    { id: 6, name: 'Notification Storing When Disabled or Offline', operations: 'RW', instancetype: 'single', mandatory: true, type: 'boolean', range: '', units: '' },
    { id: 7, name: 'Binding', operations: 'RW', instancetype: 'single', mandatory: true, type: 'string', range: '', units: '' },
    { id: 8, name: 'Registration Update Trigger', operations: 'E', instancetype: 'single', mandatory: true, type: 'none', range: '', units: '' }] },
  { id: 3, name: 'Device', instancetype: 'single', mandatory: true, version: '1.0', resources: [
    { id: 0, name: 'Manufacturer', operations: 'R', instancetype: 'single', mandatory: false, type: 'string', range: '', units: '' },
    { id: 1, name: 'Model Number', operations: 'R', instancetype: 'single', mandatory: false, type: 'string', range: '', units: '' },
    { id: 4, name: 'Reboot', operations: 'E', instancetype: 'single', mandatory: true, type: 'none', range: '', units: '' },
    { id: 7, name: 'Power Source Voltage', operations: 'R', instancetype: 'multiple', mandatory: false, type: 'integer', range: '', units: 'mV' },
    { id: 13, name: 'Current Time', operations: 'RW', instancetype: 'single', mandatory: false, type: 'time', range: '', units: '' },
    { id: 16, name: 'Supported Binding and Modes', operations: 'R', instancetype: 'single', mandatory: true, type: 'string', range: '', units: '' }] },
  { id: 3303, name: 'Temperature', instancetype: 'multiple', mandatory: false, version: '1.1', resources: [
    { id: 5700, name: 'Sensor Value', operations: 'R', instancetype: 'single', mandatory: true, type: 'float', range: '', units: 'Cel' },
    { id: 5701, name: 'Sensor Units', operations: 'R', instancetype: 'single', mandatory: false, type: 'string', range: '', units: '' }] },
];

const clients = new Map();
const iso = (t = Date.now()) => new Date(t).toISOString();
function mkClient(ep, i) {
  const now = Date.now() - (i || 0) * 1000;
  return { endpoint: ep, registrationId: Math.random().toString(36).slice(2, 12), address: `127.0.0.1:${40000 + (i || 0) % 20000}`,
    lifetime: 300, bindingMode: i % 7 === 0 ? 'UQ' : 'U', lwM2mVersion: '1.0', smsNumber: '', rootPath: '/',
    objectLinks: [{ url: '/1/0', attributes: {} }, { url: '/3/0', attributes: {} }, { url: '/4/0', attributes: {} }, { url: '/3303/0', attributes: { ver: '1.1' } }],
    registrationDate: iso(now), lastUpdate: iso(now), expires: iso(now + 300000), queuemode: i % 7 === 0, sleeping: i % 14 === 0 };
}
for (let i = 0; i < nClients; i++) { const ep = 'dev' + String(i).padStart(5, '0'); clients.set(ep, mkClient(ep, i)); }
const sorted = () => [...clients.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1));

const store = new Map(); // ep|path -> value
const val = (ep, p, def) => (store.has(ep + p) ? store.get(ep + p) : def);
let temp = 21.5;
function instanceNode(ep, o, i) {
  const r = (id, type, value) => ({ kind: 'singleResource', id, type, value });
  if (o === 1) return { kind: 'instance', id: i, resources: [r(0, 'INTEGER', 1), r(1, 'INTEGER', val(ep, '/1/0/1', 300)), r(6, 'BOOLEAN', true), r(7, 'STRING', 'U')] };
  if (o === 3) return { kind: 'instance', id: i, resources: [r(0, 'STRING', 'Tether'), r(1, 'STRING', 'tether-client'), { kind: 'multiResource', id: 7, type: 'INTEGER', values: { 0: 3300, 1: 5000 } }, r(13, 'TIME', Math.floor(Date.now() / 1000)), r(16, 'STRING', 'UQ')] };
  if (o === 3303) return { kind: 'instance', id: i, resources: [r(5700, 'FLOAT', Math.round(temp * 10) / 10), r(5701, 'STRING', 'Cel')] };
  return null;
}
function readNode(ep, parts) {
  const [o, i, r] = parts.map(Number);
  if (parts.length === 1) { const n = instanceNode(ep, o, 0); return n && { kind: 'obj', id: o, instances: [n] }; }
  const n = instanceNode(ep, o, i);
  if (!n || i !== 0) return null;
  if (parts.length === 2) return n;
  return n.resources.find((x) => x.id === r) || null;
}

const streams = new Set();
function emit(name, data) { for (const s of streams) s.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`); }
const observations = new Set();
setInterval(() => {
  temp += (Math.random() - 0.5) * 0.4;
  for (const key of observations) {
    const [ep, p] = key.split('|');
    const node = readNode(ep, p.split('/').filter(Boolean));
    if (node) emit('NOTIFICATION', { ep, res: p, val: node, status: 'CONTENT' });
  }
}, 1000);
for (const s of streams) s.write(': keepalive\n\n');

if (churn) {
  let k = 0;
  setInterval(() => {
    k++;
    const ep = 'zz-live-' + (k % 5);
    if (clients.has(ep) && k % 3 === 0) { const c = clients.get(ep); clients.delete(ep); emit('DEREGISTRATION', c); }
    else if (clients.has(ep)) { const c = clients.get(ep); c.lastUpdate = iso(); emit('UPDATED', { registration: c, update: {} }); }
    else { const c = mkClient(ep, k); clients.set(ep, c); emit('REGISTRATION', c); }
  }, 200);
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
function send(res, code, body, headers = {}) {
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
const err = (res, code, message) => send(res, code, { code, message });
const ok = (status, code, extra) => Object.assign({ status, code, success: true, valid: true, failure: false }, extra);

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  let body = '';
  for await (const c of req) body += c;
  if (!p.startsWith('/api/')) {
    const file = p === '/' ? 'index.html' : p.replace(/^\/(ui\/)?/, '');
    const f = path.join(www, file);
    if (!f.startsWith(www) || !fs.existsSync(f)) return err(res, 404, 'no such file');
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(f)] || 'application/octet-stream' });
    return res.end(fs.readFileSync(f));
  }
  if (token && req.headers.authorization !== 'Bearer ' + token) return err(res, 401, 'missing or wrong API token');
  if (p === '/api/event') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(': hello\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  if (p === '/api/objectspecs') return send(res, 200, specs);
  if (p === '/api/clients') {
    const prefix = url.searchParams.get('prefix') || '';
    const offset = +(url.searchParams.get('offset') || 0);
    const limit = Math.min(1000, +(url.searchParams.get('limit') || 100));
    const all = sorted().filter((c) => c.endpoint.startsWith(prefix));
    return send(res, 200, all.slice(offset, offset + limit), { 'X-Total-Count': String(all.length) });
  }
  const m = /^\/api\/clients\/([^/]+)((?:\/\d+)*)(\/observe)?$/.exec(p);
  if (!m) return err(res, 404, 'unknown API path');
  const ep = decodeURIComponent(m[1]);
  const c = clients.get(ep);
  if (!c) return err(res, 404, `no client is registered as ${ep}`);
  const parts = m[2].split('/').filter(Boolean);
  if (!parts.length) return send(res, 200, c);
  await new Promise((r) => setTimeout(r, 30 + Math.random() * 80));
  if (ep.includes('slow')) return err(res, 504, 'the device did not answer in time');
  const key = ep + '|/' + parts.join('/');
  if (m[3]) {
    if (req.method === 'DELETE') { observations.delete(key); return send(res, 200, ok('CONTENT', '2.05')); }
    const node = readNode(ep, parts);
    if (!node) return send(res, 200, { status: 'NOT_FOUND', code: '4.04', success: false, valid: true, failure: true });
    observations.add(key);
    return send(res, 200, ok('CONTENT', '2.05', { content: node }));
  }
  if (req.method === 'GET') {
    const node = readNode(ep, parts);
    if (!node) return send(res, 200, { status: 'NOT_FOUND', code: '4.04', success: false, valid: true, failure: true });
    return send(res, 200, ok('CONTENT', '2.05', { content: node }));
  }
  if (req.method === 'PUT') {
    let n;
    try { n = JSON.parse(body); } catch { return err(res, 400, 'the body is not JSON'); }
    if ('/' + parts.join('/') === '/1/0/1') { store.set(ep + '/1/0/1', n.value); c.lifetime = n.value; }
    return send(res, 200, ok('CHANGED', '2.04'));
  }
  if (req.method === 'POST' && parts.length === 3) {
    if (parts.join('/') === '1/0/8') setTimeout(() => { c.lastUpdate = iso(); emit('UPDATED', { registration: c, update: {} }); }, 50);
    return send(res, 200, ok('CHANGED', '2.04'));
  }
  if (req.method === 'DELETE') return send(res, 200, { status: 'METHOD_NOT_ALLOWED', code: '4.05', success: false, valid: true, failure: true });
  return err(res, 405, 'method not allowed');
}).listen(port, '127.0.0.1', () => console.log(`mock tetherd API on http://127.0.0.1:${port}/ with ${clients.size} clients`));
