// dom.js - small DOM and formatting helpers shared by the views.

// h('div', {class: 'x', onclick: f}, child, 'text', [more, children])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'html') throw new Error('h(): no html, build nodes');
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'value' && 'value' in el) el.value = v;
      else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// The same for SVG elements.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Appends children as h() does: arrays flattened, null/false skipped.
export function put(el, ...children) { append(el, children); return el; }

export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

let idCounter = 0;
export function uid(prefix = 'id') { idCounter += 1; return `${prefix}-${idCounter}`; }

// ---- numbers ----------------------------------------------------------------

export function isNum(x) { return typeof x === 'number' && Number.isFinite(x); }

// A metric in [0, 1] as a percentage with one decimal, as the paper reports.
export function pct(x) { return isNum(x) ? (100 * x).toFixed(1) : '—'; }

// {mean, std} as "88.3 ± 0.3".
export function meanStd(ms) {
  if (!ms || !isNum(ms.mean)) return '—';
  return `${pct(ms.mean)} ± ${pct(ms.std)}`;
}

// A number in a compact readable form (kernel values, eigenvalues).
export function num(x, digits = 4) {
  if (!isNum(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

// A count in a compact form: 2048000 -> "2.05M", 1500 -> "1.5k", 500 -> "500".
export function compact(x) {
  if (!isNum(x)) return '—';
  const a = Math.abs(x);
  for (const [v, u] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']]) {
    if (a >= v) return `${Number((x / v).toPrecision(3))}${u}`;
  }
  return String(Number(x.toPrecision(4)));
}

export function bytes(n) {
  if (!isNum(n)) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${u[i]}`;
}

// JSON with two-space indentation, arrays of scalars kept on one line.
export function prettyJson(v, indent = '') {
  const next = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== 'object')) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    return `[\n${v.map((x) => next + prettyJson(x, next)).join(',\n')}\n${indent}]`;
  }
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (!keys.length) return '{}';
    return `{\n${keys.map((k) => `${next}${JSON.stringify(k)}: ${prettyJson(v[k], next)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}

// ---- time -------------------------------------------------------------------

export function ago(iso) {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const d = (Date.now() - t) / 1000;
  if (d < 5) return 'just now';
  if (d < 60) return `${Math.round(d)} s ago`;
  if (d < 3600) return `${Math.round(d / 60)} min ago`;
  if (d < 86400) return `${Math.round(d / 3600)} h ago`;
  return new Date(t).toISOString().slice(0, 10);
}

export function duration(fromIso, toIso) {
  const a = Date.parse(fromIso), b = toIso ? Date.parse(toIso) : Date.now();
  if (!Number.isFinite(a) || !Number.isFinite(b)) return '';
  return seconds((b - a) / 1000);
}

// A number of seconds as "4.2 s", "3 min 20 s" or "1 h 40 min".
export function seconds(d) {
  if (!isNum(d)) return '—';
  d = Math.max(0, d);
  if (d < 60) return `${d.toFixed(1)} s`;
  if (d < 3599.5) { const t = Math.round(d); return `${Math.floor(t / 60)} min ${t % 60} s`; }
  const m = Math.round(d / 60);
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// ---- methods ----------------------------------------------------------------

// What a result's method id means: its display name is the daemon's
// (GET /v1/experiments/{id} method_labels, made by common/experiment/methods.c),
// the one `lmntk results --table` prints too, e.g. 'kernel:sgd' -> K(SGD),
// 'finetune:0' -> SGD-FT; without one the id itself is shown.
// family: 'kernel' | 'finetune' | 'zero-shot' | 'other'.
export function methodInfo(method, labels) {
  const family = method === 'zero-shot' ? 'zero-shot'
    : method === 'kernel' || method.startsWith('kernel:') ? 'kernel'
      : method.startsWith('finetune') ? 'finetune' : 'other';
  const label = labels && typeof labels[method] === 'string' ? labels[method] : method;
  return { label, family, method };
}

// The score of guessing uniformly at random, drawn as "chance" on the plots:
//   accuracy (every task but MRPC and QQP; MNLI's three classes too): 1/C;
//   binary F1 of the positive class (label index 1; MRPC, QQP): a coin flip
//   has precision p and recall 1/2, so F1 = p / (p + 1/2), p the share of
//   positives among testLabels (1/2 when they are not known: F1 1/2).
// Returns {value, label: 'chance', rule} or null (classes unknown).
export function chanceLevel(metric, classes, testLabels) {
  if (metric === 'f1') {
    const known = Array.isArray(testLabels) && testLabels.length > 0;
    const p = known ? testLabels.filter((y) => y === 1).length / testLabels.length : 0.5;
    return { value: p / (p + 0.5), label: 'chance',
      rule: `F1 of a coin flip, p/(p + 1/2) with p = ${known ? `${pct(p)}% positives in test` : '1/2 (test labels unknown)'}` };
  }
  if (!(isNum(classes) && classes > 1)) return null;
  return { value: 1 / classes, label: 'chance', rule: `accuracy of a uniform guess, 1/${classes}` };
}

// The summary rows of a result, the checkpoint sweep flattened:
// [{method, dev, test, seeds, model?, zero_shot_dev?, ...}]
export function summaryRows(result) {
  if (!result || !Array.isArray(result.summary)) return [];
  const rows = [];
  for (const r of result.summary) {
    if (r && Array.isArray(r.summary)) for (const x of r.summary) rows.push({ ...x, model: r.model });
    else if (r) rows.push(r);
  }
  return rows;
}

// Reads a value at a dotted path, e.g. get(o, 'spectrum.eigenvalues').
export function get(o, path) {
  let v = o;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[k];
  }
  return v;
}

export function stateBadge(state) {
  return h('span', { class: `badge state-${state || 'unknown'}`, dataset: { state: state || '' } }, state || '?');
}

export function progressBar(fraction, label) {
  const f = isNum(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  return h('span', { class: 'progress' },
    h('progress', { max: '1', value: String(f), 'aria-label': label || 'progress' }),
    h('span', { class: 'progress-text' }, `${Math.round(100 * f)}%`));
}

// Copies text, with a fallback for non-secure origins.
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = h('textarea', { 'aria-hidden': 'true', style: 'position:fixed;left:-9999px' });
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}

export function copyButton(getText, label = 'Copy') {
  const b = h('button', { type: 'button', class: 'small' }, label);
  b.addEventListener('click', async () => {
    const ok = await copyText(getText());
    b.textContent = ok ? 'Copied' : 'Copy failed';
    setTimeout(() => { b.textContent = label; }, 1500);
  });
  return b;
}
