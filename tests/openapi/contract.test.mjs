// contract.test.mjs - schema/openapi.yaml against the daemon, TAP output.
//
// 1. The document is valid OpenAPI 3.0 (@apidevtools/swagger-parser checks
//    it against the official schema and resolves every $ref), and no key is
//    left without a value (an unquoted comma in a flow mapping makes one).
// 2. Its paths and methods are exactly the routes of server/routes.c.
// 3. Live responses: a real lmntkd and a real lmntk-worker run a real
//    experiment (kernel, fine-tuning and diagnostics on a tiny split) and a
//    pre-training run; then this script plays the worker on more
//    experiments, and sends every request of CASES below.  Every response's
//    status must be documented for its operation, its Content-Type must be
//    one the document gives, its required headers present, and a JSON body
//    must match the schema, with objects closed: a field the document does
//    not name is an error (an object schema without `properties` stays
//    free-form).  Generic requests are added to every operation from its
//    access level in routes.c: a bad token (401), the wrong kind of token
//    (403), none (401), a body over the limits (413), and on a second
//    daemon that needs tokens for reads and limits rates, none (401) and
//    too many (429).
// 4. Coverage: every documented operation was called, and every documented
//    status was seen (or is in UNPROVOKED with the reason).
//
// Adding a route: document it in schema/openapi.yaml, then add its requests
// to CASES (and, where it needs state, to the scenario that builds `ctx`).
//
// Environment (test_contract.sh): OPENAPI, ROUTES_C, BASE, UTOK, WTOK,
// STRICT_BASE, STRICT_UTOK, MAX_BODY_BYTES, MAX_SPEC_BYTES,
// MAX_ARTIFACT_BYTES, WORKER_BIN, WORKER_ARGS, WORKER_LOG, MODEL_NAME,
// DATA_DIR.

import http from 'node:http';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const env = (k) => { const v = process.env[k]; if (!v) { console.error(`missing $${k}`); process.exit(2); } return v; };
const BASE = env('BASE'), STRICT_BASE = env('STRICT_BASE');
const OWNERS_BASE = env('OWNERS_BASE'), AMBIGUOUS = env('AMBIGUOUS');
// main daemon: user (alice), bob (another user), admin, worker; strict
// daemon: strictUser; owners daemon: alice's two tokens, bob's, an admin's
// and a worker's.
const TOKENS = { user: env('UTOK'), bob: env('BOB'), admin: env('ADMIN'), worker: env('WTOK'), strictUser: env('STRICT_UTOK'),
  ownAlice: env('OWN_ALICE'), ownAlice2: env('OWN_ALICE2'), ownBob: env('OWN_BOB'), ownAdmin: env('OWN_ADMIN'),
  ownWorker: env('OWN_WORKER'), bogus: 'not-a-known-token-0123456789' };
const MAX_BODY = Number(env('MAX_BODY_BYTES')), MAX_SPEC = Number(env('MAX_SPEC_BYTES'));
const MAX_ARTIFACT = Number(env('MAX_ARTIFACT_BYTES'));
const MODEL = env('MODEL_NAME'), MODELS_DIR = env('MODELS_DIR'), DATA_DIR = env('DATA_DIR');
const T0 = Date.now();

let n = 0, failed = 0;
function ok(cond, msg, extra) {
  n += 1;
  if (cond) console.log(`ok ${n} - ${msg}`);
  else {
    failed += 1;
    console.log(`not ok ${n} - ${msg}${extra ? `\n  # ${String(extra).replace(/\n/g, '\n  # ')}` : ''}`);
  }
  return cond;
}
const note = (m) => console.log(`# ${m} (${((Date.now() - T0) / 1000).toFixed(1)} s)`);
function finish() {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  console.log(`1..${n}`);
  note(`${n - failed} of ${n} passed`);
  process.exit(failed ? 1 : 0);
}

// Statuses the document gives that this test cannot provoke, and why.
const UNPROVOKED = {
  'GET /healthz 503': 'needs the database to fail under a running daemon',
  'PUT /v1/leases/{lease}/artifacts/{name} 507': 'needs a full disk',
  'GET /v1/leases/{lease}/inputs/{name} 200': 'needs the tile jobs of a sharded kernel done by workers; tests/worker/it_shards_real.sh downloads them with real ones',
};

// ---- 1. the document ---------------------------------------------------------

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
let raw;
try {
  raw = await SwaggerParser.parse(env('OPENAPI'));
} catch (e) {
  ok(false, 'schema/openapi.yaml parses', e.message);
  finish();
}
// A YAML flow mapping `{description: a, b}` parses as {description: 'a', b: null}.
// (A null in a list is meant: a nullable enum lists null.)
const nullKeys = [];
(function walk(x, where) {
  if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (v === null && !Array.isArray(x)) nullKeys.push(`${where}/${k}`);
      else walk(v, `${where}/${k}`);
    }
  }
})(raw, '#');
ok(nullKeys.length === 0, 'no key of the document is without a value (an unquoted comma makes such keys)', nullKeys.join('\n'));
try {
  await SwaggerParser.validate(structuredClone(raw));
  ok(true, 'schema/openapi.yaml is valid OpenAPI 3.0 (swagger-parser, the official schema)');
} catch (e) {
  ok(false, 'schema/openapi.yaml is valid OpenAPI 3.0 (swagger-parser, the official schema)', e.message);
  finish();
}
const doc = await SwaggerParser.dereference(structuredClone(raw));

// ---- 2. the document's operations are the daemon's routes -------------------

// {"GET", "/v1/models", LMD_ACCESS_READ, LMD_BODY_NONE, ...}
const routes = [...fs.readFileSync(env('ROUTES_C'), 'utf8')
  .matchAll(/\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*LMD_ACCESS_([A-Z]+)\s*,\s*LMD_BODY_([A-Z]+)/g)]
  .map(([, method, path, access, body]) => ({ key: `${method} ${path}`, method, path, access: access.toLowerCase(), body: body.toLowerCase() }));
ok(routes.length >= 10, `server/routes.c read: ${routes.length} routes`);
const ops = new Map();
for (const [path, item] of Object.entries(doc.paths)) {
  for (const m of METHODS) {
    if (item[m]) ops.set(`${m.toUpperCase()} ${path}`, { method: m.toUpperCase(), path, op: item[m], pathParams: item.parameters || [] });
  }
}
const routeOf = new Map(routes.map((r) => [r.key, r]));
const undocumented = routes.filter((r) => !ops.has(r.key)).map((r) => r.key);
const unserved = [...ops.keys()].filter((k) => !routeOf.has(k));
ok(undocumented.length === 0, 'every route of server/routes.c is in schema/openapi.yaml',
  undocumented.map((k) => `'${k}' is a route but not documented: add it to schema/openapi.yaml`).join('\n'));
ok(unserved.length === 0, 'every operation of schema/openapi.yaml is a route',
  unserved.map((k) => `'${k}' is documented but no route of server/routes.c serves it`).join('\n'));

// ---- the response checker ---------------------------------------------------

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
ajv.addFormat('binary', true);
ajv.addVocabulary(['example', 'externalDocs', 'xml']); // OpenAPI's annotations

// The schema with every object that lists properties closed, allOf of
// objects merged first (additionalProperties: false would else refuse the
// other branches' fields): a field the document does not name is an error.
function closed(s) {
  if (!s || typeof s !== 'object') return s;
  let out = { ...s };
  if (out.allOf && out.allOf.every((b) => b.type === 'object')) {
    const { allOf, ...rest } = out;
    out = { ...rest, type: 'object', properties: {}, required: [] };
    for (const b of allOf) {
      Object.assign(out.properties, b.properties || {});
      out.required.push(...(b.required || []));
    }
  }
  if (out.properties) {
    out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, closed(v)]));
    if (out.additionalProperties === undefined) out.additionalProperties = false;
  }
  if (out.items) out.items = closed(out.items);
  if (out.additionalProperties && typeof out.additionalProperties === 'object') out.additionalProperties = closed(out.additionalProperties);
  for (const k of ['oneOf', 'anyOf', 'allOf']) if (out[k]) out[k] = out[k].map(closed);
  return out;
}
const validators = new Map();
function validatorFor(key, schema) {
  if (!validators.has(key)) validators.set(key, ajv.compile(closed(schema)));
  return validators.get(key);
}

