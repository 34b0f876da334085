// list.js - the runs table: every experiment with its headline metrics (best
// kernel, each fine-tuning method, zero-shot, verdict: the summaries' own
// `metrics`), sorted and filtered by the daemon (sort, order, task, model,
// state, tag, q: the API's query parameters, kept in the URL), paged by its
// cursors ("Load more", no ceiling), live (polled), with the CSV export of
// the same filters, the workers' status and a warning when work waits for a
// worker that is not there; ticked rows go to the compare page.

import { download, exportUrl, getCatalog, getModels, getToken, listExperiments } from './api.js';
import { ago, clear, duration, h, isNum, meanStd, progressBar, stateBadge, put } from './dom.js';
import { workerPanel } from './workers.js';

const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const FAST_MS = 1500, SLOW_MS = 5000;
const PAGE = 50;      // rows a "Load more" adds
const MAX_LIMIT = 1000; // the API's largest page
// The columns: sort is the API's sort key; the daemon's default order is
// descending for times and metrics, ascending for text.
const COLUMNS = [
  { id: 'select' },
  { id: 'name', label: 'Experiment', sort: 'name' },
  { id: 'task', label: 'Task', sort: 'task' },
  { id: 'model', label: 'Model', sort: 'model' },
  { id: 'k', label: 'k · seeds' },
  { id: 'state', label: 'State', sort: 'state' },
  { id: 'kernel', label: 'Best kernel', sort: 'kernel_test', num: true,
    title: 'Test score of the kernel chosen on dev, mean ± std over seeds (%)' },
  { id: 'finetune', label: 'Fine-tuning', sort: 'finetune_test', num: true,
    title: 'Test score of each fine-tuning method, mean ± std over seeds (%); sorted by the best' },
  { id: 'zero-shot', label: 'Zero-shot', sort: 'zero_shot_test', num: true, title: 'Test score of the pre-trained model f0 (%)' },
  { id: 'verdict', label: 'Verdict', sort: 'verdict',
    title: 'Does fine-tuning behave like the kernel? kernel, not kernel, undecided, or mixed over methods and seeds' },
  { id: 'created', label: 'Created', sort: 'created' },
];
const DESC_FIRST = new Set(['created', 'updated', 'finished', 'kernel_test', 'finetune_test', 'zero_shot_test']);
const FILTERS = ['task', 'model', 'state', 'tag', 'q'];

