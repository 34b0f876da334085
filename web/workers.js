// workers.js - whether queued work has a worker to run it (GET /v1/workers):
// a warning banner while jobs are queued and no worker is alive, and a
// one-line status that opens into a table of the workers.  The list polls
// it with its own polling; the experiment page while its experiment waits.

import { getWorkers } from './api.js';
import { ago, bytes, clear, h, progressBar, put } from './dom.js';

export function workerPanel() {
  const banner = h('div', { class: 'banner warn', id: 'worker-warning', role: 'alert', hidden: true });
  const summary = h('summary', {}, h('span', { id: 'workers-line' }, 'Workers: …'));
  const body = h('div', { class: 'table-scroll' });
  const details = h('details', { class: 'workers', id: 'workers' }, summary, body);
  let shown = '';

  function drawBanner(w) {
    const warn = w.queued_jobs > 0 && w.alive === 0;
    const text = warn ? `${w.queued_jobs} job${w.queued_jobs === 1 ? ' is' : 's are'} queued and no worker is alive` : '';
    banner.dataset.queued = String(w.queued_jobs);
    banner.dataset.alive = String(w.alive);
    if (text === shown) return; // role=alert: announce a change only
    shown = text;
    banner.hidden = !warn;
    clear(banner);
    if (!warn) return;
    const lost = w.workers.length;
    put(banner, h('strong', {}, `${text}.`), ' ',
      lost ? `The ${lost === 1 ? 'last worker was' : `${lost} workers were`} last heard from ${ago(w.workers[0].last_heartbeat)}. `
        : 'No worker has connected to this server yet. ',
      'Nothing runs until one is started: ',
      h('code', {}, `lmntk-worker --server ${location.origin} --token $WORKER_TOKEN --data-root DIR`), '.');
  }

  function drawTable(w) {
    const line = `Workers: ${w.alive} alive${w.workers.length > w.alive ? ` of ${w.workers.length}` : ''} · ${w.queued_jobs} job${w.queued_jobs === 1 ? '' : 's'} queued`;
    put(clear(summary), h('span', { id: 'workers-line' }, line));
    if (!w.workers.length) { put(clear(body), h('p', { class: 'muted small' }, 'No worker has connected yet.')); return; }
    put(clear(body), h('table', { class: 'data workers-table' },
      h('caption', { class: 'visually-hidden' }, 'Workers, most recently heard from first'),
      h('thead', {}, h('tr', {}, ['Worker', 'Host', 'Alive', 'Last heard', 'Memory limit', 'Running']
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, w.workers.map((x) => h('tr', { dataset: { worker: x.name, alive: String(x.alive) } },
        h('td', {}, x.name),
        h('td', {}, x.host || '—'),
        h('td', {}, h('span', { class: `flag ${x.alive ? 'yes' : 'no'}` }, x.alive ? 'yes' : 'no')),
        h('td', { title: x.last_heartbeat || '' }, ago(x.last_heartbeat)),
        h('td', { class: 'num' }, x.mem_limit_bytes ? bytes(x.mem_limit_bytes) : '—'),
        h('td', {}, x.job ? [h('a', { href: `#/experiments/${x.job.experiment_id}` }, x.job.experiment_id.slice(0, 8)),
          ` seed ${x.job.seed} · ${x.job.method} `, progressBar(x.job.progress, `progress of ${x.name}'s job`)] : 'idle'))))));
  }

  // Reads GET /v1/workers; a daemon that will not say (an older one, a
  // token that may not read) leaves the banner down.
  async function refresh() {
    try {
      const w = await getWorkers();
      drawBanner(w);
      drawTable(w);
      details.hidden = false;
    } catch {
      banner.hidden = true;
      shown = '';
      details.hidden = true;
    }
  }
  return { banner, details, refresh };
}
