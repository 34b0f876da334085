// api.js - the lmntkd REST API (schema/openapi.yaml) as async functions.
//
// Every error reply is {"error", "field", "detail"}; it is thrown as an
// ApiError carrying those three, so views can put the detail next to the
// field it names.

const TOKEN_KEY = 'lmntk.token';

export function getToken() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setToken(t) {
  try {
    if (t) localStorage.setItem(TOKEN_KEY, t);
    else localStorage.removeItem(TOKEN_KEY);
  } catch { /* private mode: the token lives for this page only */ }
  memoryToken = t;
}
let memoryToken = '';
function token() { return getToken() || memoryToken; }

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && typeof body.detail === 'string' ? body.detail : `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.code = (body && body.error) || 'http_error';
    this.field = (body && typeof body.field === 'string' && body.field) || null;
    this.detail = detail;
  }
}

function headers(extra) {
  const h = { Accept: 'application/json', ...extra };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function request(method, path, { body, raw } = {}) {
  const init = { method, headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}) };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: 'network', detail: `cannot reach the server (${e.message})` });
  }
  if (!res.ok) {
    let b = null;
    try { b = await res.json(); } catch { b = null; }
    throw new ApiError(res.status, b);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const listExperiments = (params) => request('GET', `/v1/experiments${query(params)}`);
export const getExperiment = (id) => request('GET', `/v1/experiments/${encodeURIComponent(id)}`);
export const submitExperiment = (spec) => request('POST', '/v1/experiments', { body: spec });
export const cancelExperiment = (id) => request('DELETE', `/v1/experiments/${encodeURIComponent(id)}`);
// Deletes a finished (or cancelled) experiment with its artifacts.
export const deleteExperiment = (id) => request('DELETE', `/v1/experiments/${encodeURIComponent(id)}?purge=true`);
// {name} (null removes it), {add_tags}, {remove_tags}: replies the summary.
export const patchExperiment = (id, change) => request('PATCH', `/v1/experiments/${encodeURIComponent(id)}`, { body: change });
export const addTag = (id, tag) => request('PUT', `/v1/experiments/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`);
export const removeTag = (id, tag) => request('DELETE', `/v1/experiments/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`);
export const rerunExperiment = (id) => request('POST', `/v1/experiments/${encodeURIComponent(id)}/rerun`);
export const getWorkers = () => request('GET', '/v1/workers');
// The CSV export of the runs table's filters and sort (one line per
// experiment, method and seed).
export const exportUrl = (params) => `/v1/experiments.csv${query(params)}`;
export const getModels = () => request('GET', '/v1/models');
// The tasks and the names of every choice of a spec (vocab.js), read once;
// a failed read is tried again at the next call.
let catalog = null;
export function getCatalog() {
  if (!catalog) catalog = request('GET', '/v1/tasks').catch((e) => { catalog = null; throw e; });
  return catalog;
}
export function forgetCatalog() { catalog = null; }
export const getSchema = () => request('GET', '/v1/schema');
export const getHealth = () => request('GET', '/healthz');

// An artifact's URL: name is 'result.json' or '<job index>/<file>'; the
// slash goes as is (the API takes it either way).
export function artifactUrl(id, name) {
  return `/v1/experiments/${encodeURIComponent(id)}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`;
}

export async function fetchArtifact(id, name) {
  const res = await request('GET', artifactUrl(id, name), { raw: true });
  return res.arrayBuffer();
}

// Downloads an artifact through fetch (so the token goes along when reads
// need one) and hands it to the browser as a file.
export function downloadArtifact(id, name) {
  return download(artifactUrl(id, name), name.replace(/\//g, '-'));
}

// Fetches url (with the token) and saves it as file.
export async function download(path, file) {
  const res = await request('GET', path, { raw: true });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
