// plots.js - the dashboard's plots, drawn by hand: SVG for bars and the
// eigen-spectrum, canvas for the kernel heatmap.  No charting library (the
// plots are few and simple, the daemon serves no third-party code, and the
// dashboard must work with no network).

import { isNum, num, pct, s } from './dom.js';

export const FAMILY_COLOR = { kernel: '#2f6db5', finetune: '#d9731a', 'zero-shot': '#7a7a7a', other: '#6b5b95' };

// ---- horizontal bars with std whiskers -------------------------------------
// rows: [{label, family, test: {mean, std}, dev: {mean, std}, title}]
// Draws test (solid) and dev (light) per method, 0..100 %.
// chance: {value, label, rule} draws a dotted vertical line at chance level
// (dom.js chanceLevel), rule its tooltip.
export function barChart(rows, { width = 640, baseline = null, chance = null, title = 'Accuracy (%)' } = {}) {
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
    lx += 36 + `${baseline.label} ${pct(baseline.value)}`.length * 6.2;
  }
  if (chance && isNum(chance.value)) {
    svg.append(s('line', { x1: lx, x2: lx + 16, y1: 28.5, y2: 28.5, class: 'reference' }),
      s('text', { x: lx + 20, y: 32, class: 'tick' }, `${chance.label || 'chance'} ${pct(chance.value)}`));
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
  if (chance && isNum(chance.value)) {
    const cx = x(chance.value);
    const l = s('line', { x1: cx, x2: cx, y1: top - 4, y2: top + rows.length * rowH, class: 'reference chance',
      'data-value': String(chance.value) });
    l.append(s('title', {}, `${chance.label || 'chance'} ${pct(chance.value)}${chance.rule ? `: ${chance.rule}` : ''}`));
    svg.append(l);
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

// ---- lines against a numeric x (pre-training steps) --------------------------
// series: [{key, name, color, dash ('' solid, '6 4' dashed), shape ('circle',
//   'square', 'triangle', 'diamond' or 'none'), hollow, errorBars, points: [{x,
//   y, lo, hi, title}]}].  A point whose y is not a number breaks the line; lo
//   and hi (both numbers) draw a band, e.g. mean ± std, or with errorBars a
//   capped vertical bar at each point.
// opts: {width, plotHeight, title, xLabel, xFmt, yFmt, yMin, yMax (clamps of
//   the y range), xTicks (the x values to label, thinned so that labels do
//   not overlap; default: round numbers), xDomain: [lo, hi] (the x range at
//   least; default: the points'), refs: [{label, value}] (horizontal
//   dotted lines), markers: [{x, label}] (vertical dotted lines),
//   maxSymbols (symbols per series up to this many points; 80),
//   readout: {el, text(x)} (a cursor that follows the pointer and the arrow
//   keys and writes text(x) into el)}.
export function lineChart(series, opts = {}) {
  const width = opts.width || 640, ph = opts.plotHeight || 200;
  const xFmt = opts.xFmt || ((v) => num(v)), yFmt = opts.yFmt || ((v) => num(v, 3));
  const title = opts.title || '';
  const refs = (opts.refs || []).filter((r) => isNum(r.value));
  const markers = (opts.markers || []).filter((m) => isNum(m.x));
  const maxSymbols = opts.maxSymbols ?? 80;
  const valid = (p) => isNum(p.x) && isNum(p.y);

  // the legend, wrapped into rows above the plot
  const items = [...series.map((sr) => ({ name: sr.name, sr })),
    ...refs.map((r) => ({ name: `${r.label} ${yFmt(r.value)}`, ref: r }))];
  let lx = 0, ly = 0;
  const at = [];
  for (const it of items) {
    const w = 34 + String(it.name).length * 6.4 + 14;
    if (lx > 0 && lx + w > width) { lx = 0; ly += 17; }
    at.push([lx, ly]);
    lx += w;
  }
  const left = 52, right = 16, bottom = opts.xLabel ? 40 : 24;
  const legendTop = title ? 24 : 4;
  const top = legendTop + (items.length ? ly + 17 + 10 : 6);
  const height = top + ph + bottom;
  const pw = Math.max(40, width - left - right);

  // ranges
  const xs = series.flatMap((sr) => sr.points.filter(valid).map((p) => p.x));
  let x0 = xs.length ? Math.min(...xs) : 0, x1 = xs.length ? Math.max(...xs) : 1;
  for (const m of markers) { x0 = Math.min(x0, m.x); x1 = Math.max(x1, m.x); }
  if (opts.xDomain && xs.length) { x0 = Math.min(x0, opts.xDomain[0]); x1 = Math.max(x1, opts.xDomain[1]); }
  else if (opts.xDomain) [x0, x1] = opts.xDomain;
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  const ys = [];
  for (const sr of series) {
    for (const p of sr.points) {
      if (!valid(p)) continue;
      ys.push(p.y);
      if (isNum(p.lo) && isNum(p.hi)) ys.push(p.lo, p.hi);
    }
  }
  for (const r of refs) ys.push(r.value);
  let y0 = ys.length ? Math.min(...ys) : 0, y1 = ys.length ? Math.max(...ys) : 1;
  const pad = (y1 - y0) * 0.06 || Math.abs(y0) * 0.1 || 0.1;
  const nonNegative = y0 >= 0;
  y0 -= pad; y1 += pad;
  if (nonNegative) y0 = Math.max(0, y0); // no negative axis for values that cannot be
  if (isNum(opts.yMin)) y0 = Math.max(opts.yMin, y0);
  if (isNum(opts.yMax)) y1 = Math.min(opts.yMax, y1);
  const yt = niceTicks(y0, y1, Math.max(3, Math.round(ph / 45)));
  y0 = isNum(opts.yMin) ? Math.max(opts.yMin, yt.lo) : yt.lo;
  y1 = isNum(opts.yMax) ? Math.min(opts.yMax, yt.hi) : yt.hi;
  const X = (v) => left + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v) => top + ph - ((v - y0) / (y1 - y0)) * ph;
  const f1 = (v) => v.toFixed(1);

  const described = series.map((sr) => {
    const pts = sr.points.filter(valid);
    if (!pts.length) return `${sr.name}: no points`;
    if (pts.length <= 12) return `${sr.name}: ${pts.map((p) => `${xFmt(p.x)} ${yFmt(p.y)}`).join(', ')}`;
    return `${sr.name}: ${pts.length} points, ${yFmt(pts[0].y)} at ${xFmt(pts[0].x)} to ${yFmt(pts[pts.length - 1].y)} at ${xFmt(pts[pts.length - 1].x)}`;
  });
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'plot lines', role: 'img',
    'aria-label': `${title}${opts.xLabel ? ` against ${opts.xLabel}` : ''}. ${described.join('; ')}` +
      `${refs.length ? `; ${refs.map((r) => `${r.label} ${yFmt(r.value)}`).join('; ')}` : ''}` });
  if (title) svg.append(s('text', { x: 0, y: 14, class: 'plot-title' }, title));
  items.forEach((it, i) => {
    const [ix, iy] = at[i];
    const cy = legendTop + iy + 8;
    const g = s('g', { class: 'legend-item' });
    if (it.sr) {
      g.append(s('line', { x1: ix, x2: ix + 26, y1: cy, y2: cy, stroke: it.sr.color, 'stroke-width': 2, 'stroke-dasharray': it.sr.dash || null }));
      if ((it.sr.shape || 'circle') !== 'none') g.append(symbol(it.sr.shape, ix + 13, cy, 3.2, it.sr.color, it.sr.hollow));
    } else g.append(s('line', { x1: ix, x2: ix + 26, y1: cy, y2: cy, class: 'reference' }));
    g.append(s('text', { x: ix + 32, y: cy + 4, class: 'tick' }, it.name));
    svg.append(g);
  });

  // grid and axes
  for (const v of yt.ticks) {
    if (v < y0 - 1e-12 || v > y1 + 1e-12) continue;
    svg.append(s('line', { x1: left, x2: left + pw, y1: f1(Y(v)), y2: f1(Y(v)), class: 'grid' }),
      s('text', { x: left - 6, y: f1(Y(v) + 4), class: 'tick', 'text-anchor': 'end' }, yFmt(v)));
  }
  const wanted = (opts.xTicks || niceTicks(x0, x1, Math.max(2, Math.round(pw / 90))).ticks)
    .filter((v) => isNum(v) && v >= x0 - 1e-9 && v <= x1 + 1e-9);
  const label = opts.xTickLabel || xFmt;
  const kept = [];
  const fits = (a, b) => X(b.v) - X(a.v) >= (a.w + b.w) / 2;
  const uniq = [...new Set(wanted)].sort((a, b) => a - b);
  uniq.forEach((v, i) => {
    const t = { v, w: String(label(v)).length * 6.2 + 10 };
    if (!kept.length || fits(kept[kept.length - 1], t)) { kept.push(t); return; }
    if (i !== uniq.length - 1) return;
    // the last value is labelled too, in place of those it would overlap
    while (kept.length > 1 && !fits(kept[kept.length - 1], t)) kept.pop();
    if (fits(kept[kept.length - 1], t)) kept.push(t);
  });
  for (const { v } of kept) {
    svg.append(s('line', { x1: f1(X(v)), x2: f1(X(v)), y1: top + ph, y2: top + ph + 4, class: 'axis' }),
      s('text', { x: f1(X(v)), y: top + ph + 16, class: 'tick x-tick', 'text-anchor': 'middle', 'data-x': String(v) }, label(v)));
  }
  svg.append(s('line', { x1: left, x2: left, y1: top, y2: top + ph, class: 'axis' }),
    s('line', { x1: left, x2: left + pw, y1: top + ph, y2: top + ph, class: 'axis' }));
  if (opts.xLabel) svg.append(s('text', { x: left + pw / 2, y: height - 6, class: 'tick', 'text-anchor': 'middle' }, opts.xLabel));
  for (const m of markers) {
    const l = s('line', { x1: f1(X(m.x)), x2: f1(X(m.x)), y1: top, y2: top + ph, class: 'marker', 'data-x': String(m.x) });
    if (m.label) l.append(s('title', {}, m.label));
    svg.append(l);
  }
  for (const r of refs) {
    const l = s('line', { x1: left, x2: left + pw, y1: f1(Y(r.value)), y2: f1(Y(r.value)), class: 'reference' });
    l.append(s('title', {}, `${r.label}: ${yFmt(r.value)}`));
    svg.append(l);
  }

  // the series: band, line (broken where y is missing), symbols
  for (const sr of series) {
    const g = s('g', { class: 'series', 'data-key': sr.key || sr.name, 'data-n': String(sr.points.filter(valid).length) });
    const segments = [];
    let cur = [];
    for (const p of sr.points) {
      if (valid(p)) cur.push(p);
      else if (cur.length) { segments.push(cur); cur = []; }
    }
    if (cur.length) segments.push(cur);
    for (const seg of segments) {
      const banded = seg.filter((p) => isNum(p.lo) && isNum(p.hi));
      if (sr.errorBars) {
        for (const p of banded) {
          const px = f1(X(p.x)), ylo = f1(Y(Math.max(y0, p.lo))), yhi = f1(Y(Math.min(y1, p.hi)));
          g.append(s('path', { d: `M${px},${ylo}V${yhi}M${f1(X(p.x) - 4)},${ylo}h8M${f1(X(p.x) - 4)},${yhi}h8`,
            stroke: sr.color, 'stroke-width': 1.3, fill: 'none', class: 'error-bar', 'data-x': String(p.x),
            'data-lo': String(p.lo), 'data-hi': String(p.hi) }));
        }
      } else if (banded.length === seg.length && seg.some((p) => p.hi > p.lo)) {
        const up = seg.map((p) => `${f1(X(p.x))},${f1(Y(Math.min(y1, p.hi)))}`);
        const down = seg.slice().reverse().map((p) => `${f1(X(p.x))},${f1(Y(Math.max(y0, p.lo)))}`);
        g.append(s('polygon', { points: [...up, ...down].join(' '), fill: sr.color, 'fill-opacity': 0.14, class: 'band' }));
      }
      g.append(s('polyline', { points: seg.map((p) => `${f1(X(p.x))},${f1(Y(p.y))}`).join(' '), fill: 'none',
        stroke: sr.color, 'stroke-width': 2, 'stroke-dasharray': sr.dash || null, 'stroke-linejoin': 'round', class: 'line' }));
    }
    const pts = sr.points.filter(valid);
    if ((sr.shape || 'circle') !== 'none' && pts.length <= maxSymbols) {
      for (const p of pts) {
        const m = symbol(sr.shape, X(p.x), Y(p.y), 3.4, sr.color, sr.hollow);
        m.setAttribute('data-x', String(p.x));
        m.setAttribute('data-y', String(p.y));
        m.append(s('title', {}, p.title || `${sr.name} at ${xFmt(p.x)}: ${yFmt(p.y)}`));
        g.append(m);
      }
    }
    svg.append(g);
  }

  // the readout: a cursor on the nearest x, from the pointer or the keys
  if (opts.readout && xs.length) {
    const xsAll = [...new Set(xs)].sort((a, b) => a - b);
    const cursor = s('line', { x1: 0, x2: 0, y1: top, y2: top + ph, class: 'cursor', visibility: 'hidden' });
    const overlay = s('rect', { x: left, y: top, width: pw, height: ph, fill: 'transparent', class: 'overlay' });
    svg.append(cursor, overlay);
    svg.setAttribute('tabindex', '0');
    let idx = -1;
    const show = (i) => {
      idx = Math.max(0, Math.min(xsAll.length - 1, i));
      const v = xsAll[idx];
      cursor.setAttribute('x1', f1(X(v)));
      cursor.setAttribute('x2', f1(X(v)));
      cursor.setAttribute('visibility', 'visible');
      svg.dataset.cursor = String(v);
      opts.readout.el.textContent = opts.readout.text(v);
    };
    overlay.addEventListener('mousemove', (e) => {
      const r = svg.getBoundingClientRect();
      const px = (e.clientX - r.left) * (width / (r.width || width));
      const v = x0 + ((px - left) / pw) * (x1 - x0);
      let lo = 0, hi = xsAll.length - 1;
      while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (xsAll[mid] <= v) lo = mid; else hi = mid; }
      show(Math.abs(xsAll[hi] - v) < Math.abs(xsAll[lo] - v) ? hi : lo);
    });
    svg.addEventListener('keydown', (e) => {
      const step = { ArrowLeft: -1, ArrowRight: 1, ArrowDown: -1, ArrowUp: 1, PageDown: -10, PageUp: 10 }[e.key];
      if (step) show((idx < 0 ? xsAll.length - 1 : idx) + step);
      else if (e.key === 'Home') show(0);
      else if (e.key === 'End') show(xsAll.length - 1);
      else return;
      e.preventDefault();
    });
    svg.addEventListener('focus', () => show(idx < 0 ? xsAll.length - 1 : idx));
  }
  return svg;
}

