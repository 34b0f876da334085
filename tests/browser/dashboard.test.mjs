// dashboard.test.mjs - the dashboard in headless Chromium (Debian's
// chromium, driven by playwright-core), against a live lmntkd and a real
// lmntk-worker started by test_dashboard.sh / here.  TAP-style output.
//
// Two parts: "dashboard" (a real experiment, submitted through the form and
// run by the worker) and "pretrain" (a checkpoint sweep and a pre-training
// run, answered to the page from synthetic JSON by request routing: no
// compute), then "pretrain-e2e" (a tiny real pre-training run, 30 steps of a
// one-layer model, and the sweep of its checkpoints submitted through the
// form).  BROWSER_ONLY=dashboard, pretrain or pretrain-e2e runs one.
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
  await shot(page, 'list-queued-1280');
  startWorker();
  await page.locator(`#experiments-table tr[data-id="${id}"][data-state="succeeded"]`).waitFor({ timeout: 90000 });
  note('the list saw it succeed');
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
  let cells = 0, bad = [];
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

const ONLY = process.env.BROWSER_ONLY || ''; // "dashboard", "pretrain" or "pretrain-e2e": run only that part
for (const [name, flow] of [['dashboard', dashboardFlow], ['pretrain', pretrainFlow], ['pretrain-e2e', pretrainE2eFlow]]) {
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
