// pretrain.js - pre-training on the experiment page.
//
//   renderCurve(section, result, {spec, labels, chance}) - a checkpoint sweep against
//     pre-training steps (result.pretraining_curve, ordered by pretrain_step
//     with unknown steps last):
//       [{model, pretrain_step | null, pretrain_tokens?,
//         methods: [{method, dev: {mean, std}, test: {mean, std}, zero_shot_test?}],
//         diagnostics: [{method, values: {"linearization.gain_recovered": {mean, std}, ...}}]}]
//     draws test (or dev) accuracy per method with a ±std band, zero-shot
//     dashed and chance dotted; any diagnostic (a select box over the union
//     of the values' names) per fine-tuning method; and the table.
//   pretrainRunView() - a pre-training experiment (spec.pretrain; its result
//     {kind: "pretrain", pretrain: {out, steps, final_step, parameters,
//     tokens, tokens_per_s, seconds, final_loss, checkpoints: [{step, model}],
//     loss: [{step, loss, lr, tokens}]}}): the loss curve (while the job runs,
//     drawn from its stage text "step 120/5000 loss 7.21"), its numbers, the
//     checkpoints and a link that opens the submit form with them as a sweep.
//     (The job's stage is common/run/pretrain_job.c's
//     "step S/N loss L, T tok/s"; its result may say resumed_from_step.)

import { clear, compact, h, isNum, meanStd, methodInfo, num, put, seconds } from './dom.js';
import { FAMILY_COLOR, lineChart } from './plots.js';

const PALETTE = {
  kernel: ['#2f6db5', '#5b9bd5', '#1b3f73', '#3c8d93'],
  finetune: ['#d9731a', '#a8440e', '#e0a040', '#8f6a12'],
  other: ['#6b5b95', '#9c7fc4', '#4d3d75'],
};
const SHAPES = ['circle', 'square', 'triangle', 'diamond'];

// Diagnostics' names as the diagnostics panel words them; others as they are.
const DIAG_LABEL = {
  'linearization.gain_recovered': 'Linearization gain recovered',
  'linearization.metric_pretrained': 'Pre-trained metric',
  'linearization.metric_finetuned': 'Fine-tuned metric',
  'linearization.metric_linearized': 'Linearized metric',
  'linearization.agreement_linearized_finetuned': 'Agreement linearized = FT',
  'fixed_features.kernel_distance': 'Kernel distance ‖K(θFT) − K(θ0)‖/‖K(θ0)‖',
  'fixed_features.grad_change_median': 'Median gradient change',
  'fixed_features.grad_change_mean': 'Mean gradient change',
  'fixed_features.grad_change_max': 'Largest gradient change',
  'agreement.kernel_metric': 'Kernel metric',
  'agreement.kernel_ft_ratio': 'eNTK metric / FT metric',
  'agreement.prediction_agreement': 'Test predictions: kernel = FT',
  'spectrum.pretrained.effective_rank_entropy': 'Effective rank of K(θ0)',
  'spectrum.finetuned.effective_rank_entropy': 'Effective rank of K(θFT)',
};
const DIAG_FIRST = ['linearization.gain_recovered', 'fixed_features.kernel_distance', 'agreement.kernel_ft_ratio',
  'agreement.prediction_agreement'];
// The verdict's thresholds, drawn as references (spec.diagnostics overrides).
const DIAG_THRESHOLD = {
  'linearization.gain_recovered': ['min_linearization_gain', 0.5, 'gain threshold'],
  'fixed_features.kernel_distance': ['max_kernel_distance', 0.1, 'distance threshold'],
  'agreement.kernel_ft_ratio': ['min_kernel_ft_ratio', 0.9, 'ratio threshold'],
};

// The last part of a model path: "run/checkpoint-500" -> "checkpoint-500".
export function shortModel(m) {
  const parts = String(m ?? '').split('/').filter(Boolean);
  return parts.length ? parts[parts.length - 1] : String(m ?? '');
}