export function render(root, ctx) {
  ctx.setTitle('Experiments');
  const filters = Object.fromEntries(FILTERS.map((k) => [k, ctx.params.get(k) || '']));
  const view = { sort: ctx.params.get('sort') || '', order: ctx.params.get('order') || '' };
  const selected = new Set((ctx.params.get('selected') || '').split(',').filter(Boolean));
  let rows = [];          // the summaries shown, in the daemon's order
  let nextCursor = null;
  let total = 0;
  let timer = null;
  let live = true;
  let generation = 0;     // bumped by a change of filters or sort: older replies are dropped
  let queue = Promise.resolve(); // list requests one at a time
  const rowCache = new Map(); // id -> {key, tr}: unchanged rows keep their element (and focus)

  // ---- filters ----
  const taskSel = h('select', { id: 'f-task', name: 'task' }, h('option', { value: '' }, 'All tasks'));
  const modelSel = h('select', { id: 'f-model', name: 'model' }, h('option', { value: '' }, 'All models'),
    h('option', { value: 'default' }, 'default (built-in)'));
  const stateSel = h('select', { id: 'f-state', name: 'state' }, h('option', { value: '' }, 'All states'),
    STATES.map((st) => h('option', { value: st }, st)),
    h('option', { value: 'queued,running' }, 'queued or running'),
    h('option', { value: 'succeeded,failed,cancelled' }, 'finished'));
  const tagList = h('datalist', { id: 'f-tag-options' });
  const tagInput = h('input', { type: 'text', id: 'f-tag', name: 'tag', list: 'f-tag-options', autocomplete: 'off',
    spellcheck: 'false', placeholder: 'any', value: filters.tag });
  const textInput = h('input', { type: 'search', id: 'f-q', name: 'q', autocomplete: 'off', placeholder: 'name or id',
    value: filters.q });
  for (const [sel, v] of [[taskSel, filters.task], [modelSel, filters.model], [stateSel, filters.state]]) {
    if (v && ![...sel.options].some((o) => o.value === v)) put(sel, h('option', { value: v }, v));
    sel.value = v;
  }
  const field = (input, label) => h('div', { class: 'field', dataset: { filter: input.name } },
    h('label', { for: input.id }, label), input);
  const liveBox = h('input', { type: 'checkbox', id: 'f-live', checked: true });
  // narrow screens show the rows as cards, without the headers: sorting is a select there
  const way = (c, desc) => (c.sort === 'created' ? (desc ? 'newest first' : 'oldest first')
    : DESC_FIRST.has(c.sort) ? (desc ? 'highest first' : 'lowest first') : (desc ? 'Z to A' : 'A to Z'));
  const sortSel = h('select', { id: 'f-sort', name: 'sort' }, COLUMNS.filter((c) => c.sort).flatMap((c) => [
    h('option', { value: `${c.sort}:desc` }, `${c.label}: ${way(c, true)}`),
    h('option', { value: `${c.sort}:asc` }, `${c.label}: ${way(c, false)}`)]));
  sortSel.addEventListener('change', () => {
    const [key, order] = sortSel.value.split(':');
    view.sort = key === 'created' ? '' : key;
    view.order = order === (DESC_FIRST.has(key) ? 'desc' : 'asc') ? '' : order;
    drawHead();
    restart();
  });

  // ---- table ----
  const updated = h('span', { class: 'muted small', id: 'list-updated' });
  const errorBox = h('p', { class: 'error', role: 'alert', hidden: true });
  const tbody = h('tbody');
  const headRow = h('tr');
  const caption = h('caption', { class: 'visually-hidden' });
  const table = h('table', { class: 'data list-table', id: 'experiments-table' }, caption, h('thead', {}, headRow), tbody);
  const empty = h('p', { class: 'empty', hidden: true });
  const count = h('span', { class: 'muted', id: 'list-count', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', id: 'load-more', hidden: true }, 'Load more');
  const compareBtn = h('button', { type: 'button', id: 'compare-selected', disabled: true }, 'Compare selected');
  const selCount = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const exportLink = h('a', { class: 'button', id: 'export-csv', download: 'lmntk-experiments.csv',
    title: 'One CSV line per experiment, method and seed, of the experiments these filters select (all pages)' }, 'Export CSV');
  const workers = workerPanel();
  const sortField = field(sortSel, 'Sort by');
  sortField.classList.add('narrow-only');

  put(root,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Experiments'),
      h('div', { class: 'actions' }, exportLink, h('a', { class: 'button primary', href: '#/submit' }, 'New experiment'))),
    workers.banner,
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter experiments', onsubmit: (e) => { e.preventDefault(); onFilter(); } },
      field(textInput, 'Name contains'),
      field(taskSel, 'Task'),
      field(modelSel, 'Model'),
      field(stateSel, 'State'),
      field(tagInput, 'Tag'), tagList, sortField,
      h('div', { class: 'field field-inline' }, liveBox, h('label', { for: 'f-live' }, 'Live updates')),
      h('button', { type: 'button', class: 'small', id: 'clear-filters', onclick: () => {
        taskSel.value = modelSel.value = stateSel.value = tagInput.value = textInput.value = '';
        onFilter();
      } }, 'Clear filters')),
    h('div', { class: 'toolbar' }, compareBtn, selCount, h('span', { class: 'spacer' }), workers.details, updated),
    errorBox,
    h('div', { class: 'table-scroll' }, table),
    empty,
    h('div', { class: 'list-foot' }, count, more));

  // ---- sortable headers (aria-sort on the sorted one) ----
  function activeSort() { return view.sort || 'created'; }
  function activeDesc() { return view.order ? view.order === 'desc' : DESC_FIRST.has(activeSort()); }
  function drawHead() {
    clear(headRow);
    for (const c of COLUMNS) {
      if (c.id === 'select') {
        put(headRow, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Select for comparison')));
        continue;
      }
      const th = h('th', { scope: 'col', class: c.num ? 'num' : null, dataset: { col: c.id }, title: c.title || null });
      if (!c.sort) { put(headRow, put(th, c.label)); continue; }
      const on = activeSort() === c.sort;
      if (on) th.setAttribute('aria-sort', activeDesc() ? 'descending' : 'ascending');
      put(th, h('button', { type: 'button', class: 'sort', dataset: { sort: c.sort },
        onclick: () => sortBy(c.sort) }, c.label,
      h('span', { class: `sort-mark${on ? ' on' : ''}`, 'aria-hidden': 'true' }, on ? (activeDesc() ? '▼' : '▲') : '↕')));
      put(headRow, th);
    }
    sortSel.value = `${activeSort()}:${activeDesc() ? 'desc' : 'asc'}`;
    const col = COLUMNS.find((c) => c.sort === activeSort());
    caption.textContent = `Experiments, sorted by ${col ? col.label.toLowerCase() : activeSort()}, ${activeDesc() ? 'descending' : 'ascending'}`;
  }
  function sortBy(key) {
    if (activeSort() === key) view.order = activeDesc() ? 'asc' : 'desc';
    else { view.sort = key === 'created' ? '' : key; view.order = ''; }
    drawHead();
    restart();
    const btn = headRow.querySelector(`button[data-sort="${key}"]`);
    if (btn) btn.focus();
  }

  // ---- the query: filters and sort, in the URL and the export link ----
  function query() {
    const q = {};
    for (const k of FILTERS) if (filters[k]) q[k] = filters[k];
    if (view.sort) q.sort = view.sort;
    if (view.order) q.order = view.order;
    return q;
  }
  function onFilter() {
    filters.task = taskSel.value;
    filters.model = modelSel.value;
    filters.state = stateSel.value;
    filters.tag = tagInput.value.trim();
    filters.q = textInput.value.trim();
    restart();
  }
  function restart() {
    ctx.replaceQuery(query());
    exportLink.href = exportUrl(query());
    generation += 1;
    rows = [];
    nextCursor = null;
    refresh();
  }
  let typing = null;
  const debounced = () => { clearTimeout(typing); typing = setTimeout(onFilter, 300); };
  for (const sel of [taskSel, modelSel, stateSel]) sel.addEventListener('change', onFilter);
  textInput.addEventListener('input', debounced);
  tagInput.addEventListener('input', debounced);
  tagInput.addEventListener('change', () => { clearTimeout(typing); if (tagInput.value.trim() !== filters.tag) onFilter(); });
  liveBox.addEventListener('change', () => { live = liveBox.checked; schedule(); });
  more.addEventListener('click', () => loadMore());
  compareBtn.addEventListener('click', () => ctx.navigate(`#/compare?ids=${[...selected].join(',')}`));
  // a token goes along with the export when one is set (reads may need it)
  exportLink.addEventListener('click', (e) => {
    if (!getToken()) return;
    e.preventDefault();
    download(exportLink.getAttribute('href'), 'lmntk-experiments.csv').catch((err) => showError(err));
  });

  function updateSelection() {
    compareBtn.disabled = selected.size === 0;
    compareBtn.textContent = selected.size ? `Compare selected (${selected.size})` : 'Compare selected';
    selCount.textContent = selected.size ? '' : 'Tick experiments to compare them side by side.';
  }

  // ---- rows ----
  function metricCell(col, ms, partial, label) {
    return h('td', { class: `num metric${partial ? ' partial' : ''}`, 'data-label': COLUMNS.find((c) => c.id === col).label,
      dataset: { col, value: ms && isNum(ms.mean) ? String(ms.mean) : '' },
      title: partial ? 'finished seeds only' : null },
    meanStd(ms), label ? h('span', { class: 'method-name' }, label) : null);
  }

  function row(e) {
    const label = e.name || e.id.slice(0, 8);
    // a pre-training experiment has no task (and makes models rather than using one)
    const pre = e.kind === 'pretrain' || !e.task;
    const m = e.metrics || null;
    const partial = !!e.metrics_partial;
    const box = h('input', { type: 'checkbox', checked: selected.has(e.id), 'aria-label': `Select ${label} for comparison`,
      dataset: { focusKey: `sel-${e.id}` } });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(e.id); else selected.delete(e.id);
      updateSelection();
    });
    const tags = (e.tags || []).map((t) => h('button', { type: 'button', class: 'tag', dataset: { tag: t, focusKey: `tag-${e.id}-${t}` },
      'aria-label': `Show only experiments tagged ${t}`, onclick: () => { tagInput.value = t; onFilter(); } }, t));
    const seeds = e.seeds_total || (m && m.seeds) || 0;
    const live = e.state === 'queued' || e.state === 'running';
    const ft = m && Array.isArray(m.finetune) ? m.finetune : [];
    return h('tr', { dataset: { id: e.id, state: e.state } },
      h('td', { class: 'select', 'data-label': 'Compare' }, box),
      h('td', { class: 'name', 'data-label': 'Experiment' },
        h('a', { href: `#/experiments/${e.id}`, dataset: { focusKey: `link-${e.id}` } }, label),
        e.name ? [' ', h('code', { class: 'muted id' }, e.id.slice(0, 8))] : null,
        e.rerun_of ? h('span', { class: 'muted small', title: `re-run of ${e.rerun_of}` }, ' ↻') : null,
        tags.length ? h('div', { class: 'tags' }, tags) : null,
        e.error ? h('div', { class: 'error small' }, e.error) : null),
      h('td', { class: 'nowrap', 'data-label': 'Task' }, e.task || (pre ? h('span', { class: 'muted' }, 'pre-training') : '—')),
      h('td', { class: 'nowrap', 'data-label': 'Model' }, e.model || (pre ? '—' : 'default')),
      h('td', { class: 'nowrap', 'data-label': 'k · seeds', dataset: { k: e.k ?? '', seeds: String(seeds) } },
        isNum(e.k) ? `k=${e.k}` : '—', seeds ? h('span', { class: 'muted' }, ` · ${seeds} seed${seeds === 1 ? '' : 's'}`) : null),
      h('td', { class: 'state-cell', 'data-label': 'State' }, stateBadge(e.state),
        h('div', { class: 'state-progress' }, progressBar(e.progress, `progress of ${label}`)),
        e.state === 'running' && e.seeds_total > 1 ? h('div', { class: 'muted small seeds-done' }, `${e.seeds_done} of ${e.seeds_total} seeds done`) : null),
      metricCell('kernel', m && m.kernel ? m.kernel.test : null, partial, m && m.kernel ? m.kernel.label : null),
      h('td', { class: `num metric${partial ? ' partial' : ''}`, 'data-label': 'Fine-tuning', dataset: { col: 'finetune' },
        title: partial ? 'finished seeds only' : null },
      ft.length ? h('div', { class: 'ft-list' }, ft.map((f) => h('div', { class: 'ft',
        dataset: { method: f.method, value: f.test && isNum(f.test.mean) ? String(f.test.mean) : '' } },
      h('span', { class: 'method-name' }, f.label || f.method), ' ', meanStd(f.test)))) : '—'),
      metricCell('zero-shot', m ? m.zero_shot : null, partial),
      h('td', { 'data-label': 'Verdict', dataset: { col: 'verdict', value: (m && m.verdict) || '' } },
        m && m.verdict ? h('span', { class: `verdict-badge v-${m.verdict.replace(' ', '-')}` }, m.verdict) : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'nowrap', 'data-label': 'Created',
        title: `${e.created_at || ''}${e.finished_at ? ` · took ${duration(e.created_at, e.finished_at)}` : ''}` }, ago(e.created_at)));
  }

  function draw() {
    const active = document.activeElement;
    const focusKey = active && tbody.contains(active) ? active.dataset.focusKey : null;
    const trs = [];
    const seen = new Set();
    for (const e of rows) {
      const key = `${JSON.stringify(e)}|${ago(e.created_at)}|${selected.has(e.id)}`;
      let c = rowCache.get(e.id);
      if (!c || c.key !== key) { c = { key, tr: row(e) }; rowCache.set(e.id, c); }
      trs.push(c.tr);
      seen.add(e.id);
    }
    for (const k of [...rowCache.keys()]) if (!seen.has(k)) rowCache.delete(k);
    const same = trs.length === tbody.children.length && trs.every((tr, i) => tbody.children[i] === tr);
    if (!same) {
      tbody.replaceChildren(...trs);
      if (focusKey && !tbody.contains(active)) {
        const el = tbody.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
        if (el) el.focus();
      }
    }
    const filtered = FILTERS.some((k) => filters[k]);
    empty.hidden = rows.length > 0;
    empty.textContent = filtered ? 'No experiment matches these filters.' : 'No experiments yet. Submit one to start.';
    table.hidden = rows.length === 0;
    const left = Math.max(0, total - rows.length);
    more.hidden = !nextCursor;
    more.textContent = `Load ${Math.min(PAGE, left) || PAGE} more`;
    count.textContent = rows.length ? `Showing ${rows.length} of ${total}` : '';
    count.dataset.shown = String(rows.length);
    count.dataset.total = String(total);
    // offer the models and tags the rows name
    for (const e of rows) {
      if (e.model && ![...modelSel.options].some((o) => o.value === e.model)) put(modelSel, h('option', { value: e.model }, e.model));
      for (const t of e.tags || []) if (![...tagList.options].some((o) => o.value === t)) put(tagList, h('option', { value: t }));
    }
    updateSelection();
  }

  function clearFieldErrors() {
    for (const el of root.querySelectorAll('.filters .field-error')) el.remove();
    for (const el of root.querySelectorAll('.filters [aria-invalid]')) el.removeAttribute('aria-invalid');
  }
  // A 400 naming a filter (tag, q, ...) is shown under that filter.
  function showError(e) {
    clearFieldErrors();
    const box = e && e.field ? root.querySelector(`.filters [data-filter="${CSS.escape(e.field)}"]`) : null;
    if (box) {
      const input = box.querySelector('input, select');
      const msg = h('p', { class: 'field-error', id: `f-${e.field}-error` }, e.detail);
      put(box, msg);
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', msg.id);
      errorBox.hidden = true;
      return;
    }
    errorBox.hidden = false;
    errorBox.textContent = `Cannot list experiments: ${e.detail || e.message}${e.field ? ` (${e.field})` : ''}`;
  }

  // Reads count rows from the start, following the cursors (pages of at most 1000).
  async function fetchRows(want) {
    const out = [];
    let cursor, page;
    do {
      page = await listExperiments({ ...query(), limit: Math.min(MAX_LIMIT, want - out.length), cursor });
      out.push(...page.experiments);
      cursor = page.next_cursor;
    } while (cursor && out.length < want);
    return { rows: out, next: page.next_cursor, total: page.total ?? out.length };
  }

  // Everything goes through one queue, so a poll and "Load more" never
  // interleave; a reply of an older generation (filters changed) is dropped.
  function run(job) {
    queue = queue.then(job).catch((e) => {
      if (!ctx.alive()) return;
      showError(e);
    });
    return queue;
  }

  function refresh() {
    if (timer) { clearTimeout(timer); timer = null; }
    const gen = generation;
    return run(async () => {
      const res = await fetchRows(Math.max(PAGE, rows.length));
      if (!ctx.alive() || gen !== generation) return;
      rows = res.rows;
      nextCursor = res.next;
      total = res.total;
      errorBox.hidden = true;
      clearFieldErrors();
      draw();
      updated.textContent = `${live ? 'Live · ' : ''}updated ${new Date().toLocaleTimeString()}`;
    }).finally(() => { if (gen === generation) schedule(); });
  }

  function loadMore() {
    if (!nextCursor) return;
    const gen = generation;
    more.disabled = true;
    run(async () => {
      const page = await listExperiments({ ...query(), limit: PAGE, cursor: nextCursor });
      if (!ctx.alive() || gen !== generation) return;
      const have = new Set(rows.map((e) => e.id));
      const added = page.experiments.filter((e) => !have.has(e.id));
      rows = rows.concat(added);
      nextCursor = page.next_cursor;
      total = page.total ?? total;
      draw();
      // the last page: the button goes, and focus to the first row it brought
      if (!nextCursor && added.length) {
        const link = tbody.querySelector(`[data-focus-key="link-${CSS.escape(added[0].id)}"]`);
        if (link) link.focus();
      }
    }).finally(() => { more.disabled = false; });
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!live || !ctx.alive()) return;
    const busy = rows.some((e) => e.state === 'queued' || e.state === 'running');
    timer = setTimeout(() => {
      if (document.hidden) { schedule(); return; }
      workers.refresh();
      refresh();
    }, busy ? FAST_MS : SLOW_MS);
  }

  const onVisible = () => { if (!document.hidden && live) { workers.refresh(); refresh(); } };
  document.addEventListener('visibilitychange', onVisible);

  (async () => {
    try {
      const [tasks, models] = await Promise.all([getCatalog(), getModels()]);
      if (!ctx.alive()) return;
      for (const t of tasks.tasks || []) {
        if (![...taskSel.options].some((o) => o.value === t.name)) put(taskSel, h('option', { value: t.name }, t.name));
      }
      for (const m of models.models || []) {
        if (![...modelSel.options].some((o) => o.value === m.name)) put(modelSel, h('option', { value: m.name }, m.name));
      }
      taskSel.value = filters.task;
      modelSel.value = filters.model;
    } catch { /* the list still works without the catalogs */ }
  })();
  drawHead();
  updateSelection();
  exportLink.href = exportUrl(query());
  workers.refresh();
  refresh();

  return () => {
    if (timer) clearTimeout(timer);
    clearTimeout(typing);
    generation += 1;
    document.removeEventListener('visibilitychange', onVisible);
  };
}
