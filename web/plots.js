// plots.js - the dashboard's plots, drawn by hand: SVG for bars and the
// eigen-spectrum, canvas for the kernel heatmap.  No charting library (the
// plots are few and simple, the daemon serves no third-party code, and the
// dashboard must work with no network).

import { isNum, num, pct, s } from './dom.js';

export const FAMILY_COLOR = { kernel: '#2f6db5', finetune: '#d9731a', 'zero-shot': '#7a7a7a', other: '#6b5b95' };

// ---- horizontal bars with std whiskers -------------------------------------
// rows: [{label, family, test: {mean, std}, dev: {mean, std}, title}]
// Draws test (solid) and dev (light) per method, 0..100 %.
export function barChart(rows, { width = 640, baseline = null, title = 'Accuracy (%)' } = {}) {
  // room for the longest label (about 7 px a character at 12 px)
  const longest = Math.max(...rows.map((r) => String(r.label).length), 4);
  const labelW = Math.min(width * 0.45, Math.max(70, longest * 7 + 14));
  const right = 44, top = 46, rowH = 34, barH = 11;
  const plotW = Math.max(60, width - labelW - right);
  const height = top + rows.length * rowH + 24;
  const x = (v) => labelW + Math.max(0, Math.min(1, v)) * plotW;
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'plot bars',
    'aria-label': `${title}: ${rows.map((r) => `${r.label} test ${pct(r.test && r.test.mean)}`).join('; ')}` });
  svg.append(s('text', { x: 0, y: 14, class: 'plot-title' }, title));
  // legend, on its own line
  let lx = 0;
  svg.append(s('rect', { x: lx, y: 24, width: 12, height: 9, fill: '#444' }), s('text', { x: lx + 16, y: 32, class: 'tick' }, 'test'));
  lx += 52;
  svg.append(s('rect', { x: lx, y: 24, width: 12, height: 9, fill: '#444', 'fill-opacity': 0.35 }),
    s('text', { x: lx + 16, y: 32, class: 'tick' }, 'dev'));
  lx += 48;
  if (baseline && isNum(baseline.value)) {
    svg.append(s('line', { x1: lx, x2: lx + 16, y1: 28.5, y2: 28.5, class: 'baseline' }),
      s('text', { x: lx + 20, y: 32, class: 'tick' }, `${baseline.label} ${pct(baseline.value)}`));
  }
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(s('line', { x1: x(t), x2: x(t), y1: top - 4, y2: top + rows.length * rowH, class: 'grid' }));
    svg.append(s('text', { x: x(t), y: top + rows.length * rowH + 16, class: 'tick', 'text-anchor': 'middle' }, String(t * 100)));
  }
  rows.forEach((r, i) => {
    const y0 = top + i * rowH + 4;
    const color = FAMILY_COLOR[r.family] || FAMILY_COLOR.other;
    const g = s('g', { class: 'bar-row', 'data-method': r.method || r.label });
    g.append(s('text', { x: labelW - 8, y: y0 + barH + 3, class: 'label', 'text-anchor': 'end' }, r.label));
    for (const [k, dy, op] of [['test', 0, 1], ['dev', barH + 2, 0.35]]) {
      const ms = r[k];
      if (!ms || !isNum(ms.mean)) continue;
      const bar = s('rect', { x: labelW, y: y0 + dy, width: Math.max(0, x(ms.mean) - labelW), height: barH,
        fill: color, 'fill-opacity': op, rx: 1.5 });
      bar.append(s('title', {}, `${r.label} ${k}: ${pct(ms.mean)} ± ${pct(ms.std)}`));
      g.append(bar);
      if (isNum(ms.std) && ms.std > 0) {
        const cy = y0 + dy + barH / 2;
        g.append(s('line', { x1: x(ms.mean - ms.std), x2: x(ms.mean + ms.std), y1: cy, y2: cy, class: 'whisker' }));
        for (const v of [ms.mean - ms.std, ms.mean + ms.std]) {
          g.append(s('line', { x1: x(v), x2: x(v), y1: cy - 3, y2: cy + 3, class: 'whisker' }));
        }
      }
      if (k === 'test') g.append(s('text', { x: x(ms.mean + (ms.std || 0)) + 5, y: y0 + dy + barH - 1, class: 'value' }, pct(ms.mean)));
    }
    svg.append(g);
  });
  if (baseline && isNum(baseline.value)) {
    const bx = x(baseline.value);
    svg.append(s('line', { x1: bx, x2: bx, y1: top - 4, y2: top + rows.length * rowH, class: 'baseline' }));
  }
  return svg;
}

// ---- colour maps ---------------------------------------------------------------

