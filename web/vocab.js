// vocab.js - the names a spec may use and what they mean, as the daemon
// says them (GET /v1/tasks: the tasks with their labels, label words and
// templates; formulas, solvers, parameter sets, optimizers, precisions,
// each {name, label}).  The dashboard hard-codes none of them: app.js loads
// this once before the first view and again when the token changes.

import { getCatalog } from './api.js';

const EMPTY = { tasks: [], formulas: [], solvers: [], param_sets: [], optimizers: [], precisions: [] };
let current = EMPTY;

export async function loadVocabulary() {
  const c = await getCatalog();
  current = { ...EMPTY, ...c };
  return current;
}

// The catalog as loaded (empty lists before, or when it could not be read).
export function vocab() { return current; }

// [[name, label], ...] of one list, for selects and checkbox groups.
export function choices(list, labelOf = (w) => w.label || w.name) {
  return (current[list] || []).map((w) => [w.name, labelOf(w)]);
}

function word(list, name) { return (current[list] || []).find((w) => w.name === name); }

// A task's built-in labels, label words and template (null: none known).
export function taskPreset(name) {
  const t = word('tasks', name);
  if (!t || !t.labels) return null;
  return { labels: t.labels, label_words: t.label_words || [], template: t.template || '' };
}

// The paper's short names: 'K(SGD)' for a formula, 'Adam' for an optimizer.
export function formulaLabel(name) { const w = word('formulas', name); return w ? w.label : `K(${name})`; }
export function optimizerLabel(name) { const w = word('optimizers', name); return w ? w.label : name; }
