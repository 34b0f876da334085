// app.js - the dashboard's entry: hash routing, the token panel, the footer.
//
// Routes (hash-based, so the daemon serves one index.html):
//   #/experiments[?q=&task=&model=&state=&tag=&sort=&order=]   list.js
//   #/experiments/<id>                    experiment.js
//   #/submit[?from=<id>][?checkpoints=a,b]  submit.js
//   #/compare[?ids=<id>,<id>...]          compare.js
//   #/kshot[?task=&model=&split=]         kshot.js
// A view module exports render(root, ctx) and returns a cleanup function
// (stops its polling) or nothing.

import { forgetCatalog, getHealth, getToken, setToken } from './api.js';
import { clear, h, put } from './dom.js';
import * as compare from './compare.js';
import * as experiment from './experiment.js';
import * as kshot from './kshot.js';
import * as list from './list.js';
import * as submit from './submit.js';
import { loadVocabulary } from './vocab.js';

const ROUTES = [
  { re: /^\/(experiments\/?)?$/, view: list, nav: 'experiments' },
  { re: /^\/experiments\/([0-9a-fA-F-]{36})\/?$/, view: experiment, nav: 'experiments' },
  { re: /^\/submit\/?$/, view: submit, nav: 'submit' },
  { re: /^\/compare\/?$/, view: compare, nav: 'compare' },
  { re: /^\/kshot\/?$/, view: kshot, nav: 'kshot' },
];

let cleanup = null;
let generation = 0;

function parseHash() {
  const raw = location.hash.slice(1) || '/';
  if (!raw.startsWith('/')) return null; // an in-page anchor such as #main
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return { path, params };
}

export function navigate(hash) { location.hash = hash; }

// Changes the query of the current route without re-rendering the view.
export function replaceQuery(params) {
  const r = parseHash();
  if (!r) return;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  history.replaceState(null, '', `#${r.path}${s ? `?${s}` : ''}`);
}

function route(first) {
  const r = parseHash();
  if (!r) return;
  if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } }
  cleanup = null;
  generation += 1;
  const gen = generation;
  const main = document.getElementById('main');
  clear(main);
  let match = null, entry = null;
  for (const e of ROUTES) { match = e.re.exec(r.path); if (match) { entry = e; break; } }
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (entry && a.dataset.nav === entry.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!entry) {
    document.title = 'Not found · lmntk';
    put(main, h('h1', { tabindex: '-1' }, 'Not found'),
      h('p', {}, 'No page here. ', h('a', { href: '#/experiments' }, 'Go to the experiments.')));
    return;
  }
  const ctx = {
    params: r.params,
    match,
    navigate,
    replaceQuery,
    alive: () => gen === generation,
    setTitle: (t) => { document.title = `${t} · lmntk`; },
  };
  try {
    cleanup = entry.view.render(main, ctx) || null;
  } catch (e) {
    console.error(e);
    put(main, h('p', { class: 'error', role: 'alert' }, `This page failed: ${e.message}`));
  }
  if (!first) {
    const h1 = main.querySelector('h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
    window.scrollTo(0, 0);
  }
}

function setupToken() {
  const button = document.getElementById('token-button');
  const panel = document.getElementById('token-panel');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  const show = () => {
    button.textContent = getToken() ? 'Token ✓' : 'Token';
    button.title = getToken() ? 'An API token is set' : 'No API token set: reads only';
  };
  button.addEventListener('click', () => {
    const open = panel.hidden;
    panel.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) { input.value = getToken(); input.focus(); }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    show();
    button.focus();
    window.dispatchEvent(new CustomEvent('lmntk-token'));
  });
  document.getElementById('token-clear').addEventListener('click', () => {
    setToken('');
    input.value = '';
    show();
  });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { panel.hidden = true; button.setAttribute('aria-expanded', 'false'); button.focus(); }
  });
  show();
}

async function health() {
  const el = document.getElementById('health');
  try {
    const hz = await getHealth();
    el.textContent = `server ${hz.status}${hz.runner_available === false ? ' · no runner' : ''}`;
  } catch (e) {
    el.textContent = `server unreachable (${e.message})`;
  }
}

// The names the views offer and label come from the daemon (vocab.js):
// loaded before the first view, and again with a new token (a daemon with
// read_auth = token answers only then).
async function vocabulary() {
  try { await loadVocabulary(); } catch (e) { console.warn(`the task catalog: ${e.message}`); }
}

setupToken();
window.addEventListener('hashchange', () => route(false));
window.addEventListener('lmntk-token', () => { forgetCatalog(); vocabulary().then(() => route(false)); });
vocabulary().then(() => route(true));
health();
