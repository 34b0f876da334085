// dashboard.test.mjs - the dashboard in headless Chromium (Debian's
// chromium, driven by playwright-core), against a live lmntkd and a real
// lmntk-worker started by test_dashboard.sh / here.  TAP-style output.
//
// Four parts: "dashboard" (a real experiment, submitted through the form and
// run by the worker; then the runs table, tags, rename, re-run, delete, the
// export, partial results and the no-worker warning) and "pretrain" (a
// checkpoint sweep and a pre-training run, answered to the page from
// synthetic JSON by request routing: no compute), then "pretrain-e2e" (a
// tiny real pre-training run, 30 steps of a one-layer model, and the sweep
// of its checkpoints submitted through the form), then "bulk" (the worker
// stopped, 210 queued experiments paged through in the runs table).
// BROWSER_ONLY=dashboard, pretrain, pretrain-e2e or bulk runs one.
//
// Environment: BASE (the daemon's URL), UTOK (a user token), CHROMIUM,
// SHOT_DIR, DATA_DIR (the tiny SST-2 split's root under the worker's --data-root), MODEL_NAME,
// WORKER_BIN, WORKER_ARGS, WTOK, WORKER_PIDFILE, WORKER_LOG, LMNTK_BIN (the CLI, for its result table).

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (k) => { const v = process.env[k]; if (!v) { console.error(`missing $${k}`); process.exit(2); } return v; };
const BASE = env('BASE'), UTOK = env('UTOK'), SHOT_DIR = env('SHOT_DIR'), DATA_DIR = env('DATA_DIR');
const MODEL = env('MODEL_NAME');
const T0 = Date.now();

let n = 0, failed = 0;
function ok(cond, msg, extra) {
  n += 1;
  if (cond) console.log(`ok ${n} - ${msg}`);
  else { failed += 1; console.log(`not ok ${n} - ${msg}${extra !== undefined ? `\n  # ${String(extra).replace(/\n/g, '\n  # ')}` : ''}`); }
  return cond;
}
const note = (m) => console.log(`# ${m} (${((Date.now() - T0) / 1000).toFixed(1)} s)`);

async function api(method, p, body) {
  const res = await fetch(BASE + p, {
    method, headers: { Authorization: `Bearer ${UTOK}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, json };
}
const pct = (x) => (100 * x).toFixed(1);
const summaryRows = (result) => result.summary.flatMap((r) => (Array.isArray(r.summary) ? r.summary : [r]));

// An independent .npy reader (v1 header, '<f8'), for checking the page.
function readNpy(buf) {
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString('latin1');
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = buf.readDoubleLE(10 + hlen + 8 * i);
  return { shape, data };
}
// Largest eigenvalue of a symmetric PSD matrix by power iteration.
function lambdaMax(a, m) {
  let v = new Float64Array(m).fill(1 / Math.sqrt(m)), lam = 0;
  for (let it = 0; it < 5000; it++) {
    const w = new Float64Array(m);
    for (let i = 0; i < m; i++) { let t = 0; for (let j = 0; j < m; j++) t += a[i * m + j] * v[j]; w[i] = t; }
    const norm = Math.hypot(...w);
    const next = norm;
    v = w.map((x) => x / norm);
    if (Math.abs(next - lam) <= 1e-13 * next) { lam = next; break; }
    lam = next;
  }
  return lam;
}

// The page's results table against summary rows of the API: mean ± std and
// each seed's score, dev and test, text and data-value.
async function resultsTableAgainst(page, rows) {
  let cells = 0;
  const bad = [];
  for (const r of rows) {
    for (const col of ['dev', 'test']) {
      const td = page.locator(`#results-table td[data-method="${r.method}"][data-col="${col}"]`);
      const text = (await td.textContent()).trim();
      const want = `${pct(r[col].mean)} ± ${pct(r[col].std)}`;
      cells += 1;
      if (text !== want || Number(await td.getAttribute('data-value')) !== r[col].mean) bad.push(`${r.method} ${col}: ${text} vs ${want}`);
    }
    for (const sr of r.seeds) {
      for (const col of ['dev', 'test']) {
        const td = page.locator(`#results-table td[data-method="${r.method}"][data-col="${col}-${sr.seed}"]`);
        const text = (await td.textContent()).trim();
        cells += 1;
        if (text !== pct(sr[col]) || Number(await td.getAttribute('data-value')) !== sr[col]) bad.push(`${r.method} seed ${sr.seed} ${col}: ${text} vs ${pct(sr[col])}`);
      }
    }
  }
  return { cells, bad };
}

// CSV as the export writes it (RFC 4180: quotes around fields with commas,
// quotes or newlines, doubled quotes inside), into objects by the header.
function parseCsv(text) {
  const records = [];
  let field = '', rec = [], i = 0, quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i += 1; continue; }
      field += c; i += 1; continue;
    }
    if (c === '"') { quoted = true; i += 1; continue; }
    if (c === ',') { rec.push(field); field = ''; i += 1; continue; }
    if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      rec.push(field); records.push(rec); rec = []; field = ''; i += 1; continue;
    }
    field += c; i += 1;
  }
  if (field !== '' || rec.length) { rec.push(field); records.push(rec); }
  const [head, ...body] = records;
  return { head, rows: body.map((r) => Object.fromEntries(head.map((k, j) => [k, r[j]]))) };
}
const tableIds = (page) => page.$$eval('#experiments-table tbody tr', (trs) => trs.map((t) => t.dataset.id));
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

let worker = null;
function startWorker() {
  const args = [...env('WORKER_ARGS').split(' ').filter(Boolean), '--server', BASE, '--token', env('WTOK')];
  const log = fs.openSync(env('WORKER_LOG'), 'a');
  worker = spawn(env('WORKER_BIN'), args, { stdio: ['ignore', log, log] });
  fs.writeFileSync(env('WORKER_PIDFILE'), String(worker.pid));
  note(`worker started (pid ${worker.pid})`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
note('chromium up');
const pageErrors = [];
async function newPage(width, height = 900) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('pageerror', (e) => pageErrors.push(`${width}px: ${e.message}`));
  page.on('console', (m) => {
    // The browser logs refused requests (the 400 the form provokes) itself.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(`${width}px console: ${m.text()}`);
  });
  return page;
}
async function shot(page, name, full = true) {
  const file = path.join(SHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: full });
  return file;
}
async function noHorizontalOverflow(page, what) {
  const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  ok(w[0] <= w[1] + 1, `${what}: no horizontal page scroll at ${w[1]} px`, `scrollWidth ${w[0]}`);
}