// A {mean, std} (or a bare number) as {mean, std}, or null.
function ms(v) {
  if (isNum(v)) return { mean: v, std: 0 };
  if (v && isNum(v.mean)) return { mean: v.mean, std: isNum(v.std) ? v.std : 0 };
  return null;
}

// Methods in the results table's order (kernel formulas, the best kernel,
// fine-tuning, others; else first appearance), each with a colour and a symbol.
export function methodStyles(methods, labels) {
  const rank = (m) => { const f = methodInfo(m, labels).family; return f === 'kernel' ? (m === 'kernel' ? 1 : 0) : f === 'finetune' ? 2 : 3; };
  const sorted = methods.map((m, i) => [m, i]).sort((a, b) => (rank(a[0]) - rank(b[0])) || (a[1] - b[1])).map((x) => x[0]);
  const used = {};
  return new Map(sorted.map((m, i) => {
    const mi = methodInfo(m, labels);
    const fam = PALETTE[mi.family] ? mi.family : 'other';
    const k = used[fam] = (used[fam] ?? -1) + 1;
    return [m, { label: mi.label, family: mi.family, color: PALETTE[fam][k % PALETTE[fam].length], shape: SHAPES[i % SHAPES.length] }];
  }));
}

// The x axis of a curve: pre-training steps, or the checkpoints' order when
// no step is known.
export function stepAxis(curve) {
  const known = curve.filter((p) => isNum(p.pretrain_step));
  if (!known.length) {
    return { byIndex: true, x: (p, i) => i, ticks: curve.map((_, i) => i), unknown: 0,
      tick: (v) => shortModel(curve[v] && curve[v].model), xLabel: 'checkpoint (pre-training steps unknown)',
      where: (p, i) => shortModel(p.model || `#${i + 1}`) };
  }
  return { byIndex: false, x: (p) => (isNum(p.pretrain_step) ? p.pretrain_step : null), ticks: known.map((p) => p.pretrain_step),
    unknown: curve.length - known.length, tick: (v) => compact(v), xLabel: 'pre-training step',
    where: (p) => `step ${p.pretrain_step}` };
}

// The accuracy series of a curve for a split ('test' or 'dev'): one per
// method, then zero-shot where the points carry it.
export function accuracySeries(curve, split, labels) {
  const ax = stepAxis(curve);
  const methods = [];
  for (const p of curve) for (const e of p.methods || []) if (e && e.method && !methods.includes(e.method)) methods.push(e.method);
  const styles = methodStyles(methods, labels);
  const series = [...styles].map(([m, st]) => ({
    key: m, name: st.label, color: st.color, shape: st.shape,
    points: curve.map((p, i) => {
      const e = (p.methods || []).find((x) => x && x.method === m);
      const v = ms(e && e[split]);
      const x = ax.x(p, i);
      if (x === null) return null;
      return { x, y: v ? v.mean : null, lo: v ? v.mean - v.std : null, hi: v ? v.mean + v.std : null,
        title: `${st.label}, ${ax.where(p, i)}: ${v ? meanStd(v) : '—'}` };
    }).filter(Boolean),
  }));
  const zsKey = `zero_shot_${split}`;
  const zs = curve.map((p, i) => {
    const x = ax.x(p, i);
    if (x === null) return null;
    const e = (p.methods || []).find((q) => q && ms(q[zsKey]));
    const v = e ? ms(e[zsKey]) : null;
    return { x, y: v ? v.mean : null, title: `${methodInfo('zero-shot', labels).label}, ${ax.where(p, i)}: ${v ? meanStd(v) : '—'}` };
  }).filter(Boolean);
  if (zs.some((p) => isNum(p.y))) {
    series.push({ key: 'zero-shot', name: methodInfo('zero-shot', labels).label, color: FAMILY_COLOR['zero-shot'], dash: '6 4', shape: 'circle', hollow: true, points: zs });
  }
  return { series, axis: ax, methods: [...styles.keys()], styles };
}

// The union of the diagnostics' value names, the panel's headline ones first.
export function diagnosticNames(curve) {
  const names = new Set();
  for (const p of curve) for (const d of p.diagnostics || []) for (const k of Object.keys((d && d.values) || {})) names.add(k);
  const first = DIAG_FIRST.filter((k) => names.has(k));
  return [...first, ...[...names].filter((k) => !first.includes(k)).sort()];
}

