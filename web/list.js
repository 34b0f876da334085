// list.js - the experiments list: live state and progress (polled), filters
// by task, model and state (the API's own query parameters), selection for
// the compare page.

import { getCatalog, getModels, listExperiments } from './api.js';
import { ago, clear, duration, h, progressBar, stateBadge, put } from './dom.js';

const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const FAST_MS = 1500, SLOW_MS = 5000;

export function render(root, ctx) {
  ctx.setTitle('Experiments');
  const filters = {
    task: ctx.params.get('task') || '',
    model: ctx.params.get('model') || '',
    state: ctx.params.get('state') || '',
  };
  const selected = new Set((ctx.params.get('selected') || '').split(',').filter(Boolean));
  let limit = 50;
  let timer = null;
  let live = true;
  let lastPage = null;

  const taskSel = h('select', { id: 'f-task', name: 'task' }, h('option', { value: '' }, 'All tasks'));
  const modelSel = h('select', { id: 'f-model', name: 'model' }, h('option', { value: '' }, 'All models'));
  const stateSel = h('select', { id: 'f-state', name: 'state' }, h('option', { value: '' }, 'All states'),
    STATES.map((st) => h('option', { value: st }, st)));
  for (const [sel, v] of [[taskSel, filters.task], [modelSel, filters.model], [stateSel, filters.state]]) {
    if (v && ![...sel.options].some((o) => o.value === v)) put(sel, h('option', { value: v }, v));
    sel.value = v;
  }
  const liveBox = h('input', { type: 'checkbox', id: 'f-live', checked: true });
  const updated = h('span', { class: 'muted', id: 'list-updated' });
  const errorBox = h('p', { class: 'error', role: 'alert', hidden: true });
  const tbody = h('tbody');
  const table = h('table', { class: 'data list-table', id: 'experiments-table' },
    h('caption', { class: 'visually-hidden' }, 'Experiments, newest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Select for comparison')),
      h('th', { scope: 'col' }, 'Experiment'),
      h('th', { scope: 'col' }, 'Task'),
      h('th', { scope: 'col' }, 'Model'),
      h('th', { scope: 'col' }, 'State'),
      h('th', { scope: 'col' }, 'Progress'),
      h('th', { scope: 'col', class: 'num' }, 'Jobs'),
      h('th', { scope: 'col' }, 'Created'),
      h('th', { scope: 'col' }, 'Took'))),
    tbody);
  const empty = h('p', { class: 'empty', hidden: true });
  const more = h('button', { type: 'button', hidden: true }, 'Show more');
  const compareBtn = h('button', { type: 'button', id: 'compare-selected', disabled: true }, 'Compare selected');
  const selCount = h('span', { class: 'muted', 'aria-live': 'polite' });

  put(root, 
    h('div', { class: 'page-head' },
      h('h1', {}, 'Experiments'),
      h('a', { class: 'button primary', href: '#/submit' }, 'New experiment')),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter experiments', onsubmit: (e) => e.preventDefault() },
      h('div', { class: 'field' }, h('label', { for: 'f-task' }, 'Task'), taskSel),
      h('div', { class: 'field' }, h('label', { for: 'f-model' }, 'Model'), modelSel),
      h('div', { class: 'field' }, h('label', { for: 'f-state' }, 'State'), stateSel),
      h('div', { class: 'field field-inline' }, liveBox, h('label', { for: 'f-live' }, 'Live updates')),
      h('button', { type: 'button', class: 'small', onclick: () => {
        taskSel.value = modelSel.value = stateSel.value = '';
        onFilter();
      } }, 'Clear filters')),
    h('div', { class: 'toolbar' }, compareBtn, selCount, h('span', { class: 'spacer' }), updated),
    errorBox,
    h('div', { class: 'table-scroll' }, table),
    empty,
    more);

  function onFilter() {
    filters.task = taskSel.value;
    filters.model = modelSel.value;
    filters.state = stateSel.value;
    ctx.replaceQuery(filters);
    limit = 50;
    refresh();
  }
  taskSel.addEventListener('change', onFilter);
  modelSel.addEventListener('change', onFilter);
  stateSel.addEventListener('change', onFilter);
  liveBox.addEventListener('change', () => { live = liveBox.checked; schedule(); });
  more.addEventListener('click', () => { limit = Math.min(200, limit + 50); refresh(); });
  compareBtn.addEventListener('click', () => ctx.navigate(`#/compare?ids=${[...selected].join(',')}`));

  function updateSelection() {
    compareBtn.disabled = selected.size === 0;
    compareBtn.textContent = selected.size ? `Compare selected (${selected.size})` : 'Compare selected';
    selCount.textContent = selected.size ? '' : 'Tick experiments to compare them side by side.';
  }

  function row(e) {
    const label = e.name || e.id.slice(0, 8);
    // a pre-training experiment has no task (and makes models rather than using one)
    const pre = e.kind === 'pretrain' || !e.task;
    const box = h('input', { type: 'checkbox', checked: selected.has(e.id), 'aria-label': `Select ${label} for comparison`,
      dataset: { focusKey: `sel-${e.id}` } });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(e.id); else selected.delete(e.id);
      updateSelection();
    });
    const title = h('a', { href: `#/experiments/${e.id}`, dataset: { focusKey: `link-${e.id}` } }, label);
    return h('tr', { dataset: { id: e.id, state: e.state } },
      h('td', { class: 'select', 'data-label': 'Compare' }, box),
      h('td', { 'data-label': 'Experiment' }, title, e.name ? [' ', h('code', { class: 'muted id' }, e.id.slice(0, 8))] : null,
        e.error ? h('div', { class: 'error small' }, e.error) : null),
      h('td', { class: 'nowrap', 'data-label': 'Task' }, e.task || (pre ? h('span', { class: 'muted' }, 'pre-training') : '—')),
      h('td', { class: 'nowrap', 'data-label': 'Model' }, e.model || (pre ? '—' : 'default')),
      h('td', { 'data-label': 'State' }, stateBadge(e.state)),
      h('td', { 'data-label': 'Progress' }, progressBar(e.progress, `progress of ${label}`)),
      h('td', { class: 'num', 'data-label': 'Jobs' }, String(e.n_jobs ?? '')),
      h('td', { class: 'nowrap', 'data-label': 'Created', title: e.created_at || '' }, ago(e.created_at)),
      h('td', { class: 'nowrap', 'data-label': 'Took' }, e.finished_at ? duration(e.created_at, e.finished_at)
        : (e.state === 'running' ? `${duration(e.created_at)} so far` : '')));
  }

  function draw(page) {
    const focusKey = document.activeElement && tbody.contains(document.activeElement)
      ? document.activeElement.dataset.focusKey : null;
    clear(tbody);
    for (const e of page.experiments) put(tbody, row(e));
    if (focusKey) {
      const el = tbody.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
      if (el) el.focus();
    }
    const filtered = filters.task || filters.model || filters.state;
    empty.hidden = page.experiments.length > 0;
    empty.textContent = filtered ? 'No experiment matches these filters.'
      : 'No experiments yet. Submit one to start.';
    table.hidden = page.experiments.length === 0;
    more.hidden = !page.next_cursor || limit >= 200;
    for (const e of page.experiments) {
      if (e.model && ![...modelSel.options].some((o) => o.value === e.model)) put(modelSel, h('option', { value: e.model }, e.model));
    }
    updateSelection();
  }

  async function refresh() {
    if (timer) { clearTimeout(timer); timer = null; }
    try {
      const page = await listExperiments({ ...filters, limit });
      if (!ctx.alive()) return;
      lastPage = page;
      errorBox.hidden = true;
      draw(page);
      updated.textContent = `${live ? 'Live · ' : ''}updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      if (!ctx.alive()) return;
      errorBox.hidden = false;
      errorBox.textContent = `Cannot list experiments: ${e.detail || e.message}${e.field ? ` (${e.field})` : ''}`;
    }
    schedule();
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!live || !ctx.alive()) return;
    const busy = lastPage && lastPage.experiments.some((e) => e.state === 'queued' || e.state === 'running');
    timer = setTimeout(() => { if (!document.hidden) refresh(); else schedule(); }, busy ? FAST_MS : SLOW_MS);
  }

  const onVisible = () => { if (!document.hidden && live) refresh(); };
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
  updateSelection();
  refresh();

  return () => {
    if (timer) clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
