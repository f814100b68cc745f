// SPDX-License-Identifier: Apache-2.0
// The web UI's browser test (issue 6), driven by playwright-core on
// Debian's chromium (never a downloaded browser). tests/integration/
// webui_browser.sh starts tetherd and runs this with:
//   TETHER_UI_URL     the UI, e.g. http://127.0.0.1:8123/
//   TETHER_COAP       tetherd's CoAP URI, e.g. coap://127.0.0.1:5699
//   TETHER_CLIENT     the tether-client binary
//   TETHER_ARTIFACTS  where the screenshots go
//   TETHER_PIDFILE    this script writes the PID of each process it starts here
//   TETHER_PROFILE    an empty directory for chromium's --user-data-dir
// It opens the UI, starts tether-client and checks that the client shows in
// the table within 1 s of its registration, opens its page, reads /3/0,
// writes /1/0/1 and reads it back, executes /1/0/8 and sees the UPDATED
// event, observes /3303/0/5700 and sees the value change, and keeps a
// screenshot. Exit 0 on success, 1 with "FAIL ..." on the first failure.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) { console.log(`FAIL ${k} is not set`); process.exit(1); } return v; };
const uiUrl = env('TETHER_UI_URL');
const coap = env('TETHER_COAP');
const clientBin = env('TETHER_CLIENT');
const artifacts = env('TETHER_ARTIFACTS');
const pidfile = env('TETHER_PIDFILE');
const profile = env('TETHER_PROFILE');
const ep = 'webui-' + process.pid;
const shot = path.join(artifacts, 'webui.png');

let step = 'start';
const ok = (msg) => console.log('ok   ' + msg);
class Fail extends Error {}
const fail = (msg) => { throw new Fail(msg); };

const pageErrors = [];
let browser = null;
let client = null;
let page = null;