// viridis at 9 stops, linearly interpolated
const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
function interp(stops, t) {
  const u = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u)), f = u - i;
  const a = stops[i], b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}
// blue - white - red
const DIVERGING = [[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247], [253, 219, 199], [239, 138, 98], [178, 24, 43]];
export function colorFor(v, lo, hi, diverging) {
  if (!isNum(v)) return [200, 200, 200];
  if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return interp(DIVERGING, 0.5 + v / (2 * m));
  }
  return interp(VIRIDIS, hi > lo ? (v - lo) / (hi - lo) : 0.5);
}

// ---- heatmap -------------------------------------------------------------------
// Draws the rows x cols matrix m (row-major) in the given row/column order
// onto canvas, one cell a block of pixels, with class bands and boundaries.
// opts: {rowOrder, colOrder, rowClass, colClass, size, diverging}
// Returns {lo, hi, cell(x, y) -> {i, j} in original indices or null}.
const CLASS_COLORS = ['#e41a1c', '#377eb8', '#4daf4a', '#984ea3', '#ff7f00', '#a6a600', '#a65628', '#f781bf'];
export function heatmap(canvas, m, rows, cols, opts = {}) {
  const rowOrder = opts.rowOrder || [...Array(rows).keys()];
  const colOrder = opts.colOrder || [...Array(cols).keys()];
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < m.length; i++) { const v = m[i]; if (isNum(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
  const diverging = opts.diverging ?? (lo < 0 && hi > 0);
  const band = opts.rowClass ? 6 : 0;
  const size = opts.size || 480;
  const cellW = (size - band) / cols, cellH = (size - band) * (rows / cols) / rows;
  const cssW = size, cssH = band + cellH * rows;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  const g = canvas.getContext('2d');
  // Cells into an image of rows x cols pixels, then scaled without smoothing.
  const img = new ImageData(cols, rows);
  for (let a = 0; a < rows; a++) {
    const i = rowOrder[a];
    for (let b = 0; b < cols; b++) {
      const j = colOrder[b];
      const [r, gg, bb] = colorFor(m[i * cols + j], lo, hi, diverging);
      const o = (a * cols + b) * 4;
      img.data[o] = r; img.data[o + 1] = gg; img.data[o + 2] = bb; img.data[o + 3] = 255;
    }
  }
  const tmp = document.createElement('canvas');
  tmp.width = cols; tmp.height = rows;
  tmp.getContext('2d').putImageData(img, 0, 0);
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, cssW, cssH);
  g.imageSmoothingEnabled = false;
  g.drawImage(tmp, band, band, cols * cellW, rows * cellH);
  // class bands and boundaries
  if (opts.rowClass && opts.colClass) {
    for (let a = 0; a < rows; a++) {
      g.fillStyle = CLASS_COLORS[opts.rowClass[rowOrder[a]] % CLASS_COLORS.length] || '#999';
      g.fillRect(0, band + a * cellH, band - 1, Math.ceil(cellH));
    }
    for (let b = 0; b < cols; b++) {
      g.fillStyle = CLASS_COLORS[opts.colClass[colOrder[b]] % CLASS_COLORS.length] || '#999';
      g.fillRect(band + b * cellW, 0, Math.ceil(cellW), band - 1);
    }
    g.strokeStyle = 'rgba(0,0,0,0.75)';
    g.lineWidth = 1;
    g.beginPath();
    for (let a = 1; a < rows; a++) {
      if (opts.rowClass[rowOrder[a]] !== opts.rowClass[rowOrder[a - 1]]) {
        const y = band + a * cellH; g.moveTo(band, y); g.lineTo(cssW, y);
      }
    }
    for (let b = 1; b < cols; b++) {
      if (opts.colClass[colOrder[b]] !== opts.colClass[colOrder[b - 1]]) {
        const x = band + b * cellW; g.moveTo(x, band); g.lineTo(x, cssH);
      }
    }
    g.stroke();
  }
  return {
    lo, hi, diverging,
    cell(px, py) {
      const b = Math.floor((px - band) / cellW), a = Math.floor((py - band) / cellH);
      if (a < 0 || b < 0 || a >= rows || b >= cols) return null;
      return { i: rowOrder[a], j: colOrder[b], a, b };
    },
  };
}

export function classColor(c) { return CLASS_COLORS[c % CLASS_COLORS.length]; }

// A colour bar for a heatmap: an SVG gradient with its end values.
export function colorBar(lo, hi, diverging, width = 240) {
  const id = `cb-${Math.random().toString(36).slice(2, 8)}`;
  const stops = [];
  for (let t = 0; t <= 1.0001; t += 0.1) {
    const v = diverging ? -Math.max(Math.abs(lo), Math.abs(hi)) * (1 - 2 * t) : lo + (hi - lo) * t;
    const [r, g, b] = colorFor(v, lo, hi, diverging);
    stops.push(s('stop', { offset: `${Math.round(t * 100)}%`, 'stop-color': `rgb(${r | 0},${g | 0},${b | 0})` }));
  }
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  const left = diverging ? -m : lo, right = diverging ? m : hi;
  return s('svg', { width, height: 30, viewBox: `0 0 ${width} 30`, class: 'plot colorbar', role: 'img',
    'aria-label': `colour scale from ${num(left)} to ${num(right)}` },
  s('defs', {}, s('linearGradient', { id, x1: '0', x2: '1', y1: '0', y2: '0' }, stops)),
  s('rect', { x: 0, y: 0, width, height: 10, fill: `url(#${id})` }),
  s('text', { x: 0, y: 24, class: 'tick' }, num(left)),
  diverging ? s('text', { x: width / 2, y: 24, class: 'tick', 'text-anchor': 'middle' }, '0') : null,
  s('text', { x: width, y: 24, class: 'tick', 'text-anchor': 'end' }, num(right)));
}

// ---- eigen-spectrum (log scale) ------------------------------------------------
// series: [{name, values (decreasing eigenvalues), color}]
export function spectrumPlot(series, { width = 520, height = 260, title = 'Eigenvalues (log scale)' } = {}) {
  const left = 54, right = 12, top = 24, bottom = 36;
  const pw = Math.max(40, width - left - right), ph = height - top - bottom;
  let n = 0, lo = Infinity, hi = -Infinity;
  for (const sr of series) {
    n = Math.max(n, sr.values.length);
    for (const v of sr.values) if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  }
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'plot spectrum', role: 'img',
    'aria-label': `${title}: ${series.map((sr) => `${sr.name}, ${sr.values.length} eigenvalues from ${num(sr.values[0])} down to ${num(sr.values[sr.values.length - 1])}`).join('; ')}` });
  svg.append(s('text', { x: left, y: 14, class: 'plot-title' }, title));
  if (!(hi > 0)) {
    svg.append(s('text', { x: left, y: top + ph / 2, class: 'tick' }, 'no positive eigenvalues'));
    return svg;
  }
  let d0 = Math.floor(Math.log10(lo)), d1 = Math.ceil(Math.log10(hi));
  if (d1 === d0) d1 += 1;
  const step = Math.max(1, Math.ceil((d1 - d0) / 6));
  const y = (v) => top + ph - ((Math.log10(v) - d0) / (d1 - d0)) * ph;
  const x = (i) => left + (n > 1 ? (i / (n - 1)) * pw : pw / 2);
  for (let d = d0; d <= d1; d += step) {
    svg.append(s('line', { x1: left, x2: left + pw, y1: y(10 ** d), y2: y(10 ** d), class: 'grid' }));
    svg.append(s('text', { x: left - 6, y: y(10 ** d) + 4, class: 'tick', 'text-anchor': 'end' }, `1e${d}`));
  }
  const xt = n <= 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1];
  for (const i of xt) svg.append(s('text', { x: x(i), y: top + ph + 16, class: 'tick', 'text-anchor': 'middle' }, String(i + 1)));
  svg.append(s('text', { x: left + pw / 2, y: height - 4, class: 'tick', 'text-anchor': 'middle' }, 'index'));
  svg.append(s('line', { x1: left, x2: left, y1: top, y2: top + ph, class: 'axis' }));
  svg.append(s('line', { x1: left, x2: left + pw, y1: top + ph, y2: top + ph, class: 'axis' }));
  series.forEach((sr, k) => {
    const pts = [];
    sr.values.forEach((v, i) => { if (v > 0) pts.push([x(i), y(v), v, i]); });
    const color = sr.color || FAMILY_COLOR.kernel;
    svg.append(s('polyline', { points: pts.map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join(' '),
      fill: 'none', stroke: color, 'stroke-width': 1.5 }));
    if (pts.length <= 400) {
      for (const p of pts) {
        const c = s('circle', { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: 2.2, fill: color });
        c.append(s('title', {}, `λ${p[3] + 1} = ${num(p[2])}`));
        svg.append(c);
      }
    }
    if (series.length > 1) {
      svg.append(s('rect', { x: left + pw - 120, y: top + 4 + k * 16, width: 10, height: 10, fill: color }));
      svg.append(s('text', { x: left + pw - 105, y: top + 13 + k * 16, class: 'tick' }, sr.name));
    }
  });
  return svg;
}