// What is wrong with a response {status, headers, body: Buffer} to the
// operation opKey, by the document: a list of sentences, empty when right.
function conform(opKey, res) {
  const { op } = ops.get(opKey);
  const status = String(res.status);
  const spec = op.responses[status] || op.responses[`${status[0]}XX`] || op.responses.default;
  if (!spec) return [`status ${status} is not documented for ${opKey} (it documents ${Object.keys(op.responses).join(', ')})`];
  const problems = [];
  for (const [name, h] of Object.entries(spec.headers || {})) {
    const v = res.headers[name.toLowerCase()];
    if (v === undefined) { if (h.required) problems.push(`header ${name} is missing`); continue; }
    const hs = h.schema || {};
    if (hs.type === 'integer' && !(/^\d+$/.test(v) && (hs.minimum === undefined || Number(v) >= hs.minimum))) problems.push(`header ${name}: '${v}' is not an integer >= ${hs.minimum}`);
    if (hs.enum && !hs.enum.includes(v)) problems.push(`header ${name}: '${v}' is not one of ${hs.enum.join(', ')}`);
  }
  const ctype = String(res.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  if (!spec.content) {
    if (res.body.length) problems.push(`a ${res.body.length}-byte ${ctype || 'untyped'} body, but the document gives ${status} no content`);
    return problems;
  }
  const media = spec.content[ctype] ? ctype : spec.content[`${ctype.split('/')[0]}/*`] ? `${ctype.split('/')[0]}/*` : spec.content['*/*'] ? '*/*' : null;
  if (!media) {
    problems.push(`Content-Type '${ctype}' is not one of the documented ${Object.keys(spec.content).join(', ')}`);
    return problems;
  }
  if (!/[/+]json$/.test(ctype)) return problems;
  let body;
  try { body = JSON.parse(res.body.toString('utf8')); } catch (e) {
    problems.push(`the ${ctype} body is not JSON: ${e.message}`);
    return problems;
  }
  const validate = validatorFor(`${opKey} ${status} ${media}`, spec.content[media].schema || {});
  if (!validate(body)) {
    for (const e of validate.errors) {
      const extra = e.keyword === 'additionalProperties' ? ` '${e.params.additionalProperty}' (undocumented)` : '';
      problems.push(`body${e.instancePath} ${e.message}${extra}`);
    }
  }
  return problems;
}

// A request the daemon is expected to take must be one the document allows:
// its query parameters documented, and its body there when required and of
// the documented schema.
function requestProblems(o, req, body) {
  const problems = [];
  const params = [...o.pathParams, ...(o.op.parameters || [])];
  for (const [k, v] of Object.entries(req.query || {})) {
    const p = params.find((x) => x.in === 'query' && x.name === k);
    if (!p) { problems.push(`the query parameter '${k}' is not documented`); continue; }
    const value = p.schema && p.schema.type === 'integer' ? Number(v) : v;
    const check = validatorFor(`query ${o.method} ${o.path} ${k}`, p.schema || {});
    if (!check(value)) problems.push(`the query parameter ${k}=${v} does not match its schema`);
  }
  const rb = o.op.requestBody;
  if (!rb) {
    if (body !== undefined) problems.push('a request body, but the document gives the operation none');
    return problems;
  }
  if (body === undefined) {
    if (rb.required) problems.push('no request body, but the document requires one');
    return problems;
  }
  if (req.json !== undefined && rb.content['application/json']) {
    let value;
    try { value = JSON.parse(body); } catch { problems.push('the request body is not JSON'); return problems; }
    const check = validatorFor(`request ${o.method} ${o.path}`, rb.content['application/json'].schema || {});
    if (!check(value)) problems.push(...check.errors.map((e) => `request body${e.instancePath} ${e.message}`));
  }
  return problems;
}

// ---- requests ------------------------------------------------------------------

function send(base, method, path, { headers = {}, body, declaredLength, chunked } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const h = { ...headers };
    if (body !== undefined && !chunked) h['Content-Length'] = Buffer.byteLength(body);
    if (declaredLength !== undefined) h['Content-Length'] = declaredLength;
    let answered = false;
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers: h, agent: false }, (res) => {
      answered = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => { resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }); req.destroy(); });
      res.on('error', reject);
    });
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    // The daemon answers a too-large body at once and closes: a write
    // error after the answer is expected.
    req.on('error', (e) => { if (!answered) reject(e); });
    if (declaredLength !== undefined) req.flushHeaders(); // headers only: the answer comes first
    else if (chunked) { req.write(body); req.end(); } // no length: the daemon counts as it reads
    else req.end(body);
  });
}

const fill = (path, params) => path.replace(/\{(\w+)\}/g, (_, k) => {
  if (params[k] === undefined) throw new Error(`no value for {${k}} in ${path}`);
  return String(params[k]);
});
const DEFAULT_AUTH = { open: null, read: 'user', user: 'user', worker: 'worker' };
const seen = new Map(); // opKey -> Set of statuses
const samples = new Map(); // opKey -> the first request answered 2xx (for the generic requests)
const quietProblems = [];
let quietCalls = 0;

// call(opKey, expect, what, req): sends req to the operation and checks the
// answer.  req: params (path parameters), query, auth ('user', 'worker',
// 'strictUser', 'bogus', null or a raw Authorization value), json (a
// body to send as JSON), raw (a body sent as is, with contentType),
// declaredLength (headers only, with that Content-Length), chunked (the
// body without a length), base (the strict or the owners daemon), rawQuery
// (a query string sent as it is), quiet (no TAP line; problems are reported
// together at the end).
async function call(opKey, expect, what, req = {}) {
  const o = ops.get(opKey);
  if (!o) return ok(false, `${opKey}: the test calls an operation the document does not have`) && null;
  const route = routeOf.get(opKey);
  const auth = 'auth' in req ? req.auth : DEFAULT_AUTH[route ? route.access : 'user'];
  const headers = {};
  if (auth) headers.Authorization = auth in TOKENS ? `Bearer ${TOKENS[auth]}` : auth;
  let body;
  if (req.json !== undefined) { body = typeof req.json === 'string' ? req.json : JSON.stringify(req.json); headers['Content-Type'] = 'application/json'; }
  if (req.raw !== undefined) { body = req.raw; headers['Content-Type'] = req.contentType || 'application/octet-stream'; }
  const qs = req.rawQuery !== undefined ? `?${req.rawQuery}` : req.query ? `?${new URLSearchParams(req.query)}` : '';
  const path = fill(o.path, req.params || {}) + qs;
  let res;
  try {
    res = await send(req.base || BASE, o.method, path, { headers, body, declaredLength: req.declaredLength, chunked: req.chunked });
  } catch (e) {
    ok(false, `${opKey} ${expect}: ${what}`, `${o.method} ${path}: ${e.message}`);
    return null;
  }
  const problems = conform(opKey, res);
  if (expect < 300) problems.push(...requestProblems(o, req, body));
  const text = res.body.toString('utf8');
  if (res.status !== expect) problems.unshift(`${o.method} ${path}: status ${res.status}, expected ${expect}: ${text.slice(0, 300)}`);
  if (!seen.has(opKey)) seen.set(opKey, new Set());
  seen.get(opKey).add(String(res.status));
  if (res.status < 300 && !samples.has(opKey) && !req.base) samples.set(opKey, req);
  if (req.quiet) {
    quietCalls += 1;
    if (problems.length) quietProblems.push(`${opKey} ${expect}: ${what}: ${problems.join('; ')}`);
  } else {
    ok(problems.length === 0, `${opKey} ${expect}: ${what}`, problems.map((p) => `${o.method} ${path}: ${p}`).join('\n'));
  }
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: res.body, text, json };
}

// ---- the checker can fail -----------------------------------------------------

