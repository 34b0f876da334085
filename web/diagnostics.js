// diagnostics.js - the kernel-behaviour diagnostics panel (spec §6.2).
//
// The result's "diagnostics" (common/run/run.c, common/diag/diag.c) is an
// array with one entry per fine-tuning job:
//   {method: "finetune:0", seed, model?, diagnostics: {
//      linearization: {metric_pretrained, metric_finetuned, metric_linearized,
//                      gain_recovered, agreement_linearized_finetuned},
//      fixed_features: {kernel, params, kernel_distance, grad_change_mean|median|max},
//      agreement: {kernel_method, kernel_metric, kernel_ft_ratio, prediction_agreement},
//      spectrum: {pretrained|finetuned: {n, top_eigenvalues, trace,
//                 effective_rank_participation, effective_rank_entropy}},
//      verdict: {linearization_holds, fixed_features, kernel_solves_task,
//                kernel_behavior (true | false | null = undecided), thresholds, rule}}}
// Grouped here by method: the means over seeds, a per-seed table and the
// spectrum of K(θ0) against K(θ_FT).  Anything else is shown generically.

import { clear, get, h, isNum, methodInfo, num, pct, put } from './dom.js';
import { FAMILY_COLOR, spectrumPlot } from './plots.js';

const DEFAULT_TH = { min_linearization_gain: 0.5, max_kernel_distance: 0.1, min_kernel_ft_ratio: 0.9 };