let id = null;
// ---- the dashboard against the real daemon and worker ----
async function dashboardFlow() {
  const page = await newPage(1280);

  // ---- the list, empty ----
  await page.goto(`${BASE}/`);
  await page.locator('h1', { hasText: 'Experiments' }).waitFor();
  await page.locator('p.empty:not([hidden])').waitFor();
  ok(/No experiments yet/.test(await page.locator('p.empty').textContent()), 'the empty list says so');
  ok((await page.title()).includes('Experiments'), 'the list has a title');

  note('list loaded');
  // ---- submitting without a token: the 401 beside the button, focus on it ----
  await page.click('nav a[href="#/submit"]');
  await page.locator(`select[name="model"] option[value="${MODEL}"]`).waitFor({ state: 'attached' });
  const unauth = await fetch(`${BASE}/v1/experiments`, { method: 'POST', body: '{}' });
  const unauthBody = await unauth.json();
  await page.click('#submit-button');
  const subErr = page.locator('#submit-error:not([hidden])');
  await subErr.waitFor();
  ok(unauth.status === 401 && (await subErr.textContent()).includes(unauthBody.detail) && /user token/.test(await subErr.textContent()),
    'a 401 on submit shows the API\'s detail and asks for a user token', await subErr.textContent());
  ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'submit-error', 'focus moves to the message');
  const btnBox = await page.locator('#submit-button').boundingBox();
  const errBox = await subErr.boundingBox();
  ok(btnBox && errBox && errBox.y < btnBox.y + btnBox.height + 60 && errBox.y + errBox.height > btnBox.y - 10 &&
    errBox.x < btnBox.x + btnBox.width + 400, 'the message sits next to the submit button', JSON.stringify({ btnBox, errBox }));
  ok(await page.locator('#form-errors').isHidden(), 'and not in the summary at the top of the form');
  await shot(page, 'submit-401-1280', false);
  // ---- the token, through its panel, opened from the message ----
  await page.keyboard.press('Tab');
  ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'submit-set-token', 'Tab reaches its "Set a token" button');
  await page.keyboard.press('Enter');
  await page.locator('#token-panel:not([hidden])').waitFor();
  ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'token-input', 'which opens the token panel');
  await page.fill('#token-input', UTOK);
  await page.press('#token-input', 'Enter');
  ok((await page.textContent('#token-button')).includes('✓'), 'the token is saved');
  await page.click('nav a[href="#/experiments"]');
  await page.locator('h1', { hasText: 'Experiments' }).waitFor();

  // ---- submit form: catalogs and presets ----
  await page.click('nav a[href="#/submit"]');
  await page.locator(`select[name="model"] option[value="${MODEL}"]`).waitFor({ state: 'attached' });
  const taskOptions = await page.$$eval('select[name="task"] option', (os) => os.map((o) => o.value));
  const catalog = (await api('GET', '/v1/tasks')).json;
  const tasks = catalog.tasks.map((t) => t.name);
  ok(JSON.stringify(taskOptions) === JSON.stringify(tasks), 'the task list is GET /v1/tasks', taskOptions.join(','));
  // every other name the form offers is the catalog's too, in its order
  const offered = async (sel) => page.$$eval(sel, (els) => els.map((e) => e.value));
  for (const [sel, list] of [['input[name="formula"]', 'formulas'], ['input[name="solver"]', 'solvers'],
    ['select[name="kernel.params"] option', 'param_sets'], ['select[name="kernel.precision"] option', 'precisions']]) {
    const want = (catalog[list] || []).map((w) => w.name), got = await offered(sel);
    ok(want.length > 0 && JSON.stringify(got) === JSON.stringify(want), `the form's ${list} are GET /v1/tasks'`, got.join(','));
  }
  await page.selectOption('select[name="task"]', 'MNLI');
  const words = async () => page.$$eval('[data-path="label_words"] input', (is) => is.map((i) => i.value));
  ok(JSON.stringify(await words()) === '["No","Yes","Maybe"]', 'MNLI preset fills three label words', await words());
  ok(await page.inputValue('input[name="template"]') === '*cls**sent-_0*?*mask*,*+sentl_1**sep+*', 'MNLI preset fills the template');
  await page.selectOption('select[name="task"]', 'SST-2');
  ok(JSON.stringify(await words()) === '["terrible","great"]', 'SST-2 preset fills its label words', await words());
  ok(await page.inputValue('input[name="template"]') === '*cls**sent_0*_It_was*mask*.*sep+*', 'SST-2 preset fills the template');

  note('presets checked');
  // every control has a label
  const unlabelled = await page.$$eval('#submit-form input, #submit-form select, #submit-form textarea', (els) =>
    els.filter((e) => e.offsetParent !== null && !(e.labels && e.labels.length) && !e.getAttribute('aria-label') &&
      !e.getAttribute('aria-labelledby')).map((e) => e.name || e.outerHTML.slice(0, 60)));
  ok(unlabelled.length === 0, 'every visible form control has a label', unlabelled.join(', '));

  // fill the experiment
  await page.selectOption('select[name="model"]', MODEL);
  await page.fill('input[name="name"]', 'browser-test');
  ok(await page.inputValue('input[name="data"]') === DATA_DIR, 'the data folder defaults to the task\'s under the data root',
    await page.inputValue('input[name="data"]'));
  await page.fill('input[name="k"]', '4');
  await page.fill('input[name="seeds"]', '13, 42');
  // one fine-tuning method (a few SGD steps) with diagnostics
  await page.click('#add-ft');
  await page.selectOption('select[name="finetune[0].optimizer"]', 'sgd');
  await page.fill('input[name="finetune[0].lr"]', '2');
  await page.fill('input[name="finetune[0].batch_size"]', '4');
  await page.fill('input[name="finetune[0].steps"]', '10');
  await page.check('input[name="diagnostics.enabled"]');
  await page.uncheck('input[name="solver"][value="logistic"]');
  await page.check('input[name="solver"][value="lstsq"]');
  await page.fill('input[name="solver.regularization"]', '0, -1');

  // keyboard: Tab walks every control of the form in order, to the submit button
  note('tabbing through the form');
  await page.focus('input[name="name"]');
  const stops = [];
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const a = await page.evaluate(() => { const e = document.activeElement; return e ? (e.id === 'submit-button' ? '#submit' : e.name || e.id || e.tagName) : ''; });
    stops.push(a);
    if (a === '#submit') break;
  }
  ok(stops[stops.length - 1] === '#submit', `Tab reaches the submit button (${stops.length} stops)`, stops.join(' '));
  ok(['model', 'task', 'data', 'k', 'seeds', 'template', 'label_words[0]', 'solver.regularization', 'add-ft'].every((x) => stops.includes(x)),
    'Tab passes the main controls', stops.join(' '));

  // ---- a validation error from the API, next to its field ----
  const badSpec = JSON.parse(await page.textContent('#spec-preview'));
  const direct = await api('POST', '/v1/experiments', badSpec);
  ok(direct.status === 400 && direct.json.field === 'solver.regularization[1]', 'the API refuses regularization -1, naming the field',
    JSON.stringify(direct.json));
  note('submitting a bad spec');
  await page.keyboard.press('Enter'); // the focused submit button
  const errLoc = page.locator('[data-path="solver.regularization"] .field-error');
  await errLoc.waitFor();
  ok((await errLoc.textContent()).includes(direct.json.detail), 'the API\'s detail is shown in the regularization field',
    await errLoc.textContent());
  ok(await errLoc.getAttribute('data-error-for') === 'solver.regularization[1]', 'the error names the API\'s field path');
  ok(await page.getAttribute('input[name="solver.regularization"]', 'aria-invalid') === 'true', 'the field is marked aria-invalid');
  const describedBy = await page.getAttribute('input[name="solver.regularization"]', 'aria-describedby');
  ok(describedBy && describedBy.includes(await errLoc.getAttribute('id')), 'the error describes the input (aria-describedby)');
  const ib = await page.locator('input[name="solver.regularization"]').boundingBox();
  const eb = await errLoc.boundingBox();
  ok(eb && ib && Math.abs(eb.y - ib.y) < 60 && Math.abs(eb.x - ib.x) < 40, 'the error sits next to the input',
    JSON.stringify({ ib, eb }));
  ok(await page.evaluate(() => document.activeElement && document.activeElement.name) === 'solver.regularization',
    'focus moves to the offending field');
  ok((await page.textContent('#form-errors')).includes('solver.regularization[1]'), 'the summary names the field');
  ok((await api('GET', '/v1/experiments')).json.experiments.length === 0, 'nothing was queued');
  await shot(page, 'submit-error-1280');

  // a nested path: finetune[0].lr[0] lands on the first method's learning rates
  await page.fill('input[name="solver.regularization"]', '0, 0.01');
  await page.click('#submit-button');
  const lrErr = page.locator('[data-path="finetune[0].lr"] .field-error');
  await lrErr.waitFor();
  ok(/must be <= 1/.test(await lrErr.textContent()) && (await lrErr.getAttribute('data-error-for')).startsWith('finetune[0].lr'),
    'a bad learning rate is shown in fine-tuning method 1', `${await lrErr.getAttribute('data-error-for')}: ${await lrErr.textContent()}`);
  await page.fill('input[name="finetune[0].lr"]', '1e-3');

  // a per-item error: an empty label word lands on that word's input
  await page.fill('input[name="label_words[1]"]', '');
  await page.click('#submit-button');
  const wordErr = page.locator('[data-path^="label_words"] .field-error');
  await wordErr.waitFor();
  const wordField = await wordErr.getAttribute('data-error-for');
  ok(wordField && wordField.startsWith('label_words'), 'an empty label word is refused with its field', wordField);
  ok(await page.locator('[data-path="solver.regularization"] .field-error').count() === 0, 'the old error is gone');
  await page.fill('input[name="label_words[1]"]', 'great');

  // ---- submit for real ----
  const specText = await page.textContent('#spec-preview');
  await page.click('#submit-button');
  await page.waitForURL(/#\/experiments\/[0-9a-f-]{36}$/);
  id = /#\/experiments\/([0-9a-f-]{36})$/.exec(page.url())[1];
  note(`submitted ${id}`);
  const exp0 = (await api('GET', `/v1/experiments/${id}`)).json;
  ok(JSON.stringify(exp0.spec) === JSON.stringify(JSON.parse(specText)), 'the daemon stored the spec the form showed');
  ok(exp0.n_jobs === 4, 'two seeds x (a kernel and a fine-tuning method) = 4 jobs', exp0.n_jobs);
  await page.locator('main[data-state="queued"]').waitFor();
  ok(true, 'the experiment page shows it queued (no worker yet)');

  // ---- the list, live: queued -> succeeded without a reload ----
  await page.click('nav a[href="#/experiments"]');
  const row = page.locator(`#experiments-table tr[data-id="${id}"]`);
  await row.waitFor();
  ok(await row.getAttribute('data-state') === 'queued', 'the list shows it queued');
  // no worker has ever connected: the list warns that the queued jobs wait
  const w0 = (await api('GET', '/v1/workers')).json;
  const banner = page.locator('#worker-warning');
  await banner.waitFor();
  ok(w0.alive === 0 && w0.queued_jobs === 4 && new RegExp(`^${w0.queued_jobs} jobs are queued and no worker is alive`).test(await banner.textContent()),
    'queued jobs and no live worker: the list warns, with GET /v1/workers\' count', `${JSON.stringify(w0)} / ${await banner.textContent()}`);
  ok(await banner.getAttribute('role') === 'alert' && /lmntk-worker --server/.test(await banner.textContent()), 'the warning is an alert and says how to start one');
  ok(/Workers: 0 alive · 4 jobs queued/.test(await page.textContent('#workers-line')), 'the workers line says none is alive', await page.textContent('#workers-line'));
  await shot(page, 'list-queued-1280');
  startWorker();
  // the API's partial result (one seed of two done), kept to replay on the experiment page below
  let partialSnap = null;
  const partialPoll = (async () => {
    for (const end = Date.now() + 90000; Date.now() < end;) {
      const r = (await api('GET', `/v1/experiments/${id}`)).json;
      if (r.partial_result) { partialSnap = r; return; }
      if (['succeeded', 'failed', 'cancelled'].includes(r.state)) return;
      await sleep(80);
    }
  })();
  // the worker, once heard from, in the workers' table (the warning gone: the bulk part checks it with jobs queued)
  await page.locator('#worker-warning[data-alive="1"]').waitFor({ state: 'attached', timeout: 30000 });
  ok(await banner.isHidden(), 'a worker alive: no warning');
  await page.click('#workers summary');
  const wRow = page.locator('#workers tr[data-worker="browser-worker"]');
  await wRow.waitFor();
  ok(await wRow.getAttribute('data-alive') === 'true' && /browser-worker/.test(await wRow.textContent()), 'the workers table lists the worker, alive');
  await page.click('#workers summary');
  await page.locator(`#experiments-table tr[data-id="${id}"][data-state="succeeded"]`).waitFor({ timeout: 90000 });
  note('the list saw it succeed');
  await partialPoll;
  ok((await row.locator('.progress-text').textContent()).trim() === '100%', 'its progress reads 100%');
  ok(await row.locator('.badge').textContent() === 'succeeded', 'its badge reads succeeded');

  // filters
  await page.selectOption('#f-state', 'failed');
  await page.locator('p.empty:not([hidden])').waitFor();
  ok(await page.locator(`tr[data-id="${id}"]`).count() === 0, 'state=failed hides it');
  ok(page.url().includes('state=failed'), 'the filter is in the URL');
  await page.selectOption('#f-state', 'succeeded');
  await page.selectOption('#f-task', 'SST-2');
  await page.locator(`tr[data-id="${id}"]`).waitFor();
  ok(true, 'state=succeeded, task=SST-2 shows it');
  await page.selectOption('#f-model', MODEL);
  await page.locator(`tr[data-id="${id}"]`).waitFor();
  await page.selectOption('#f-task', 'MNLI');
  await page.locator('p.empty:not([hidden])').waitFor();
  ok(await page.locator(`tr[data-id="${id}"]`).count() === 0, 'task=MNLI hides it');
  await page.click('button:has-text("Clear filters")');
  await page.locator(`tr[data-id="${id}"]`).waitFor();
  await shot(page, 'list-1280');

  // ---- open it ----
  await page.click(`tr[data-id="${id}"] a[href="#/experiments/${id}"]`);
  await page.locator('#results-table').waitFor();
  const exp = (await api('GET', `/v1/experiments/${id}`)).json;
  ok(exp.state === 'succeeded' && exp.result, 'the API has the result');

  // the table's numbers are the API's
  const rows = summaryRows(exp.result);
  ok(rows.map((r) => r.method).sort().join(',') === 'finetune:0,kernel:sgd', 'two summary rows: the kernel and fine-tuning',
    rows.map((r) => r.method).join(','));
  let { cells, bad } = await resultsTableAgainst(page, rows);
  const zs = rows[0].zero_shot_test;
  const zsText = (await page.textContent('#results-table td[data-method="zero-shot"][data-col="test"]')).trim();
  cells += 1;
  if (zsText !== `${pct(zs.mean)} ± ${pct(zs.std)}`) bad.push(`zero-shot test: ${zsText}`);
  ok(bad.length === 0 && cells === rows.length * 6 + 1, `the results table equals the API (${cells} cells)`, bad.join('\n'));
  ok((await page.textContent('#results-table tr[data-method="finetune:0"] th')).includes('SGD-FT'), 'fine-tuning is named from the spec (SGD-FT)');
  ok(await page.locator('#results-table tbody tr:not(.hp-row)').count() === rows.length + 1, 'one row per method plus zero-shot');

  // each seed's selected hyper-parameters, written under its scores (no hover)
  const hpBad = [];
  for (const r of rows) {
    for (const sr of r.seeds) {
      const td = page.locator(`#results-table tr.hp-row[data-method="${r.method}"] td.hp[data-seed="${sr.seed}"]`);
      const text = (await td.textContent()).trim();
      const p = sr.point || {};
      const want = r.method.startsWith('kernel') ? [p.solver, `λ=${p.regularization}`]
        : [`lr ${p.lr}`, `batch size ${p.batch_size}`, `best step ${p.best_step}`];
      if (!(await td.isVisible()) || !want.every((w) => text.includes(w))) hpBad.push(`${r.method} seed ${sr.seed}: '${text}' lacks ${want.join(', ')}`);
    }
  }
  ok(hpBad.length === 0 && rows.length > 0, 'each seed\'s selected hyper-parameters are shown under its scores (the API\'s point)', hpBad.join('\n'));

  // one name per method: the daemon's method_labels, the page's rows and the CLI's table agree
  const cliTable = execFileSync(env('LMNTK_BIN'), ['results', id, '--table', '--server', BASE, '--token', UTOK], { encoding: 'utf8' });
  // the CLI table: the method id (16 columns), its label (24), dev, test
  const cliNames = new Set(cliTable.split('\n').filter((l) => /\d+\.\d \(/.test(l)).map((l) => l.slice(17, 41).trim()));
  const pageNames = new Set((await page.$$eval('#results-table tbody tr:not(.hp-row) th', (ths) => ths.map((t) => t.textContent.trim()))));
  const apiNames = new Set([...rows.map((r) => exp.method_labels[r.method]), exp.method_labels['zero-shot']]);
  const same = (a, b) => a.size === b.size && [...a].every((x) => b.has(x));
  ok(apiNames.size === rows.length + 1 && !apiNames.has(undefined) && same(apiNames, pageNames) && same(apiNames, cliNames),
    `the page and \`lmntk results --table\` name the methods alike: ${[...apiNames].join(', ')}`,
    JSON.stringify({ api: [...apiNames], page: [...pageNames], cli: [...cliNames] }));
  ok([...apiNames].every((n) => !/^(kernel|finetune)/.test(n)), 'by display names, not method ids');

  // bars
  const barMethods = await page.$$eval('#bars-plot g.bar-row', (gs) => gs.map((g) => g.getAttribute('data-method')));
  ok(JSON.stringify(barMethods.slice().sort()) === JSON.stringify(rows.map((r) => r.method).sort()), 'a bar per method', barMethods.join(','));
  ok(await page.locator('#bars-plot g.bar-row[data-method="finetune:0"] rect[fill="#d9731a"]').count() === 2, 'fine-tuning bars are orange (test and dev)');
  // chance: 1/2 for SST-2's two classes, drawn across the bars at the 50 mark
  const chanceLine = page.locator('#bars-plot line.chance');
  const tickX = async (t) => Number(await page.locator('#bars-plot text.tick', { hasText: new RegExp(`^${t}$`) }).first().getAttribute('x'));
  const [x0, x100, cx] = [await tickX(0), await tickX(100), Number(await chanceLine.getAttribute('x1'))];
  ok(await chanceLine.count() === 1 && Number(await chanceLine.getAttribute('data-value')) === 0.5 && Math.abs(cx - (x0 + 0.5 * (x100 - x0))) < 0.5,
    'the bar chart draws chance (1/2 for two classes) at 50 %', JSON.stringify({ x0, x100, cx }));
  ok(/chance 50\.0/.test(await page.textContent('#bars-plot svg')) && /1\/2/.test(await page.textContent('#chance-rule')),
    'its legend gives chance and the rule', await page.textContent('#chance-rule'));

  // heatmap from the .npy artifact
  await page.locator('#kernel-canvas[data-ready="1"]').waitFor();
  const firstArt = exp.jobs.flatMap((j) => j.artifacts).find((a) => /kernel-train\.npy$/.test(a));
  ok(await page.getAttribute('#kernel-info', 'data-shape') === '8,2,8,2', 'the heatmap reads the [N, C, N, C] kernel',
    await page.getAttribute('#kernel-info', 'data-shape'));
  ok(await page.getAttribute('#kernel-canvas', 'data-n') === '8', 'the heatmap is 8 x 8 examples');
  const painted = await page.evaluate(() => {
    const c = document.getElementById('kernel-canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4 * 97) colours.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
    return colours.size;
  });
  ok(painted > 4, 'the heatmap is painted', `${painted} colours`);
  ok(/classes/.test(await page.textContent('.class-legend')), 'the heatmap has a class legend');
  // keyboard on the map
  await page.focus('#kernel-canvas');
  await page.keyboard.press('ArrowRight');
  ok(/row 0 .* col 1/.test(await page.textContent('#kernel-tip')), 'arrow keys read cells of the map', await page.textContent('#kernel-tip'));

  // spectrum, against an independent reading of the same .npy
  await page.locator('#spectrum[data-ready="1"]').waitFor();
  const st = await page.$eval('#spectrum-stats', (e) => ({ ...e.dataset }));
  const npyRes = await fetch(`${BASE}/v1/experiments/${id}/artifacts/${firstArt}`);
  const npy = readNpy(Buffer.from(await npyRes.arrayBuffer()));
  const m = npy.shape[0] * npy.shape[1];
  let trace = 0;
  for (let i = 0; i < m; i++) trace += npy.data[i * m + i];
  ok(Number(st.n) === m, `the spectrum has N*C = ${m} eigenvalues`, st.n);
  ok(Math.abs(Number(st.trace) - trace) <= 1e-9 * Math.abs(trace), 'the page\'s trace equals the file\'s', `${st.trace} vs ${trace}`);
  ok(Math.abs(Number(st.eigSum) - trace) <= 1e-8 * Math.abs(trace), 'the eigenvalues sum to the trace', `${st.eigSum} vs ${trace}`);
  const lmax = lambdaMax(npy.data, m);
  ok(Math.abs(Number(st.lmax) - lmax) <= 1e-6 * lmax, 'lambda max equals power iteration\'s', `${st.lmax} vs ${lmax}`);

  // diagnostics: the API's numbers, per seed
  ok(await page.getAttribute('#diag-status', 'data-status') === 'run', 'the diagnostics panel shows a run');
  const diags = exp.diagnostics || [];
  ok(diags.length === 2 && diags.every((d) => d.method === 'finetune:0'), 'the API has diagnostics for both seeds', diags.length);
  const dBad = [];
  for (const d of diags) {
    const tr = page.locator(`#diagnostics .diag-card[data-method="finetune:0"] tr[data-seed="${d.seed}"]`);
    const dist = d.diagnostics.fixed_features.kernel_distance, agree = d.diagnostics.agreement.prediction_agreement;
    const tdD = tr.locator('td[data-col="distance"]'), tdA = tr.locator('td[data-col="agreement"]');
    if ((await tdD.textContent()).trim() !== dist.toFixed(4) || Number(await tdD.getAttribute('data-value')) !== dist) dBad.push(`distance ${d.seed}`);
    if ((await tdA.textContent()).trim() !== pct(agree)) dBad.push(`agreement ${d.seed}`);
    const v = d.diagnostics.verdict.kernel_behavior;
    if (await tr.locator('td[data-col="verdict"] .flag').getAttribute('data-flag') !== String(v)) dBad.push(`verdict ${d.seed}`);
  }
  ok(dBad.length === 0, 'the diagnostics table equals the API (kernel distance, agreement, verdict)', dBad.join(', '));
  ok(/Verdict/.test(await page.textContent('#diagnostics .verdict')), 'the diagnostics give a verdict');
  ok(await page.locator('#diagnostics svg.spectrum polyline').count() === 2, 'the diagnostics plot the spectra of K(θ0) and K(θFT)');

  // artifacts
  const links = await page.$$eval('#artifacts a[href*="/artifacts/"]', (as) => as.map((a) => a.getAttribute('href')));
  const want = exp.artifacts.length + exp.jobs.reduce((a, j) => a + j.artifacts.length, 0);
  ok(links.length === want && want > 4, `a download link per artifact (${want})`, links.length);
  const dl = await fetch(BASE + links.find((l) => l.endsWith('.npy')));
  ok(dl.status === 200, 'an artifact link downloads');

  // the spec and a curl command that resubmits it
  ok(JSON.stringify(JSON.parse(await page.textContent('#spec-json'))) === JSON.stringify(exp.spec), 'the spec JSON is the API\'s');
  const curl = await page.textContent('#curl-command');
  const out = execFileSync('bash', ['-c', curl], { env: { ...process.env, LMNTK_TOKEN: UTOK }, encoding: 'utf8', timeout: 20000 });
  const re = JSON.parse(out);
  ok(/^[0-9a-f-]{36}$/.test(re.id) && re.n_jobs === exp.n_jobs, 'the curl command resubmits the spec', out);
  if (re.id) {
    const copy = (await api('GET', `/v1/experiments/${re.id}`)).json;
    ok(JSON.stringify(copy.spec) === JSON.stringify(exp.spec), 'the resubmitted spec is identical');
    await api('DELETE', `/v1/experiments/${re.id}`);
  }
  await shot(page, 'experiment-1280');

  // ---- compare ----
  await page.goto(`${BASE}/#/compare?ids=${id}`);
  await page.locator('#compare-table').waitFor();
  let cmpBad = [];
  for (const r of rows) {
    const td = page.locator(`#compare-table td[data-exp="${id}"][data-method="${r.method}"]`);
    const text = (await td.textContent()).trim();
    if (text !== `${pct(r.test.mean)} (${pct(r.test.std)})`) cmpBad.push(`${r.method}: ${text}`);
  }
  ok(cmpBad.length === 0, 'the compare table shows the API\'s test means (std)', cmpBad.join('; '));
  ok((await page.textContent('#compare-table thead')).includes('SST-2'), 'the compare columns are tasks');
  await page.click('#split-dev');
  const devText = (await page.textContent(`#compare-table td[data-exp="${id}"][data-method="kernel:sgd"]`)).trim();
  ok(devText === `${pct(rows[0].dev.mean)} (${pct(rows[0].dev.std)})`, 'the dev split switch works', devText);
  await shot(page, 'compare-1280');

  // ---- accuracy against k: two more experiments, k = 2 and 8 ----
  const more = [];
  for (const k of [2, 8]) {
    const r = await api('POST', '/v1/experiments', { ...exp.spec, name: `browser k=${k}`, k });
    ok(r.status === 201, `an experiment with k = ${k} is taken`, JSON.stringify(r.json));
    more.push(r.json.id);
  }
  for (const mid of more) {
    const end = Date.now() + 90000;
    while (Date.now() < end && !['succeeded', 'failed', 'cancelled'].includes((await api('GET', `/v1/experiments/${mid}`)).json.state)) await new Promise((r) => setTimeout(r, 300));
  }
  note('the k = 2 and 8 experiments ended');
  await page.goto(`${BASE}/#/kshot?task=SST-2&model=${MODEL}`);
  await page.locator('#kshot-plot svg').waitFor();
  // the expected points, from the API: every succeeded SST-2 experiment on the model, seeds pooled per (k, method name)
  const listed = (await api('GET', `/v1/experiments?task=SST-2&state=succeeded&model=${MODEL}&limit=200`)).json.experiments;
  const full = [];
  for (const e of listed) full.push((await api('GET', `/v1/experiments/${e.id}`)).json);
  const kWant = new Map();
  for (const e of full) {
    for (const r of summaryRows(e.result)) {
      for (const sr of r.seeds) {
        const key = `${e.method_labels[r.method]}|${e.spec.k}`;
        if (!kWant.has(key)) kWant.set(key, []);
        kWant.get(key).push(sr.test);
      }
    }
  }
  const ksWanted = [...new Set(full.map((e) => e.spec.k))].sort((a, b) => a - b);
  ok(JSON.stringify(ksWanted) === '[2,4,8]', 'the API has succeeded experiments with k = 2, 4 and 8', JSON.stringify(ksWanted));
  const kBad = [];
  for (const [key, vals] of kWant) {
    const [name, k] = key.split('|');
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const std = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
    const td = page.locator(`#kshot-table tr[data-method="${name}"] td[data-k="${k}"]`);
    if (await td.count() !== 1) { kBad.push(`${key}: no cell`); continue; }
    const got = { mean: Number(await td.getAttribute('data-mean')), std: Number(await td.getAttribute('data-std')), n: Number(await td.getAttribute('data-n')) };
    if (Math.abs(got.mean - mean) > 1e-12 || Math.abs(got.std - std) > 1e-12 || got.n !== vals.length) kBad.push(`${key}: ${JSON.stringify(got)} vs ${mean} ± ${std} (${vals.length})`);
  }
  ok(kWant.size >= 6 && kBad.length === 0, `the k table pools the API's seeds per method and k (${kWant.size} cells)`, kBad.join('\n'));
  const kSeries = await page.$$eval('#kshot-plot g.series', (gs) => gs.map((g) => ({ key: g.dataset.key, n: Number(g.dataset.n),
    bars: g.querySelectorAll('path.error-bar').length, xs: [...g.querySelectorAll('.pt')].map((p) => Number(p.dataset.x)),
    ys: [...g.querySelectorAll('.pt')].map((p) => Number(p.dataset.y)) })));
  const kMethods = [...new Set([...kWant.keys()].map((key) => key.split('|')[0]))];
  ok(kMethods.every((m) => kSeries.some((sr) => sr.key === m && sr.n === 3 && sr.bars === 3 &&
    JSON.stringify(sr.xs) === JSON.stringify([1, 2, 3]))), 'a line per method with a point and an error bar at each k (x = log2 k)',
  JSON.stringify(kSeries.map((x) => [x.key, x.n, x.bars, x.xs])));
  ok(JSON.stringify(await page.$$eval('#kshot-plot text.x-tick', (ts) => ts.map((t) => t.textContent))) === '["2","4","8"]', 'the x ticks are the ks');
  ok(await page.locator('#kshot-plot svg > line.reference').count() === 1 && /chance 50/.test(await page.textContent('#kshot-plot svg')),
    'chance is drawn on the k plot');
  await shot(page, 'kshot-1280');
  await page.click('#kshot-split-dev');
  const devCell = page.locator(`#kshot-table tr[data-method="${exp.method_labels['kernel:sgd']}"] td[data-k="4"]`);
  const devWant = full.filter((e) => e.spec.k === 4).flatMap((e) => summaryRows(e.result).find((r) => r.method === 'kernel:sgd').seeds.map((sr) => sr.dev));
  ok(Math.abs(Number(await devCell.getAttribute('data-mean')) - devWant.reduce((a, b) => a + b, 0) / devWant.length) < 1e-12 && page.url().includes('split=dev'),
    'the dev switch pools dev scores');
  // the experiment page links to it
  await page.goto(`${BASE}/#/experiments/${id}`);
  await page.locator('#kshot-link').waitFor();
  ok((await page.getAttribute('#kshot-link', 'href')).startsWith('#/kshot?task=SST-2'), 'the experiment page links to its task\'s accuracy against k');

  await partialResults(partialSnap);
  await runsTable(page, [id, ...more]);
  await manageExperiment(page, id);
  await rerunAndDelete(page, more[0]);

  // ---- 390 px ----
  const phone = page;
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${BASE}/#/experiments`);
  await phone.locator(`tr[data-id="${id}"]`).waitFor();
  await noHorizontalOverflow(phone, 'list');
  ok(await phone.locator('nav a[href="#/submit"]').isVisible(), 'the navigation is visible at 390 px');
  await shot(phone, 'list-390');
  await phone.goto(`${BASE}/#/submit`);
  await phone.locator(`select[name="model"] option[value="${MODEL}"]`).waitFor({ state: 'attached' });
  await noHorizontalOverflow(phone, 'submit');
  await shot(phone, 'submit-390', false);
  await phone.goto(`${BASE}/#/experiments/${id}`);
  await phone.locator('#spectrum[data-ready="1"]').waitFor();
  await noHorizontalOverflow(phone, 'experiment');
  const canvasBox = await phone.locator('#kernel-canvas').boundingBox();
  ok(canvasBox && canvasBox.x >= 0 && canvasBox.x + canvasBox.width <= 390, 'the heatmap fits the phone screen', JSON.stringify(canvasBox));
  await shot(phone, 'experiment-390');
  await phone.goto(`${BASE}/#/compare?ids=${id}`);
  await phone.locator('#compare-table').waitFor();
  await noHorizontalOverflow(phone, 'compare');
  await shot(phone, 'compare-390', false);
  await phone.goto(`${BASE}/#/kshot?task=SST-2`);
  await phone.locator('#kshot-plot svg').waitFor();
  await noHorizontalOverflow(phone, 'accuracy against k');
  await shot(phone, 'kshot-390');
}

// ---- the runs table, an experiment's own controls, partial results ----

// A partial result the daemon reported while one seed of two was done
// (caught by polling the API), served again to a page by request routing:
// the experiment page shows the finished seed's summary and how many remain.
async function partialResults(snap) {
  ok(snap && snap.partial_result && snap.seeds_done === 1 && snap.remaining_seeds === 1 && snap.result === null,
    'while seeds remain the API has a partial result (1 of 2 seeds done)', snap && JSON.stringify({ state: snap.state, seeds_done: snap.seeds_done }));
  if (!snap || !snap.partial_result) return;
  const page = await newPage(1280);
  await page.route((u) => u.pathname === `/v1/experiments/${snap.id}`,
    (r) => r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(snap) }));
  await page.goto(`${BASE}/#/experiments/${snap.id}`);
  await page.locator('#partial-note').waitFor();
  const pr = snap.partial_result;
  const note1 = await page.textContent('#partial-note');
  ok(/^1 of 2 seeds done \(seed \d+\); 1 remains\./.test(note1) && note1.includes(`seed ${pr.seeds_done[0]}`) && pr.remaining_seeds === 1,
    'the results say which seed is done and how many remain', note1);
  ok((await page.textContent('#seeds-done')).trim() === '1 of 2 seeds done', 'so does the header');
  ok((await page.textContent('#results-h')).trim() === 'Results so far', 'the results are titled as partial');
  const rows = summaryRows(pr);
  const { cells, bad } = await resultsTableAgainst(page, rows);
  const groups = await page.$$eval('#results-table thead th.group', (ths) => ths.map((t) => t.textContent.trim()));
  ok(bad.length === 0 && cells === rows.length * 4 && JSON.stringify(groups) === JSON.stringify(['Mean ± std', `Seed ${pr.seeds_done[0]}`]),
    `the table is the partial result's, the finished seed only (${cells} cells)`, `${bad.join('\n')} ${groups}`);
  await shot(page, 'experiment-partial-1280', false);
  await page.context().close();
}