// One series per fine-tuning method of a diagnostic's mean ± std.
export function diagnosticSeries(curve, name, labels) {
  const ax = stepAxis(curve);
  const methods = [];
  for (const p of curve) for (const d of p.diagnostics || []) if (d && d.method && !methods.includes(d.method)) methods.push(d.method);
  const styles = methodStyles(methods, labels);
  return [...styles].map(([m, st]) => ({
    key: m, name: st.label, color: st.color, shape: st.shape,
    points: curve.map((p, i) => {
      const x = ax.x(p, i);
      if (x === null) return null;
      const d = (p.diagnostics || []).find((q) => q && q.method === m);
      const v = ms(d && d.values && d.values[name]);
      return { x, y: v ? v.mean : null, lo: v ? v.mean - v.std : null, hi: v ? v.mean + v.std : null,
        title: `${st.label}, ${ax.where(p, i)}: ${v ? `${num(v.mean, 4)} ± ${num(v.std, 3)}` : '—'}` };
    }).filter(Boolean),
  }));
}

const pctTick = (v) => `${Number((100 * v).toFixed(1))}`;

// Fills section (a card) with the sweep's curves; returns a cleanup.
export function renderCurve(section, result, { spec, labels, chance } = {}) {
  const curve = Array.isArray(result.pretraining_curve) ? result.pretraining_curve : [];
  spec = spec || result.spec || {};
  const metric = result.metric === 'f1' ? 'F1' : 'accuracy';

  const splitSel = h('select', { id: 'pretraining-split' },
    h('option', { value: 'test' }, 'test'), h('option', { value: 'dev' }, 'dev'));
  const plotBox = h('div', { class: 'plot-box', id: 'pretraining-plot' });
  const tableBox = h('div', { class: 'table-scroll' });
  const names = diagnosticNames(curve);
  const diagSel = names.length ? h('select', { id: 'pretraining-diag' }, names.map((n) =>
    h('option', { value: n }, DIAG_LABEL[n] ? `${DIAG_LABEL[n]} (${n})` : n))) : null;
  const diagBox = h('div', { class: 'plot-box', id: 'pretraining-diag-plot' });
  const ax = stepAxis(curve);

  put(clear(section), h('h2', { id: 'pretraining-h' }, 'Pre-training'),
    h('p', { class: 'muted small' },
      `${metric === 'F1' ? 'F1' : 'Accuracy'} (%) of each method at each checkpoint: the mean over seeds, with a band of ± one population std; `,
      'zero-shot f0 dashed', chance !== null ? ', chance dotted' : '', '. ',
      ax.unknown ? `${ax.unknown} checkpoint${ax.unknown === 1 ? ' has' : 's have'} no known step: in the table only. ` : '',
      ax.byIndex ? 'No checkpoint has a known pre-training step: they are spaced evenly in sweep order.' : ''),
    h('div', { class: 'controls' }, h('div', { class: 'field' }, h('label', { for: 'pretraining-split' }, 'Split'), splitSel)),
    plotBox,
    h('h3', {}, 'Diagnostics against pre-training'),
    diagSel
      ? [h('div', { class: 'controls' }, h('div', { class: 'field' }, h('label', { for: 'pretraining-diag' }, 'Diagnostic'), diagSel)), diagBox]
      : h('p', { class: 'muted', id: 'pretraining-diag-none' }, 'No diagnostics in this sweep (they need fine-tuning methods and "diagnostics": {"enabled": true}).'),
    h('h3', {}, 'Per checkpoint'),
    tableBox);

  const widthOf = (box) => Math.max(300, Math.min(900, box.clientWidth || 640));
  // both plots span every plotted checkpoint, so that they line up
  const xDomain = ax.ticks.length ? [Math.min(...ax.ticks), Math.max(...ax.ticks)] : null;
  function drawAccuracy() {
    const split = splitSel.value;
    const { series, methods, styles } = accuracySeries(curve, split, labels);
    put(clear(plotBox), lineChart(series, {
      width: widthOf(plotBox), plotHeight: 220, title: `${split === 'test' ? 'Test' : 'Dev'} ${metric} (%) against pre-training`,
      xLabel: ax.xLabel, xTicks: ax.ticks, xTickLabel: ax.tick, xFmt: ax.byIndex ? ax.tick : (v) => `step ${v}`, xDomain,
      yFmt: pctTick, yMin: 0, yMax: 1, refs: chance ? [{ label: 'chance', value: chance.value }] : [] }));
    drawTable(split, methods, styles, series.some((x) => x.key === 'zero-shot'));
  }
  function drawDiagnostic() {
    if (!diagSel) return;
    const name = diagSel.value;
    const th = DIAG_THRESHOLD[name];
    const thv = th ? ((spec.diagnostics && isNum(spec.diagnostics[th[0]])) ? spec.diagnostics[th[0]] : th[1]) : null;
    put(clear(diagBox), lineChart(diagnosticSeries(curve, name, labels), {
      width: widthOf(diagBox), plotHeight: 180, title: `${DIAG_LABEL[name] || name}, mean ± std over seeds`,
      xLabel: ax.xLabel, xTicks: ax.ticks, xTickLabel: ax.tick, xFmt: ax.byIndex ? ax.tick : (v) => `step ${v}`, xDomain,
      yFmt: (v) => num(v, 3), refs: thv !== null ? [{ label: th[2], value: thv }] : [] }));
    diagBox.dataset.name = name;
  }
  function drawTable(split, methods, styles, hasZs) {
    const zsKey = `zero_shot_${split}`;
    const cell = (p, method, v) => h('td', { class: 'num', dataset: { method, step: String(p.pretrain_step ?? ''), col: split,
      value: v ? String(v.mean) : '' } }, v ? meanStd(v) : '—');
    const rows = curve.map((p) => {
      const zsE = (p.methods || []).find((q) => q && ms(q[zsKey]));
      return h('tr', { dataset: { model: p.model ?? '', step: String(p.pretrain_step ?? '') } },
        h('th', { scope: 'row', class: 'num' }, isNum(p.pretrain_step) ? String(p.pretrain_step) : '—'),
        h('td', { class: 'num', title: isNum(p.pretrain_tokens) ? `${p.pretrain_tokens} tokens` : null }, isNum(p.pretrain_tokens) ? compact(p.pretrain_tokens) : '—'),
        h('td', {}, h('code', {}, p.model ?? '')),
        methods.map((m) => cell(p, m, ms(((p.methods || []).find((q) => q && q.method === m) || {})[split]))),
        hasZs ? cell(p, 'zero-shot', zsE ? ms(zsE[zsKey]) : null) : null);
    });
    put(clear(tableBox), h('table', { class: 'data pretraining-table', id: 'pretraining-table' },
      h('caption', {}, `${split === 'test' ? 'Test' : 'Dev'} ${metric} (%) per checkpoint: mean ± population std over seeds.`),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', class: 'num' }, 'Step'), h('th', { scope: 'col', class: 'num' }, 'Tokens'),
        h('th', { scope: 'col' }, 'Checkpoint'),
        methods.map((m) => h('th', { scope: 'col', class: 'num', title: m },
          h('span', { class: 'swatch', style: `background:${styles.get(m).color}` }), ' ', styles.get(m).label)),
        hasZs ? h('th', { scope: 'col', class: 'num' }, methodInfo('zero-shot', labels).label) : null)),
      h('tbody', {}, rows)));
  }

  splitSel.addEventListener('change', drawAccuracy);
  if (diagSel) diagSel.addEventListener('change', drawDiagnostic);
  drawAccuracy();
  drawDiagnostic();
  let lastW = plotBox.clientWidth;
  const obs = new ResizeObserver(() => {
    const w = plotBox.clientWidth;
    if (Math.abs(w - lastW) > 8) { lastW = w; drawAccuracy(); drawDiagnostic(); }
  });
  obs.observe(plotBox);
  return () => obs.disconnect();
}

