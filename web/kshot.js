// kshot.js - accuracy against k across experiments of one task, the
// paper's figure: the succeeded experiments of the task on one model
// (GET /v1/experiments?task=&state=succeeded, every page), grouped by k
// (spec.k, 16 by default) and method (its display name, method_labels:
// K(SGD), SGD-FT, ...).  A point pools the seeds of every experiment with
// that k and method: their mean, and ± the population std as an error bar;
// chance is dotted.  Checkpoint sweeps (a score per checkpoint) are left out.
//   #/kshot?task=SST-2[&model=<model>|default][&split=dev]

import { getCatalog, getExperiment, listExperiments } from './api.js';
import { chanceLevel, clear, h, isNum, methodInfo, pct, put, summaryRows } from './dom.js';
import { FAMILY_COLOR, lineChart } from './plots.js';
import { methodStyles } from './pretrain.js';

const MAX_PAGES = 25; // 5000 experiments of one task
const FETCHES = 6;    // experiments fetched at once

// The experiments' per-seed scores grouped by (method name, k):
// Map(name -> {family, key, byK: Map(k -> {values, exps: Set(id)})}).
export function groupByK(exps, split) {
  const groups = new Map();
  const add = (method, k, value, e) => {
    if (!isNum(value)) return;
    const { label: name, family } = methodInfo(method, e.method_labels);
    if (!groups.has(name)) {
      // a key whose prefix carries the family, for methodStyles' order and colours
      const key = method === 'kernel' || method === 'zero-shot' ? method : `${family}:${name}`;
      groups.set(name, { family, key, byK: new Map() });
    }
    const byK = groups.get(name).byK;
    if (!byK.has(k)) byK.set(k, { values: [], exps: new Set() });
    byK.get(k).values.push(value);
    byK.get(k).exps.add(e.id);
  };
  for (const e of exps) {
    const k = (e.spec && e.spec.k) ?? 16;
    for (const r of summaryRows(e.result)) for (const sd of r.seeds || []) add(r.method, k, sd[split], e);
    // zero-shot: one score per seed (the same for every method of a seed)
    const zs = new Map();
    for (const j of (e.result && e.result.jobs) || []) {
      if (j && j.zero_shot && isNum(j.zero_shot[split]) && !zs.has(j.seed)) zs.set(j.seed, j.zero_shot[split]);
    }
    for (const v of zs.values()) add('zero-shot', k, v, e);
  }
  return groups;
}

// Mean and population std of a list.
export function meanStdOf(values) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return { mean, std, n };
}