function startClient() {
  const args = ['--server', coap, '--endpoint', ep, '--sensor-period', '200', '--lifetime', '300'];
  const child = spawn(clientBin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  fs.appendFileSync(pidfile, child.pid + '\n');
  child.log = '';
  child.registeredAt = new Promise((resolve, reject) => {
    child.stderr.on('data', (b) => {
      const t = Date.now();
      child.log += b.toString();
      if (/event REGISTERED/.test(child.log)) resolve(t);
    });
    child.on('exit', (code) => reject(new Fail(`tether-client exited (${code}) before registering:\n${child.log}`)));
  });
  child.registeredAt.catch(() => {});
  return child;
}

// The row of a resource and its displayed value.
const row = (p) => page.locator(`tr.res[data-path="${p}"]`);
const valueOf = (p) => row(p).locator('.value');
const button = (name) => page.getByRole('button', { name, exact: true });
const updatedCount = () => page.locator(`#eventlog-list li[data-event="UPDATED"][data-ep="${ep}"]`).count();

async function waitFor(what, fn, timeout) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) fail(`${what}: not within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function run() {
  fs.mkdirSync(artifacts, { recursive: true });
  step = 'launch chromium';
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 1000 },
  });
  browser = ctx;
  page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Chromium logs every non-2xx fetch ("Failed to load resource"); the
  // test provokes some (404, 504, 401) on purpose: those are not errors.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) pageErrors.push('console: ' + m.text());
  });

  step = 'open the UI';
  await page.goto(uiUrl);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 5000 })
    .catch(() => fail('the event stream did not connect (badge not "Live")'));
  await page.locator('#clients-summary').filter({ hasText: /clients|No clients/ }).waitFor({ timeout: 5000 })
    .catch(() => fail('the clients table did not load'));
  if (await page.locator(`#clients-table tr[data-ep="${ep}"]`).count() !== 0) fail(`${ep} is listed before it registered`);
  ok('UI loaded, event stream live, table empty of ' + ep);

  step = 'registration shows in the table';
  // The page notes the wall-clock time the row is inserted (a mutation
  // observer), so the lag measured is the UI's, not this script's polling.
  await page.evaluate((name) => {
    const tbody = document.querySelector('#clients-table tbody');
    new MutationObserver((_, obs) => {
      if (tbody.querySelector(`tr[data-ep="${name}"]`)) { window.__rowShownAt = Date.now(); obs.disconnect(); }
    }).observe(tbody, { childList: true });
  }, ep);
  client = startClient();
  const rowEl = page.locator(`#clients-table tr[data-ep="${ep}"]`);
  const registered = await client.registeredAt;
  await rowEl.waitFor({ timeout: 5000 }).catch(() => fail(`${ep} never appeared in the clients table`));
  const shownAt = await page.evaluate(() => window.__rowShownAt);
  if (!shownAt) fail('the row appeared without the observer seeing it');
  const lag = shownAt - registered;
  if (lag > 1000) fail(`${ep} appeared ${lag} ms after it registered (want <= 1000 ms)`);
  ok(`${ep} in the table ${Math.max(0, lag)} ms after tether-client logged its registration`);
  await page.locator(`#eventlog-list li[data-event="REGISTRATION"][data-ep="${ep}"]`).waitFor({ timeout: 2000 })
    .catch(() => fail('no REGISTRATION entry in the event log'));
  ok('REGISTRATION in the event log');

  step = 'client page';
  await rowEl.getByRole('link', { name: ep }).click();
  await page.waitForURL((u) => u.hash === '#/clients/' + ep, { timeout: 3000 });
  await page.locator('#client-details').filter({ hasText: 'Registration ID' }).waitFor({ timeout: 5000 })
    .catch(() => fail('the client page shows no registration details'));
  await row('/3/0/0').waitFor({ timeout: 5000 }).catch(() => fail('the object tree has no /3/0/0 row'));
  ok('client page: details and object tree');

  step = 'read /3/0';
  if ((await valueOf('/3/0/0').innerText()).trim() !== '—') fail('/3/0/0 shows a value before any Read');
  await button('Read /3/0').click();
  await waitFor('Manufacturer after Read /3/0', async () => (await valueOf('/3/0/0').innerText()).trim() === 'Tether', 5000);
  await waitFor('Model Number after Read /3/0', async () => (await valueOf('/3/0/1').innerText()).trim() === 'tether-client', 1000);
  ok('Read /3/0: Manufacturer "Tether", Model Number "tether-client"');

  step = 'write /1/0/1';
  await button('Read /1/0/1').click();
  await waitFor('Lifetime read', async () => /^300\b/.test((await valueOf('/1/0/1').innerText()).trim()), 5000);
  const before = await updatedCount();
  await button('Write /1/0/1').click();
  const editor = page.getByLabel('New value for /1/0/1', { exact: false });
  await editor.fill('1234');
  await editor.press('Enter');
  // The UI reads the resource back after a Write; the value shown is the device's.
  await waitFor('Lifetime 1234 read back after the Write', async () => /^1234\b/.test((await valueOf('/1/0/1').innerText()).trim()), 5000);
  const st = (await row('/1/0/1').locator('.op-status').innerText()).trim();
  if (!/^CONTENT/.test(st)) fail(`after the Write, /1/0/1's status is "${st}", want the read-back's CONTENT`);
  // The device really holds it: ask the API directly, past the UI.
  const direct = await (await fetch(new URL(`/api/clients/${ep}/1/0/1`, uiUrl))).json();
  if (!direct.content || direct.content.value !== 1234) fail(`GET /api/clients/${ep}/1/0/1 says ${JSON.stringify(direct)}`);
  ok('Write /1/0/1 = 1234: the UI shows the value read back, and the device holds 1234');
  // A new lifetime goes out in an Update (R8): let it arrive before Execute.
  await waitFor('the Update carrying the new lifetime', async () => (await updatedCount()) > before, 5000)
    .catch(() => {});

  step = 'execute /1/0/8';
  // The Update an Execute of /1/0/8 triggers changes nothing: the log says
  // "update (refresh)", unlike the lifetime's "update: lifetime 1234".
  const bare = () => page.locator(`#eventlog-list li[data-event="UPDATED"][data-ep="${ep}"]`)
    .filter({ hasText: 'update (refresh)' }).count();
  const base = await bare();
  await button('Execute /1/0/8').click();
  const args = page.getByLabel('Arguments');
  await args.waitFor({ timeout: 2000 });
  await page.locator('form[aria-label="Execute /1/0/8"] button[type="submit"]').click();
  await waitFor('UPDATED in the event log after Execute /1/0/8', async () => (await bare()) > base, 5000);
  ok('Execute /1/0/8: UPDATED in the event log');

  step = 'write attributes /3303/0/5700';
  await button('Attributes /3303/0/5700').click();
  await page.locator('#attr-pmax-_3303_0_5700').fill('60');
  await page.locator('#attr-pmax-_3303_0_5700').press('Enter');
  await waitFor('CHANGED after Write-Attributes pmax=60', async () =>
    /^CHANGED/.test((await row('/3303/0/5700').locator('.op-status').innerText()).trim()), 5000);
  ok('Write-Attributes /3303/0/5700 pmax=60: CHANGED');

  step = 'observe /3303/0/5700';
  await button('Observe /3303/0/5700').click();
  await waitFor('a first temperature value', async () => /^-?\d/.test((await valueOf('/3303/0/5700').innerText()).trim()), 5000);
  const first = (await valueOf('/3303/0/5700').innerText()).trim();
  if (await button('Stop observing /3303/0/5700').count() !== 1) fail('the Observe button did not turn into Stop');
  let second = first;
  await waitFor(`the temperature to change from ${first}`, async () => {
    second = (await valueOf('/3303/0/5700').innerText()).trim();
    return second !== first;
  }, 15000);
  await page.locator(`#eventlog-list li[data-event="NOTIFICATION"][data-ep="${ep}"]`).first().waitFor({ timeout: 1000 })
    .catch(() => fail('no NOTIFICATION in the event log'));
  ok(`Observe /3303/0/5700: ${first} -> ${second}, NOTIFICATION in the event log`);

  if (pageErrors.length) fail('the page logged errors:\n  ' + pageErrors.join('\n  '));
  ok('no script errors on the page');

  step = 'screenshot';
  // The whole page in one viewport, so the sticky bar and log sit right.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1440, height: Math.min(height, 6000) });
  await page.screenshot({ path: shot });
  if (!fs.existsSync(shot) || fs.statSync(shot).size < 10000) fail('the screenshot was not written');
  console.log('screenshot: ' + shot);
  await page.setViewportSize({ width: 1440, height: 1000 });

  step = 'API error shown';
  // The device goes away without a word: a Read with a 1 s timeout is a 504,
  // which the UI must show (a toast) without blocking the page.
  client.kill('SIGKILL');
  await new Promise((r) => client.on('exit', r));
  await page.locator('#op-timeout').fill('1');
  await page.locator('#op-timeout').dispatchEvent('change');
  await button('Read /3/0').click();
  await page.locator('.toast-error').filter({ hasText: '504' }).waitFor({ timeout: 8000 })
    .catch(() => fail('no error toast with the 504 of a Read to a silent device'));
  const st3 = (await page.locator('.inst[data-path="/3/0"] .op-status').first().innerText()).trim();
  if (st3 !== 'HTTP 504') fail(`/3/0's status shows "${st3}", want "HTTP 504"`);
  ok('Read of a silent device: HTTP 504 shown as a toast and on the node');

  step = 'unknown client page';
  await page.goto(uiUrl + '#/clients/no-such-client');
  await page.locator('.banner').filter({ hasText: 'No client named' }).waitFor({ timeout: 5000 })
    .catch(() => fail('#/clients/no-such-client shows no "not registered" banner'));
  ok('an unknown endpoint\'s page says it is not registered');

  if (process.env.TETHER_TOKEN_UI_URL) {
    step = 'API token';
    const tokenUrl = process.env.TETHER_TOKEN_UI_URL;
    const p2 = await browser.newPage();
    p2.on('pageerror', (e) => pageErrors.push(e.message));
    await p2.goto(tokenUrl);
    const dialog = p2.locator('#token-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 5000 }).catch(() => fail('no token dialog on a 401'));
    await p2.locator('#token-input').fill('wrong-token');
    await p2.locator('#token-dialog button[value="ok"]').click();
    await p2.locator('#token-error').waitFor({ state: 'visible', timeout: 5000 })
      .catch(() => fail('a wrong token was not reported in the dialog'));
    await p2.locator('#token-input').fill(process.env.TETHER_TOKEN);
    await p2.locator('#token-input').press('Enter');
    await p2.locator('#conn[data-state="live"]').waitFor({ timeout: 5000 })
      .catch(() => fail('the event stream did not connect with the token'));
    await p2.locator('#clients-summary').filter({ hasText: /No clients|client/ }).waitFor({ timeout: 5000 })
      .catch(() => fail('the clients list did not load with the token'));
    if (await dialog.isVisible()) fail('the token dialog is still open');
    const kept = await p2.evaluate(() => sessionStorage.getItem('tether.apiToken'));
    if (kept !== process.env.TETHER_TOKEN) fail('the token is not kept in sessionStorage');
    ok('401: the token is asked once, a wrong one refused, the right one kept and used (API and stream)');
    await p2.close();
  }

  if (pageErrors.length) fail('the page logged errors:\n  ' + pageErrors.join('\n  '));
}

let code = 0;
try {
  await run();
} catch (e) {
  code = 1;
  console.log(`FAIL [${step}] ${e instanceof Fail ? e.message : e.stack || e}`);
  if (pageErrors.length) console.log('page errors:\n  ' + pageErrors.join('\n  '));
  if (page) {
    const f = path.join(artifacts, 'webui-failure.png');
    await page.screenshot({ path: f, fullPage: true }).then(() => console.log('failure screenshot: ' + f)).catch(() => {});
  }
  if (client) console.log('tether-client log:\n' + client.log);
} finally {
  if (client && client.exitCode === null) client.kill('SIGKILL');
  if (browser) await browser.close().catch(() => {});
}
process.exit(code);
