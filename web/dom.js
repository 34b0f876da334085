// dom.js - small DOM and formatting helpers shared by the views.

import { formulaLabel, optimizerLabel } from './vocab.js';

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


// What a result's method name means, in the paper's words.
//   'kernel:sgd' -> K(SGD), 'kernel' -> best kernel on dev,
//   'finetune:0' -> from spec.finetune[0], e.g. 'Adam-FT' or 'Lin. SGD-FT (LoRA)'.
// family: 'kernel' | 'finetune' | 'zero-shot' | 'other'.
export function methodInfo(method, spec) {
  if (method === 'zero-shot') return { label: 'Zero-shot f0', family: 'zero-shot', method };
  if (method === 'kernel') return { label: 'Best kernel (dev)', family: 'kernel', method };
  if (method.startsWith('kernel:')) return { label: formulaLabel(method.slice(7)), family: 'kernel', method };
  if (method.startsWith('finetune')) {
    const idx = Number(method.split(':')[1]);
    const ft = spec && Array.isArray(spec.finetune) && Number.isInteger(idx) ? spec.finetune[idx] : null;
    if (!ft) return { label: method, family: 'finetune', method };
    let label = `${optimizerLabel(ft.optimizer || 'adam')}-FT`;
    if (ft.linearized) label = `Lin. ${label}`;
    const params = ft.params || (ft.lora ? 'lora' : 'all');
    if (params === 'lora') label += ' (LoRA)';
    else if (params === 'biases') label += ' (BitFit)';
    else if (params !== 'all') label += ` (${params})`;
    const same = spec.finetune.filter((f) => (f.optimizer || 'adam') === (ft.optimizer || 'adam') &&
      !!f.linearized === !!ft.linearized && (f.params || '') === (ft.params || '')).length;
    if (same > 1) label += ` #${idx + 1}`;
    return { label, family: 'finetune', method };
  }
  return { label: method, family: 'other', method };
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