export function render(root, ctx) {
  ctx.setTitle('Accuracy vs k');
  let task = ctx.params.get('task') || '';
  let model = ctx.params.get('model') || '';
  let split = ctx.params.get('split') === 'dev' ? 'dev' : 'test';
  let tasks = [];
  let exps = []; // the task's succeeded experiments, fetched whole
  let disposed = false;
  let resizeObs = null;

  const taskSel = h('select', { id: 'kshot-task', name: 'task' });
  const modelSel = h('select', { id: 'kshot-model', name: 'model' });
  const splitTest = h('input', { type: 'radio', name: 'kshot-split', id: 'kshot-split-test', value: 'test', checked: split === 'test' });
  const splitDev = h('input', { type: 'radio', name: 'kshot-split', id: 'kshot-split-dev', value: 'dev', checked: split === 'dev' });
  const status = h('p', { class: 'muted', id: 'kshot-status', 'aria-live': 'polite' });
  const plotBox = h('div', { class: 'plot-box', id: 'kshot-plot' });
  const tableBox = h('div', { class: 'table-scroll', id: 'kshot-table-box' });
  const usedBox = h('div', { id: 'kshot-used' });
  put(root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Accuracy against k')),
    h('p', { class: 'muted small' }, 'Your succeeded experiments of one task and model, grouped by k (examples per class) and method: ',
      'each point is the mean over the seeds of every experiment with that k, the bar ± their population std, as in the paper\'s figure. ',
      'Checkpoint sweeps are left out.'),
    h('div', { class: 'controls' },
      h('div', { class: 'field' }, h('label', { for: taskSel.id }, 'Task'), taskSel),
      h('div', { class: 'field' }, h('label', { for: modelSel.id }, 'Model'), modelSel),
      h('fieldset', { class: 'inline-group' }, h('legend', {}, 'Split'),
        h('span', { class: 'choice' }, splitTest, h('label', { for: splitTest.id }, 'test')),
        h('span', { class: 'choice' }, splitDev, h('label', { for: splitDev.id }, 'dev')))),
    status,
    h('section', { class: 'card', 'aria-labelledby': 'kshot-h' }, h('h2', { id: 'kshot-h' }, 'Score against k'), plotBox, tableBox),
    usedBox);

  const modelOf = (e) => e.model || 'default';
  const setQuery = () => ctx.replaceQuery({ task, model, split: split === 'dev' ? 'dev' : '' });

  async function loadTask() {
    exps = [];
    clear(plotBox); clear(tableBox); clear(usedBox);
    if (!task) { status.textContent = 'Choose a task.'; return; }
    status.textContent = `Loading the succeeded ${task} experiments…`;
    const summaries = [];
    let cursor = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await listExperiments({ task, state: 'succeeded', limit: 200, cursor });
      if (disposed) return;
      summaries.push(...res.experiments);
      cursor = res.next_cursor;
      if (!cursor) break;
    }
    const queue = [...summaries];
    const got = [];
    await Promise.all(Array.from({ length: FETCHES }, async () => {
      while (queue.length && !disposed) {
        const s = queue.shift();
        try { got.push(await getExperiment(s.id)); } catch (e) { console.error(e); }
      }
    }));
    if (disposed) return;
    exps = got.filter((e) => e.result && !(e.spec && Array.isArray(e.spec.checkpoints)) && !(e.spec && e.spec.pretrain));
    const models = [...new Set(exps.map(modelOf))].sort();
    if (!models.includes(model)) {
      // the model with the most experiments
      const count = (m) => exps.filter((e) => modelOf(e) === m).length;
      model = models.sort((a, b) => count(b) - count(a))[0] || '';
    }
    put(clear(modelSel), models.map((m) => h('option', { value: m, selected: m === model }, m)));
    setQuery();
    draw();
  }

  function draw() {
    clear(plotBox); clear(tableBox); clear(usedBox);
    const mine = exps.filter((e) => modelOf(e) === model);
    if (!mine.length) {
      status.textContent = task ? `No succeeded ${task} experiments${model ? ` on ${model}` : ''} yet.` : 'Choose a task.';
      return;
    }
    const groups = groupByK(mine, split);
    const ks = [...new Set(mine.map((e) => (e.spec && e.spec.k) ?? 16))].sort((a, b) => a - b);
    const metric = mine[0].result.metric === 'f1' ? 'F1' : 'accuracy';
    status.textContent = `${mine.length} experiment${mine.length === 1 ? '' : 's'} of ${task} on ${model}, k = ${ks.join(', ')}.`;

    const t = tasks.find((x) => x.name === task);
    const spec = mine[0].spec || {};
    const classes = Array.isArray(spec.labels) && spec.labels.length ? spec.labels.length : t && t.classes;
    const job = (mine[0].result.jobs || []).find((j) => j && Array.isArray(j.test_labels));
    const chance = chanceLevel(mine[0].result.metric || (t && t.metric), classes, job && job.test_labels);

    const keys = [...groups.values()].map((g) => g.key);
    const labelOf = Object.fromEntries([...groups].map(([name, g]) => [g.key, name]));
    const styles = methodStyles(keys.filter((k) => k !== 'zero-shot'), labelOf);
    const series = [...groups].map(([name, g]) => {
      const st = g.key === 'zero-shot' ? { color: FAMILY_COLOR['zero-shot'], shape: 'circle' } : styles.get(g.key);
      return {
        key: name, name, color: st.color, shape: st.shape, errorBars: true, dash: g.key === 'zero-shot' ? '6 4' : '',
        hollow: g.key === 'zero-shot',
        points: ks.filter((k) => g.byK.has(k)).map((k) => {
          const ms = meanStdOf(g.byK.get(k).values);
          return { x: Math.log2(k), y: ms.mean, lo: ms.mean - ms.std, hi: ms.mean + ms.std,
            title: `${name}, k = ${k}: ${pct(ms.mean)} ± ${pct(ms.std)} over ${ms.n} seed${ms.n === 1 ? '' : 's'}` };
        }),
      };
    });
    // kernels first, then fine-tuning, then zero-shot, as in the results table
    const order = (g) => (g.key === 'zero-shot' ? 3 : g.family === 'kernel' ? 1 : 2);
    series.sort((a, b) => order(groups.get(a.key)) - order(groups.get(b.key)));

    const drawPlot = () => {
      const width = Math.max(300, Math.min(900, plotBox.clientWidth || 640));
      put(clear(plotBox), lineChart(series, {
        width, plotHeight: 240, title: `${split === 'test' ? 'Test' : 'Dev'} ${metric} (%) against k: mean ± std`,
        xLabel: 'k, examples per class (log scale)', xTicks: ks.map(Math.log2), xTickLabel: (v) => String(Math.round(2 ** v)),
        xFmt: (v) => `k = ${Math.round(2 ** v)}`, yFmt: (v) => `${Number((100 * v).toFixed(1))}`, yMin: 0, yMax: 1,
        xDomain: ks.length === 1 ? [Math.log2(ks[0]) - 1, Math.log2(ks[0]) + 1] : null,
        refs: chance ? [{ label: 'chance', value: chance.value }] : [] }));
    };
    drawPlot();
    if (resizeObs) resizeObs.disconnect();
    let lastW = plotBox.clientWidth;
    resizeObs = new ResizeObserver(() => {
      if (Math.abs(plotBox.clientWidth - lastW) > 8) { lastW = plotBox.clientWidth; drawPlot(); }
    });
    resizeObs.observe(plotBox);

    put(tableBox, h('table', { class: 'data', id: 'kshot-table' },
      h('caption', { class: 'visually-hidden' }, `${metric} (%) per method and k: mean (std) over seeds`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Method'), ks.map((k) => h('th', { scope: 'col', class: 'num' }, `k = ${k}`)))),
      h('tbody', {}, series.map((sr) => {
        const g = groups.get(sr.key);
        return h('tr', { dataset: { method: sr.key, family: g.family } },
          h('th', { scope: 'row' }, h('span', { class: 'dot', style: `background:${sr.color}` }), sr.key),
          ks.map((k) => {
            const cell = g.byK.get(k);
            if (!cell) return h('td', { class: 'num muted', dataset: { k: String(k) } }, '—');
            const ms = meanStdOf(cell.values);
            return h('td', { class: 'num', dataset: { k: String(k), mean: String(ms.mean), std: String(ms.std), n: String(ms.n) },
              title: `${ms.n} seeds from ${cell.exps.size} experiment${cell.exps.size === 1 ? '' : 's'}` },
            `${pct(ms.mean)} (${pct(ms.std)})`, h('span', { class: 'muted small' }, ` n=${ms.n}`));
          }));
      }))),
    chance ? h('p', { class: 'muted small', id: 'kshot-chance' }, `Chance ${pct(chance.value)}: ${chance.rule}.`) : null);

    put(usedBox, h('details', { class: 'card' }, h('summary', {}, `The ${mine.length} experiments`),
      h('ul', {}, mine.map((e) => h('li', {}, h('a', { href: `#/experiments/${e.id}` }, e.name || e.id.slice(0, 8)),
        h('span', { class: 'muted' }, ` k = ${(e.spec && e.spec.k) ?? 16}, seeds ${((e.spec && e.spec.seeds) || []).join(', ') || 'default'}`))))));
  }

  taskSel.addEventListener('change', () => { task = taskSel.value; model = ''; setQuery(); loadTask().catch(fail); });
  modelSel.addEventListener('change', () => { model = modelSel.value; setQuery(); draw(); });
  for (const r of [splitTest, splitDev]) {
    r.addEventListener('change', () => { split = splitDev.checked ? 'dev' : 'test'; setQuery(); draw(); });
  }
  function fail(e) { if (!disposed) status.textContent = `Cannot load: ${e.detail || e.message}`; }

  (async () => {
    tasks = (await getCatalog()).tasks || [];
    if (!task) {
      const last = await listExperiments({ state: 'succeeded', limit: 50 });
      const withTask = last.experiments.find((e) => e.task);
      task = withTask ? withTask.task : (tasks[0] && tasks[0].name) || '';
    }
    if (disposed) return;
    put(clear(taskSel), tasks.filter((t) => t.classes !== null || t.name === task).map((t) =>
      h('option', { value: t.name, selected: t.name === task }, t.name)));
    await loadTask();
  })().catch(fail);

  return () => { disposed = true; if (resizeObs) resizeObs.disconnect(); };
}