// The runs table of the succeeded SST-2 experiments: each row's headline
// metrics against the API's, sorting by the headers against the API's sort,
// and the CSV export of the same filters.
async function runsTable(page, ids) {
  const q = 'task=SST-2&state=succeeded';
  await page.goto(`${BASE}/#/experiments?${q}`);
  const listed = (await api('GET', `/v1/experiments?${q}`)).json.experiments;
  ok(listed.length === ids.length && ids.every((i) => listed.some((e) => e.id === i)) && listed.every((e) => e.metrics),
    `the API lists the ${ids.length} succeeded experiments with headline metrics`);
  await page.waitForFunction((n) => document.querySelectorAll('#experiments-table tbody tr').length === n, listed.length);
  const bad = [];
  let cells = 0;
  for (const e of listed) {
    const tr = page.locator(`#experiments-table tr[data-id="${e.id}"]`);
    const m = e.metrics;
    const text = async (sel) => (await tr.locator(sel).textContent()).trim();
    const ms = (x) => `${pct(x.mean)} ± ${pct(x.std)}`;
    const kt = await text('td[data-col="kernel"]');
    if (kt !== `${ms(m.kernel.test)}${m.kernel.label}` || Number(await tr.locator('td[data-col="kernel"]').getAttribute('data-value')) !== m.kernel.test.mean)
      bad.push(`${e.name} kernel: ${kt}`);
    for (const f of m.finetune) {
      const ft = await text(`td[data-col="finetune"] .ft[data-method="${f.method}"]`);
      if (ft !== `${f.label} ${ms(f.test)}`) bad.push(`${e.name} ${f.method}: ${ft}`);
      cells += 1;
    }
    const zt = await text('td[data-col="zero-shot"]');
    if (zt !== ms(m.zero_shot)) bad.push(`${e.name} zero-shot: ${zt}`);
    const vt = await text('td[data-col="verdict"]');
    if (vt !== m.verdict || await tr.locator('td[data-col="verdict"]').getAttribute('data-value') !== m.verdict) bad.push(`${e.name} verdict: ${vt}`);
    const k = await text('td[data-k]');
    const spec = (await api('GET', `/v1/experiments/${e.id}`)).json.spec;
    if (k !== `k=${spec.k} · ${spec.seeds.length} seeds` || e.k !== spec.k) bad.push(`${e.name} k: ${k}`);
    cells += 4;
  }
  ok(bad.length === 0 && cells >= 15, `each row shows the API's best kernel, fine-tuning, zero-shot, verdict and k (${cells} cells)`, bad.join('\n'));
  ok(listed.some((e) => e.metrics.finetune.length > 0 && e.metrics.verdict), 'the rows have fine-tuning and a verdict to show');
  await shot(page, 'runs-table-1280', false);

  // sorting: the headers ask the daemon (sort, order) and say so (aria-sort)
  const steps = [['kernel_test', '', 'descending'], ['kernel_test', 'asc', 'ascending'], ['name', '', 'ascending'], ['zero_shot_test', '', 'descending']];
  for (const [key, order, aria] of steps) {
    await page.click(`#experiments-table th button[data-sort="${key}"]`);
    const want = (await api('GET', `/v1/experiments?${q}&sort=${key}${order ? `&order=${order}` : ''}`)).json.experiments.map((e) => e.id);
    const th = page.locator(`#experiments-table th:has(button[data-sort="${key}"])`);
    await page.waitForFunction((k) => document.querySelector(`#experiments-table th:has(button[data-sort="${k}"])`).getAttribute('aria-sort'), key);
    await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll('#experiments-table tbody tr')].map((t) => t.dataset.id)) === w,
      JSON.stringify(want), { timeout: 5000 }).catch(() => {});
    const got = await tableIds(page);
    ok(JSON.stringify(got) === JSON.stringify(want) && await th.getAttribute('aria-sort') === aria &&
      page.url().includes(`sort=${key}`) && (order ? page.url().includes(`order=${order}`) : !page.url().includes('order=')),
    `sorted by ${key}, ${aria}, as the API sorts`, JSON.stringify({ got, want, url: page.url(), aria: await th.getAttribute('aria-sort') }));
    ok(await page.locator('#experiments-table th[aria-sort]').count() === 1 &&
      await page.evaluate(() => document.activeElement && document.activeElement.dataset.sort) === key,
    `only that header has aria-sort, and focus stays on it (${key})`);
  }
  const kv = [];
  await page.click('#experiments-table th button[data-sort="kernel_test"]');
  await page.waitForFunction(() => document.querySelector('#experiments-table th:has(button[data-sort="kernel_test"])').getAttribute('aria-sort') === 'descending');
  await page.waitForFunction((n) => /sort=kernel_test/.test(location.hash) && document.querySelectorAll('#experiments-table tbody tr').length === n, listed.length);
  await sleep(300);
  for (const v of await page.$$eval('#experiments-table td[data-col="kernel"]', (tds) => tds.map((t) => Number(t.dataset.value)))) kv.push(v);
  ok(kv.length === listed.length && kv.every((v, i) => i === 0 || kv[i - 1] >= v), 'best kernel descending: the values fall down the table', kv.join(', '));

  // the export: the link carries the filters and sort; its CSV has a line
  // per (experiment, method, seed) of the API's results
  const href = await page.getAttribute('#export-csv', 'href');
  const hq = new URLSearchParams(href.split('?')[1] || '');
  ok(href.startsWith('/v1/experiments.csv?') && hq.get('task') === 'SST-2' && hq.get('state') === 'succeeded' && hq.get('sort') === 'kernel_test',
    'the export link has the table\'s filters and sort', href);
  const res = await fetch(BASE + href, { headers: { Authorization: `Bearer ${UTOK}` } });
  const csv = parseCsv(await res.text());
  const want = [];
  for (const e of listed) {
    const full = (await api('GET', `/v1/experiments/${e.id}`)).json;
    for (const r of summaryRows(full.result)) {
      for (const sr of r.seeds) {
        const d = (full.diagnostics || []).find((x) => x.method === r.method && x.seed === sr.seed);
        want.push({ id: e.id, method: r.method, seed: sr.seed, test: sr.test, dev: sr.dev,
          distance: d ? d.diagnostics.fixed_features.kernel_distance : null });
      }
    }
  }
  // and each fine-tuning seed's kernel distance, from the API's diagnostics
  const missing = want.filter((w) => !csv.rows.some((c) => c.experiment_id === w.id && c.method === w.method && Number(c.seed) === w.seed &&
    Math.abs(Number(c.test) - w.test) < 1e-12 && Math.abs(Number(c.dev) - w.dev) < 1e-12 &&
    (w.distance === null ? c.kernel_distance === '' : Math.abs(Number(c.kernel_distance) - w.distance) <= 1e-9 * w.distance)));
  ok(want.filter((w) => w.distance !== null).length === 2 * ids.length, 'each fine-tuning seed has diagnostics to export');
  ok(res.status === 200 && /text\/csv/.test(res.headers.get('content-type') || '') && csv.rows.length === want.length && missing.length === 0 &&
    csv.rows.every((c) => listed.some((e) => e.id === c.experiment_id)),
  `the exported CSV has the ${want.length} (experiment, method, seed) lines of the listed experiments, dev, test and diagnostics as the API`,
  `${res.status} ${csv.rows.length} rows; missing ${JSON.stringify(missing.slice(0, 3))}`);
  const csvOrder = [...new Set(csv.rows.map((c) => c.experiment_id))];
  ok(JSON.stringify(csvOrder) === JSON.stringify(await tableIds(page)), 'in the table\'s order');
  // with a token set, the link downloads through fetch (the token goes along)
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const dlPath = await dl.path();
  const dlCsv = parseCsv(fs.readFileSync(dlPath, 'utf8'));
  ok(dl.suggestedFilename() === 'lmntk-experiments.csv' && dlCsv.rows.length === csv.rows.length, 'clicking "Export CSV" downloads that CSV',
    `${dl.suggestedFilename()} ${dlCsv.rows.length}`);
}

