// compare.js - several experiments side by side as a tasks x methods table,
// like the paper's tables: columns are tasks, row groups are k, rows are
// methods, cells "mean (std)" in percent over the seeds.

import { getExperiment, listExperiments } from './api.js';
import { clear, h, isNum, methodInfo, pct, stateBadge, summaryRows, put } from './dom.js';
import { isPretrain } from './pretrain.js';

const FAMILY_ORDER = { 'zero-shot': 0, finetune: 1, kernel: 2, other: 3 };

export function render(root, ctx) {
  ctx.setTitle('Compare');
  let ids = (ctx.params.get('ids') || '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
  let split = ctx.params.get('split') === 'dev' ? 'dev' : 'test';
  let exps = [];

  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const tableBox = h('div', { class: 'table-scroll', id: 'compare-box' });
  const pickerList = h('div', { class: 'picker-list' });
  const splitTest = h('input', { type: 'radio', name: 'split', id: 'split-test', value: 'test', checked: split === 'test' });
  const splitDev = h('input', { type: 'radio', name: 'split', id: 'split-dev', value: 'dev', checked: split === 'dev' });
  const picker = h('details', { class: 'card', open: ids.length === 0 },
    h('summary', {}, h('h2', { class: 'inline' }, 'Choose experiments')),
    h('p', { class: 'muted small' }, 'Finished experiments, newest first.'),
    pickerList,
    h('button', { type: 'button', class: 'primary', id: 'compare-apply' }, 'Compare these'));

  put(root, 
    h('div', { class: 'page-head' }, h('h1', {}, 'Compare experiments')),
    h('fieldset', { class: 'inline-group' }, h('legend', {}, 'Split'),
      h('span', { class: 'choice' }, splitTest, h('label', { for: 'split-test' }, 'test')),
      h('span', { class: 'choice' }, splitDev, h('label', { for: 'split-dev' }, 'dev'))),
    status, tableBox, picker);

  for (const r of [splitTest, splitDev]) {
    r.addEventListener('change', () => {
      split = splitDev.checked ? 'dev' : 'test';
      ctx.replaceQuery({ ids: ids.join(','), split: split === 'dev' ? 'dev' : '' });
      draw();
    });
  }
  picker.querySelector('#compare-apply').addEventListener('click', () => {
    const chosen = [...pickerList.querySelectorAll('input:checked')].map((x) => x.value);
    ctx.navigate(`#/compare?ids=${chosen.join(',')}${split === 'dev' ? '&split=dev' : ''}`);
  });

  function label(e) { return e.name || e.id.slice(0, 8); }
  // pre-training runs have no task and no accuracy to compare
  const noTask = (e) => isPretrain(e) || !e.task;

  function draw() {
    clear(tableBox);
    const done = exps.filter((e) => e.result && !noTask(e));
    if (!ids.length) { status.textContent = 'Pick experiments below, or tick them in the list.'; return; }
    const pending = exps.filter((e) => !e.result && !noTask(e));
    const skipped = exps.filter(noTask);
    status.textContent = [
      pending.length ? `Without results yet: ${pending.map((e) => `${label(e)} (${e.state})`).join(', ')}.` : '',
      skipped.length ? `Pre-training runs have no task to compare: ${skipped.map(label).join(', ')} left out.` : '',
    ].filter(Boolean).join(' ');
    if (!done.length) return;

    const models = new Set(done.map((e) => e.model || 'default'));
    const colKey = (e) => (models.size > 1 ? `${e.task} · ${e.model || 'default'}` : e.task);
    // cells[(k, method label)][column] = {ms, exp, method}
    const build = (perExperiment) => {
      const cols = [], colIndex = new Map(), cells = new Map(), rowsMeta = new Map();
      let clash = false;
      for (const e of done) {
        const key = perExperiment ? e.id : colKey(e);
        if (!colIndex.has(key)) { colIndex.set(key, cols.length); cols.push({ key, exps: [] }); }
        const col = colIndex.get(key);
        cols[col].exps.push(e);
        const k = (e.spec && e.spec.k) ?? 16;
        const rows = summaryRows(e.result);
        const entries = rows.map((r) => ({ mi: methodInfo(r.method, e.method_labels), ms: r[split], method: r.method, model: r.model }));
        const zs = rows.find((r) => r[`zero_shot_${split}`]);
        if (zs) entries.unshift({ mi: methodInfo('zero-shot', e.method_labels), ms: zs[`zero_shot_${split}`], method: 'zero-shot' });
        for (const en of entries) {
          const rk = `${k}|${en.mi.label}${en.model ? ` @ ${en.model}` : ''}`;
          if (!rowsMeta.has(rk)) rowsMeta.set(rk, { k, label: en.mi.label + (en.model ? ` @ ${en.model}` : ''), family: en.mi.family, method: en.method });
          if (!cells.has(rk)) cells.set(rk, new Map());
          if (cells.get(rk).has(col)) clash = true;
          cells.get(rk).set(col, { ms: en.ms, exp: e, method: en.method });
        }
      }
      return { cols, cells, rowsMeta, clash };
    };
    let t = build(false);
    if (t.clash) t = build(true);
    const rowKeys = [...t.rowsMeta.keys()].sort((a, b) => {
      const A = t.rowsMeta.get(a), B = t.rowsMeta.get(b);
      const best = (m) => (m.method === 'kernel' ? 1 : 0); // the best-of-formulas row last
      return (A.k - B.k) || (FAMILY_ORDER[A.family] - FAMILY_ORDER[B.family]) || (best(A) - best(B)) ||
        A.label.localeCompare(B.label);
    });
    // best per (column, k), zero-shot excluded
    const best = new Map();
    for (const rk of rowKeys) {
      const meta = t.rowsMeta.get(rk);
      if (meta.family === 'zero-shot') continue;
      for (const [col, c] of t.cells.get(rk)) {
        const key = `${meta.k}|${col}`;
        if (c.ms && isNum(c.ms.mean) && (!best.has(key) || c.ms.mean > best.get(key))) best.set(key, c.ms.mean);
      }
    }
    const body = [];
    let lastK = null;
    for (const rk of rowKeys) {
      const meta = t.rowsMeta.get(rk);
      if (meta.k !== lastK) {
        body.push(h('tr', { class: 'group-row' }, h('th', { scope: 'rowgroup', colspan: String(t.cols.length + 1) }, `k = ${meta.k}`)));
        lastK = meta.k;
      }
      body.push(h('tr', { dataset: { family: meta.family } },
        h('th', { scope: 'row' }, h('span', { class: `dot fam-${meta.family}` }), meta.label),
        t.cols.map((_, col) => {
          const c = t.cells.get(rk).get(col);
          if (!c || !c.ms || !isNum(c.ms.mean)) return h('td', { class: 'num muted' }, '—');
          const isBest = meta.family !== 'zero-shot' && best.get(`${meta.k}|${col}`) === c.ms.mean;
          return h('td', { class: `num${isBest ? ' best' : ''}`, title: `${label(c.exp)}: ${c.method}`,
            dataset: { exp: c.exp.id, method: c.method, value: String(c.ms.mean), std: String(c.ms.std) } },
          `${pct(c.ms.mean)} (${pct(c.ms.std)})`);
        })));
    }
    const metricOf = (e) => (e.result.metric === 'f1' ? 'F1' : 'acc');
    const table = h('table', { class: 'data compare-table', id: 'compare-table' },
      h('caption', {}, `${split === 'test' ? 'Test' : 'Dev'} metric (%), mean (std) over seeds; the best method per task and k in bold.`),
      h('thead', {},
        h('tr', {}, h('th', { scope: 'col' }, 'Method'),
          t.cols.map((c) => h('th', { scope: 'col', class: 'num' },
            h('div', {}, c.exps[0].task),
            h('div', { class: 'muted small' }, c.exps.map((e) => h('a', { href: `#/experiments/${e.id}` }, label(e)))
              .flatMap((a, i) => (i ? [', ', a] : [a]))),
            h('div', { class: 'muted small' }, `${c.exps[0].model || 'default'} · ${metricOf(c.exps[0])}`))))),
      h('tbody', {}, body));
    put(tableBox, table);
  }

  async function loadExperiments() {
    if (!ids.length) { draw(); return; }
    status.textContent = `Loading ${ids.length} experiment${ids.length === 1 ? '' : 's'}…`;
    const got = await Promise.all(ids.map((id) => getExperiment(id).catch((e) => ({ id, error: e.detail, state: 'missing' }))));
    if (!ctx.alive()) return;
    exps = got.filter((e) => !e.error || e.state !== 'missing');
    const missing = got.filter((e) => e.state === 'missing');
    draw();
    if (missing.length) status.textContent += ` Not found: ${missing.map((e) => e.id.slice(0, 8)).join(', ')}.`;
  }

  async function loadPicker() {
    try {
      const page = await listExperiments({ state: 'succeeded', limit: 100 });
      if (!ctx.alive()) return;
      clear(pickerList);
      if (!page.experiments.length) { put(pickerList, h('p', { class: 'muted' }, 'No finished experiments yet.')); return; }
      for (const e of page.experiments.filter((x) => x.task)) {
        const cid = `pick-${e.id}`;
        put(pickerList, h('div', { class: 'choice' },
          h('input', { type: 'checkbox', id: cid, value: e.id, checked: ids.includes(e.id) }),
          h('label', { for: cid }, `${label(e)} — ${e.task}, ${e.model || 'default'}`, ' ', stateBadge(e.state))));
      }
    } catch (e) {
      put(pickerList, h('p', { class: 'error' }, `Cannot list experiments: ${e.detail}`));
    }
  }

  loadExperiments();
  loadPicker();
  return () => {};
}