// Round tick values: about n steps of 1, 2 or 5 x 10^k covering [lo, hi].
export function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo)) { const d = Math.abs(lo) * 0.1 || 1; lo -= d; hi += d; }
  const raw = (hi - lo) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  const a = Math.floor(lo / step + 1e-9), b = Math.ceil(hi / step - 1e-9);
  const ticks = [];
  for (let k = a; k <= b; k++) ticks.push(Number((k * step).toPrecision(12)));
  return { lo: ticks[0], hi: ticks[ticks.length - 1], step, ticks };
}

// A point symbol: circle, square, triangle or diamond.
function symbol(shape, x, y, r, color, hollow) {
  const a = { fill: hollow ? '#fff' : color, stroke: color, 'stroke-width': 1.3, class: 'pt' };
  const f = (v) => v.toFixed(1);
  switch (shape) {
    case 'square': return s('rect', { x: f(x - r), y: f(y - r), width: f(2 * r), height: f(2 * r), ...a });
    case 'triangle': return s('path', { d: `M${f(x)},${f(y - 1.25 * r)}L${f(x + 1.15 * r)},${f(y + 0.85 * r)}L${f(x - 1.15 * r)},${f(y + 0.85 * r)}Z`, ...a });
    case 'diamond': return s('path', { d: `M${f(x)},${f(y - 1.35 * r)}L${f(x + 1.35 * r)},${f(y)}L${f(x)},${f(y + 1.35 * r)}L${f(x - 1.35 * r)},${f(y)}Z`, ...a });
    default: return s('circle', { cx: f(x), cy: f(y), r, ...a });
  }
}
