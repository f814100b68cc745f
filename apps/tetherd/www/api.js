// SPDX-License-Identifier: Apache-2.0
// The web UI's only door to tetherd: JSON calls to /api/... and the event
// stream /api/event. It owns the API token (asked once on a 401, kept in
// sessionStorage, sent as "Authorization: Bearer"), turns every non-2xx
// answer into an ApiError carrying the server's {code, message}, and keeps
// the event stream connected (fetch streaming, since EventSource cannot send
// headers), reconnecting with a capped back-off. It never touches the page
// beyond the token dialog.

const TOKEN_KEY = 'tether.apiToken';

export class ApiError extends Error {
  constructor(status, message, path) {
    super(message);
    this.status = status;   // HTTP status, 0 when tetherd could not be reached
    this.path = path;
  }
}

let tokenPrompt = null;      // one pending dialog shared by every 401

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

function authHeaders(extra) {
  const h = new Headers(extra || {});
  const t = getToken();
  if (t) h.set('Authorization', 'Bearer ' + t);
  return h;
}

// Shows the token dialog (once, however many requests were refused) and
// resolves to true when the user gave a token, false on Cancel.
export function askToken(refused) {
  if (tokenPrompt) return tokenPrompt;
  const dialog = document.getElementById('token-dialog');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  document.getElementById('token-error').hidden = !refused;
  input.value = '';
  tokenPrompt = new Promise((resolve) => {
    dialog.addEventListener('close', function onClose() {
      dialog.removeEventListener('close', onClose);
      tokenPrompt = null;
      if (dialog.returnValue === 'ok' && input.value.trim()) {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        document.dispatchEvent(new CustomEvent('tether:token'));
        resolve(true);
      } else {
        document.dispatchEvent(new CustomEvent('tether:token-cancelled'));
        resolve(false);
      }
    });
    // Enter in the field submits with the "ok" button (the form's only
    // submit button); Cancel and Escape close with no token.
    document.getElementById('token-cancel').onclick = () => dialog.close('cancel');
    dialog.returnValue = '';
    dialog.showModal();
    input.focus();
  });
  return tokenPrompt;
}

async function errorFrom(res, path) {
  let message = res.statusText || 'request failed';
  try {
    const body = await res.json();
    if (body && body.message) message = body.message;
  } catch { /* not JSON: keep the status text */ }
  return new ApiError(res.status, message, path);
}

// request('GET', '/api/clients', {query, body, text}) -> {data, headers, ms}.
// body is sent as JSON, text as text/plain. A 401 asks for the token and
// retries once per token given; Cancel turns it into an ApiError.
export async function request(method, path, opts = {}) {
  const url = new URL(path, location.href);
  for (const [k, v] of Object.entries(opts.query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const headers = { Accept: 'application/json' };
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  } else if (opts.text !== undefined) {
    headers['Content-Type'] = 'text/plain';
    body = opts.text;
  }
  let refused = false;
  for (;;) {
    const t0 = performance.now();
    let res;
    try {
      res = await fetch(url, { method, headers: authHeaders(headers), body, signal: opts.signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, 'tetherd cannot be reached (' + e.message + ')', path);
    }
    const ms = Math.round(performance.now() - t0);
    if (res.status === 401) {
      if (await askToken(refused || !!getToken())) { refused = true; continue; }
      throw await errorFrom(res, path);
    }
    if (!res.ok) throw await errorFrom(res, path);
    const type = res.headers.get('Content-Type') || '';
    const data = type.includes('json') ? await res.json() : await res.text();
    return { data, headers: res.headers, ms };
  }
}

export const enc = (s) => encodeURIComponent(s);

// The event stream. onEvent(name, data) for each event; onState('live' |
// 'connecting' | 'offline' | 'auth') as the connection changes; onOpen()
// after each (re)connection, so callers can catch up on what they missed.
export function connectEvents({ onEvent, onState, onOpen }) {
  let stopped = false;
  let ctrl = null;
  let delay = 500;

  async function run() {
    while (!stopped) {
      onState('connecting');
      ctrl = new AbortController();
      try {
        const res = await fetch('/api/event', {
          headers: authHeaders({ Accept: 'text/event-stream' }),
          signal: ctrl.signal,
          cache: 'no-store',
        });
        if (res.status === 401) {
          onState('auth');
          const ok = await askToken(!!getToken());
          if (!ok) { await waitForToken(); }
          continue;
        }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        delay = 500;
        onState('live');
        onOpen();
        await pump(res.body.getReader(), onEvent);
      } catch (e) {
        if (stopped) return;
      }
      if (stopped) return;
      onState('offline');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  }
  run();
  return () => { stopped = true; if (ctrl) ctrl.abort(); };
}

function waitForToken() {
  return new Promise((r) => document.addEventListener('tether:token', r, { once: true }));
}

// Parses text/event-stream: "event:" / "data:" lines, a blank line ends an
// event, ":" lines are comments (the keep-alive).
async function pump(reader, onEvent) {
  const decoder = new TextDecoder();
  let buf = '';
  let name = 'message';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.search(/\r?\n/)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf[nl] === '\r' ? 2 : 1));
      if (line === '') {
        if (data.length) {
          let parsed;
          const text = data.join('\n');
          try { parsed = JSON.parse(text); } catch { parsed = text; }
          try { onEvent(name, parsed); } catch (e) { console.error(e); }
        }
        name = 'message';
        data = [];
      } else if (line[0] === ':') {
        // comment / keep-alive
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? '' : line.slice(colon + 1);
        if (v[0] === ' ') v = v.slice(1);
        if (field === 'event') name = v;
        else if (field === 'data') data.push(v);
      }
    }
  }
}