// On the experiment page: tags added and removed, a refused tag beside its
// input, rename inline; then the list filtered by tag and by text; and a
// 401 without a token beside the button that caused it.
async function manageExperiment(page, eid) {
  await page.goto(`${BASE}/#/experiments/${eid}`);
  await page.locator('#tag-input').waitFor();
  for (const t of ['paper', 'k4']) {
    await page.fill('#tag-input', t);
    await page.click('#tag-add');
    await page.locator(`#exp-tags .tag[data-tag="${t}"]`).waitFor();
  }
  ok(JSON.stringify((await api('GET', `/v1/experiments/${eid}`)).json.tags) === '["k4","paper"]', 'two tags added through the page are the API\'s');
  ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'tag-input', 'focus stays in the tag input');
  await page.click('#exp-tags button[aria-label="Remove tag k4"]');
  await page.locator('#exp-tags .tag[data-tag="k4"]').waitFor({ state: 'detached' });
  ok(JSON.stringify((await api('GET', `/v1/experiments/${eid}`)).json.tags) === '["paper"]', 'its × removes a tag');
  // a tag the API refuses: its detail beside the tag input, focus on it
  const refused = await api('PUT', `/v1/experiments/${eid}/tags/${encodeURIComponent('no spaces')}`);
  await page.fill('#tag-input', 'no spaces');
  await page.click('#tag-add');
  const tagErr = page.locator('#tag-error:not([hidden])');
  await tagErr.waitFor();
  ok(refused.status === 400 && (await tagErr.textContent()).includes(refused.json.detail) && await tagErr.getAttribute('data-status') === '400',
    'a tag the API refuses (400) is explained beside the tag input', `${JSON.stringify(refused.json)} / ${await tagErr.textContent()}`);
  ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'tag-error', 'and focus moves to the message');
  const ti = await page.locator('#tag-input').boundingBox(), te = await tagErr.boundingBox();
  ok(ti && te && te.y >= ti.y && te.y - (ti.y + ti.height) < 40, 'the message sits under the tag input', JSON.stringify({ ti, te }));
  await page.fill('#tag-input', '');
  // rename, inline
  await page.click('#rename-button');
  ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'rename-input' && await page.locator('#exp-title').isHidden(),
    'Rename turns the title into an input, focused');
  await page.fill('#rename-input', 'browser renamed');
  await page.press('#rename-input', 'Enter');
  await page.locator('#exp-title', { hasText: 'browser renamed' }).waitFor();
  ok((await api('GET', `/v1/experiments/${eid}`)).json.name === 'browser renamed', 'the new name is the API\'s');
  ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'rename-button', 'focus returns to the Rename button');
  await page.click('#rename-button');
  await page.fill('#rename-input', 'not kept');
  await page.press('#rename-input', 'Escape');
  ok(await page.locator('#rename-form').isHidden() && (await page.textContent('#exp-title')) === 'browser renamed', 'Escape leaves the name as it was');
  await shot(page, 'experiment-manage-1280', false);

  // the list: by tag, by text in the name, and a tag chip
  await page.goto(`${BASE}/#/experiments`);
  await page.locator(`#experiments-table tr[data-id="${eid}"]`).waitFor();
  const onlyIt = async (what) => {
    await page.waitForFunction((x) => { const trs = document.querySelectorAll('#experiments-table tbody tr'); return trs.length === 1 && trs[0].dataset.id === x; }, eid, { timeout: 5000 }).catch(() => {});
    ok(JSON.stringify(await tableIds(page)) === JSON.stringify([eid]), what, JSON.stringify(await tableIds(page)));
  };
  await page.fill('#f-tag', 'paper');
  await page.waitForURL(/tag=paper/);
  await onlyIt('the tag filter shows only the tagged experiment, and is in the URL');
  ok((await page.textContent(`#experiments-table tr[data-id="${eid}"] .tags`)).includes('paper'), 'the row shows its tag as a chip');
  await page.fill('#f-tag', '');
  await page.fill('#f-q', 'RENAMED');
  await page.waitForURL((u) => u.hash.includes('q=RENAMED') && !u.hash.includes('tag='));
  await onlyIt('the text filter finds the name, any case, and is in the URL');
  await page.fill('#f-q', 'no such name');
  await page.locator('p.empty:not([hidden])').waitFor();
  ok(/No experiment matches/.test(await page.textContent('p.empty')), 'text that no name has: nothing');
  // a filter the API refuses (a URL edited by hand): its detail under that filter
  const badState = await api('GET', '/v1/experiments?state=done');
  await page.goto(`${BASE}/#/experiments?state=done`);
  const fErr = page.locator('[data-filter="state"] .field-error');
  await fErr.waitFor();
  ok(badState.status === 400 && badState.json.field === 'state' && (await fErr.textContent()) === badState.json.detail &&
    await page.getAttribute('#f-state', 'aria-invalid') === 'true', 'a filter the API refuses (400, field state) is explained under that filter',
  await fErr.textContent());
  await page.click('#clear-filters');
  await page.locator('[data-filter="state"] .field-error').waitFor({ state: 'detached' });
  await page.locator(`#experiments-table tr[data-id="${eid}"] button.tag[data-tag="paper"]`).click();
  await onlyIt('a tag chip filters by its tag');
  ok(await page.inputValue('#f-tag') === 'paper', 'and fills the tag box');
  await page.click('#clear-filters');

  // without a token: the 401 beside the button that caused it, with "Set a token"
  const anon = await newPage(1280);
  await anon.goto(`${BASE}/#/experiments/${eid}`);
  await anon.locator('#rerun-button').waitFor();
  const direct = await fetch(`${BASE}/v1/experiments/${eid}/rerun`, { method: 'POST' });
  const directBody = await direct.json();
  await anon.click('#rerun-button');
  const aErr = anon.locator('#action-error:not([hidden])');
  await aErr.waitFor();
  ok(direct.status === 401 && await aErr.getAttribute('data-status') === '401' && (await aErr.textContent()).includes(directBody.detail) &&
    /needs a user token/.test(await aErr.textContent()), 'Re-run without a token: the 401 and its detail beside the buttons', await aErr.textContent());
  ok(await anon.evaluate(() => document.activeElement && document.activeElement.id) === 'action-error' &&
    await anon.locator('#action-error-token').isVisible(), 'focus on the message, with a "Set a token" button');
  await shot(anon, 'experiment-401-1280', false);
  await anon.context().close();
}