// ---- a pre-training run ------------------------------------------------------

export function isPretrain(exp) {
  return !!exp && !!((exp.result && exp.result.kind === 'pretrain') || (exp.spec && exp.spec.pretrain));
}

// "step 120/5000 loss 7.210, 3400 tok/s" -> {step: 120, steps: 5000, loss: 7.21, tokensPerS: 3400}
export function parseStage(stage) {
  const text = String(stage || '');
  const m = /step\s+(\d+)\s*\/\s*(\d+)(?:.*?\bloss\s+([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))?/i.exec(text);
  if (!m) return null;
  const t = /([\d.]+(?:[eE][-+]?\d+)?)\s*tok(?:ens)?\/s/i.exec(text);
  return { step: Number(m[1]), steps: Number(m[2]), loss: m[3] !== undefined ? Number(m[3]) : null,
    tokensPerS: t ? Number(t[1]) : null };
}

// The submit form's address for a sweep of these models.
export function sweepHref(models) {
  return `#/submit?checkpoints=${models.map((m) => encodeURIComponent(m).replace(/%2F/gi, '/')).join(',')}`;
}

// The view of a pre-training experiment: {el, update(exp), dispose()}.
export function pretrainRunView() {
  const el = h('section', { class: 'card', id: 'pretrain', 'aria-labelledby': 'pretrain-h' });
  const live = []; // {step, loss} from the job's stage, while it runs
  let shown = null;
  let obs = null;
  let draw = null;

  function update(exp) {
    const spec = (exp.spec && exp.spec.pretrain) || (exp.result && exp.result.spec && exp.result.spec.pretrain) || {};
    const r = exp.result && exp.result.kind === 'pretrain' && exp.result.pretrain ? exp.result.pretrain : null;
    const job = (exp.jobs || []).find((j) => j.method === 'pretrain') || (exp.jobs || [])[0] || null;
    const st = job ? parseStage(job.stage) : null;
    if (st && isNum(st.loss) && (!live.length || st.step > live[live.length - 1].step)) live.push({ step: st.step, loss: st.loss });
    const key = JSON.stringify([!!r, r ? exp.result : live.length, exp.state, job && job.stage]);
    if (key === shown) return;
    shown = key;
    const focusedSweep = document.activeElement && el.contains(document.activeElement) ? document.activeElement.id : null;
    render(exp, spec, r, st, job);
    if (focusedSweep) { const f = document.getElementById(focusedSweep); if (f) f.focus(); }
  }

  function render(exp, spec, r, st, job) {
    const steps = r && isNum(r.steps) ? r.steps : spec.steps;
    // a re-leased job continues from its newest checkpoint (the job's result, or result.json's jobs[0])
    const resumed = [job && job.result, exp.result && Array.isArray(exp.result.jobs) ? exp.result.jobs[0] : null]
      .map((x) => x && x.resumed_from_step).find(isNum);
    let status;
    if (r) status = `Finished ${isNum(r.final_step) ? r.final_step : '?'} of ${steps ?? '?'} steps${isNum(r.final_loss) ? `, final loss ${num(r.final_loss, 4)}` : ''}.`;
    else if (st) {
      status = `Step ${st.step} of ${st.steps}${isNum(st.loss) ? ` · loss ${num(st.loss, 4)}` : ''}` +
        `${isNum(st.tokensPerS) ? ` · ${compact(st.tokensPerS)} tokens/s` : ''}${exp.state === 'running' ? '' : ` (${exp.state})`}.`;
    }
    else if (exp.state === 'queued') status = 'Queued: waiting for a worker.';
    else if (exp.state === 'running') status = job && job.stage ? `Running: ${job.stage}.` : 'Running.';
    else status = `The run ${exp.state} without a result.`;

    const stat = (name, label, value, titleText) => [h('dt', {}, label),
      h('dd', { dataset: { stat: name }, title: titleText || null }, value)];
    const shape = [isNum(spec.layers) ? `${spec.layers} layers` : null, isNum(spec.hidden) ? `hidden ${spec.hidden}` : null,
      isNum(spec.heads) ? `${spec.heads} heads` : null, isNum(spec.ffn) ? `FFN ${spec.ffn}` : null].filter(Boolean).join(' · ');
    const training = [isNum(spec.block) ? `block ${spec.block}` : null, isNum(spec.batch) ? `batch ${spec.batch}` : null,
      isNum(spec.lr) ? `lr ${spec.lr}` : null, isNum(spec.warmup) ? `warmup ${spec.warmup}` : null].filter(Boolean).join(' · ');
    const corpus = [].concat(spec.corpus || []);
    const stats = h('dl', { class: 'stats', id: 'pretrain-stats' },
      stat('out', 'Output', h('code', {}, (r && r.out) || spec.out || '—')),
      stat('steps', 'Steps', r ? `${r.final_step ?? '?'} of ${steps ?? '?'}` : `${st ? `${st.step} of ` : ''}${steps ?? '?'}`),
      isNum(resumed) ? stat('resumed', 'Resumed from', `step ${resumed}`) : null,
      r ? [
        stat('parameters', 'Parameters', compact(r.parameters), isNum(r.parameters) ? String(r.parameters) : null),
        stat('tokens', 'Tokens seen', compact(r.tokens), isNum(r.tokens) ? String(r.tokens) : null),
        stat('tokens_per_s', 'Throughput', isNum(r.tokens_per_s) ? `${compact(r.tokens_per_s)} tokens/s` : '—'),
        stat('seconds', 'Time', seconds(r.seconds)),
        stat('final_loss', 'Final loss', num(r.final_loss, 4)),
      ] : null,
      shape ? stat('shape', 'Model', shape) : null,
      training ? stat('training', 'Training', training) : null,
      corpus.length ? stat('corpus', 'Corpus', corpus.map((c, i) => [i ? ', ' : '', h('code', {}, c)])) : null,
      spec.tokenizer ? stat('tokenizer', 'Tokenizer', String(spec.tokenizer)) : null);

    const loss = r && Array.isArray(r.loss) && r.loss.length ? r.loss.filter((p) => p && isNum(p.step))
      : live.map((p) => ({ ...p }));
    const byStep = new Map(loss.map((p) => [p.step, p]));
    const checkpoints = r && Array.isArray(r.checkpoints) ? r.checkpoints.filter((c) => c && c.model) : [];
    const saveSteps = checkpoints.length ? checkpoints.map((c) => c.step).filter(isNum)
      : (Array.isArray(spec.save_steps) ? spec.save_steps.filter(isNum) : []);
    const readout = h('p', { class: 'tip', id: 'pretrain-readout', 'aria-live': 'polite' },
      loss.length ? 'Hover the curve, or focus it and use the arrow keys, to read the loss and the learning rate.' : '');
    const plotBox = h('div', { class: 'plot-box', id: 'pretrain-loss-plot', dataset: { source: r ? 'result' : 'live' } });
    draw = () => {
      clear(plotBox);
      if (!loss.length) {
        put(plotBox, h('p', { class: 'muted' }, exp.state === 'queued' || exp.state === 'running'
          ? 'The loss curve appears with the first progress report.' : 'No loss was recorded.'));
        return;
      }
      const w = Math.max(300, Math.min(900, plotBox.clientWidth || 640));
      put(plotBox, lineChart([{ key: 'loss', name: r ? 'training loss' : 'training loss (live, from progress reports)',
        color: FAMILY_COLOR.kernel, shape: 'circle', points: loss.map((p) => ({ x: p.step, y: p.loss,
          title: `step ${p.step}: loss ${num(p.loss, 4)}${isNum(p.lr) ? `, lr ${num(p.lr, 3)}` : ''}` })) }], {
        width: w, plotHeight: 220, title: 'MLM loss against step', xLabel: 'pre-training step', xFmt: (v) => `step ${v}`,
        xTickLabel: (v) => compact(v), yFmt: (v) => num(v, 3), maxSymbols: 60,
        markers: saveSteps.map((x) => ({ x, label: `checkpoint at step ${x}` })),
        readout: { el: readout, text: (x) => {
          const p = byStep.get(x) || {};
          return [`step ${x}`, `loss ${num(p.loss, 4)}`, isNum(p.lr) ? `lr ${num(p.lr, 3)}` : null,
            isNum(p.tokens) ? `${compact(p.tokens)} tokens` : null].filter(Boolean).join(' · ');
        } } }));
    };

    // the checkpoints, ticked for the sweep
    let ckptBlock;
    if (checkpoints.length) {
      const boxes = checkpoints.map((c, i) => h('input', { type: 'checkbox', id: `ckpt-${i}`, checked: true, value: c.model,
        'aria-label': `Sweep ${c.model}` }));
      const link = h('a', { class: 'button primary', id: 'sweep-checkpoints' }, 'Sweep these checkpoints');
      const note = h('span', { class: 'muted small', id: 'sweep-note' });
      const sync = () => {
        const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
        if (chosen.length) { link.setAttribute('href', sweepHref(chosen)); link.removeAttribute('aria-disabled'); }
        else { link.removeAttribute('href'); link.setAttribute('aria-disabled', 'true'); }
        note.textContent = chosen.length
          ? `Opens the form with ${chosen.length} checkpoint${chosen.length === 1 ? '' : 's'} as "checkpoints"; choose the task and methods there.`
          : 'Tick at least one checkpoint.';
      };
      for (const b of boxes) b.addEventListener('change', sync);
      sync();
      ckptBlock = [
        h('div', { class: 'table-scroll' }, h('table', { class: 'data checkpoints-table', id: 'pretrain-checkpoints' },
          h('caption', { class: 'visually-hidden' }, 'Checkpoints of this run; tick those to sweep'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Sweep')),
            h('th', { scope: 'col', class: 'num' }, 'Step'), h('th', { scope: 'col', class: 'num' }, 'Loss'),
            h('th', { scope: 'col' }, 'Model'))),
          h('tbody', {}, checkpoints.map((c, i) => {
            const near = nearestLoss(loss, c.step);
            return h('tr', { dataset: { step: String(c.step ?? ''), model: c.model } },
              h('td', { class: 'select' }, boxes[i]),
              h('td', { class: 'num' }, isNum(c.step) ? String(c.step) : '—'),
              h('td', { class: 'num', title: near ? `logged at step ${near.step}` : null }, near ? num(near.loss, 4) : '—'),
              h('td', {}, h('label', { for: boxes[i].id }, h('code', {}, c.model))));
          })))),
        h('div', { class: 'actions' }, link, note)];
    } else {
      ckptBlock = h('p', { class: 'muted' }, saveSteps.length
        ? `Checkpoints are saved at steps ${saveSteps.join(', ')}; they are listed here when the run has finished.`
        : 'No checkpoints yet.');
    }

    put(clear(el), h('h2', { id: 'pretrain-h' }, 'Pre-training run'),
      h('p', { id: 'pretrain-status', 'aria-live': 'polite', dataset: { state: exp.state } }, status),
      h('div', { class: 'pretrain-layout' },
        h('div', {}, plotBox, readout),
        h('div', {}, stats)),
      h('h3', {}, 'Checkpoints'), ckptBlock);
    draw();
    if (!obs) {
      let lastW = 0;
      obs = new ResizeObserver(() => {
        const box = el.querySelector('#pretrain-loss-plot');
        const w = box ? box.clientWidth : 0;
        if (Math.abs(w - lastW) > 8) { lastW = w; if (draw) draw(); }
      });
      obs.observe(el);
    }
  }

  return { el, update, dispose: () => { if (obs) obs.disconnect(); } };
}

// The logged loss at the step nearest to a checkpoint's (at most half a
// logging interval away), or null.
function nearestLoss(loss, step) {
  if (!isNum(step) || !loss.length) return null;
  let best = null;
  for (const p of loss) if (isNum(p.loss) && (!best || Math.abs(p.step - step) < Math.abs(best.step - step))) best = p;
  if (!best) return null;
  const gap = loss.length > 1 ? Math.abs(loss[loss.length - 1].step - loss[0].step) / (loss.length - 1) : Infinity;
  return Math.abs(best.step - step) <= gap / 2 ? best : null;
}
