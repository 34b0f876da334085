// experiment.js - one experiment: live state, the per-seed and mean ± std
// table, kernel vs fine-tuning bars, the train x train kernel heatmap
// (.npy fetched and parsed here), its eigen-spectrum, the diagnostics,
// artifacts, the spec and a curl command that resubmits it; while seeds
// remain, the summary of the finished ones (partial_result).  Rename, tags,
// re-run, cancel and delete are manage.js's.  A checkpoint
// sweep adds its curves against pre-training steps, and a pre-training
// experiment (spec.pretrain) shows its run instead (pretrain.js).

import { artifactUrl, downloadArtifact, fetchArtifact, getCatalog, getExperiment, getToken } from './api.js';
import {
  ago, chanceLevel, clear, copyButton, duration, h, isNum, meanStd, methodInfo, num, pct, progressBar, stateBadge,
  prettyJson, put, summaryRows,
} from './dom.js';
import { asymmetry, jacobiEigenvalues, spectrumStats, symmetrize } from './linalg.js';
import { kernelMatrices, parseNpy } from './npy.js';
import { renderDiagnostics } from './diagnostics.js';
import { manageControls } from './manage.js';
import { isPretrain, pretrainRunView, renderCurve, shortModel } from './pretrain.js';
import { taskPreset } from './vocab.js';
import { barChart, classColor, colorBar, FAMILY_COLOR, heatmap, spectrumPlot } from './plots.js';
import { workerPanel } from './workers.js';

const POLL_MS = 1500;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const WORKER_ABOVE = 160; // eigenproblems larger than this run in a Web Worker

