// submit.js - the experiment form.  It builds a spec
// (schema/experiment.schema.json) and POSTs it; the daemon is the one
// validator, and its 400 {"error", "field", "detail"} is shown next to the
// control whose data-path is the longest prefix of "field"
// (e.g. "solver.regularization[1]" lands on the regularization grid).
// #/submit?from=<id> prefills it from an experiment ("Edit as new"), and
// #/submit?checkpoints=a,b,c (a pre-training run's "Sweep these
// checkpoints") ticks the sweep and lists those models as "checkpoints".

import { getExperiment, getModels, submitExperiment } from './api.js';
import { clear, copyButton, h, prettyJson, put, uid } from './dom.js';
import { choices, taskPreset, vocab } from './vocab.js';

const DEFAULT_SEEDS = '13, 21, 42, 87, 100';
const DIAG_DEFAULTS = { min_linearization_gain: 0.5, max_kernel_distance: 0.1, min_kernel_ft_ratio: 0.9 };

// "0, 1e-3 0.01" -> [0, 0.001, 0.01]; anything not a number goes as
// text, so the daemon names the bad item.
export function parseList(text) {
  const toks = String(text).split(/[\s,;]+/).filter((t) => t.length > 0);
  return toks.map((t) => (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : t));
}
function parseScalar(text) {
  const t = String(text).trim();
  if (t === '') return undefined;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : t;
}
function grid(text) {
  const l = parseList(text);
  if (l.length === 0) return undefined;
  return l.length === 1 ? l[0] : l;
}
function listText(v) { return v === undefined ? '' : (Array.isArray(v) ? v : [v]).join(', '); }
// Model names, one a line (or comma separated): paths may hold spaces.
export function parseLines(text) {
  return String(text).split(/[\n,]+/).map((t) => t.trim()).filter((t) => t.length > 0);
}