// Re-run a finished experiment from its page, watch the copy run, then
// delete it (confirmed) with its artifacts and land on the list.
async function rerunAndDelete(page, srcId) {
  const src = (await api('GET', `/v1/experiments/${srcId}`)).json;
  await page.goto(`${BASE}/#/experiments/${srcId}`);
  await page.locator('#rerun-button').waitFor();
  ok(await page.locator('#delete-button').isVisible() && await page.locator('#cancel-button').count() === 0, 'a finished experiment offers Delete, not Cancel');
  await page.click('#rerun-button');
  await page.waitForURL((u) => /#\/experiments\/[0-9a-f-]{36}$/.test(u.hash) && !u.hash.includes(srcId));
  const nid = /#\/experiments\/([0-9a-f-]{36})$/.exec(page.url())[1];
  const copy = (await api('GET', `/v1/experiments/${nid}`)).json;
  ok(copy.rerun_of === srcId && JSON.stringify(copy.spec) === JSON.stringify(src.spec) && copy.name === src.name,
    'Re-run submits the same spec again (rerun_of set) and opens the copy', JSON.stringify({ rerun_of: copy.rerun_of, name: copy.name }));
  await page.locator('main[data-state="succeeded"]').waitFor({ timeout: 90000 });
  note('the re-run succeeded');
  const done = (await api('GET', `/v1/experiments/${nid}`)).json;
  const art = done.files.find((f) => /kernel-train\.npy$/.test(f.name));
  ok(art && (await fetch(BASE + art.url)).status === 200, 'the copy has its artifacts', art && art.url);
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await page.click('#delete-button');
  await page.waitForURL((u) => /^#\/experiments$/.test(u.hash));
  ok(new RegExp(`and its ${done.files.length} artifact files\\? This cannot be undone`).test(asked), 'Delete asks first, naming the artifacts', asked);
  await page.locator('#experiments-table tbody tr').first().waitFor();
  ok(await page.locator(`#experiments-table tr[data-id="${nid}"]`).count() === 0, 'and lands on the list, without it');
  ok((await api('GET', `/v1/experiments/${nid}`)).status === 404 && (await fetch(BASE + art.url)).status === 404,
    'the experiment and its artifacts are gone from the API');
}

// ---- more than 200 experiments ----
// 210 small experiments are submitted; while the worker works on the first
// the others wait, and the list shows no warning (a worker is alive); then
// the worker is stopped and the runs table pages through all of them by its
// cursors.
async function bulkFlow() {
  if (!worker) startWorker();
  const N = 210;
  const spec = { model: MODEL, task: 'SST-2', data: DATA_DIR, k: 2, seeds: [13] };
  const names = Array.from({ length: N }, (_, i) => `bulk ${String(i + 1).padStart(3, '0')}`);
  const ids = [];
  for (let i = 0; i < N; i += 15) {
    const rs = await Promise.all(names.slice(i, i + 15).map((name) => api('POST', '/v1/experiments', { ...spec, name })));
    for (const r of rs) ids.push(r.status === 201 ? r.json.id : null);
  }
  ok(ids.every(Boolean), `${N} experiments submitted`);
  note(`${N} experiments submitted`);
  const page = await newPage(1280);
  await page.goto(`${BASE}/#/experiments?q=bulk&sort=name&order=desc`);
  const banner = page.locator('#worker-warning');
  await page.locator('#worker-warning[data-alive="1"]').waitFor({ state: 'attached', timeout: 30000 });
  const queued = Number(await banner.getAttribute('data-queued'));
  ok(await banner.isHidden() && queued > N / 2, `a worker alive and ${queued} jobs queued: no warning`);
  const gone = new Promise((res) => worker.once('exit', res));
  worker.kill('SIGTERM');
  await gone;
  worker = null;
  await page.waitForFunction(() => document.querySelectorAll('#experiments-table tbody tr').length === 50);
  ok((await page.textContent('#list-count')) === `Showing 50 of ${N}`, 'a page of 50, and the total', await page.textContent('#list-count'));
  let clicks = 0;
  while (await page.locator('#load-more').isVisible() && clicks < 10) {
    const before = (await tableIds(page)).length;
    await page.click('#load-more');
    await page.waitForFunction((b) => document.querySelectorAll('#experiments-table tbody tr').length > b, before);
    clicks += 1;
  }
  const got = await tableIds(page);
  const shownNames = await page.$$eval('#experiments-table tbody td.name > a', (as) => as.map((a) => a.textContent));
  ok(got.length === N && new Set(got).size === N && ids.every((i) => got.includes(i)), `"Load more" reaches all ${N} (${clicks} clicks), each once`,
    `${got.length} rows, ${new Set(got).size} distinct`);
  ok(JSON.stringify(shownNames) === JSON.stringify([...names].reverse()), 'in the order asked for (name, Z-A), across pages');
  ok((await page.textContent('#list-count')) === `Showing ${N} of ${N}` && await page.locator('#load-more').isHidden(), 'and says so, with no more to load');
  ok(await page.evaluate(() => { const a = document.activeElement; return !!a && a.matches('#experiments-table td.name > a') && a.textContent; }) ===
    names[N - 1 - 200], 'the last page moves focus to the first row it brought (the button is gone)');
  // a poll keeps every loaded row (it rereads them all)
  await sleep(1800);
  ok((await tableIds(page)).length === N, 'the live refresh keeps all the loaded rows');
  await shot(page, 'list-bulk-1280', false);
  await page.context().close();
}

// ---- pre-training views, from synthetic API replies ----
// A checkpoint sweep and a pre-training run as the daemon will report them
// (result.pretraining_curve; result kind "pretrain"), served to the page by
// playwright's request routing: no compute.  The views are the real ones.
const SWEEP_ID = '00000000-0000-4000-8000-0000000000a1';
const PRE_ID = '00000000-0000-4000-8000-0000000000b2';
const CKPTS = ['run/checkpoint-0', 'run/checkpoint-500', 'run/checkpoint-1000', 'run/checkpoint-x'];
const STEPS = [0, 500, 1000, null];

function sweepExperiment() {
  const msd = (mean, std) => ({ mean, std });
  const acc = (m, i) => ({ 'kernel:sgd': 0.55 + 0.1 * i, 'kernel:signgd': 0.52 + 0.09 * i, 'finetune:0': 0.6 + 0.08 * i }[m]);
  const methods = ['kernel:sgd', 'kernel:signgd', 'finetune:0'];
  const curve = CKPTS.map((model, i) => ({
    model, pretrain_step: STEPS[i], ...(STEPS[i] === null ? {} : { pretrain_tokens: (STEPS[i] || 0) * 4096 }),
    methods: methods.map((m) => ({
      method: m, dev: msd(acc(m, i) - 0.02, 0.01), test: msd(acc(m, i), 0.02 + 0.005 * i),
      ...(m.startsWith('kernel') ? { zero_shot_test: msd(0.5 + 0.05 * i, 0) } : {}),
    })),
    diagnostics: i === 0 ? [] : [{ method: 'finetune:0', values: {
      'linearization.gain_recovered': msd(0.2 * i, 0.05), 'agreement.kernel_ft_ratio': msd(0.8 + 0.05 * i, 0.02),
      'fixed_features.kernel_distance': msd(0.3 / i, 0.01) } }],
  }));
  const summary = CKPTS.map((model, i) => ({ model, summary: methods.map((m) => ({
    method: m, dev: msd(acc(m, i) - 0.02, 0.01), test: msd(acc(m, i), 0.02),
    seeds: [13, 42].map((seed) => ({ seed, dev: acc(m, i) - 0.02, test: acc(m, i) })),
    ...(m === 'kernel:sgd' ? { zero_shot_dev: msd(0.5, 0), zero_shot_test: msd(0.5 + 0.05 * i, 0) } : {}),
  })) }));
  const spec = { name: 'synthetic sweep', checkpoints: CKPTS, task: 'SST-2', data: 'k-shot-1k-test/SST-2', k: 4, seeds: [13, 42],
    kernel: { formula: ['sgd', 'signgd'] }, finetune: [{ optimizer: 'sgd', lr: 0.001 }], diagnostics: { enabled: true } };
  const t = '2026-01-01T00:00:00Z';
  return { id: SWEEP_ID, name: spec.name, state: 'succeeded', task: 'SST-2', model: CKPTS[0], n_jobs: 24, progress: 1,
    created_at: t, updated_at: t, finished_at: t, error: null, spec, jobs: [], jobs_by_state: { succeeded: 24 }, artifacts: [],
    method_labels: { 'kernel:sgd': 'K(SGD)', 'kernel:signgd': 'K(SignGD)', kernel: 'Best kernel (dev)', 'finetune:0': 'SGD-FT', 'zero-shot': 'Zero-shot f0' },
    diagnostics: null, result: { spec, metric: 'accuracy', summary, pretraining_curve: curve, jobs: [] } };
}

function pretrainExperiment(phase) {
  const spec = { name: 'synthetic pretrain', pretrain: { tokenizer: 'default', corpus: ['corpus/imdb_unsup_part1.txt.gz'], out: 'myrun',
    layers: 4, hidden: 256, heads: 4, ffn: 1024, block: 128, batch: 32, steps: 1000, warmup: 100, lr: 0.001, save_steps: [0, 500, 1000] } };
  const t = '2026-01-01T00:00:00Z';
  const stage = { queued: null, run1: 'step 120/1000 loss 7.210, 3400 tok/s', run2: 'step 240/1000 loss 6.500, 3390 tok/s', done: null }[phase];
  const state = phase === 'done' ? 'succeeded' : phase === 'queued' ? 'queued' : 'running';
  const job = { index: 0, id: '00000000-0000-4000-8000-0000000000c3', seed: null, method: 'pretrain', state, attempts: state === 'queued' ? 0 : 1,
    progress: phase === 'run1' ? 0.12 : phase === 'run2' ? 0.24 : phase === 'done' ? 1 : 0, stage, worker: state === 'queued' ? null : 'w',
    error: null, result: null, started_at: state === 'queued' ? null : t, finished_at: phase === 'done' ? t : null, artifacts: [] };
  const loss = Array.from({ length: 50 }, (_, i) => ({ step: 20 * (i + 1), loss: 9 - 4.9 * (1 - Math.exp(-i / 12)),
    lr: 0.001 * Math.min(1, (20 * (i + 1)) / 100), tokens: 20 * (i + 1) * 32 * 128 }));
  const result = phase !== 'done' ? null : { spec, kind: 'pretrain', pretrain: { out: 'myrun', steps: 1000, final_step: 1000,
    parameters: 5300000, tokens: 4096000, tokens_per_s: 3400.5, seconds: 6000.1, final_loss: loss[49].loss,
    checkpoints: [0, 500, 1000].map((step) => ({ step, model: `myrun/checkpoint-${step}` })), loss } };
  return { id: PRE_ID, name: spec.name, state, task: null, model: 'myrun', n_jobs: 1, progress: job.progress, created_at: t, updated_at: t,
    finished_at: phase === 'done' ? t : null, error: null, spec, method_labels: { pretrain: 'Pre-training' }, jobs: [job], jobs_by_state: { [state]: 1 },
    artifacts: [], diagnostics: null, result };
}

async function pretrainFlow() {
  const page = await newPage(1280);
  const sweep = sweepExperiment();
  let phase = 'run1';
  const json = (route, body) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
  await page.route((u) => u.pathname === `/v1/experiments/${SWEEP_ID}`, (r) => json(r, sweep));
  await page.route((u) => u.pathname === `/v1/experiments/${PRE_ID}`, (r) => json(r, pretrainExperiment(phase)));
  await page.route((u) => u.pathname === '/v1/experiments', (r) => (r.request().method() !== 'GET' ? r.continue() : json(r, {
    experiments: [pretrainExperiment('done'), sweep].map(({ spec, result, jobs, diagnostics, artifacts, jobs_by_state, method_labels, ...x }) => x),
    next_cursor: null })));
  // the registered models, and the checkpoints of a run as GET /v1/models lists them
  await page.route((u) => u.pathname === '/v1/models', async (r) => {
    const real = await (await r.fetch()).json();
    real.models.push(...[0, 500, 1000].map((step) => ({ name: `myrun/checkpoint-${step}`, files: [], bytes: 0, pretrain_step: step })));
    await json(r, real);
  });

  // ---- the sweep: accuracy against pre-training steps ----
  await page.goto(`${BASE}/#/experiments/${SWEEP_ID}`);
  await page.locator('#pretraining-plot svg').waitFor();
  const curve = sweep.result.pretraining_curve;
  const known = curve.filter((p) => p.pretrain_step !== null);
  const series = await page.$$eval('#pretraining-plot g.series', (gs) => gs.map((g) => ({ key: g.dataset.key, n: Number(g.dataset.n),
    pts: g.querySelectorAll('.pt').length, bands: g.querySelectorAll('polygon.band').length,
    ys: [...g.querySelectorAll('.pt')].map((p) => Number(p.dataset.y)), xs: [...g.querySelectorAll('.pt')].map((p) => Number(p.dataset.x)),
    dash: g.querySelector('polyline').getAttribute('stroke-dasharray') })));
  ok(JSON.stringify(series.map((x) => x.key)) === '["kernel:sgd","kernel:signgd","finetune:0","zero-shot"]',
    'the sweep plots one line per method and zero-shot', series.map((x) => x.key).join(','));
  ok(series.every((x) => x.n === known.length && x.pts === known.length), `each line has a point per known step (${known.length})`,
    JSON.stringify(series.map((x) => [x.key, x.n, x.pts])));
  ok(series.filter((x) => x.key !== 'zero-shot').every((x) => x.bands === 1) && series.find((x) => x.key === 'zero-shot').bands === 0,
    'the methods have a ±std band, zero-shot none');
  ok(series.find((x) => x.key === 'zero-shot').dash && !series.find((x) => x.key === 'kernel:sgd').dash, 'zero-shot is dashed');
  const meansOf = (m, split) => known.map((p) => p.methods.find((e) => e.method === m)[split].mean);
  ok(JSON.stringify(series[0].ys) === JSON.stringify(meansOf('kernel:sgd', 'test')) &&
    JSON.stringify(series[0].xs) === JSON.stringify(known.map((p) => p.pretrain_step)),
  'K(SGD)\'s points are its test means at steps 0, 500, 1000', JSON.stringify(series[0]));
  const xt = await page.$$eval('#pretraining-plot text.x-tick', (ts) => ts.map((t) => t.textContent));
  ok(JSON.stringify(xt) === '["0","500","1k"]', 'the x ticks are the steps', xt.join(','));
  ok(await page.locator('#pretraining-plot svg > line.reference').count() === 1 &&
    (await page.textContent('#pretraining-plot svg')).includes('chance 50'), 'chance (50 % for SST-2) is drawn');
  ok(/1 checkpoint has no known step/.test(await page.textContent('#pretraining')), 'the checkpoint without a step is noted');
  await page.selectOption('#pretraining-split', 'dev');
  const devYs = await page.$$eval('#pretraining-plot g.series[data-key="finetune:0"] .pt', (ps) => ps.map((p) => Number(p.dataset.y)));
  ok(JSON.stringify(devYs) === JSON.stringify(meansOf('finetune:0', 'dev')), 'the split switch plots dev means', devYs.join(','));
  await page.selectOption('#pretraining-split', 'test');

  // diagnostics against steps
  const dOpts = await page.$$eval('#pretraining-diag option', (os) => os.map((o) => o.value));
  ok(JSON.stringify(dOpts) === '["linearization.gain_recovered","fixed_features.kernel_distance","agreement.kernel_ft_ratio"]',
    'the diagnostic select offers the union of the values\' names', dOpts.join(','));
  const diagPts = async () => page.$$eval('#pretraining-diag-plot g.series', (gs) => gs.map((g) => ({ key: g.dataset.key,
    ys: [...g.querySelectorAll('.pt')].map((p) => Number(p.dataset.y)) })));
  let dp = await diagPts();
  ok(dp.length === 1 && dp[0].key === 'finetune:0' && JSON.stringify(dp[0].ys) === JSON.stringify([0.2, 0.4]),
    'the gain is plotted per fine-tuning method where it was computed', JSON.stringify(dp));
  ok((await page.textContent('#pretraining-diag-plot svg')).includes('gain threshold 0.5'), 'the gain threshold is drawn');
  await page.selectOption('#pretraining-diag', 'agreement.kernel_ft_ratio');
  dp = await diagPts();
  ok(JSON.stringify(dp[0].ys.map((y) => y.toFixed(3))) === '["0.850","0.900"]', 'choosing another diagnostic plots it', JSON.stringify(dp));

  // the table
  const tRows = await page.$$eval('#pretraining-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
  ok(tRows.length === curve.length, 'a table row per checkpoint', tRows.length);
  const r500 = curve[1].methods.find((e) => e.method === 'kernel:sgd').test;
  const c500 = (await page.textContent(`#pretraining-table td[data-method="kernel:sgd"][data-step="500"]`)).trim();
  ok(c500 === `${pct(r500.mean)} ± ${pct(r500.std)}`, 'the table shows test mean ± std in percent', c500);
  ok(tRows[1][1] === '2.05M' && tRows[3][0] === '—', 'tokens compact, unknown step as —', JSON.stringify(tRows));
  ok(await page.locator('#results-table').count() === 1, 'the sweep keeps its results table');
  await shot(page, 'sweep-1280');
  await page.locator('#pretraining').screenshot({ path: path.join(SHOT_DIR, 'sweep-curves-1280.png') });

  // ---- a pre-training run, live then finished ----
  await page.goto(`${BASE}/#/experiments/${PRE_ID}`);
  await page.locator('#pretrain-status').waitFor();
  ok(/Step 120 of 1000 · loss 7\.21 · 3\.4k tokens\/s/.test(await page.textContent('#pretrain-status')), 'the live status reads the job\'s stage',
    await page.textContent('#pretrain-status'));
  ok(await page.locator('#results').isHidden() && await page.locator('#diagnostics').isHidden(), 'no results or diagnostics cards for a pre-training run');
  ok(await page.locator('.page-head a:has-text("Edit as new")').count() === 0, 'no "Edit as new" for a pre-training run');
  ok(/pre-training into myrun/.test(await page.textContent('#exp-meta')), 'the header says pre-training and its output');
  phase = 'run2';
  await page.locator('#pretrain-loss-plot[data-source="live"] g.series[data-n="2"]').waitFor();
  ok(true, 'the live loss curve grows with the progress reports');
  phase = 'done';
  await page.locator('#pretrain-loss-plot[data-source="result"] svg').waitFor();
  const ls = await page.$eval('#pretrain-loss-plot g.series', (g) => ({ n: Number(g.dataset.n), pts: g.querySelectorAll('.pt').length }));
  ok(ls.n === 50 && ls.pts === 50, 'the finished run plots its 50 logged losses', JSON.stringify(ls));
  ok(await page.locator('#pretrain-loss-plot line.marker').count() === 3, 'the three checkpoints are marked on the curve');
  await page.focus('#pretrain-loss-plot svg');
  await page.keyboard.press('End');
  let ro = await page.textContent('#pretrain-readout');
  ok(/step 1000 · loss [\d.]+ · lr 0\.001 · 4\.1M tokens/.test(ro), 'the readout gives step, loss, lr and tokens', ro);
  await page.keyboard.press('ArrowLeft');
  ro = await page.textContent('#pretrain-readout');
  ok(/^step 980 /.test(ro), 'arrow keys move the readout', ro);
  const stats = await page.$$eval('#pretrain-stats dd', (ds) => Object.fromEntries(ds.map((d) => [d.dataset.stat, d.textContent.trim()])));
  ok(stats.parameters === '5.3M' && stats.tokens === '4.1M' && stats.seconds === '1 h 40 min' && stats.out === 'myrun' &&
    /3\.4k tokens\/s/.test(stats.tokens_per_s), 'the summary numbers', JSON.stringify(stats));
  ok(await page.locator('#pretrain-checkpoints tbody tr').count() === 3, 'the checkpoint list');
  const href = await page.getAttribute('#sweep-checkpoints', 'href');
  ok(href === '#/submit?checkpoints=myrun/checkpoint-0,myrun/checkpoint-500,myrun/checkpoint-1000', 'the sweep link names the checkpoints', href);
  await page.uncheck('#ckpt-0');
  ok(await page.getAttribute('#sweep-checkpoints', 'href') === '#/submit?checkpoints=myrun/checkpoint-500,myrun/checkpoint-1000',
    'unticking a checkpoint takes it out of the link');
  await shot(page, 'pretrain-1280');
  await page.locator('#pretrain').screenshot({ path: path.join(SHOT_DIR, 'pretrain-run-1280.png') });

  // ---- the sweep link opens the form with a checkpoints list ----
  await page.click('#sweep-checkpoints');
  await page.waitForURL(/#\/submit\?checkpoints=/);
  await page.locator('textarea[name="checkpoints"]').waitFor();
  await page.locator(`select[name="model"] option[value="${MODEL}"]`).waitFor({ state: 'attached' });
  ok(await page.isChecked('input[name="sweep"]') && await page.locator('select[name="model"]').isHidden(),
    'the form is in sweep mode, the single model hidden');
  ok(await page.inputValue('textarea[name="checkpoints"]') === 'myrun/checkpoint-500\nmyrun/checkpoint-1000', 'the checkpoints are listed one a line');
  let prev = JSON.parse(await page.textContent('#spec-preview'));
  ok(JSON.stringify(prev.checkpoints) === '["myrun/checkpoint-500","myrun/checkpoint-1000"]' && !('model' in prev),
    'the spec has "checkpoints" and no "model"', JSON.stringify(prev));
  await page.fill('textarea[name="checkpoints"]', 'myrun/checkpoint-0\nmyrun/checkpoint-1000\n');
  prev = JSON.parse(await page.textContent('#spec-preview'));
  ok(JSON.stringify(prev.checkpoints) === '["myrun/checkpoint-0","myrun/checkpoint-1000"]', 'the list is editable');
  await page.selectOption('select[name="checkpoints_run"]', 'myrun');
  await page.click('#fill-checkpoints');
  prev = JSON.parse(await page.textContent('#spec-preview'));
  ok(JSON.stringify(prev.checkpoints) === '["myrun/checkpoint-0","myrun/checkpoint-500","myrun/checkpoint-1000"]',
    'a pre-training run of GET /v1/models fills the list with its checkpoints', JSON.stringify(prev.checkpoints));
  await page.uncheck('input[name="sweep"]');
  prev = JSON.parse(await page.textContent('#spec-preview'));
  ok(!('checkpoints' in prev) && prev.model === MODEL && await page.locator('textarea[name="checkpoints"]').isHidden(),
    'unticking the sweep goes back to one model');
  // "Edit as new" of a sweep keeps its checkpoints
  await page.goto(`${BASE}/#/submit?from=${SWEEP_ID}`);
  await page.locator('input[name="sweep"]:checked').waitFor();
  ok(await page.inputValue('textarea[name="checkpoints"]') === CKPTS.join('\n'), '"Edit as new" of a sweep keeps its checkpoints');
  await page.goto(`${BASE}/#/submit?from=${PRE_ID}`);
  await page.locator('#form-errors:not([hidden])').waitFor();
  ok(/pre-training run/.test(await page.textContent('#form-errors')), 'the form explains that it does not edit pre-training specs');

  // ---- the list and compare with a task-less experiment ----
  await page.goto(`${BASE}/#/experiments`);
  const preRow = page.locator(`#experiments-table tr[data-id="${PRE_ID}"]`);
  await preRow.waitFor();
  ok((await preRow.locator('td[data-label="Task"]').textContent()).trim() === 'pre-training' &&
    (await preRow.locator('td[data-label="Model"]').textContent()).trim() === 'myrun', 'the list shows a pre-training run without a task');
  await page.goto(`${BASE}/#/compare?ids=${PRE_ID},${SWEEP_ID}`);
  await page.locator('#compare-table').waitFor();
  ok(/Pre-training runs have no task to compare: synthetic pretrain left out/.test(await page.textContent('main')),
    'compare leaves the pre-training run out and says so');
  ok(await page.locator(`#compare-table td[data-exp="${SWEEP_ID}"]`).count() > 0, 'and compares the sweep');

  // ---- 390 px ----
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${BASE}/#/experiments/${PRE_ID}`);
  await page.locator('#pretrain-loss-plot svg').waitFor();
  await noHorizontalOverflow(page, 'pre-training run');
  await shot(page, 'pretrain-390');
  await page.goto(`${BASE}/#/experiments/${SWEEP_ID}`);
  await page.locator('#pretraining-plot svg').waitFor();
  await noHorizontalOverflow(page, 'sweep');
  const pbox = await page.locator('#pretraining-plot svg').boundingBox();
  ok(pbox && pbox.x >= 0 && pbox.x + pbox.width <= 390, 'the sweep plot fits the phone screen', JSON.stringify(pbox));
  await shot(page, 'sweep-390');
  await page.context().close();
}

// ---- a tiny pre-training run and a sweep of its checkpoints, for real ----
// The daemon and worker pre-train a one-layer model for 30 steps on SST-2
// sentences (the reference model's tokenizer), the page's "Sweep these
// checkpoints" opens the form, and the sweep it submits is run and drawn.
async function pretrainE2eFlow() {
  if (!worker) startWorker();
  const out = 'browser-mlm';
  const spec = { name: 'browser pretrain', pretrain: { tokenizer: MODEL, corpus: ['corpus/sst2-sentences.txt'], out,
    layers: 1, hidden: 16, heads: 2, ffn: 32, block: 64, batch: 2, steps: 30, warmup: 3, lr: 0.003, save_steps: [0, 10], log_every: 2 } };
  const sub = await api('POST', '/v1/experiments', spec);
  if (sub.status === 400 && sub.json && sub.json.field === 'pretrain') {
    console.log('# the daemon has no pre-training experiments: end-to-end part skipped');
    return;
  }
  ok(sub.status === 201 || sub.status === 202 || sub.status === 200, 'the daemon takes a pre-training spec', JSON.stringify(sub.json));
  const pid = sub.json.id;
  const page = await newPage(1280);
  await page.addInitScript((t) => localStorage.setItem('lmntk.token', t), UTOK);
  await page.goto(`${BASE}/#/experiments/${pid}`);
  await page.locator('#pretrain-status[data-state="succeeded"]').waitFor({ timeout: 60000 });
  note('the pre-training run succeeded');
  const pre = (await api('GET', `/v1/experiments/${pid}`)).json;
  const r = pre.result.pretrain;
  await page.locator('#pretrain-loss-plot[data-source="result"] svg').waitFor();
  const n = Number(await page.getAttribute('#pretrain-loss-plot g.series', 'data-n'));
  ok(n === r.loss.filter((p) => typeof p.loss === 'number').length && n >= 10, `the loss plot has the result's ${n} points`);
  const models = r.checkpoints.map((c) => c.model);
  ok(JSON.stringify(models) === JSON.stringify([0, 10, 30].map((s) => `${out}/checkpoint-${s}`)), 'the run kept checkpoints 0, 10 and 30',
    JSON.stringify(r.checkpoints));
  ok(await page.locator('#pretrain-checkpoints tbody tr').count() === models.length, 'the page lists them');
  ok((await page.textContent('#pretrain-stats [data-stat="parameters"]')).trim() !== '—', 'the page gives the parameter count');
  await shot(page, 'pretrain-e2e-1280');

  await page.click('#sweep-checkpoints');
  await page.locator('textarea[name="checkpoints"]').waitFor();
  await page.locator(`select[name="model"] option[value="${MODEL}"]`).waitFor({ state: 'attached' });
  ok(await page.inputValue('textarea[name="checkpoints"]') === models.join('\n'), 'the form lists the run\'s checkpoints');
  await page.fill('input[name="name"]', 'browser sweep');
  await page.selectOption('select[name="task"]', 'SST-2');
  await page.fill('input[name="data"]', DATA_DIR);
  await page.fill('input[name="k"]', '4');
  await page.fill('input[name="seeds"]', '13, 42');
  await page.fill('input[name="max_length"]', '64');
  await page.click('#add-ft');
  await page.selectOption('select[name="finetune[0].optimizer"]', 'sgd');
  await page.fill('input[name="finetune[0].lr"]', '1e-3');
  await page.fill('input[name="finetune[0].batch_size"]', '4');
  await page.fill('input[name="finetune[0].steps"]', '4');
  await page.check('input[name="diagnostics.enabled"]');
  await page.click('#submit-button');
  await page.waitForURL(/#\/experiments\/[0-9a-f-]{36}$/);
  const sid = /#\/experiments\/([0-9a-f-]{36})$/.exec(page.url())[1];
  note(`sweep ${sid} submitted`);
  await page.locator('main[data-state="succeeded"]').waitFor({ timeout: 90000 });
  await page.locator('#pretraining-plot svg').waitFor();
  note('the sweep succeeded');
  const sw = (await api('GET', `/v1/experiments/${sid}`)).json;
  const curve = sw.result.pretraining_curve || [];
  ok(JSON.stringify(curve.map((p) => p.pretrain_step)) === '[0,10,30]', 'the sweep\'s curve is in step order', JSON.stringify(curve.map((p) => p.pretrain_step)));
  const methods = [...new Set(curve.flatMap((p) => p.methods.map((m) => m.method)))];
  const series = await page.$$eval('#pretraining-plot g.series', (gs) => gs.map((g) => [g.dataset.key, Number(g.dataset.n)]));
  ok(methods.every((m) => series.some(([k, c]) => k === m && c === curve.length)), 'a line per method with a point per checkpoint',
    JSON.stringify({ methods, series }));
  const bad = [];
  for (const p of curve) {
    for (const m of p.methods) {
      const td = (await page.textContent(`#pretraining-table td[data-method="${m.method}"][data-step="${p.pretrain_step}"]`)).trim();
      if (td !== `${pct(m.test.mean)} ± ${pct(m.test.std)}`) bad.push(`${m.method}@${p.pretrain_step}: ${td}`);
    }
  }
  ok(bad.length === 0, 'the table equals the API\'s pretraining_curve', bad.join('; '));
  const names = [...new Set(curve.flatMap((p) => (p.diagnostics || []).flatMap((d) => Object.keys(d.values || {}))))].sort();
  const opts = (await page.$$eval('#pretraining-diag option', (os) => os.map((o) => o.value))).sort();
  ok(names.length > 0 && JSON.stringify(opts) === JSON.stringify(names), `the diagnostic select has the ${names.length} names of the API`,
    JSON.stringify({ names, opts }));
  await page.locator('#pretraining').screenshot({ path: path.join(SHOT_DIR, 'sweep-e2e-curves-1280.png') });
  await page.context().close();
}

const ONLY = process.env.BROWSER_ONLY || ''; // "dashboard", "pretrain", "pretrain-e2e" or "bulk": run only that part
for (const [name, flow] of [['dashboard', dashboardFlow], ['pretrain', pretrainFlow], ['pretrain-e2e', pretrainE2eFlow], ['bulk', bulkFlow]]) {
  if (ONLY && ONLY !== name) continue;
  try {
    await flow();
  } catch (e) {
    ok(false, `${name}: the run stopped: ${e.message.split('\n')[0]}`, e.stack);
    try {
      const pages = browser.contexts().flatMap((c) => c.pages());
      if (pages.length) await shot(pages[pages.length - 1], `failure-${name}`);
    } catch { /* nothing more to save */ }
  }
}
ok(pageErrors.length === 0, 'no script errors in the pages', pageErrors.join('\n'));
await browser.close();
if (worker) worker.kill('SIGTERM');
console.log(`1..${n}`);
note(`${n - failed} of ${n} passed; screenshots in ${SHOT_DIR}`);
process.exit(failed ? 1 : 0);