{
  const fake = (status, body) => ({ status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
  const summary = { id: '00000000-0000-4000-8000-000000000001', name: null, state: 'queued', task: null, model: null, n_jobs: 1, progress: 0,
    created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', finished_at: null, error: null,
    owner: 'alice', tags: [], rerun_of: null, seeds_total: 1, seeds_done: 0, remaining_seeds: 1, metrics: null, metrics_partial: false };
  const good = conform('GET /v1/experiments', fake(200, { experiments: [summary], next_cursor: null, total: 1 }));
  ok(good.length === 0, 'the checker takes a right list page', good.join('\n'));
  const bad = conform('GET /v1/experiments', fake(200, { experiments: [{ ...summary, task: 7, extra: 1 }], next_cursor: null, total: 1 }));
  ok(bad.some((p) => /task/.test(p)) && bad.some((p) => /'extra' \(undocumented\)/.test(p)), 'the checker refuses a wrong type and an undocumented field', bad.join('\n'));
  const exp = { ...summary, spec: {}, method_labels: {}, result: null, partial_result: null, artifacts: [], files: [],
    jobs_by_state: { queued: 1, running: 0, succeeded: 0, failed: 0, cancelled: 0 }, jobs: [] };
  const right = conform('GET /v1/experiments/{id}', fake(200, { ...exp, diagnostics: null }));
  ok(right.length === 0, 'the checker takes a right experiment', right.join('\n'));
  const diagObj = conform('GET /v1/experiments/{id}', fake(200, { ...exp, diagnostics: {} }));
  ok(diagObj.some((p) => /diagnostics/.test(p)), 'the checker refuses diagnostics as an object (they are a list)', diagObj.join('\n'));
  const status = conform('GET /v1/models', fake(418, {}));
  ok(status.some((p) => /status 418 is not documented/.test(p)), 'the checker refuses an undocumented status');
}

// ---- 3. the scenario: real experiments, then this script as the worker --------

const ctx = {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ZERO_UUID = '00000000-0000-4000-8000-000000000000';
const SPEC = { name: 'contract', task: 'SST-2', data: DATA_DIR, k: 4, seeds: [13, 42], model: MODEL, max_length: 64,
  kernel: { formula: ['sgd'] }, solver: { name: 'lstsq' },
  finetune: [{ optimizer: 'sgd', lr: 0.001, batch_size: 4, steps: 4 }], diagnostics: {} };
const PRETRAIN = { name: 'contract pretrain', pretrain: { tokenizer: MODEL, corpus: ['corpus/sst2-sentences.txt'], out: 'contract-mlm',
  layers: 1, hidden: 16, heads: 2, ffn: 32, block: 64, batch: 2, steps: 20, warmup: 2, lr: 0.003, save_steps: [0, 10], log_every: 2 } };

let worker = null;
function startWorker() {
  const log = fs.openSync(env('WORKER_LOG'), 'a');
  const args = [...env('WORKER_ARGS').split(' ').filter(Boolean), '--server', BASE, '--token', TOKENS.worker];
  worker = spawn(env('WORKER_BIN'), args, { stdio: ['ignore', log, log] });
  note(`worker started (pid ${worker.pid})`);
}
async function stopWorker() {
  if (!worker || worker.exitCode !== null) return;
  const exited = new Promise((r) => worker.once('exit', r));
  worker.kill('SIGTERM');
  await Promise.race([exited, sleep(10000)]);
  if (worker.exitCode === null) { worker.kill('SIGKILL'); await exited; }
  note('worker stopped');
}
const terminal = (s) => ['succeeded', 'failed', 'cancelled'].includes(s);

async function realRuns() {
  // the catalogs of an empty daemon
  await call('GET /healthz', 200, 'the daemon is up');
  await call('GET /metrics', 200, 'metrics');
  await call('GET /v1/models', 200, 'the registered model');
  await call('GET /v1/tasks', 200, 'the tasks');
  await call('GET /v1/schema', 200, 'the spec schema');
  await call('GET /', 200, 'the dashboard');
  await call('GET /{path}', 200, 'a script of the dashboard', { params: { path: 'app.js' } });
  await call('GET /{path}', 200, 'its stylesheet', { params: { path: 'styles.css' } });
  await call('GET /v1/experiments', 200, 'the empty list');

  const pre = await call('POST /v1/experiments', 201, 'a pre-training spec', { json: PRETRAIN });
  const x = await call('POST /v1/experiments', 201, 'a kernel, fine-tuning and diagnostics spec', { json: SPEC });
  if (!pre || !x || !pre.json || !x.json) throw new Error('the experiments were not taken');
  ctx.pre = pre.json.id;
  ctx.done = x.json.id;
  const list = await call('GET /v1/experiments', 200, 'the list with a queued pre-training run');
  const preRow = list && list.json.experiments.find((e) => e.id === ctx.pre);
  ok(preRow && preRow.task === null, 'a pre-training run is listed with task null (ExperimentSummary.task is nullable)', JSON.stringify(preRow));
  await call('GET /v1/experiments/{id}', 200, 'a queued pre-training run', { params: { id: ctx.pre } });

  startWorker();
  const end = Date.now() + 150000;
  const states = {};
  while (Date.now() < end) {
    for (const id of [ctx.pre, ctx.done]) {
      const r = await call('GET /v1/experiments/{id}', 200, 'an experiment while it runs', { params: { id }, quiet: true });
      if (r && r.json) states[id] = r.json.state;
    }
    await call('GET /v1/experiments', 200, 'the list while they run', { quiet: true });
    const w = await call('GET /v1/workers', 200, 'the workers while they run', { quiet: true });
    const job = w && w.json && w.json.workers.length && w.json.workers[0].job;
    if (job) ctx.workerMethods = new Set([...(ctx.workerMethods || []), job.method]);
    if (terminal(states[ctx.pre]) && terminal(states[ctx.done])) break;
    await sleep(200);
  }
  await stopWorker();
  ok(ctx.workerMethods && ctx.workerMethods.size >= 2, 'GET /v1/workers showed the worker\'s running jobs',
    JSON.stringify([...(ctx.workerMethods || [])]));
  ok(states[ctx.pre] === 'succeeded' && states[ctx.done] === 'succeeded', 'the real worker ran both experiments', JSON.stringify(states));
  const done = await call('GET /v1/experiments/{id}', 200, 'a succeeded experiment with diagnostics', { params: { id: ctx.done } });
  await call('GET /v1/experiments/{id}', 200, 'a succeeded pre-training run', { params: { id: ctx.pre } });
  if (!done || !done.json || done.json.state !== 'succeeded') throw new Error('the experiment did not succeed; see the worker log');
  ctx.doneExp = done.json;
  ok(Array.isArray(done.json.diagnostics) && done.json.diagnostics.length === 2, 'its diagnostics: one entry per fine-tuning job',
    JSON.stringify(done.json.diagnostics).slice(0, 300));
  ctx.npy = done.json.jobs.flatMap((j) => j.artifacts).find((a) => a.endsWith('.npy'));
  ok(Boolean(ctx.npy), 'its kernel jobs uploaded .npy artifacts', JSON.stringify(done.json.jobs.map((j) => j.artifacts)));
  await call('GET /v1/experiments/{id}/artifacts/{name}', 200, 'result.json', { params: { id: ctx.done, name: 'result.json' } });
  await call('GET /v1/experiments/{id}/artifacts/{name}', 200, 'a kernel (.npy)', { params: { id: ctx.done, name: ctx.npy } });
  await call('GET /v1/experiments/{id}/artifacts/{name}', 200, 'a kernel, the slash sent as %2F',
    { params: { id: ctx.done, name: ctx.npy.replace('/', '%2F') } });
  // every artifact described, each fetchable by the path built from its seed and method
  const files = done.json.files;
  const kernel = files.find((f) => f.method === 'kernel:sgd' && f.seed === 13 && f.name === 'kernel-train.npy');
  ok(kernel && kernel.path === 'seed13/kernel-sgd/kernel-train.npy' && kernel.dtype === '<f8'
    && JSON.stringify(kernel.shape) === JSON.stringify([2 * SPEC.k, 2, 2 * SPEC.k, 2]),
  "files: seed 13's train kernel at seed13/kernel-sgd/kernel-train.npy, float64 of (n, C, n, C), n = 2k", JSON.stringify(kernel));
  ok(files.some((f) => f.method === 'finetune:0' && f.path.startsWith('seed42/finetune-0/')), "files: the fine-tuning jobs' artifacts",
    JSON.stringify(files.map((f) => f.path)));
  ctx.seedForm = kernel ? kernel.path : 'seed13/kernel-sgd/kernel-train.npy';
  const bySeed = await call('GET /v1/experiments/{id}/artifacts/{name}', 200, 'a kernel by seed and method', { params: { id: ctx.done, name: ctx.seedForm } });
  const byIndex = await call('GET /v1/experiments/{id}/artifacts/{name}', 200, 'the same kernel by job index',
    { params: { id: ctx.done, name: `${kernel ? kernel.job : 0}/kernel-train.npy` } });
  ok(bySeed && byIndex && kernel && bySeed.body.length === kernel.bytes && bySeed.body.equals(byIndex.body),
    'the seed form and the job-index form are the same file of the listed size');
  const models = await call('GET /v1/models', 200, 'the models with the pre-training checkpoints');
  ctx.checkpoints = models.json.models.filter((m) => m.name.startsWith('contract-mlm/')).map((m) => m.name);
  ok(ctx.checkpoints.length >= 2, 'the pre-training run left checkpoints', JSON.stringify(ctx.checkpoints));
}

// This script as the worker: leases the jobs of a copy of the finished
// experiment and completes them with its results.
async function scriptedWorker() {
  const y = await call('POST /v1/experiments', 201, 'the same spec again', { json: SPEC });
  ctx.scripted = y.json.id;
  const results = new Map(ctx.doneExp.jobs.map((j) => [`${j.seed} ${j.method}`, j.result]));
  let last = null;
  for (let i = 0; i < ctx.doneExp.n_jobs; i++) {
    const l = await call('POST /v1/leases', 200, `lease job ${i + 1} of ${ctx.doneExp.n_jobs}`, { json: { worker: 'contract' } });
    if (!l || !l.json || l.json.experiment_id !== ctx.scripted) throw new Error(`the lease is not of the scripted experiment: ${l && l.text}`);
    const lease = l.json.lease;
    await call('POST /v1/leases/{lease}/heartbeat', 200, 'progress', { params: { lease }, json: { progress: 0.5, stage: 'contract' } });
    await call('POST /v1/leases/{lease}/heartbeat', 200, 'an empty heartbeat', { params: { lease }, json: {} });
    await call('PUT /v1/leases/{lease}/artifacts/{name}', 201, 'a text artifact',
      { params: { lease, name: 'note.txt' }, raw: `job ${l.json.job_index}\n` });
    ctx.uploaded = `${l.json.job_index}/note.txt`;
    const result = results.get(`${l.json.job.seed} ${l.json.job.method}`);
    await call('POST /v1/leases/{lease}/complete', 200, 'the job result', { params: { lease }, json: { result } });
    last = { lease, result };
  }
  ctx.spentLease = last.lease;
  await call('POST /v1/leases/{lease}/complete', 200, 'the same result again (a lost reply)', { params: { lease: last.lease }, json: { result: last.result } });
  await call('POST /v1/leases', 204, 'the queue is empty', { json: {} });
  const got = await call('GET /v1/experiments/{id}', 200, 'the scripted experiment', { params: { id: ctx.scripted } });
  ok(got && got.json.state === 'succeeded' && got.json.result !== null, 'the scripted experiment succeeded with a result', got && got.json.state);
  await call('GET /v1/experiments/{id}/artifacts/{name}', 200, 'the uploaded text artifact', { params: { id: ctx.scripted, name: ctx.uploaded } });

  // a failure: with max_attempts 1 a failed job fails the experiment
  const z = await call('POST /v1/experiments', 201, 'one more, to fail', { json: SPEC });
  ctx.failed = z.json.id;
  let l = await call('POST /v1/leases', 200, 'a lease to hand back', { json: {} });
  await call('POST /v1/leases/{lease}/fail', 200, 'handed back (release)', { params: { lease: l.json.lease }, json: { error: 'shutting down', release: true } });
  l = await call('POST /v1/leases', 200, 'the same job again', { json: {} });
  await call('POST /v1/leases/{lease}/fail', 200, 'a failure', { params: { lease: l.json.lease }, json: { error: 'contract: a deliberate failure' } });
  const f = await call('GET /v1/experiments/{id}', 200, 'a failed experiment', { params: { id: ctx.failed } });
  ok(f && f.json.state === 'failed', 'the experiment failed', f && f.json.state);

  // a cancel while a job is leased
  const c = await call('POST /v1/experiments', 201, 'one more, to cancel', { json: SPEC });
  ctx.cancelled = c.json.id;
  l = await call('POST /v1/leases', 200, 'a lease of it', { json: {} });
  ok(l && l.json.experiment_id === ctx.cancelled, 'the lease is of the experiment to cancel', l && l.text);
  ctx.cancelledLease = l.json.lease;
  ctx.cancelledResult = results.get(`${l.json.job.seed} ${l.json.job.method}`);
  await call('DELETE /v1/experiments/{id}', 200, 'cancel', { params: { id: ctx.cancelled } });
  await call('DELETE /v1/experiments/{id}', 200, 'cancel again', { params: { id: ctx.cancelled } });
  await call('GET /v1/experiments/{id}', 200, 'a cancelled experiment', { params: { id: ctx.cancelled } });
  // a pre-training job leased: the worker's job has no seed
  const p2 = await call('POST /v1/experiments', 201, 'a pre-training run to lease', { json: { pretrain: { ...PRETRAIN.pretrain, out: 'contract-mlm-2' } } });
  l = await call('POST /v1/leases', 200, 'a lease of it', { json: { worker: 'contract-pretrain' } });
  const ws = await call('GET /v1/workers', 200, 'a worker running a pre-training job');
  const pw = ws && ws.json.workers.find((w) => w.name === 'contract-pretrain');
  ok(pw && pw.job && pw.job.experiment_id === p2.json.id && pw.job.method === 'pretrain' && pw.mem_limit_bytes === null,
    'the worker that gave no --mem runs the pre-training job', JSON.stringify(pw));
  await call('DELETE /v1/experiments/{id}', 200, 'cancel it', { params: { id: p2.json.id } });
  await call('POST /v1/leases/{lease}/heartbeat', 200, 'its worker learns it', { params: { lease: l.json.lease }, json: {} });
  // one with a job leased and running, and one left queued, for CASES
  const lv = await call('POST /v1/experiments', 201, 'one more, to hold a lease', { json: SPEC });
  l = await call('POST /v1/leases', 200, 'a lease of it', { json: { worker: 'contract' } });
  ok(l && l.json.experiment_id === lv.json.id, 'the lease is of that experiment', l && l.text);
  ctx.live = lv.json.id;
  ctx.liveLease = l.json.lease;
  const q = await call('POST /v1/experiments', 201, 'one more, left queued', { json: { ...SPEC, name: 'queued' } });
  ctx.queued = q.json.id;
}

// ---- CASES: one request each, against the state the scenario left ----------
// [operation, expected status, what, request(ctx), check(answer, ctx)?]: a
// check returns [condition, detail] about what the answer says (beyond its
// shape, which the document checks).
const big = (bytes) => JSON.stringify({ name: 'x'.repeat(bytes), task: 'SST-2' });
const prefix = (id) => id.slice(0, 8);
const hasId = (key) => (r) => [r.json.experiments.some((e) => e.id === ctx[key]), r.text.slice(0, 300)];
const errorIs = (code, field) => (r) => [r.json && r.json.error === code && (field === undefined || r.json.field === field), r.text];
const TAGS = (n, from = 0) => Array.from({ length: n }, (_, i) => `t${from + i}`);
const CASES = [
  // the runs table: filters, sorts, pages
  ['GET /v1/experiments', 200, 'state filter', (c) => ({ query: { state: 'queued' } }),
    (r) => [r.json.experiments.every((e) => e.state === 'queued'), r.text.slice(0, 300)]],
  ['GET /v1/experiments', 200, 'a list of states', (c) => ({ query: { state: 'running,succeeded' } }),
    (r) => [r.json.experiments.every((e) => ['running', 'succeeded'].includes(e.state)) && r.json.total >= 3, r.text.slice(0, 300)]],
  ['GET /v1/experiments', 200, 'task filter', (c) => ({ query: { task: 'SST-2' } })],
  ['GET /v1/experiments', 200, 'model filter (a pre-training run\'s out)', (c) => ({ query: { model: 'contract-mlm' } }), hasId('pre')],
  ['GET /v1/experiments', 200, 'text in the name', (c) => ({ query: { q: 'CONTRACT' } }),
    (r) => [r.json.total >= 5 && r.json.experiments.every((e) => /contract/i.test(e.name)), r.text.slice(0, 300)]],
  ['GET /v1/experiments', 200, 'text: the start of an id', (c) => ({ query: { q: prefix(c.done) } }), (r) => [r.json.total === 1 && r.json.experiments[0].id === ctx.done, r.text.slice(0, 300)]],
  ['GET /v1/experiments', 200, 'sorted by the best kernel\'s test metric', (c) => ({ query: { sort: 'kernel_test', order: 'desc' } }),
    (r) => [r.json.experiments[0].metrics && r.json.experiments[0].metrics.kernel !== null, r.text.slice(0, 300)]],
  ['GET /v1/experiments', 200, 'sorted by name, ascending', (c) => ({ query: { sort: 'name', order: 'asc' } })],
  ['GET /v1/experiments', 200, 'a page of one', (c) => ({ query: { limit: 1 } }),
    (r) => [r.json.experiments.length === 1 && typeof r.json.next_cursor === 'string' && r.json.total > 1, r.text.slice(0, 300)]],
  ['GET /v1/experiments', 200, 'the next page', (c) => ({ query: { limit: 1, cursor: c.cursor } }),
    (r) => [r.json.experiments.length === 1 && r.json.experiments[0].id !== ctx.firstId, r.text.slice(0, 300)]],
  ['GET /v1/experiments', 200, 'more than 200 on one page', (c) => ({ query: { limit: 1000 } })],
  ['GET /v1/experiments', 400, 'an unknown state', (c) => ({ query: { state: 'sleeping' } }), errorIs('bad_request', 'state')],
  ['GET /v1/experiments', 400, 'limit 0', (c) => ({ query: { limit: 0 } }), errorIs('bad_request', 'limit')],
  ['GET /v1/experiments', 400, 'limit 1001', (c) => ({ query: { limit: 1001 } }), errorIs('bad_request', 'limit')],
  ['GET /v1/experiments', 400, 'a cursor it never gave', (c) => ({ query: { cursor: 'x' } })],
  ['GET /v1/experiments', 400, 'an unknown sort key', (c) => ({ query: { sort: 'colour' } }), errorIs('bad_request', 'sort')],
  ['GET /v1/experiments', 400, 'an unknown order', (c) => ({ query: { order: 'up' } }), errorIs('bad_request', 'order')],
  ['GET /v1/experiments', 400, 'text over 256 bytes', (c) => ({ query: { q: 'x'.repeat(257) } }), errorIs('bad_request', 'q')],
  ['GET /v1/experiments', 400, 'an unknown query parameter', (c) => ({ query: { color: 'red' } }), errorIs('bad_request', 'color')],

  // submit: checks and admission
  ['POST /v1/experiments', 400, 'not JSON', (c) => ({ json: '{"task": ' }), errorIs('invalid_spec')],
  ['POST /v1/experiments', 400, 'an unknown field', (c) => ({ json: { ...SPEC, colour: 1 } }), errorIs('invalid_spec')],
  ['POST /v1/experiments', 400, 'an unregistered model', (c) => ({ json: { ...SPEC, model: 'no-such-model' } }), errorIs('invalid_spec', 'model')],
  ['POST /v1/experiments', 201, 'a model given as a path into the models directory', (c) => ({ json: { ...SPEC, model: `${MODELS_DIR}/${MODEL}` } }),
    (r) => { ctx.byPath = r.json.id; return [true, '']; }],
  ['GET /v1/experiments/{id}', 200, 'it is stored with the model\'s name', (c) => ({ params: { id: c.byPath } }),
    (r) => [r.json.model === MODEL && r.json.spec.model === MODEL, JSON.stringify([r.json.model, r.json.spec.model])]],
  ['POST /v1/experiments', 400, 'admission: data as an absolute path', (c) => ({ json: { ...SPEC, data: '/etc' } }), errorIs('invalid_spec', 'data')],
  ['POST /v1/experiments', 400, "admission: data with '..'", (c) => ({ json: { ...SPEC, data: `${DATA_DIR}/../../..` } }), errorIs('invalid_spec', 'data')],
  ['POST /v1/experiments', 400, 'admission: no k-shot split for k = 16', (c) => ({ json: { ...SPEC, k: 16 } }), errorIs('invalid_spec', 'data')],
  ['POST /v1/experiments', 400, 'admission: a corpus outside the data root', (c) => ({ json: { pretrain: { ...PRETRAIN.pretrain, out: 'contract-mlm-2', corpus: ['/etc/passwd'] } } }),
    errorIs('invalid_spec', 'pretrain.corpus[0]')],
  ['POST /v1/experiments', 400, 'admission: a projection no worker has the memory for', (c) => ({ json: { ...SPEC, kernel: { formula: ['sgd'], projection: { dim: 16777216 } } } }),
    errorIs('invalid_spec', 'kernel.projection.dim')],
  ['POST /v1/experiments', 409, 'a pre-training run into a registered model', (c) => ({ json: { pretrain: { ...PRETRAIN.pretrain, out: MODEL } } }), errorIs('conflict', 'pretrain.out')],
  ['POST /v1/experiments', 413, 'a spec over max_spec_bytes', (c) => ({ json: big(MAX_SPEC + 10) })],
  ['POST /v1/experiments', 201, 'a checkpoint sweep, left queued', (c) => ({ json: { ...SPEC, name: 'contract sweep', model: undefined, checkpoints: c.checkpoints.slice(0, 2), seeds: [13], finetune: undefined, diagnostics: undefined } }),
    (r) => { ctx.sweep = r.json.id; return [r.json.n_jobs === 2, r.text]; }],

  // one experiment, named by its id or a prefix
  ['GET /v1/experiments/{id}', 200, 'by the first 8 characters of its id', (c) => ({ params: { id: prefix(c.done) } }), (r) => [r.json.id === ctx.done, r.json.id]],
  ['GET /v1/experiments/{id}', 200, 'by a prefix in capitals', (c) => ({ params: { id: c.done.slice(0, 13).toUpperCase() } }), (r) => [r.json.id === ctx.done, r.json.id]],
  ['GET /v1/experiments/{id}', 200, 'a running experiment', (c) => ({ params: { id: c.live } })],
  ['GET /v1/experiments/{id}', 404, 'an unknown id', (c) => ({ params: { id: ZERO_UUID } }), errorIs('not_found', 'id')],
  ['GET /v1/experiments/{id}', 404, 'not an id', (c) => ({ params: { id: 'abc' } })],
  ['GET /v1/experiments/{id}', 404, '7 characters are too few', (c) => ({ params: { id: c.done.slice(0, 7) } })],
  ['GET /v1/experiments/{id}', 409, 'a prefix of two experiments', (c) => ({ params: { id: AMBIGUOUS } }), errorIs('ambiguous_id', 'id')],

  // rename and tags
  ['PATCH /v1/experiments/{id}', 200, 'rename and add tags', (c) => ({ params: { id: prefix(c.done) }, json: { name: 'contract renamed', add_tags: ['paper', 'k=4'] } }),
    (r) => [r.json.id === ctx.done && r.json.name === 'contract renamed' && r.json.tags.join() === 'k=4,paper', r.text]],
  ['PATCH /v1/experiments/{id}', 200, 'remove a tag', (c) => ({ params: { id: c.done }, json: { remove_tags: ['k=4'] } }), (r) => [r.json.tags.join() === 'paper', r.text]],
  ['PATCH /v1/experiments/{id}', 200, 'name null removes the name', (c) => ({ params: { id: c.failed }, json: { name: null } }), (r) => [r.json.name === null, r.text]],
  ['PATCH /v1/experiments/{id}', 200, "an admin renames a user's experiment", (c) => ({ params: { id: c.failed }, json: { name: 'by the admin' }, auth: 'admin' }),
    (r) => [r.json.name === 'by the admin' && r.json.owner === 'alice', r.text]],
  ['PATCH /v1/experiments/{id}', 200, 'tags up to 32', (c) => ({ params: { id: c.cancelled }, json: { add_tags: TAGS(32) } }), (r) => [r.json.tags.length === 32, r.text]],
  ['PATCH /v1/experiments/{id}', 400, 'an unknown key', (c) => ({ params: { id: c.done }, json: { colour: 'red' } }), errorIs('bad_request', 'colour')],
  ['PATCH /v1/experiments/{id}', 400, 'a tag with a space', (c) => ({ params: { id: c.done }, json: { add_tags: ['a b'] } }), errorIs('bad_request', 'add_tags[0]')],
  ['PATCH /v1/experiments/{id}', 400, 'a name that is a number', (c) => ({ params: { id: c.done }, json: { name: 7 } }), errorIs('bad_request', 'name')],
  ['PATCH /v1/experiments/{id}', 400, 'not JSON', (c) => ({ params: { id: c.done }, json: '{' }), errorIs('invalid_json')],
  ['PATCH /v1/experiments/{id}', 404, "another user's experiment", (c) => ({ params: { id: c.done }, json: { name: 'mine' }, auth: 'bob' }), errorIs('not_found', 'id')],
  ['PATCH /v1/experiments/{id}', 409, 'a 33rd tag', (c) => ({ params: { id: c.cancelled }, json: { add_tags: ['t32'] } }), errorIs('conflict', 'tags')],
  ['PATCH /v1/experiments/{id}', 409, 'a prefix of two experiments', (c) => ({ params: { id: AMBIGUOUS }, json: { name: 'x' } }), errorIs('ambiguous_id')],
  ['PUT /v1/experiments/{id}/tags/{tag}', 200, 'add a tag', (c) => ({ params: { id: c.done, tag: 'fig:2' } }), (r) => [r.json.tags.join() === 'fig:2,paper', r.text]],
  ['PUT /v1/experiments/{id}/tags/{tag}', 200, 'add it again', (c) => ({ params: { id: prefix(c.done), tag: 'fig:2' } }), (r) => [r.json.tags.join() === 'fig:2,paper', r.text]],
  ['PUT /v1/experiments/{id}/tags/{tag}', 200, "an admin tags a user's experiment", (c) => ({ params: { id: c.done, tag: 'reviewed' }, auth: 'admin' })],
  ['PUT /v1/experiments/{id}/tags/{tag}', 400, "a tag with '!'", (c) => ({ params: { id: c.done, tag: 'no%21' } }), errorIs('bad_request', 'tag')],
  ['PUT /v1/experiments/{id}/tags/{tag}', 404, "another user's experiment", (c) => ({ params: { id: c.done, tag: 'x' }, auth: 'bob' }), errorIs('not_found')],
  ['PUT /v1/experiments/{id}/tags/{tag}', 409, 'a 33rd tag', (c) => ({ params: { id: c.cancelled, tag: 't32' } }), errorIs('conflict')],
  ['PUT /v1/experiments/{id}/tags/{tag}', 409, 'a prefix of two experiments', (c) => ({ params: { id: AMBIGUOUS, tag: 'x' } }), errorIs('ambiguous_id')],
  ['DELETE /v1/experiments/{id}/tags/{tag}', 200, 'remove a tag', (c) => ({ params: { id: c.done, tag: 'reviewed' } }), (r) => [r.json.tags.join() === 'fig:2,paper', r.text]],
  ['DELETE /v1/experiments/{id}/tags/{tag}', 200, 'remove one it does not have', (c) => ({ params: { id: c.done, tag: 'never' } })],
  ['DELETE /v1/experiments/{id}/tags/{tag}', 400, "a tag with '!'", (c) => ({ params: { id: c.done, tag: 'no%21' } }), errorIs('bad_request', 'tag')],
  ['DELETE /v1/experiments/{id}/tags/{tag}', 404, "another user's experiment", (c) => ({ params: { id: c.done, tag: 'paper' }, auth: 'bob' }), errorIs('not_found')],
  ['DELETE /v1/experiments/{id}/tags/{tag}', 409, 'a prefix of two experiments', (c) => ({ params: { id: AMBIGUOUS, tag: 'x' } }), errorIs('ambiguous_id')],
  ['GET /v1/experiments', 200, 'tag filter', (c) => ({ query: { tag: 'fig:2' } }), (r) => [r.json.total === 1 && r.json.experiments[0].id === ctx.done, r.text.slice(0, 300)]],

  // export
  ['GET /v1/experiments.csv', 200, 'every experiment', (c) => ({}), (r) => [r.text.startsWith('experiment_id,'), r.text.slice(0, 200)]],
  ['GET /v1/experiments.csv', 200, 'one experiment by a prefix: one row per (method, seed)', (c) => ({ query: { id: prefix(c.done) } }), (r) => {
    const lines = r.text.trim().split('\n');
    const head = lines[0].split(',');
    const rows = lines.slice(1).map((l) => l.split(','));
    const method = head.indexOf('method'), seed = head.indexOf('seed'), test = head.indexOf('test');
    const verdict = head.indexOf('verdict'), lr = head.indexOf('lr');
    const expected = ctx.doneExp.result.summary.reduce((n, m) => n + m.seeds.length, 0);
    const ft = rows.filter((x) => x[method] === 'finetune:0');
    return [rows.length === expected && rows.every((x) => x[0] === ctx.done) && rows.some((x) => x[method] === 'kernel:sgd' && x[seed] === '13' && x[test] !== '')
      && ft.length === 2 && ft.every((x) => x[verdict] !== '' && x[lr] === '0.001'),
      `${rows.length} rows, expected ${expected}:\n${lines.slice(0, 6).join('\n')}`];
  }],
  ['GET /v1/experiments.csv', 200, 'filtered and sorted as the list', (c) => ({ query: { state: 'succeeded', tag: 'paper', sort: 'kernel_test' } }),
    (r) => [r.text.trim().split('\n').slice(1).every((l) => l.startsWith(ctx.done)), r.text.slice(0, 300)]],
  ['GET /v1/experiments.csv', 400, 'a page size (the export has no pages)', (c) => ({ query: { limit: 5 } }), errorIs('bad_request', 'limit')],
  ['GET /v1/experiments.csv', 400, 'an unknown state', (c) => ({ query: { state: 'asleep' } }), errorIs('bad_request', 'state')],
  ['GET /v1/experiments.csv', 404, 'an unknown experiment', (c) => ({ query: { id: ZERO_UUID } }), errorIs('not_found', 'id')],
  ['GET /v1/experiments.csv', 409, 'a prefix of two experiments', (c) => ({ query: { id: AMBIGUOUS } }), errorIs('ambiguous_id', 'id')],

  // re-run
  ['POST /v1/experiments/{id}/rerun', 201, 'a re-run', (c) => ({ params: { id: prefix(c.done) } }),
    (r) => { ctx.rerun = r.json.id; return [r.json.rerun_of === ctx.done && r.headers.location === `/v1/experiments/${r.json.id}`, r.text]; }],
  ['GET /v1/experiments/{id}', 200, 'the re-run', (c) => ({ params: { id: c.rerun } }),
    (r) => [r.json.rerun_of === ctx.done && r.json.state === 'queued' && r.json.owner === 'alice', r.text.slice(0, 300)]],
  ['POST /v1/experiments/{id}/rerun', 201, "an admin re-runs a user's experiment", (c) => ({ params: { id: c.failed }, auth: 'admin' })],
  ['POST /v1/experiments/{id}/rerun', 400, 'a stored spec that today\'s checks refuse', (c) => ({ params: { id: `${AMBIGUOUS}-1111-4000-8000-000000000001` } }), errorIs('invalid_spec')],
  ['POST /v1/experiments/{id}/rerun', 201, "another user re-runs what he may read, as his own", (c) => ({ params: { id: c.done }, auth: 'bob' }),
    (r) => { ctx.bobs = r.json.id; return [r.json.rerun_of === ctx.done, r.text]; }],
  ['GET /v1/experiments/{id}', 200, "bob's re-run", (c) => ({ params: { id: c.bobs } }), (r) => [r.json.owner === 'bob', r.json.owner]],
  ['POST /v1/experiments/{id}/rerun', 404, 'an unknown id', (c) => ({ params: { id: ZERO_UUID } })],
  ['POST /v1/experiments/{id}/rerun', 409, 'a prefix of two experiments', (c) => ({ params: { id: AMBIGUOUS } }), errorIs('ambiguous_id')],

  // artifacts
  ['GET /v1/experiments/{id}/artifacts/{name}', 200, 'by an id prefix and seed and method', (c) => ({ params: { id: prefix(c.done), name: c.seedForm } })],
  ['GET /v1/experiments/{id}/artifacts/{name}', 400, 'a dot file', (c) => ({ params: { id: c.done, name: '0/.hidden' } }), errorIs('bad_request', 'name')],
  ['GET /v1/experiments/{id}/artifacts/{name}', 400, 'a name of no form', (c) => ({ params: { id: c.done, name: 'x/kernel.npy' } }), errorIs('bad_request', 'name')],
  ['GET /v1/experiments/{id}/artifacts/{name}', 404, 'no such file', (c) => ({ params: { id: c.done, name: '0/nothing.npy' } })],
  ['GET /v1/experiments/{id}/artifacts/{name}', 404, 'a job index past the jobs', (c) => ({ params: { id: c.done, name: '99/x.npy' } })],
  ['GET /v1/experiments/{id}/artifacts/{name}', 404, 'a seed the experiment has not', (c) => ({ params: { id: c.done, name: 'seed99/kernel-sgd/kernel-train.npy' } }), errorIs('not_found', 'name')],
  ['GET /v1/experiments/{id}/artifacts/{name}', 404, 'an unknown experiment', (c) => ({ params: { id: ZERO_UUID, name: 'result.json' } })],
  ['GET /v1/experiments/{id}/artifacts/{name}', 404, 'no result yet', (c) => ({ params: { id: c.cancelled, name: 'result.json' } })],
  ['GET /v1/experiments/{id}/artifacts/{name}', 404, "a sweep's file by its checkpoint, not there yet", (c) => ({ params: { id: c.sweep, name: `${c.checkpoints[0]}/seed13/kernel-sgd/kernel-train.npy` } }),
    errorIs('not_found', 'name')],
  ['GET /v1/experiments/{id}/artifacts/{name}', 409, "a sweep's file without its checkpoint", (c) => ({ params: { id: c.sweep, name: 'seed13/kernel-sgd/kernel-train.npy' } }),
    errorIs('ambiguous_name', 'name')],
  ['GET /v1/experiments/{id}/artifacts/{name}', 409, 'a prefix of two experiments', (c) => ({ params: { id: AMBIGUOUS, name: 'result.json' } }), errorIs('ambiguous_id')],

  // workers
  ['GET /v1/workers', 200, 'the real worker and the scripted one, which holds a job', (c) => ({}), (r) => {
    const real = r.json.workers.find((w) => w.name === 'contract-worker'), scripted = r.json.workers.find((w) => w.name === 'contract');
    return [real && real.mem_limit_bytes > 0 && real.job === null && scripted && scripted.job && scripted.job.experiment_id === ctx.live
      && r.json.queued_jobs > 0, r.text.slice(0, 600)];
  }],
  ['GET /v1/workers', 400, 'a query parameter', (c) => ({ query: { alive: 'true' } }), errorIs('bad_request', 'alive')],

  // cancel and delete
  ['DELETE /v1/experiments/{id}', 200, 'cancel a queued experiment', (c) => ({ params: { id: c.queued } })],
  ['DELETE /v1/experiments/{id}', 200, "an admin cancels a user's experiment", (c) => ({ params: { id: c.sweep }, auth: 'admin' }),
    (r) => [r.json.state === 'cancelled' && r.json.id === ctx.sweep, r.text]],
  ['DELETE /v1/experiments/{id}', 200, 'cancel by a prefix', (c) => ({ params: { id: prefix(c.byPath) } }), (r) => [r.json.id === ctx.byPath, r.text]],
  ['DELETE /v1/experiments/{id}', 400, 'purge neither true nor false', (c) => ({ params: { id: c.failed }, query: { purge: 'maybe' } }), errorIs('bad_request', 'purge')],
  ['DELETE /v1/experiments/{id}', 400, 'an unknown query parameter', (c) => ({ params: { id: c.failed }, query: { force: 'true' } }), errorIs('bad_request', 'force')],
  ['DELETE /v1/experiments/{id}', 404, "another user's experiment", (c) => ({ params: { id: c.rerun }, auth: 'bob' }), errorIs('not_found', 'id')],
  ['DELETE /v1/experiments/{id}', 404, 'an unknown id', (c) => ({ params: { id: ZERO_UUID } })],
  ['DELETE /v1/experiments/{id}', 409, 'cancel a succeeded experiment', (c) => ({ params: { id: c.done } }), errorIs('conflict')],
  ['DELETE /v1/experiments/{id}', 409, 'cancel a failed experiment', (c) => ({ params: { id: c.failed } })],
  ['DELETE /v1/experiments/{id}', 409, 'purge a running experiment', (c) => ({ params: { id: c.live }, query: { purge: 'true' } }), errorIs('conflict')],
  ['DELETE /v1/experiments/{id}', 409, 'a prefix of two experiments', (c) => ({ params: { id: AMBIGUOUS } }), errorIs('ambiguous_id')],

  // leases
  ['POST /v1/leases', 400, 'an unknown field', (c) => ({ json: { worker: 'w', colour: 1 } })],
  ['POST /v1/leases', 400, 'not JSON', (c) => ({ json: '{' })],
  ['POST /v1/leases', 400, 'no body', (c) => ({})],
  ['POST /v1/leases', 400, 'mem_bytes not a whole number', (c) => ({ json: { mem_bytes: 2097152.5 } }), errorIs('bad_request', 'mem_bytes')],
  ['POST /v1/leases', 400, 'mem_bytes below 1 MiB', (c) => ({ json: { mem_bytes: 1000 } }), errorIs('bad_request', 'mem_bytes')],
  ['POST /v1/leases/{lease}/heartbeat', 200, 'on a cancelled experiment: cancel', (c) => ({ params: { lease: c.cancelledLease }, json: {} }), (r) => [r.json.cancel === true, r.text]],
  ['POST /v1/leases/{lease}/heartbeat', 200, 'a running job', (c) => ({ params: { lease: c.liveLease }, json: { progress: 0.1 } }), (r) => [r.json.cancel === false, r.text]],
  ['POST /v1/leases/{lease}/heartbeat', 400, 'no body', (c) => ({ params: { lease: c.liveLease } })],
  ['POST /v1/leases/{lease}/heartbeat', 400, 'progress 2', (c) => ({ params: { lease: c.liveLease }, json: { progress: 2 } }), errorIs('bad_request', 'progress')],
  ['POST /v1/leases/{lease}/heartbeat', 404, 'an unknown lease', (c) => ({ params: { lease: ZERO_UUID }, json: {} })],
  ['POST /v1/leases/{lease}/heartbeat', 404, 'not a lease id', (c) => ({ params: { lease: 'not-a-uuid' }, json: {} }), errorIs('not_found', 'lease')],
  ['POST /v1/leases/{lease}/heartbeat', 409, 'a lease whose job finished', (c) => ({ params: { lease: c.spentLease }, json: {} }), errorIs('lease_lost')],
  ['PUT /v1/leases/{lease}/artifacts/{name}', 400, 'a dot name', (c) => ({ params: { lease: c.spentLease, name: '.x' }, raw: 'x' })],
  ['PUT /v1/leases/{lease}/artifacts/{name}', 404, 'an unknown lease', (c) => ({ params: { lease: ZERO_UUID, name: 'x.txt' }, raw: 'x' })],
  ['PUT /v1/leases/{lease}/artifacts/{name}', 409, 'a lease whose job finished', (c) => ({ params: { lease: c.spentLease, name: 'x.txt' }, raw: 'x' })],
  ['PUT /v1/leases/{lease}/artifacts/{name}', 409, 'a cancelled experiment', (c) => ({ params: { lease: c.cancelledLease, name: 'x.txt' }, raw: 'x' }), errorIs('cancelled')],
  ['PUT /v1/leases/{lease}/artifacts/{name}', 413, 'over max_artifact_bytes, sent without a length', (c) => ({ params: { lease: c.liveLease, name: 'big.npy' }, raw: Buffer.alloc(MAX_ARTIFACT + 1), chunked: true })],
  ['GET /v1/leases/{lease}/inputs', 200, 'a job after no other: none', (c) => ({ params: { lease: c.liveLease } }), (r) => [Array.isArray(r.json.inputs) && r.json.inputs.length === 0, r.text]],
  ['GET /v1/leases/{lease}/inputs', 400, 'a query', (c) => ({ params: { lease: c.liveLease }, query: 'x=1' })],
  ['GET /v1/leases/{lease}/inputs', 404, 'an unknown lease', (c) => ({ params: { lease: ZERO_UUID } })],
  ['GET /v1/leases/{lease}/inputs', 409, 'a lease whose job finished', (c) => ({ params: { lease: c.spentLease } })],
  ['GET /v1/leases/{lease}/inputs/{name}', 400, 'a name without a job index', (c) => ({ params: { lease: c.liveLease, name: 'x' } }), errorIs('bad_request', 'name')],
  ['GET /v1/leases/{lease}/inputs/{name}', 404, 'a job the lease\'s job is not after', (c) => ({ params: { lease: c.liveLease, name: '0/result.json' } }), errorIs('not_found', 'name')],
  ['GET /v1/leases/{lease}/inputs/{name}', 409, 'a lease whose job finished', (c) => ({ params: { lease: c.spentLease, name: '0/x.txt' } })],
  ['POST /v1/leases/{lease}/complete', 400, 'no result', (c) => ({ params: { lease: c.liveLease }, json: {} }), errorIs('bad_request', 'result')],
  ['POST /v1/leases/{lease}/complete', 400, 'a result without the fields aggregation reads', (c) => ({ params: { lease: c.liveLease }, json: { result: { diagnostics: {} } } }),
    (r) => [r.json.error === 'bad_request' && /^result/.test(r.json.field), r.text]],
  ['POST /v1/leases/{lease}/complete', 404, 'an unknown lease', (c) => ({ params: { lease: ZERO_UUID }, json: { result: {} } })],
  ['POST /v1/leases/{lease}/complete', 409, 'a cancelled experiment', (c) => ({ params: { lease: c.cancelledLease }, json: { result: c.cancelledResult } }), errorIs('cancelled')],
  ['POST /v1/leases/{lease}/fail', 400, 'no error text', (c) => ({ params: { lease: c.liveLease }, json: {} }), errorIs('bad_request', 'error')],
  ['POST /v1/leases/{lease}/fail', 400, 'release not a boolean', (c) => ({ params: { lease: c.liveLease }, json: { error: 'x', release: 'yes' } }), errorIs('bad_request', 'release')],
  ['POST /v1/leases/{lease}/fail', 404, 'an unknown lease', (c) => ({ params: { lease: ZERO_UUID }, json: { error: 'x' } })],
  ['POST /v1/leases/{lease}/fail', 409, 'a lease whose job finished', (c) => ({ params: { lease: c.spentLease }, json: { error: 'x' } })],

  // the dashboard's files
  ['GET /{path}', 404, 'no such file', (c) => ({ params: { path: 'nothing.js' } })],
  ['GET /{path}', 404, 'a dot file', (c) => ({ params: { path: '.hidden' } })],
  ['GET /', 404, 'a daemon without --web', (c) => ({ base: STRICT_BASE })],

  // last: delete finished experiments (the lease cases above use their jobs)
  ['DELETE /v1/experiments/{id}', 200, 'purge a succeeded experiment', (c) => ({ params: { id: c.scripted }, query: { purge: 'true' } }),
    (r) => [r.json.state === 'deleted', r.text]],
  ['GET /v1/experiments/{id}', 404, 'a purged experiment', (c) => ({ params: { id: c.scripted } })],
  ['GET /v1/experiments/{id}/artifacts/{name}', 404, "a purged experiment's artifact", (c) => ({ params: { id: c.scripted, name: c.uploaded } })],
  ['DELETE /v1/experiments/{id}', 200, 'purge a cancelled experiment', (c) => ({ params: { id: c.cancelled }, query: { purge: 'true' } }),
    (r) => [r.json.state === 'deleted', r.text]],
  ['DELETE /v1/experiments/{id}', 200, "an admin purges a user's failed experiment", (c) => ({ params: { id: c.failed }, query: { purge: 'true' }, auth: 'admin' }),
    (r) => [r.json.state === 'deleted', r.text]],
];

async function runCases() {
  const first = await call('GET /v1/experiments', 200, 'the full list', { query: { limit: 1 } });
  ctx.cursor = first && first.json.next_cursor;
  ctx.firstId = first && first.json.experiments[0].id;
  for (const [opKey, expect, what, make, check] of CASES) {
    const r = await call(opKey, expect, what, make(ctx));
    if (check && r && r.status === expect) {
      let verdict;
      try { verdict = check(r, ctx); } catch (e) { verdict = [false, e.message]; }
      ok(verdict[0], `${opKey} ${expect}: ${what}: the answer says so`, verdict[1]);
    }
  }
}

// ---- ownership: a daemon whose reads need a token --------------------------
// Alice's experiment is hers and the admin's: bob and a worker token see a
// 404 for it everywhere, as for an id that does not exist, and lists
// without it; a second token of alice's sees it.
async function ownership() {
  const on = (auth, extra = {}) => ({ base: OWNERS_BASE, auth, ...extra });
  const mine = await call('POST /v1/experiments', 201, 'alice submits (owners)', on('ownAlice', { json: { ...SPEC, name: 'alice' } }));
  const id = mine.json.id;
  const theirs = await call('POST /v1/experiments', 201, 'bob submits (owners)', on('ownBob', { json: { ...SPEC, name: 'bob' } }));
  const seesOnly = (who, ids) => async () => {
    const r = await call('GET /v1/experiments', 200, `${who} lists (owners)`, on(who));
    const got = r.json.experiments.map((e) => e.id).sort();
    ok(JSON.stringify(got) === JSON.stringify([...ids].sort()) && r.json.total === ids.length, `${who} lists exactly ${ids.length} experiment(s)`, r.text.slice(0, 300));
  };
  await seesOnly('ownAlice', [id])();
  await seesOnly('ownAlice2', [id])();
  await seesOnly('ownBob', [theirs.json.id])();
  await seesOnly('ownAdmin', [id, theirs.json.id])();
  await seesOnly('ownWorker', [])();
  const v = await call('GET /v1/experiments/{id}', 200, "alice's other token reads it (owners)", on('ownAlice2', { params: { id } }));
  ok(v && v.json.owner === 'alice', 'it is alice\'s', v && v.json.owner);
  await call('GET /v1/experiments/{id}', 200, 'an admin reads it (owners)', on('ownAdmin', { params: { id } }));
  for (const who of ['ownBob', 'ownWorker']) {
    await call('GET /v1/experiments/{id}', 404, `${who} reads it (owners)`, on(who, { params: { id } }));
    await call('GET /v1/experiments/{id}', 404, `${who} reads it by a prefix (owners)`, on(who, { params: { id: prefix(id) } }));
    await call('GET /v1/experiments/{id}/artifacts/{name}', 404, `${who} reads its artifact (owners)`, on(who, { params: { id, name: 'result.json' } }));
    await call('GET /v1/experiments.csv', 404, `${who} exports it (owners)`, on(who, { query: { id } }));
  }
  const csv = await call('GET /v1/experiments.csv', 200, 'bob exports everything he may read (owners)', on('ownBob'));
  ok(csv && !csv.text.includes(id), "bob's export has no line of alice's experiment", csv && csv.text.slice(0, 300));
  await call('PATCH /v1/experiments/{id}', 404, 'bob renames it (owners)', on('ownBob', { params: { id }, json: { name: 'bob was here' } }));
  await call('PUT /v1/experiments/{id}/tags/{tag}', 404, 'bob tags it (owners)', on('ownBob', { params: { id, tag: 'bob' } }));
  await call('DELETE /v1/experiments/{id}/tags/{tag}', 404, 'bob untags it (owners)', on('ownBob', { params: { id, tag: 'x' } }));
  await call('POST /v1/experiments/{id}/rerun', 404, 'bob re-runs it (owners)', on('ownBob', { params: { id } }));
  await call('DELETE /v1/experiments/{id}', 404, 'bob cancels it (owners)', on('ownBob', { params: { id } }));
  await call('GET /v1/experiments/{id}', 401, 'no token (owners)', on(null, { params: { id } }));
  await call('PUT /v1/experiments/{id}/tags/{tag}', 200, 'an admin tags it (owners)', on('ownAdmin', { params: { id, tag: 'checked' } }));
  const r = await call('POST /v1/experiments/{id}/rerun', 201, "alice's other token re-runs it (owners)", on('ownAlice2', { params: { id } }));
  await call('DELETE /v1/experiments/{id}', 200, 'alice cancels it (owners)', on('ownAlice', { params: { id } }));
  await call('DELETE /v1/experiments/{id}', 200, 'an admin deletes it (owners)', on('ownAdmin', { params: { id }, query: { purge: 'true' } }));
  await call('GET /v1/experiments/{id}', 404, 'deleted (owners)', on('ownAlice', { params: { id } }));
  await seesOnly('ownAlice', [r.json.id])();
}

// ---- generic requests, from each route's access level -------------------------

function sampleOf(opKey) {
  const s = samples.get(opKey) || {};
  const { path } = ops.get(opKey);
  const params = {};
  for (const [, k] of path.matchAll(/\{(\w+)\}/g)) params[k] = (s.params && s.params[k]) || (/^(id|lease)$/.test(k) ? ZERO_UUID : 'x');
  return { params, query: s.query, json: s.json, raw: s.raw };
}

async function genericCases() {
  for (const r of routes) {
    if (!ops.has(r.key)) continue;
    const s = sampleOf(r.key);
    await call(r.key, 401, 'an unknown token', { ...s, auth: 'bogus' });
    await call(r.key, 401, 'not a bearer token', { ...s, auth: 'Basic dXNlcjpwYXNz' });
    if (r.access === 'user' || r.access === 'worker') {
      await call(r.key, 401, 'no token', { ...s, auth: null });
      await call(r.key, 403, `a ${r.access === 'user' ? 'worker' : 'user'} token`, { ...s, auth: r.access === 'user' ? 'worker' : 'user' });
    }
    await call(r.key, 400, '%00 in the request target', { ...s, query: undefined, rawQuery: 'x=%00' });
    await call(r.key, 413, `a body over ${r.body === 'file' ? 'max_artifact_bytes' : 'max_body_bytes'} (declared)`,
      { params: s.params, declaredLength: (r.body === 'file' ? MAX_ARTIFACT : MAX_BODY) + 1 });
    const names = Object.keys(s.params);
    if (names.length) {
      await call(r.key, 414, 'a path of 2048 bytes or more', { ...s, params: { ...s.params, [names[0]]: 'a'.repeat(2100) } });
    }
  }
  await call('GET /v1/models', 400, 'more than 32 query parameters', { rawQuery: Array.from({ length: 33 }, (_, i) => `p${i}=1`).join('&') });
  // The strict daemon allows one request per token, then none for 1000 s;
  // and a refused token (or none where one is needed) spends the client
  // address's one request, after which every route answers it 429.
  await call('GET /v1/tasks', 200, 'the one request the strict daemon allows', { auth: 'strictUser', base: STRICT_BASE });
  for (const r of routes) {
    if (ops.has(r.key) && (r.access === 'read' || r.access === 'user')) {
      await call(r.key, 429, 'too many requests', { ...sampleOf(r.key), auth: 'strictUser', base: STRICT_BASE });
    }
  }
  await call('GET /v1/models', 401, 'no token where reads need one', { auth: null, base: STRICT_BASE });
  for (const r of routes) {
    if (ops.has(r.key)) await call(r.key, 429, 'a refused token from an address that spent its requests', { ...sampleOf(r.key), auth: 'bogus', base: STRICT_BASE });
  }
}

// ---- 4. coverage ---------------------------------------------------------------

function coverage() {
  ok(quietProblems.length === 0, `${quietCalls} polls while the experiments ran matched the document`, quietProblems.slice(0, 20).join('\n'));
  const notCalled = [...ops.keys()].filter((k) => !seen.has(k));
  ok(notCalled.length === 0, 'every documented operation was called',
    notCalled.map((k) => `no request calls '${k}': add its requests to CASES in tests/openapi/contract.test.mjs`).join('\n'));
  const missing = [];
  for (const [k, { op }] of ops) {
    for (const status of Object.keys(op.responses)) {
      if (status === 'default' || /XX$/.test(status)) continue;
      const key = `${k} ${status}`;
      if (!(seen.get(k) || new Set()).has(status) && !UNPROVOKED[key]) missing.push(key);
    }
  }
  ok(missing.length === 0, 'every documented status was provoked (or UNPROVOKED says why not)',
    missing.map((m) => `'${m}' is documented but no request got it: add one to CASES, or the reason to UNPROVOKED`).join('\n'));
  const stale = Object.keys(UNPROVOKED).filter((key) => {
    const [m, p, st] = key.split(' ');
    return !ops.has(`${m} ${p}`) || !(st in ops.get(`${m} ${p}`).op.responses);
  });
  ok(stale.length === 0, 'UNPROVOKED names only documented statuses', stale.join('\n'));
}

try {
  await realRuns();
  await scriptedWorker();
  await runCases();
  await ownership();
  await genericCases();
} catch (e) {
  ok(false, `the run stopped: ${e.message.split('\n')[0]}`, e.stack);
}
coverage();
finish();