export function render(root, ctx) {
  ctx.setTitle('Submit');
  // every name offered comes from the daemon's catalog (vocab.js)
  const taskNames = vocab().tasks.map((t) => t.name);
  const fields = new Map(); // data-path -> field container
  let ftRows = [];
  let dataEdited = false;
  let busy = false;

  // A labelled control inside a field container that errors attach to.
  function field(path, labelText, control, hint) {
    const id = control.id || uid('in');
    control.id = id;
    const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
    if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
    const box = h('div', { class: 'field', dataset: { path } }, h('label', { for: id }, labelText), control, hintEl);
    fields.set(path, box);
    return box;
  }
  // A group of checkboxes or radios under a legend.
  function group(path, legend, items, type, name, hint) {
    const inputs = items.map(([value, label]) => {
      const id = uid('cb');
      return { value, input: h('input', { type, id, name, value }), label: h('label', { for: id }, label) };
    });
    const fs = h('fieldset', { class: 'field group', dataset: { path } }, h('legend', {}, legend),
      h('div', { class: 'choices' }, inputs.map((x) => h('span', { class: 'choice' }, x.input, x.label))),
      hint ? h('p', { class: 'hint' }, hint) : null);
    fields.set(path, fs);
    return { fs, inputs };
  }
  const text = (attrs = {}) => h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
  const select = (opts, attrs = {}) => h('select', attrs, opts.map(([v, l]) => h('option', { value: v }, l)));

  // ---- controls ----
  const nameIn = text({ name: 'name', placeholder: 'e.g. SST-2 k=16 sgd vs adam' });
  const descIn = h('textarea', { name: 'description', rows: '2' });
  const modelSel = h('select', { name: 'model' }, h('option', { value: '' }, "worker's default model"));
  const sweepIn = h('input', { type: 'checkbox', name: 'sweep', id: uid('cb') });
  const sweepBox = h('div', { class: 'field field-inline', dataset: { path: 'sweep' } }, sweepIn,
    h('label', { for: sweepIn.id }, 'Sweep checkpoints (e.g. a pre-training run\'s) instead of one model'));
  const ckptIn = h('textarea', { name: 'checkpoints', rows: '4', class: 'mono', spellcheck: 'false', autocomplete: 'off',
    placeholder: 'myrun/checkpoint-0\nmyrun/checkpoint-500', dataset: { list: 'lines' } });
  // the checkpoints of pre-training runs (GET /v1/models lists them as run/checkpoint-N, in step order)
  const runs = new Map();
  const runSel = h('select', { id: uid('in'), name: 'checkpoints_run' });
  const runFill = h('button', { type: 'button', class: 'small', id: 'fill-checkpoints' }, 'Use its checkpoints');
  const runBox = h('div', { class: 'field', hidden: true }, h('label', { for: runSel.id }, 'From a pre-training run'),
    h('div', { class: 'row' }, runSel, runFill));
  runFill.addEventListener('click', () => {
    const list = runs.get(runSel.value);
    if (!list) return;
    setCheckpoints(list);
    update();
    ckptIn.focus();
  });
  const taskSel = h('select', { name: 'task' }, taskNames.map((t) => h('option', { value: t }, t)));
  const labelsIn = text({ name: 'labels', placeholder: 'e.g. negative, positive' });
  const dataIn = text({ name: 'data', placeholder: 'k-shot-1k-test/SST-2', required: true });
  const kIn = text({ name: 'k', inputmode: 'numeric', value: '16' });
  const seedsIn = text({ name: 'seeds', value: DEFAULT_SEEDS });
  const promptGroup = group('prompt', 'Outputs', [['true', 'Prompt: label-word logits at the mask'],
    ['false', 'No prompt: [CLS] head']], 'radio', 'prompt');
  promptGroup.inputs[0].input.checked = true;
  const binaryIn = h('input', { type: 'checkbox', name: 'binary', id: uid('cb') });
  const binaryBox = h('div', { class: 'field field-inline', dataset: { path: 'binary' } }, binaryIn,
    h('label', { for: binaryIn.id }, 'Binary mode (2 classes: one output, ±1 targets)'));
  fields.set('binary', binaryBox);
  const maxLenIn = text({ name: 'max_length', inputmode: 'numeric', placeholder: "task's default" });
  const templateIn = text({ name: 'template', class: 'mono' });
  const wordsBox = h('div', { class: 'words' });
  const wordsField = h('fieldset', { class: 'field group', dataset: { path: 'label_words' } },
    h('legend', {}, 'Label words'), wordsBox,
    h('p', { class: 'hint' }, 'One word per label, in label order; the presets are LM-BFF\'s.'));
  fields.set('label_words', wordsField);
  const resetPreset = h('button', { type: 'button', class: 'small' }, 'Reset template and words to the preset');

  const formulaGroup = group('kernel.formula', 'Kernel formulas', choices('formulas', (w) => `${w.label} ${w.formula || ''}`),
    'checkbox', 'formula', 'Untick all to run fine-tuning only.');
  for (const x of formulaGroup.inputs) x.input.checked = x.value === 'sgd';
  const kParams = select(choices('param_sets'), { name: 'kernel.params' });
  const kPrecision = select(choices('precisions'), { name: 'kernel.precision' });
  const kProj = text({ name: 'kernel.projection.dim', inputmode: 'numeric', placeholder: 'none (exact)' });

  const solverGroup = group('solver.name', 'Solvers', choices('solvers'), 'checkbox', 'solver');
  for (const x of solverGroup.inputs) x.input.checked = x.value === 'logistic'; // the spec's default
  const regIn = text({ name: 'solver.regularization', value: '0' });
  const f0In = text({ name: 'solver.f0_scaling', value: '0' });
  const asymLIn = text({ name: 'solver.asym_lambda', value: '0.5' });
  const gammaIn = text({ name: 'solver.gamma', value: '1' });

  const ftList = h('div', { class: 'ft-list' });
  const ftField = h('fieldset', { class: 'field group', dataset: { path: 'finetune' } }, h('legend', {}, 'Fine-tuning methods'),
    ftList, h('button', { type: 'button', class: 'small', id: 'add-ft', onclick: () => { addFt({}); document.querySelector(`[name="finetune[${ftRows.length - 1}].optimizer"]`).focus(); } },
      'Add a fine-tuning method'));
  fields.set('finetune', ftField);

  const diagIn = h('input', { type: 'checkbox', name: 'diagnostics.enabled', id: uid('cb') });
  const diagBox = h('div', { class: 'field field-inline', dataset: { path: 'diagnostics' } }, diagIn,
    h('label', { for: diagIn.id }, 'Kernel-behaviour diagnostics (linearization, kernel distance; need fine-tuning)'));
  fields.set('diagnostics', diagBox);
  const diagGain = text({ name: 'diagnostics.min_linearization_gain', inputmode: 'decimal', value: '0.5' });
  const diagDist = text({ name: 'diagnostics.max_kernel_distance', inputmode: 'decimal', value: '0.1' });
  const diagRatio = text({ name: 'diagnostics.min_kernel_ft_ratio', inputmode: 'decimal', value: '0.9' });

  const summary = h('div', { class: 'form-errors', role: 'alert', id: 'form-errors', hidden: true });
  const submitBtn = h('button', { type: 'submit', class: 'primary', id: 'submit-button' }, 'Submit experiment');
  // an error that names no field (401, 403, 413, the network): beside the button
  const submitError = h('div', { class: 'submit-error', id: 'submit-error', role: 'alert', tabindex: '-1', hidden: true });
  const preview = h('pre', { class: 'code', id: 'spec-preview', tabindex: '0', 'aria-label': 'Spec JSON preview' });
  const curlPre = h('pre', { class: 'code', id: 'curl-preview', tabindex: '0', 'aria-label': 'curl command' });

  const form = h('form', { class: 'spec-form', id: 'submit-form', novalidate: true },
    summary,
    h('section', { class: 'card' }, h('h2', {}, 'What'),
      h('div', { class: 'grid2' },
        field('name', 'Name', nameIn),
        h('div', {},
          field('model', 'Model', modelSel, 'Registered in the daemon\'s models folder.'),
          field('checkpoints', 'Checkpoints', ckptIn, 'One model folder or name per line; the whole experiment runs once per checkpoint.'),
          runBox, sweepBox),
        field('task', 'Task', taskSel, 'Choosing a task fills in its template and label words.'),
        field('data', 'Data folder', dataIn, 'Under the workers\' --data-root: it holds <k>-<seed>/ folders with train, dev and test files.'),
        field('k', 'k (examples per class)', kIn),
        field('seeds', 'Data seeds', seedsIn, 'Mean and std are over these.'),
        field('description', 'Notes', descIn))),
    h('section', { class: 'card' }, h('h2', {}, 'Prompt'),
      h('div', { class: 'grid2' },
        promptGroup.fs,
        h('div', {}, binaryBox, field('max_length', 'Max length (tokens)', maxLenIn))),
      field('labels', 'Labels (custom task)', labelsIn, 'The label values as written in the data files, comma separated.'),
      field('template', 'Template', templateIn, 'LM-BFF syntax, e.g. *cls**sent_0*_It_was*mask*.*sep+*'),
      wordsField, resetPreset),
    h('section', { class: 'card' }, h('h2', {}, 'Kernels'),
      formulaGroup.fs,
      h('div', { class: 'grid3' },
        field('kernel.params', 'Parameters', kParams),
        field('kernel.precision', 'Precision', kPrecision),
        field('kernel.projection', 'Random projection dim', kProj, 'Opt-in approximation.'))),
    h('section', { class: 'card' }, h('h2', {}, 'Solver grid'),
      solverGroup.fs,
      h('p', { class: 'hint' }, 'Each box takes one value or a list (comma or space separated); every combination runs and dev picks the best per seed.'),
      h('div', { class: 'grid2' },
        field('solver.regularization', 'Regularization λ', regIn, 'K + λ·σmax(K)·I'),
        field('solver.f0_scaling', 'f0 scaling s', f0In, 'lstsq, svr, asym; 0 = off'),
        field('solver.asym_lambda', 'asym λ', asymLIn),
        field('solver.gamma', 'asym γ', gammaIn))),
    h('section', { class: 'card' }, h('h2', {}, 'Fine-tuning'), ftField,
      diagBox,
      h('div', { class: 'grid3' },
        field('diagnostics.min_linearization_gain', 'Min linearization gain', diagGain),
        field('diagnostics.max_kernel_distance', 'Max kernel distance', diagDist),
        field('diagnostics.min_kernel_ft_ratio', 'Min kernel/FT ratio', diagRatio))),
    h('div', { class: 'actions' }, submitBtn,
      h('span', { class: 'muted', id: 'submit-status', 'aria-live': 'polite' }), submitError));
  const aside = h('aside', { class: 'submit-aside card', 'aria-label': 'Spec preview' },
    h('h2', {}, 'Spec'),
    h('div', { class: 'code-head' }, h('span', {}, 'JSON'), copyButton(() => preview.textContent, 'Copy spec')), preview,
    h('div', { class: 'code-head' }, h('span', {}, 'curl'), copyButton(() => curlPre.textContent, 'Copy curl')), curlPre);

  put(root, h('div', { class: 'page-head' }, h('h1', {}, 'New experiment'),
    h('a', { href: '#/experiments', class: 'button' }, 'Back to the list')),
  h('div', { class: 'submit-layout' }, form, aside));

  // ---- fine-tuning rows ----
  function addFt(ft = {}) {
    const i = ftRows.length;
    const row = { box: null };
    const p = (k) => `finetune[${i}].${k}`;
    row.opt = select(choices('optimizers', (w) => w.description || w.label), { name: p('optimizer') });
    row.opt.value = ft.optimizer || 'adam';
    row.lr = text({ name: p('lr'), value: listText(ft.lr ?? '1e-5, 2e-5, 5e-5') });
    row.bs = text({ name: p('batch_size'), value: listText(ft.batch_size ?? 8) });
    row.steps = text({ name: p('steps'), inputmode: 'numeric', value: String(ft.steps ?? 1000) });
    row.warmup = text({ name: p('warmup'), inputmode: 'numeric', value: String(ft.warmup ?? 0) });
    row.wd = text({ name: p('weight_decay'), inputmode: 'decimal', value: String(ft.weight_decay ?? 0) });
    row.params = select(choices('param_sets'), { name: p('params') });
    row.params.value = ft.params || (ft.lora ? 'lora' : 'all');
    row.lin = h('input', { type: 'checkbox', id: uid('cb'), name: p('linearized'), checked: !!ft.linearized });
    row.extra = {};
    for (const k of ['max_grad_norm', 'eval_every', 'seed', 'lora']) if (ft[k] !== undefined) row.extra[k] = ft[k];
    const linBox = h('div', { class: 'field field-inline', dataset: { path: p('linearized') } }, row.lin,
      h('label', { for: row.lin.id }, 'Linearized model'));
    fields.set(p('linearized'), linBox);
    row.remove = h('button', { type: 'button', class: 'small danger' }, `Remove method ${i + 1}`);
    row.box = h('fieldset', { class: 'ft-row', dataset: { path: `finetune[${i}]` } },
      h('legend', {}, `Method ${i + 1}`),
      h('div', { class: 'grid4' },
        field(p('optimizer'), 'Optimizer', row.opt),
        field(p('lr'), 'Learning rates', row.lr),
        field(p('batch_size'), 'Batch sizes', row.bs),
        field(p('steps'), 'Steps', row.steps),
        field(p('warmup'), 'Warmup steps', row.warmup),
        field(p('weight_decay'), 'Weight decay', row.wd),
        field(p('params'), 'Parameters', row.params),
        linBox),
      row.remove);
    fields.set(`finetune[${i}]`, row.box);
    row.remove.addEventListener('click', () => {
      const keep = ftRows.filter((r) => r !== row).map(readFt);
      for (const r of ftRows) r.box.remove();
      for (const key of [...fields.keys()]) if (key.startsWith('finetune[')) fields.delete(key);
      ftRows = [];
      keep.forEach((f) => addFt(f));
      update();
      document.getElementById('add-ft').focus();
    });
    ftRows.push(row);
    put(ftList, row.box);
    update();
    return row;
  }
  function readFt(r) {
    const o = { optimizer: r.opt.value, lr: grid(r.lr.value) };
    const bs = grid(r.bs.value); if (bs !== undefined && bs !== 8) o.batch_size = bs;
    const st = parseScalar(r.steps.value); if (st !== undefined && st !== 1000) o.steps = st;
    const wu = parseScalar(r.warmup.value); if (wu !== undefined && wu !== 0) o.warmup = wu;
    const wd = parseScalar(r.wd.value); if (wd !== undefined && wd !== 0) o.weight_decay = wd;
    if (r.params.value !== 'all') o.params = r.params.value;
    if (r.lin.checked) o.linearized = true;
    return { ...o, ...r.extra };
  }

  // ---- task presets ----
  function preset() {
    const t = taskSel.value;
    return taskPreset(t) || { labels: parseList(labelsIn.value).map(String), label_words: [], template: '' };
  }
  function drawWords(words) {
    const labels = preset().labels || [];
    clear(wordsBox);
    for (const key of [...fields.keys()]) if (/^label_words\[\d+\]$/.test(key)) fields.delete(key);
    labels.forEach((lab, i) => {
      const inp = text({ name: `label_words[${i}]`, value: words[i] ?? '' });
      put(wordsBox, field(`label_words[${i}]`, `Label “${lab}”`, inp));
    });
    if (labels.length === 0) put(wordsBox, h('p', { class: 'hint' }, 'Give the custom task\'s labels first.'));
  }
  function applyPreset() {
    const p = preset();
    templateIn.value = p.template || '';
    drawWords(p.label_words || []);
    update();
  }
  function onTask() {
    const custom = taskSel.value === 'custom';
    fields.get('labels').hidden = !custom;
    if (!dataEdited && !custom) dataIn.value = `k-shot-1k-test/${taskSel.value}`;
    applyPreset();
  }
  taskSel.addEventListener('change', onTask);
  labelsIn.addEventListener('change', () => drawWords(currentWords()));
  dataIn.addEventListener('input', () => { dataEdited = true; });
  resetPreset.addEventListener('click', applyPreset);
  function currentWords() { return [...wordsBox.querySelectorAll('input')].map((i) => i.value.trim()); }

  function syncPrompt() {
    const prompt = promptGroup.inputs[0].input.checked;
    templateIn.disabled = !prompt;
    for (const i of wordsBox.querySelectorAll('input')) i.disabled = !prompt;
    resetPreset.disabled = !prompt;
  }

  // ---- the spec ----
  function buildSpec() {
    const spec = {};
    const name = nameIn.value.trim(); if (name) spec.name = name;
    const desc = descIn.value.trim(); if (desc) spec.description = desc;
    // a sweep sends its list as typed (an empty list too: the daemon names the field)
    if (sweepIn.checked) spec.checkpoints = parseLines(ckptIn.value);
    else if (modelSel.value) spec.model = modelSel.value;
    spec.task = taskSel.value;
    spec.data = dataIn.value.trim();
    const k = parseScalar(kIn.value); if (k !== undefined) spec.k = k;
    const seeds = parseList(seedsIn.value); if (seeds.length) spec.seeds = seeds;
    const prompt = promptGroup.inputs[0].input.checked;
    if (!prompt) spec.prompt = false;
    if (taskSel.value === 'custom') {
      const labels = parseList(labelsIn.value).map(String); if (labels.length) spec.labels = labels;
    }
    if (prompt) {
      const p = preset();
      const tmpl = templateIn.value.trim();
      if (tmpl && tmpl !== p.template) spec.template = tmpl;
      const words = currentWords();
      // all empty = the task's words; otherwise what was typed, empty items included
      if (words.some((w) => w !== '') && words.some((w, i) => w !== (p.label_words || [])[i])) spec.label_words = words;
    }
    if (binaryIn.checked) spec.binary = true;
    const ml = parseScalar(maxLenIn.value); if (ml !== undefined) spec.max_length = ml;
    const formulas = formulaGroup.inputs.filter((x) => x.input.checked).map((x) => x.value);
    if (formulas.length) {
      const kernel = { formula: formulas.length === 1 ? formulas[0] : formulas };
      if (kParams.value !== 'all') kernel.params = kParams.value;
      if (kPrecision.value !== 'fp32') kernel.precision = kPrecision.value;
      const dim = parseScalar(kProj.value); if (dim !== undefined) kernel.projection = { dim };
      spec.kernel = kernel;
      const solver = {};
      const names = solverGroup.inputs.filter((x) => x.input.checked).map((x) => x.value);
      if (names.length && !(names.length === 1 && names[0] === 'logistic')) solver.name = names.length === 1 ? names[0] : names;
      const put = (key, input, def) => { const g = grid(input.value); if (g !== undefined && g !== def) solver[key] = g; };
      put('regularization', regIn, 0);
      put('f0_scaling', f0In, 0);
      put('asym_lambda', asymLIn, 0.5);
      put('gamma', gammaIn, 1);
      if (Object.keys(solver).length) spec.solver = solver;
    }
    if (ftRows.length) spec.finetune = ftRows.map(readFt);
    if (diagIn.checked) {
      const d = { enabled: true };
      for (const [key, input] of [['min_linearization_gain', diagGain], ['max_kernel_distance', diagDist],
        ['min_kernel_ft_ratio', diagRatio]]) {
        const v = parseScalar(input.value); if (v !== undefined && v !== DIAG_DEFAULTS[key]) d[key] = v;
      }
      spec.diagnostics = d;
    }
    return spec;
  }

  function curlFor(spec) {
    return `curl -sS -X POST ${location.origin}/v1/experiments \\\n  -H "Authorization: Bearer $LMNTK_TOKEN" \\\n` +
      `  -H 'Content-Type: application/json' \\\n  --data-binary @- <<'JSON'\n${prettyJson(spec)}\nJSON`;
  }

  function syncSweep() {
    fields.get('model').hidden = sweepIn.checked;
    fields.get('checkpoints').hidden = !sweepIn.checked;
    runBox.hidden = !sweepIn.checked || runs.size === 0;
  }

  function update() {
    syncPrompt();
    syncSweep();
    const spec = buildSpec();
    preview.textContent = prettyJson(spec);
    curlPre.textContent = curlFor(spec);
    for (const p of ['diagnostics.min_linearization_gain', 'diagnostics.max_kernel_distance', 'diagnostics.min_kernel_ft_ratio']) {
      fields.get(p).hidden = !diagIn.checked;
    }
    for (const p of ['solver.asym_lambda', 'solver.gamma']) {
      const f = fields.get(p);
      f.classList.toggle('dim', !solverGroup.inputs.find((x) => x.value === 'asym').input.checked);
    }
  }
  form.addEventListener('input', update);
  form.addEventListener('change', update);

  // ---- errors next to their fields ----
  function clearErrors() {
    for (const el of form.querySelectorAll('.field-error')) el.remove();
    for (const el of form.querySelectorAll('[aria-invalid]')) {
      el.removeAttribute('aria-invalid');
      const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.startsWith('err-'));
      if (ids.length) el.setAttribute('aria-describedby', ids.join(' ')); else el.removeAttribute('aria-describedby');
    }
    for (const el of form.querySelectorAll('.has-error')) el.classList.remove('has-error');
    summary.hidden = true;
    clear(summary);
    submitError.hidden = true;
    clear(submitError);
  }
  // The container for an API field path: the longest data-path prefix.
  function containerFor(path) {
    let p = path;
    while (p) {
      if (fields.has(p) && !fields.get(p).hidden) return { box: fields.get(p), exact: p === path };
      const m = /^(.*)(\[\d+\]|\.[^.[\]]+)$/.exec(p);
      if (!m) break;
      p = m[1];
    }
    return null;
  }
  // "[1]: must be >= 0" as "item 2 (-1): must be >= 0" for list inputs.
  function describeRest(box, err) {
    const rest = err.field.slice(box.dataset.path.length).replace(/^\./, '');
    const m = /^\[(\d+)\]$/.exec(rest);
    const input = box.querySelector('input[type="text"], textarea[data-list]');
    if (m && input) {
      const items = input.dataset.list === 'lines' ? parseLines(input.value) : parseList(input.value);
      const i = Number(m[1]);
      return `item ${i + 1}${i < items.length ? ` (${items[i]})` : ''}: ${err.detail}`;
    }
    return `${rest || err.field}: ${err.detail}`;
  }
  function showError(err) {
    clearErrors();
    const where = err.field ? containerFor(err.field) : null;
    const msg = err.field ? `${err.field}: ${err.detail}` : err.detail;
    if (!where) {
      const auth = err.status === 401 || err.status === 403;
      put(submitError, h('p', {}, h('strong', {}, auth ? 'Not allowed: ' : `Error${err.status ? ` ${err.status}` : ''}: `), msg),
        auth ? h('p', {}, err.status === 401 ? 'Submitting needs a user token. ' : 'This token is not a user token. ',
          h('button', { type: 'button', class: 'small', id: 'submit-set-token',
            onclick: () => document.getElementById('token-button').click() }, 'Set a token')) : null);
      submitError.hidden = false;
      submitError.focus();
      return;
    }
    summary.hidden = false;
    put(summary, h('p', {}, h('strong', {}, err.status === 400 ? 'The server refused this spec. ' : `Error ${err.status || ''} `), msg));
    const box = where.box;
    const id = uid('err');
    const errEl = h('p', { class: 'field-error', id: `err-${id}`, dataset: { errorFor: err.field } },
      where.exact ? err.detail : describeRest(box, err));
    box.classList.add('has-error');
    const legend = box.querySelector(':scope > legend');
    const label = box.querySelector(':scope > label');
    (label || legend || box.firstChild).after(errEl);
    const controls = box.querySelectorAll('input, select, textarea');
    for (const c of controls) {
      c.setAttribute('aria-invalid', 'true');
      c.setAttribute('aria-describedby', [c.getAttribute('aria-describedby'), errEl.id].filter(Boolean).join(' '));
    }
    put(summary, h('p', {}, h('a', { href: '#', onclick: (e) => { e.preventDefault(); if (controls[0]) controls[0].focus(); } },
      'Go to the field')));
    box.scrollIntoView({ block: 'center' });
    if (controls[0]) controls[0].focus({ preventScroll: true });
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    busy = true;
    submitBtn.disabled = true;
    const status = document.getElementById('submit-status');
    status.textContent = 'Submitting…';
    clearErrors();
    try {
      const res = await submitExperiment(buildSpec());
      status.textContent = `Queued ${res.n_jobs} job${res.n_jobs === 1 ? '' : 's'}.`;
      ctx.navigate(`#/experiments/${res.id}`);
    } catch (err) {
      status.textContent = '';
      showError(err);
    } finally {
      busy = false;
      submitBtn.disabled = false;
    }
  });

  // ---- prefill from an experiment (#/submit?from=<id>) ----
  function setCheckpoints(list) {
    sweepIn.checked = list.length > 0;
    ckptIn.value = list.join('\n');
  }
  function fill(spec) {
    nameIn.value = spec.name ? `${spec.name} (copy)` : '';
    descIn.value = spec.description || '';
    if (spec.model) {
      if (![...modelSel.options].some((o) => o.value === spec.model)) put(modelSel, h('option', { value: spec.model }, spec.model));
      modelSel.value = spec.model;
    }
    setCheckpoints(Array.isArray(spec.checkpoints) ? spec.checkpoints.map(String) : []);
    if (taskNames.includes(spec.task)) taskSel.value = spec.task;
    labelsIn.value = (spec.labels || []).join(', ');
    dataIn.value = spec.data || '';
    dataEdited = true;
    onTask();
    kIn.value = spec.k ?? 16;
    seedsIn.value = listText(spec.seeds ?? [13, 21, 42, 87, 100]);
    promptGroup.inputs[0].input.checked = spec.prompt !== false;
    promptGroup.inputs[1].input.checked = spec.prompt === false;
    binaryIn.checked = !!spec.binary;
    maxLenIn.value = spec.max_length ?? '';
    if (spec.template) templateIn.value = spec.template;
    if (spec.label_words) drawWords(spec.label_words);
    const kernel = spec.kernel || (spec.finetune ? null : {});
    const formulas = kernel ? [].concat(kernel.formula || 'sgd') : [];
    for (const x of formulaGroup.inputs) x.input.checked = formulas.includes(x.value);
    kParams.value = (kernel && kernel.params) || 'all';
    kPrecision.value = (kernel && kernel.precision) || 'fp32';
    kProj.value = kernel && kernel.projection ? kernel.projection.dim : '';
    const solver = spec.solver || {};
    const names = [].concat(solver.name || 'logistic');
    for (const x of solverGroup.inputs) x.input.checked = names.includes(x.value);
    regIn.value = listText(solver.regularization ?? 0);
    f0In.value = listText(solver.f0_scaling ?? 0);
    asymLIn.value = listText(solver.asym_lambda ?? 0.5);
    gammaIn.value = listText(solver.gamma ?? 1);
    for (const r of ftRows) r.box.remove();
    ftRows = [];
    for (const f of spec.finetune || []) addFt(f);
    const d = spec.diagnostics;
    diagIn.checked = !!d && d.enabled !== false;
    diagGain.value = d && d.min_linearization_gain !== undefined ? d.min_linearization_gain : 0.5;
    diagDist.value = d && d.max_kernel_distance !== undefined ? d.max_kernel_distance : 0.1;
    diagRatio.value = d && d.min_kernel_ft_ratio !== undefined ? d.min_kernel_ft_ratio : 0.9;
    update();
  }

  // ---- catalogs ----
  const checkpointsParam = parseLines(ctx.params.get('checkpoints') || '');
  (async () => {
    const from = ctx.params.get('from');
    try {
      if (!taskNames.length) throw new Error('the task catalog (GET /v1/tasks) could not be read');
      const models = await getModels();
      if (!ctx.alive()) return;
      for (const m of models.models || []) {
        put(modelSel, h('option', { value: m.name }, m.name));
        const cut = m.name.lastIndexOf('/');
        if (cut > 0) {
          const run = m.name.slice(0, cut);
          if (!runs.has(run)) runs.set(run, []);
          runs.get(run).push(m.name);
        }
      }
      for (const [run, list] of runs) put(runSel, h('option', { value: run }, `${run} (${list.length} checkpoint${list.length === 1 ? '' : 's'})`));
      syncSweep();
      if ((models.models || []).length) modelSel.value = models.models[0].name;
    } catch (e) {
      summary.hidden = false;
      summary.textContent = `Cannot load models and tasks: ${e.detail || e.message}`;
    }
    onTask();
    if (from) {
      try {
        const exp = await getExperiment(from);
        if (!ctx.alive()) return;
        if (exp.spec && exp.spec.pretrain) {
          summary.hidden = false;
          summary.textContent = `Experiment ${from} is a pre-training run: this form makes kernel and fine-tuning experiments. ` +
            'Resubmit a pre-training spec with the curl command on its page.';
        } else if (exp.spec) fill(exp.spec);
      } catch (e) {
        summary.hidden = false;
        summary.textContent = `Cannot load experiment ${from}: ${e.detail || e.message}`;
      }
    }
    // #/submit?checkpoints=a,b,c (a pre-training run's "Sweep these checkpoints")
    if (checkpointsParam.length && ctx.alive()) { setCheckpoints(checkpointsParam); update(); }
  })();
  if (checkpointsParam.length) setCheckpoints(checkpointsParam);
  onTask();
  return () => {};
}