export function render(root, ctx) {
  const id = ctx.match[1].toLowerCase();
  delete root.dataset.state; // main's data-state is this experiment's once it is read, not the last one's
  ctx.setTitle(`Experiment ${id.slice(0, 8)}`);
  let timer = null;
  let shownResult = null;
  let exp = null;
  let resizeObs = null;
  let curveDispose = null;
  let runView = null;
  let tasks = null; // GET /v1/tasks, for the class count of chance

  const title = h('h1', { id: 'exp-title' }, `Experiment ${id.slice(0, 8)}`);
  const meta = h('div', { class: 'meta', id: 'exp-meta' });
  const links = h('span', { class: 'links' });
  const manage = manageControls(id, { title, navigate: ctx.navigate, reload: () => load() });
  const actions = h('div', { class: 'actions' }, manage.actions, links, manage.deleteSlot);
  const workers = workerPanel(); // its banner: while this experiment waits for a worker
  const errorBox = h('p', { class: 'error', role: 'alert', hidden: true });
  const jobsSec = h('section', { class: 'card', id: 'jobs', 'aria-labelledby': 'jobs-h' });
  const resultsSec = h('section', { class: 'card', id: 'results', 'aria-labelledby': 'results-h' },
    h('h2', { id: 'results-h' }, 'Results'), h('p', { class: 'muted', id: 'results-pending' }, 'Results appear as seeds finish.'));
  const curveSec = h('section', { class: 'card', id: 'pretraining', 'aria-labelledby': 'pretraining-h', hidden: true });
  const runBox = h('div');
  const barsSec = h('section', { class: 'card', id: 'bars', 'aria-labelledby': 'bars-h', hidden: true });
  const kernelSec = h('section', { class: 'card', id: 'kernel', 'aria-labelledby': 'kernel-h', hidden: true });
  const diagSec = h('section', { class: 'card', id: 'diagnostics', 'aria-labelledby': 'diag-h' });
  const artSec = h('section', { class: 'card', id: 'artifacts', 'aria-labelledby': 'art-h' });
  const specSec = h('section', { class: 'card', id: 'spec', 'aria-labelledby': 'spec-h' });

  put(root, 
    h('p', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / ', h('code', {}, id.slice(0, 8))),
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, title, manage.renameButton, manage.renameForm), actions),
    manage.actionError, meta, manage.tagsBox, workers.banner, errorBox,
    jobsSec, runBox, resultsSec, curveSec, barsSec, kernelSec, diagSec, artSec, specSec);

  // ---- header and jobs (every poll) ----
  let shownLinks = false;
  function drawHeader() {
    title.textContent = exp.name || `Experiment ${id.slice(0, 8)}`;
    ctx.setTitle(exp.name || `Experiment ${id.slice(0, 8)}`);
    const spec = exp.spec || {};
    const ckpts = Array.isArray(spec.checkpoints) ? spec.checkpoints : null;
    const what = isPretrain(exp)
      ? `pre-training${spec.pretrain && spec.pretrain.out ? ` into ${spec.pretrain.out}` : ''} · ${exp.n_jobs} job${exp.n_jobs === 1 ? '' : 's'}`
      : `${exp.task || '?'} · ${ckpts ? `${ckpts.length} checkpoint${ckpts.length === 1 ? '' : 's'} (${shortModel(ckpts[0])}${ckpts.length > 1 ? ` … ${shortModel(ckpts[ckpts.length - 1])}` : ''})`
        : exp.model || 'default model'} · k=${spec.k ?? 16} · ${exp.n_jobs} jobs`;
    put(clear(meta), 
      stateBadge(exp.state), ' ',
      progressBar(exp.progress, 'experiment progress'), ' ',
      // while it runs: how many seeds the results so far cover
      !TERMINAL.has(exp.state) && exp.seeds_total > 1 ? h('strong', { id: 'seeds-done', class: 'small',
        dataset: { done: String(exp.seeds_done), total: String(exp.seeds_total) } }, `${exp.seeds_done} of ${exp.seeds_total} seeds done`) : null,
      h('span', { title: ckpts ? ckpts.join('\n') : null }, what), ' ',
      h('span', { class: 'muted', title: exp.created_at }, `created ${ago(exp.created_at)}`),
      exp.finished_at ? h('span', { class: 'muted' }, ` · took ${duration(exp.created_at, exp.finished_at)}`) : null,
      h('code', { class: 'muted id' }, ` ${exp.id}`));
    if (exp.error) put(meta, h('p', { class: 'error' }, exp.error));
    manage.update(exp);
    if (shownLinks) return;
    shownLinks = true;
    // the form makes kernel and fine-tuning experiments: a pre-training spec is resubmitted with curl
    if (!isPretrain(exp)) {
      put(links, h('a', { class: 'button', href: `#/submit?from=${id}` }, 'Edit as new'),
        h('a', { class: 'button', href: `#/compare?ids=${id}` }, 'Compare…'),
        exp.task ? h('a', { class: 'button', id: 'kshot-link', href: `#/kshot?${new URLSearchParams({ task: exp.task, model: exp.model || 'default' })}` },
          `${exp.task}: accuracy vs k`) : null);
    }
  }

  function drawJobs() {
    const jobs = exp.jobs || [];
    const counts = exp.jobs_by_state || {};
    const summaryText = Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
    const details = jobsSec.querySelector('details');
    const open = details ? details.open : !TERMINAL.has(exp.state);
    const tbody = h('tbody', {}, jobs.map((j) => {
      const mi = methodInfo(j.method || '', exp.method_labels);
      return h('tr', { dataset: { state: j.state } },
        h('td', { class: 'num', 'data-label': '#' }, String(j.index)),
        h('td', { 'data-label': 'Seed' }, j.seed ?? '—'),
        h('td', { 'data-label': 'Method', title: j.method || '' }, mi.label),
        h('td', { 'data-label': 'State' }, stateBadge(j.state)),
        h('td', { 'data-label': 'Progress' }, progressBar(j.state === 'succeeded' ? 1 : j.progress, `job ${j.index} progress`),
          j.stage && j.state === 'running' ? h('span', { class: 'muted' }, ` ${j.stage}`) : null),
        h('td', { 'data-label': 'Worker' }, j.worker || '—'),
        h('td', { class: 'num', 'data-label': 'Attempts' }, String(j.attempts ?? 0)),
        h('td', { 'data-label': 'Took' }, j.started_at ? duration(j.started_at, j.finished_at) : ''),
        h('td', { 'data-label': 'Error', class: 'error small' }, j.error || ''));
    }));
    put(clear(jobsSec), h('details', { open },
      h('summary', {}, h('h2', { id: 'jobs-h', class: 'inline' }, 'Jobs'), ` ${summaryText}`),
      h('div', { class: 'table-scroll' }, h('table', { class: 'data jobs-table' },
        h('thead', {}, h('tr', {}, ['#', 'Seed', 'Method', 'State', 'Progress', 'Worker', 'Attempts', 'Took', 'Error']
          .map((c) => h('th', { scope: 'col' }, c)))), tbody))));
  }

  function showError(msg) {
    errorBox.hidden = !msg;
    errorBox.textContent = msg || '';
  }

  // Chance for this experiment's metric: its classes from the spec's labels
  // or GET /v1/tasks, the test labels from a job result (for F1).
  function chanceOf(result) {
    const spec = exp.spec || {};
    const task = tasks && tasks.find((t) => t.name === spec.task);
    const classes = Array.isArray(spec.labels) && spec.labels.length ? spec.labels.length : task && task.classes;
    const job = (result.jobs || []).find((j) => j && Array.isArray(j.test_labels));
    return chanceLevel(result.metric || (task && task.metric), classes, job && job.test_labels);
  }

  // ---- results (once the result is there) ----
  function drawResults(result) {
    const spec = exp.spec || result.spec || {};
    const names = exp.method_labels;
    // kernels (formulas, then the best of them), then fine-tuning, as the API lists them otherwise
    const rank = (r) => { const f = methodInfo(r.method, names).family; return f === 'kernel' ? (r.method === 'kernel' ? 1 : 0) : f === 'finetune' ? 2 : 3; };
    const rows = summaryRows(result).map((r, i) => [r, i]).sort((a, b) => (rank(a[0]) - rank(b[0])) || (a[1] - b[1])).map((x) => x[0]);
    const metric = result.metric === 'f1' ? 'F1' : 'accuracy';
    const seeds = rows.length ? rows[0].seeds.map((r) => r.seed) : [];
    const hasModel = rows.some((r) => r.model);
    // zero-shot: the same for every kernel method of a seed
    const zsRow = rows.find((r) => r.zero_shot_test);
    const zsPerSeed = {};
    for (const j of result.jobs || []) if (j.zero_shot && zsPerSeed[j.seed] === undefined) zsPerSeed[j.seed] = j.zero_shot;

    const cell = (method, col, value, text, titleText) => h('td', {
      class: 'num', dataset: { method, col, value: isNum(value) ? String(value) : '' }, title: titleText || null }, text);
    // a seed's selected point; a best-of row names the method it took it from
    const pointText = (sr, method) => {
      const p = sr.point;
      if (!p) return sr.from || '';
      const parts = p.solver ? [p.solver] : [];
      if (isNum(p.regularization)) parts.push(`λ=${p.regularization}`);
      if (isNum(p.f0_scaling) && p.f0_scaling) parts.push(`s=${p.f0_scaling}`);
      if (isNum(p.asym_lambda)) parts.push(`asym λ=${p.asym_lambda}`);
      if (isNum(p.gamma) && p.solver === 'asym') parts.push(`γ=${p.gamma}`);
      if (isNum(p.C)) parts.push(`C=${num(p.C)}`);
      for (const k of ['lr', 'batch_size', 'best_step']) if (p[k] !== undefined) parts.push(`${k.replace('_', ' ')} ${p[k]}`);
      return `${sr.from && sr.from !== method ? `${methodInfo(sr.from, names).label}: ` : ''}${parts.join(', ')}`;
    };
    const body = [];
    for (const r of rows) {
      const mi = methodInfo(r.method, names);
      const bySeed = Object.fromEntries(r.seeds.map((x) => [x.seed, x]));
      body.push(h('tr', { dataset: { method: r.method, family: mi.family } },
        h('th', { scope: 'row', title: r.method }, h('span', { class: `dot fam-${mi.family}` }), mi.label),
        hasModel ? h('td', {}, r.model || '') : null,
        cell(r.method, 'dev', r.dev && r.dev.mean, meanStd(r.dev)),
        cell(r.method, 'test', r.test && r.test.mean, meanStd(r.test)),
        seeds.flatMap((sd) => {
          const x = bySeed[sd] || {};
          return [cell(r.method, `dev-${sd}`, x.dev, pct(x.dev), pointText(x, r.method)),
            cell(r.method, `test-${sd}`, x.test, pct(x.test), pointText(x, r.method))];
        })));
      // each seed's point selected on dev, written out under its scores
      body.push(h('tr', { class: 'hp-row', dataset: { method: r.method } },
        h('th', { scope: 'row', class: 'hp-head' }, h('span', { class: 'visually-hidden' }, `${mi.label}: `), 'selected'),
        hasModel ? h('td', {}) : null,
        h('td', { colspan: '2' }),
        seeds.map((sd) => h('td', { colspan: '2', class: 'hp', dataset: { seed: String(sd) } }, bySeed[sd] ? pointText(bySeed[sd], r.method) : ''))));
    }
    if (zsRow) {
      body.push(h('tr', { dataset: { method: 'zero-shot', family: 'zero-shot' }, class: 'zero-shot' },
        h('th', { scope: 'row' }, h('span', { class: 'dot fam-zero-shot' }), methodInfo('zero-shot', names).label),
        hasModel ? h('td', {}, '') : null,
        cell('zero-shot', 'dev', zsRow.zero_shot_dev.mean, meanStd(zsRow.zero_shot_dev)),
        cell('zero-shot', 'test', zsRow.zero_shot_test.mean, meanStd(zsRow.zero_shot_test)),
        seeds.flatMap((sd) => {
          const z = zsPerSeed[sd] || {};
          return [cell('zero-shot', `dev-${sd}`, z.dev, pct(z.dev)), cell('zero-shot', `test-${sd}`, z.test, pct(z.test))];
        })));
    }
    const table = h('table', { class: 'data results-table', id: 'results-table' },
      h('caption', { class: 'visually-hidden' }, `${metric === 'F1' ? 'F1' : 'Accuracy'} (%) per method: mean ± std and per seed`),
      h('thead', {},
        h('tr', {},
          h('th', { scope: 'col', rowspan: '2' }, 'Method'),
          hasModel ? h('th', { scope: 'col', rowspan: '2' }, 'Model') : null,
          h('th', { scope: 'colgroup', colspan: '2', class: 'group' }, 'Mean ± std'),
          seeds.map((sd) => h('th', { scope: 'colgroup', colspan: '2', class: 'group' }, `Seed ${sd}`))),
        h('tr', {},
          h('th', { scope: 'col', class: 'num' }, 'Dev'), h('th', { scope: 'col', class: 'num' }, 'Test'),
          seeds.flatMap(() => [h('th', { scope: 'col', class: 'num' }, 'dev'), h('th', { scope: 'col', class: 'num' }, 'test')]))),
      h('tbody', {}, body));
    const foot = [];
    if (isNum(result.compute_seconds)) foot.push(`compute ${result.compute_seconds.toFixed(1)} s over all jobs`);
    put(clear(resultsSec), h('h2', { id: 'results-h' }, result.partial ? 'Results so far' : 'Results'),
      result.partial ? partialNote(result) : null,
      h('p', { class: 'muted small' }, `${metric === 'F1' ? 'F1' : 'Accuracy'} (%) on dev and test: mean ± population std over ${seeds.length} seed${seeds.length === 1 ? '' : 's'}, then each seed's scores with, under them, the hyper-parameters selected on its dev set.`),
      h('div', { class: 'table-scroll' }, table),
      foot.length ? h('p', { class: 'muted small' }, foot.join(' · ')) : null);

    // bars: kernel vs fine-tuning (per checkpoint in a sweep)
    const barRows = rows.map((r) => {
      const mi = methodInfo(r.method, names);
      return { ...mi, label: hasModel && r.model ? `${mi.label} @ ${shortModel(r.model)}` : mi.label, test: r.test, dev: r.dev };
    });
    const hasFt = barRows.some((r) => r.family === 'finetune');
    const baseline = zsRow ? { label: 'zero-shot', value: zsRow.zero_shot_test.mean } : null;
    const chance = chanceOf(result);
    const barsBox = h('div', { class: 'plot-box', id: 'bars-plot' });
    const drawBars = () => {
      const w = Math.max(300, Math.min(900, barsBox.clientWidth || 640));
      put(clear(barsBox), barChart(barRows, { width: w, baseline, chance, title: `Test ${metric} (%), mean ± std` }));
    };
    barsSec.hidden = false;
    put(clear(barsSec), h('h2', { id: 'bars-h' }, 'Kernel vs fine-tuning'),
      h('p', { class: 'legend' },
        h('span', { class: 'dot fam-kernel' }), 'eNTK kernels ', h('span', { class: 'dot fam-finetune' }), 'fine-tuning',
        chance ? h('span', { class: 'muted small', id: 'chance-rule' }, ` · chance ${pct(chance.value)}: ${chance.rule}`) : null),
      hasFt ? null : h('p', { class: 'muted small' }, 'This experiment has no fine-tuning methods: add some to the spec to compare.'),
      barsBox);
    drawBars();
    if (resizeObs) resizeObs.disconnect();
    let lastW = 0;
    resizeObs = new ResizeObserver(() => {
      const w = barsBox.clientWidth;
      if (Math.abs(w - lastW) > 8) { lastW = w; drawBars(); }
    });
    resizeObs.observe(barsBox);

    // a checkpoint sweep: accuracy and diagnostics against pre-training steps
    if (curveDispose) { curveDispose(); curveDispose = null; }
    curveSec.hidden = !(Array.isArray(result.pretraining_curve) && result.pretraining_curve.length);
    if (!curveSec.hidden) {
      try { curveDispose = renderCurve(curveSec, result, { spec, labels: names, chance }); } catch (e) {
        console.error(e);
        put(clear(curveSec), h('h2', { id: 'pretraining-h' }, 'Pre-training'), h('p', { class: 'error' }, `Cannot draw the curves: ${e.message}`));
      }
    }

    drawKernelSection(result);
  }

  // While seeds remain: which are in the summary and how many are to come.
  function partialNote(result) {
    const done = Array.isArray(result.seeds_done) ? result.seeds_done : [];
    const left = isNum(result.remaining_seeds) ? result.remaining_seeds : exp.remaining_seeds;
    const all = done.length + (left || 0);
    return h('p', { class: 'partial-note', id: 'partial-note', dataset: { done: String(done.length), remaining: String(left) } },
      h('strong', {}, `${done.length} of ${all} seeds done`),
      ` (seed${done.length === 1 ? '' : 's'} ${done.join(', ')}); ${left} remain${left === 1 ? 's' : ''}. `,
      'The numbers below cover the finished seeds only and change as the others finish.');
  }

  // ---- kernel heatmap and spectrum ----
  function kernelArtifacts() {
    const out = [];
    for (const j of exp.jobs || []) {
      for (const name of j.artifacts || []) {
        // a kernel job's train x train kernel: <job index>/kernel-train.npy
        if (/^\d+\/kernel-train\.npy$/.test(name) && (j.method || '').startsWith('kernel:'))
          out.push({ name, job: j, seed: j.seed, formula: j.method.slice(7) });
      }
    }
    return out;
  }

  function drawKernelSection(result) {
    const arts = kernelArtifacts();
    kernelSec.hidden = false;
    put(clear(kernelSec), h('h2', { id: 'kernel-h' }, 'Train × train kernel'));
    if (arts.length === 0) {
      put(kernelSec, h('p', { class: 'muted' }, 'No kernel artifacts (fine-tuning only, or the jobs stored none).'));
      return;
    }
    const pick = h('select', { id: 'kernel-pick' }, arts.map((a, i) =>
      h('option', { value: String(i) }, `seed ${a.seed} · ${methodInfo(`kernel:${a.formula}`, exp.method_labels).label}`)));
    const viewSel = h('select', { id: 'kernel-view' });
    const normBox = h('input', { type: 'checkbox', id: 'kernel-norm', checked: true });
    const orderSel = h('select', { id: 'kernel-order' },
      h('option', { value: 'class' }, 'class-sorted'), h('option', { value: 'file' }, 'file order'));
    const canvas = h('canvas', { id: 'kernel-canvas', tabindex: '0', role: 'img', 'aria-label': 'kernel heatmap' });
    const info = h('p', { class: 'muted small', id: 'kernel-info' });
    const tip = h('p', { class: 'tip', id: 'kernel-tip', 'aria-live': 'polite' }, 'Hover or use the arrow keys on the map to read a cell.');
    const bar = h('div', { class: 'colorbar-box' });
    const legend = h('div', { class: 'class-legend' });
    const status = h('p', { class: 'muted', id: 'kernel-status', 'aria-live': 'polite' });
    const specBox = h('div', { class: 'spectrum-box', id: 'spectrum' });
    const mapBox = h('div', { class: 'heatmap-box' }, canvas);
    put(kernelSec, 
      h('div', { class: 'controls' },
        h('div', { class: 'field' }, h('label', { for: 'kernel-pick' }, 'Kernel'), pick),
        h('div', { class: 'field' }, h('label', { for: 'kernel-view' }, 'Matrix'), viewSel),
        h('div', { class: 'field' }, h('label', { for: 'kernel-order' }, 'Order'), orderSel),
        h('div', { class: 'field field-inline' }, normBox, h('label', { for: 'kernel-norm' }, 'Normalise: K(i,j)/√(K(i,i)K(j,j))'))),
      status,
      h('div', { class: 'kernel-layout' },
        h('div', {}, mapBox, bar, legend, tip, info),
        h('div', {}, h('h3', {}, 'Eigen-spectrum'), specBox)));

    let loaded = null; // {art, km, labels, labelNote}
    let cursor = { a: 0, b: 0 };
    let hm = null;
    let token = 0;

    function trainLabels(art, n) {
      const r = art.job.result || {};
      for (const key of ['train_labels', 'labels_train']) if (Array.isArray(r[key]) && r[key].length === n) return { labels: r[key], note: 'train labels from the job result' };
      if (r.labels && Array.isArray(r.labels.train) && r.labels.train.length === n) return { labels: r.labels.train, note: 'train labels from the job result' };
      const k = (exp.spec && exp.spec.k) || 16;
      if (n % k === 0 && n / k >= 2) {
        return { labels: Array.from({ length: n }, (_, i) => Math.floor(i / k)), assumed: true,
          note: `classes assumed from file order (LM-BFF k-shot files list each class's ${k} examples together; the result carries no train labels)` };
      }
      return { labels: null, note: 'no class labels for the train set' };
    }

    function setViews(km) {
      const prev = viewSel.value;
      clear(viewSel);
      const opts = [];
      for (let m = 0; m < km.mats.length; m++) {
        const nm = km.names[m];
        if (km.c > 1) {
          opts.push([`${m}:sum`, `${nm}: Σ over outputs (N × N)`]);
          for (let c = 0; c < km.c; c++) opts.push([`${m}:c${c}`, `${nm}: output ${c} (N × N)`]);
          opts.push([`${m}:full`, `${nm}: all outputs (NC × NC)`]);
        } else opts.push([`${m}:sum`, `${nm} (N × N)`]);
      }
      for (const [v, l] of opts) put(viewSel, h('option', { value: v }, l));
      if (opts.some(([v]) => v === prev)) viewSel.value = prev;
    }

    // The n x n (or NC x NC) matrix of the chosen view, with row classes.
    function viewMatrix() {
      const { km, labels } = loaded;
      const [mi, what] = viewSel.value.split(':');
      const K = km.mats[Number(mi)];
      const N = km.n, C = km.c, X = km.x;
      if (what === 'full') {
        const n = N * C;
        const M = new Float64Array(n * n);
        for (let a = 0; a < n; a++) for (let b = 0; b < X * C; b++) M[a * n + b] = K[a * X * C + b];
        const cls = labels ? Array.from({ length: n }, (_, a) => labels[Math.floor(a / C)]) : null;
        return { M, n, cls, unit: 'rows (example, output)' };
      }
      const M = new Float64Array(N * N);
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
        let v = 0;
        if (what === 'sum') for (let c = 0; c < C; c++) v += K[((i * C + c) * X + j) * C + c];
        else { const c = Number(what.slice(1)); v = K[((i * C + c) * X + j) * C + c]; }
        M[i * N + j] = v;
      }
      return { M, n: N, cls: labels, unit: 'examples' };
    }

    function drawMap() {
      if (!loaded) return;
      const { M, n, cls } = viewMatrix();
      let D = M;
      if (normBox.checked) {
        D = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
          const d = Math.sqrt(Math.abs(M[i * n + i] * M[j * n + j]));
          D[i * n + j] = d > 0 ? M[i * n + j] / d : 0;
        }
      }
      let order = [...Array(n).keys()];
      if (orderSel.value === 'class' && cls) order = order.sort((a, b) => (cls[a] - cls[b]) || (a - b));
      const size = Math.max(200, Math.min(520, mapBox.clientWidth || 480));
      hm = heatmap(canvas, D, n, n, { rowOrder: order, colOrder: order, rowClass: cls, colClass: cls, size });
      hm.matrix = D; hm.raw = M; hm.n = n; hm.cls = cls; hm.order = order;
      canvas.dataset.ready = '1';
      canvas.dataset.n = String(n);
      canvas.setAttribute('aria-label', `heatmap of the ${n} × ${n} train kernel (${viewSel.selectedOptions[0].textContent}), ${orderSel.value === 'class' && cls ? 'class-sorted' : 'file order'}; values ${num(hm.lo)} to ${num(hm.hi)}`);
      put(clear(bar), colorBar(hm.lo, hm.hi, hm.diverging, Math.min(size, 320)));
      clear(legend);
      if (cls) {
        const classes = [...new Set(cls)].sort((a, b) => a - b);
        const names = (exp.spec && exp.spec.label_words) || (exp.spec && taskPreset(exp.spec.task) && !exp.spec.labels ? taskPreset(exp.spec.task).label_words : null);
        put(legend, h('span', { class: 'muted small' }, 'classes: '),
          classes.map((c) => h('span', { class: 'class-chip' }, h('span', { class: 'swatch', style: `background:${classColor(c)}` }),
            names && names[c] ? `${c} (${names[c]})` : String(c))));
      }
    }

    function showCell(a, b) {
      if (!hm) return;
      const n = hm.n;
      a = Math.max(0, Math.min(n - 1, a)); b = Math.max(0, Math.min(n - 1, b));
      cursor = { a, b };
      const i = hm.order[a], j = hm.order[b];
      const cls = hm.cls;
      tip.textContent = `row ${i}${cls ? ` (class ${cls[i]})` : ''} × col ${j}${cls ? ` (class ${cls[j]})` : ''}: ` +
        `K = ${num(hm.raw[i * n + j], 6)}${normBox.checked ? `, normalised ${num(hm.matrix[i * n + j], 4)}` : ''}`;
    }
    canvas.addEventListener('mousemove', (e) => {
      if (!hm) return;
      const r = canvas.getBoundingClientRect();
      const c = hm.cell(e.clientX - r.left, e.clientY - r.top);
      if (c) showCell(c.a, c.b);
    });
    canvas.addEventListener('keydown', (e) => {
      const d = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
      if (!d) return;
      e.preventDefault();
      showCell(cursor.a + d[0], cursor.b + d[1]);
    });
    canvas.addEventListener('focus', () => showCell(cursor.a, cursor.b));

    async function spectrum() {
      const { km } = loaded;
      const mi = Number(viewSel.value.split(':')[0]);
      const n = km.n * km.c;
      const K = km.mats[mi];
      const asym = km.asym || asymmetry(K, n) > 1e-6;
      const A = asym ? symmetrize(K, n) : K;
      put(clear(specBox), h('p', { class: 'muted' }, `Computing ${n} eigenvalues…`));
      const my = ++token;
      let eig;
      if (n > WORKER_ABOVE && window.Worker) {
        eig = await new Promise((resolve, reject) => {
          const w = new Worker(new URL('./eigen-worker.js', import.meta.url), { type: 'module' });
          w.onmessage = (e) => { w.terminate(); resolve(e.data.eig); };
          w.onerror = (e) => { w.terminate(); reject(new Error(e.message || 'eigen worker failed')); };
          w.postMessage({ a: A, n });
        });
      } else eig = jacobiEigenvalues(A, n);
      if (my !== token || !ctx.alive()) return;
      let trace = 0;
      for (let i = 0; i < n; i++) trace += K[i * n + i];
      const st = spectrumStats(eig);
      const series = [{ name: `${km.names[mi]} (computed here)`, values: eig, color: FAMILY_COLOR.kernel }];
      const plotBox = h('div', { class: 'plot-box' });
      put(clear(specBox), plotBox,
        h('dl', { class: 'stats', id: 'spectrum-stats', dataset: { n: String(n), trace: String(trace), eigSum: String(st.trace), lmax: String(st.max) } },
          h('dt', {}, 'size'), h('dd', {}, `${n} × ${n}${asym ? ' (symmetrised (K+Kᵀ)/2)' : ''}`),
          h('dt', {}, 'λmax'), h('dd', {}, num(st.max)),
          h('dt', {}, 'λmin'), h('dd', {}, num(st.min)),
          h('dt', {}, 'Σλ = tr K'), h('dd', {}, `${num(st.trace, 6)} (tr K ${num(trace, 6)})`),
          h('dt', {}, 'effective rank'), h('dd', { title: 'exp of the entropy of λ/Σλ (Roy & Vetterli)' }, st.effectiveRank.toFixed(2)),
          h('dt', {}, 'participation ratio'), h('dd', { title: '(Σλ)² / Σλ²' }, st.participationRatio.toFixed(2)),
          st.negative ? [h('dt', {}, 'negative λ'), h('dd', {}, String(st.negative))] : null));
      put(plotBox, spectrumPlot(series, { width: Math.max(260, Math.min(520, specBox.clientWidth || 420)), height: 240 }));
      specBox.dataset.ready = '1';
    }

    async function load() {
      const art = arts[Number(pick.value)];
      status.textContent = `Loading ${art.name}…`;
      canvas.dataset.ready = '';
      specBox.dataset.ready = '';
      try {
        const buf = await fetchArtifact(id, art.name);
        if (!ctx.alive()) return;
        const npy = parseNpy(buf);
        const km = kernelMatrices(npy);
        if (km.x !== km.n) throw new Error(`not a train × train kernel: ${km.n} × ${km.x}`);
        const lab = trainLabels(art, km.n);
        loaded = { art, km, labels: lab.labels };
        setViews(km);
        status.textContent = '';
        put(clear(info), `${art.name} · shape [${npy.shape.join(', ')}] · ${npy.descr} · ${lab.note}`);
        info.dataset.shape = npy.shape.join(',');
        orderSel.disabled = !lab.labels;
        drawMap();
        await spectrum();
      } catch (e) {
        status.textContent = `Cannot show ${art.name}: ${e.detail || e.message}`;
      }
    }
    pick.addEventListener('change', load);
    viewSel.addEventListener('change', () => { drawMap(); spectrum(); });
    normBox.addEventListener('change', drawMap);
    orderSel.addEventListener('change', drawMap);
    load();
  }

  // ---- diagnostics ----
  let shownDiag = null;
  function drawDiagnostics() {
    const d = exp.diagnostics ?? (exp.result && exp.result.diagnostics) ?? null;
    const key = JSON.stringify([d, exp.state]);
    if (key === shownDiag) return;
    shownDiag = key;
    put(clear(diagSec), h('h2', { id: 'diag-h' }, 'Kernel-behaviour diagnostics'));
    const box = h('div');
    put(diagSec, box);
    renderDiagnostics(box, d, { spec: exp.spec, labels: exp.method_labels, state: exp.state, terminal: TERMINAL.has(exp.state) });
  }

  // ---- artifacts ----
  function drawArtifacts() {
    const link = (name, text, titleText) => {
      const a = h('a', { href: artifactUrl(id, name), download: name.replace(/\//g, '-'), title: titleText || name }, text || name);
      a.addEventListener('click', (e) => {
        if (!getToken()) return; // open reads: a plain link works
        e.preventDefault();
        downloadArtifact(id, name).catch((err) => showError(`Download failed: ${err.detail}`));
      });
      return a;
    };
    const jobs = (exp.jobs || []).filter((j) => (j.artifacts || []).length);
    const total = (exp.artifacts || []).length + jobs.reduce((n, j) => n + j.artifacts.length, 0);
    put(clear(artSec), h('h2', { id: 'art-h' }, `Artifacts${total ? ` (${total} files)` : ''}`));
    if (!total) { put(artSec, h('p', { class: 'muted' }, 'No artifacts yet.')); return; }
    if ((exp.artifacts || []).length) {
      put(artSec, h('p', { class: 'files' }, exp.artifacts.map((name) => link(name, name,
        name === 'result.json' ? 'the aggregate result (lm_experiment_aggregate)' : name)),
      h('span', { class: 'muted small' }, ' the aggregate result: summary, every job\'s grid and predictions')));
    }
    const rows = jobs.map((j) => {
      const manifest = (j.result && Array.isArray(j.result.artifacts)) ? j.result.artifacts : [];
      const files = j.artifacts.map((name) => {
        const file = name.split('/').slice(1).join('/');
        const m = manifest.find((x) => x.file === file) || {};
        const short = file.replace(/^seed\d+-[a-z_]+-/, '');
        const desc = [name, m.content, m.shape ? `[${m.shape.join(', ')}]` : '', m.dtype].filter(Boolean).join(' · ');
        return h('span', { class: 'file' }, link(name, short, desc),
          m.shape ? h('span', { class: 'muted small mono' }, ` [${m.shape.join(',')}]`) : null);
      });
      return h('tr', {},
        h('th', { scope: 'row' }, `seed ${j.seed ?? '—'} · ${methodInfo(j.method || '', exp.method_labels).label}`,
          h('div', { class: 'muted small' }, `job ${j.index}`)),
        h('td', {}, h('div', { class: 'files' }, files)));
    });
    put(artSec, h('div', { class: 'table-scroll' }, h('table', { class: 'data artifacts-table' },
      h('caption', {}, 'Per job: kernels [train, C, X, C] (or [2, N, 1, X, 1] asymmetric) as float64 .npy, pre-trained outputs f0 [X, C] as float32.'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Job'), h('th', { scope: 'col' }, 'Files'))),
      h('tbody', {}, rows))));
  }

  // ---- spec and curl ----
  function drawSpec() {
    const specText = prettyJson(exp.spec);
    const curl = `curl -sS -X POST ${location.origin}/v1/experiments \\\n  -H "Authorization: Bearer $LMNTK_TOKEN" \\\n` +
      `  -H 'Content-Type: application/json' \\\n  --data-binary @- <<'JSON'\n${specText}\nJSON`;
    put(clear(specSec), h('h2', { id: 'spec-h' }, 'Spec'),
      h('div', { class: 'code-head' }, h('span', {}, 'As submitted'), copyButton(() => specText, 'Copy spec'),
        isPretrain(exp) ? null : h('a', { class: 'button small', href: `#/submit?from=${id}` }, 'Edit as new')),
      h('pre', { class: 'code', id: 'spec-json', tabindex: '0', 'aria-label': 'spec JSON' }, specText),
      h('div', { class: 'code-head' }, h('span', {}, 'Resubmit with curl'), copyButton(() => curl, 'Copy curl')),
      h('pre', { class: 'code', id: 'curl-command', tabindex: '0', 'aria-label': 'curl command' }, curl));
  }

  // ---- polling ----
  let specDrawn = false;
  async function load() {
    if (timer) { clearTimeout(timer); timer = null; }
    try {
      exp = await getExperiment(id);
      if (!ctx.alive()) return;
      showError('');
      drawHeader();
      drawJobs();
      if (isPretrain(exp)) {
        // a pre-training run: its own view in place of results and diagnostics
        resultsSec.hidden = true;
        diagSec.hidden = true;
        if (!runView) { runView = pretrainRunView(); put(runBox, runView.el); }
        try { runView.update(exp); } catch (e) { console.error(e); showError(`Cannot draw the pre-training run: ${e.message}`); }
      } else {
        // the final result, or while seeds remain the finished seeds' (partial_result)
        const result = exp.result || exp.partial_result || null;
        if (result && !tasks) tasks = await getCatalog().then((t) => t.tasks).catch(() => []);
        if (result && JSON.stringify(result) !== shownResult) {
          shownResult = JSON.stringify(result);
          try { drawResults(result); } catch (e) { console.error(e); showError(`Cannot draw the results: ${e.message}`); }
        } else if (!result) {
          const p = resultsSec.querySelector('#results-pending');
          if (p) p.textContent = TERMINAL.has(exp.state) ? 'No results: the experiment did not succeed.'
            : `Results appear as seeds finish (${exp.seeds_done ?? 0} of ${exp.seeds_total ?? '?'} done).`;
        }
        drawDiagnostics();
      }
      drawArtifacts();
      if (!specDrawn) { drawSpec(); specDrawn = true; }
      if (exp.state === 'queued') workers.refresh(); else workers.banner.hidden = true;
      root.dataset.state = exp.state;
    } catch (e) {
      if (!ctx.alive()) return;
      showError(e.status === 404 ? 'No such experiment.' : `Cannot load the experiment: ${e.detail || e.message}`);
      if (e.status === 404) return;
    }
    if (!exp || !TERMINAL.has(exp.state)) timer = setTimeout(() => { if (!document.hidden) load(); else poll(); }, POLL_MS);
  }
  function poll() { timer = setTimeout(() => { if (!document.hidden) load(); else poll(); }, POLL_MS); }
  load();
  return () => {
    if (timer) clearTimeout(timer);
    if (resizeObs) resizeObs.disconnect();
    if (curveDispose) curveDispose();
    if (runView) runView.dispose();
  };
}