function mean(xs) {
  const v = xs.filter(isNum);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

function isRunnerShape(d) {
  return Array.isArray(d) && d.length > 0 && d.every((e) => e && typeof e === 'object' && e.diagnostics && typeof e.diagnostics === 'object');
}

// Renders the panel's content into box.  d: the API's diagnostics (or null).
export function renderDiagnostics(box, d, { spec, labels, state, terminal }) {
  const specD = spec && spec.diagnostics;
  const wanted = !!specD && specD.enabled !== false;
  clear(box);
  if (!d || (typeof d === 'object' && Object.keys(d).length === 0)) {
    const pending = wanted && !terminal;
    const why = wanted
      ? (pending ? 'They are computed when the fine-tuning jobs finish.'
        : `The spec asked for diagnostics, but the result has none${state === 'succeeded' ? '' : ` (the experiment ${state})`}.`)
      : 'Diagnostics compare the kernel with fine-tuning: add fine-tuning methods and "diagnostics": {"enabled": true} to the spec.';
    put(box, h('p', { class: 'not-run', id: 'diag-status', dataset: { status: pending ? 'pending' : 'not-run' } },
      h('strong', {}, pending ? 'Pending. ' : 'Not run. '), why));
    return;
  }
  const wrap = h('div', { class: 'diag-list', id: 'diag-status', dataset: { status: 'run' } });
  put(box, wrap);
  if (!isRunnerShape(d)) {
    put(wrap, h('pre', { class: 'code' }, JSON.stringify(d, null, 2)));
    return;
  }
  const groups = new Map();
  for (const e of d) {
    const key = `${e.method}${e.model ? ` @ ${e.model}` : ''}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(e);
  }
  for (const [key, entries] of groups) put(wrap, methodCard(key, entries, labels));
}

function flag(v, yes = 'yes', no = 'no') {
  if (v === true) return h('span', { class: 'flag yes', dataset: { flag: 'true' } }, `✓ ${yes}`);
  if (v === false) return h('span', { class: 'flag no', dataset: { flag: 'false' } }, `✗ ${no}`);
  return h('span', { class: 'flag undecided', dataset: { flag: 'null' } }, '? undecided');
}

function count(entries, path) {
  const vals = entries.map((e) => get(e.diagnostics, path));
  return { yes: vals.filter((v) => v === true).length, no: vals.filter((v) => v === false).length,
    undecided: vals.filter((v) => v !== true && v !== false).length, n: vals.length };
}

function countText(c) {
  const parts = [];
  if (c.yes) parts.push(`yes in ${c.yes}`);
  if (c.no) parts.push(`no in ${c.no}`);
  if (c.undecided) parts.push(`undecided in ${c.undecided}`);
  return `${parts.join(', ')} of ${c.n} seed${c.n === 1 ? '' : 's'}`;
}

function methodCard(key, entries, labels) {
  const method = entries[0].method;
  const mi = methodInfo(method, labels);
  const th = { ...DEFAULT_TH, ...(get(entries[0].diagnostics, 'verdict.thresholds') || {}) };
  const D = (e, p) => get(e.diagnostics, p);
  const m = (p) => mean(entries.map((e) => D(e, p)));
  const kernelMethods = [...new Set(entries.map((e) => D(e, 'agreement.kernel_method')).filter(Boolean))];
  const kLabel = kernelMethods.map((k) => methodInfo(k, labels).label).join(', ') || 'the kernel';

  const headline = (name, value, fmt, verdictPath, what, hint) => {
    const c = verdictPath ? count(entries, verdictPath) : null;
    const cls = c ? (c.yes === c.n ? ' pass' : c.no > 0 ? ' fail' : '') : '';
    return h('div', { class: `diag-metric${cls}`, dataset: { metric: name } },
      h('div', { class: 'diag-name' }, what),
      h('div', { class: 'diag-value', dataset: { value: isNum(value) ? String(value) : '' } }, isNum(value) ? fmt(value) : '—'),
      c ? h('div', { class: 'diag-check' }, `${hint}: ${countText(c)}`) : h('div', { class: 'diag-check muted' }, hint));
  };
  const behaviour = count(entries, 'verdict.kernel_behavior');
  const all = behaviour.n === 1 ? 'the seed' : behaviour.n === 2 ? 'both seeds' : `all ${behaviour.n} seeds`;
  const verdictText = behaviour.yes === behaviour.n ? `kernel behaviour in ${all}: the linearized model recovers fine-tuning's gain and the kernel barely moves`
    : behaviour.no === behaviour.n ? `no kernel behaviour in ${behaviour.n === 1 ? 'the seed' : `any of the ${behaviour.n} seeds`}`
      : behaviour.undecided === behaviour.n ? `undecided in ${all} (fine-tuning did not beat zero-shot, so there is no gain for the linearized model to recover)`
        : `kernel behaviour ${countText(behaviour)}`;

  // per-seed table
  const cell = (v, fmt, col, extra) => h('td', { class: 'num', dataset: { col, value: isNum(v) ? String(v) : '' } },
    isNum(v) ? fmt(v) : '—', extra || null);
  const rows = entries.map((e) => h('tr', { dataset: { seed: String(e.seed) } },
    h('th', { scope: 'row' }, String(e.seed)),
    cell(D(e, 'linearization.metric_pretrained'), pct, 'pt'),
    cell(D(e, 'linearization.metric_finetuned'), pct, 'ft'),
    cell(D(e, 'linearization.metric_linearized'), pct, 'lin'),
    cell(D(e, 'linearization.gain_recovered'), (x) => x.toFixed(3), 'gain'),
    cell(D(e, 'fixed_features.kernel_distance'), (x) => x.toFixed(4), 'distance'),
    cell(D(e, 'fixed_features.grad_change_median'), (x) => x.toFixed(4), 'grad-change'),
    cell(D(e, 'agreement.kernel_metric'), pct, 'kernel'),
    cell(D(e, 'agreement.kernel_ft_ratio'), (x) => x.toFixed(3), 'ratio'),
    cell(D(e, 'agreement.prediction_agreement'), pct, 'agreement'),
    h('td', { class: 'num', dataset: { col: 'erank' } },
      `${num(D(e, 'spectrum.pretrained.effective_rank_entropy'), 3)} → ${num(D(e, 'spectrum.finetuned.effective_rank_entropy'), 3)}`),
    h('td', { dataset: { col: 'verdict' } }, flag(D(e, 'verdict.kernel_behavior'), 'kernel', 'not kernel'))));
  const table = h('table', { class: 'data diag-table' },
    h('caption', { class: 'visually-hidden' }, `Diagnostics of ${mi.label} per seed`),
    h('thead', {}, h('tr', {}, ['Seed', 'PT', 'FT', 'Lin.', 'Gain', 'K dist.', 'Δg med.', kLabel, 'K/FT', 'Agree', 'Eff. rank θ0 → θFT', 'Kernel behaviour']
      .map((c, i) => h('th', { scope: 'col', class: i && i < 11 ? 'num' : null }, c)))),
    h('tbody', {}, rows));

  // the spectrum of K(θ0) and K(θ_FT), per seed
  const seedSel = h('select', { id: `diag-seed-${method.replace(/[^a-z0-9]/gi, '-')}` },
    entries.map((e, i) => h('option', { value: String(i) }, `seed ${e.seed}`)));
  const plotBox = h('div', { class: 'plot-box' });
  const drawSpectrum = () => {
    const e = entries[Number(seedSel.value)];
    const p0 = D(e, 'spectrum.pretrained.top_eigenvalues'), p1 = D(e, 'spectrum.finetuned.top_eigenvalues');
    const series = [];
    if (Array.isArray(p0)) series.push({ name: 'K(θ0)', values: p0, color: FAMILY_COLOR.kernel });
    if (Array.isArray(p1)) series.push({ name: 'K(θFT)', values: p1, color: FAMILY_COLOR.finetune });
    clear(plotBox);
    if (series.length) {
      const n = D(e, 'spectrum.pretrained.n');
      put(plotBox, spectrumPlot(series, { width: Math.max(260, Math.min(520, plotBox.clientWidth || 480)), height: 220,
        title: `Train kernel eigenvalues${isNum(n) && n > series[0].values.length ? ` (top ${series[0].values.length} of ${n})` : ''}` }));
    }
  };
  seedSel.addEventListener('change', drawSpectrum);

  const card = h('div', { class: 'diag-card', dataset: { method } },
    h('h3', {}, h('span', { class: 'dot fam-finetune' }), `${mi.label} `, h('span', { class: 'muted small' }, key)),
    h('p', { class: 'verdict', dataset: { yes: String(behaviour.yes), no: String(behaviour.no), undecided: String(behaviour.undecided) } },
      h('strong', {}, 'Verdict: '), `${verdictText}.`),
    h('div', { class: 'diag-grid' },
      headline('gain', m('linearization.gain_recovered'), (x) => x.toFixed(3), 'verdict.linearization_holds',
        'Linearization gain recovered', `≥ ${th.min_linearization_gain}`),
      headline('distance', m('fixed_features.kernel_distance'), (x) => x.toFixed(4), 'verdict.fixed_features',
        'Kernel distance ‖K(θFT) − K(θ0)‖/‖K(θ0)‖', `≤ ${th.max_kernel_distance}`),
      headline('agreement', m('agreement.prediction_agreement'), (x) => `${pct(x)}%`, null,
        `Test predictions: ${kLabel} = FT`, 'agreement, mean over seeds'),
      headline('ratio', m('agreement.kernel_ft_ratio'), (x) => x.toFixed(3), 'verdict.kernel_solves_task',
        'eNTK metric / FT metric', `≥ ${th.min_kernel_ft_ratio}`)),
    h('div', { class: 'table-scroll' }, table),
    h('div', { class: 'diag-spectrum' },
      h('div', { class: 'field field-inline' }, h('label', { for: seedSel.id }, 'Spectrum of'), seedSel),
      plotBox),
    h('p', { class: 'muted small' },
      'Gain: (lin − PT)/(FT − PT), undecided when FT does not beat zero-shot. Thresholds are third-party readings (spec §6.2, unverified); ',
      'K dist. is on the sgd train kernel over the fine-tuned parameters; Δg: per-example relative gradient change.'));
  requestAnimationFrame(drawSpectrum);
  return card;
}
