// manage.js - what a user token may do to an experiment, on its page:
// rename it (inline), add and remove tags, re-run it, cancel it while it is
// live, delete it once finished (with its artifacts).  An error of the API
// (401 without a token, 403 not the owner's, 404 gone, 409 a state that does
// not allow it, 400 a bad name or tag) is shown beside the control that
// caused it, and focus moves there; a 401 or 403 offers the token panel.

import {
  addTag, cancelExperiment, deleteExperiment, patchExperiment, removeTag, rerunExperiment,
} from './api.js';
import { clear, h, put } from './dom.js';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

// The message of an API error for one control: what was refused and why.
function explain(err, what) {
  if (err.status === 401) return `${what} needs a user token: ${err.detail}`;
  if (err.status === 403) return `${what} is not allowed with this token: ${err.detail}`;
  if (err.status === 404) return `${what}: the experiment is gone (${err.detail})`;
  if (err.status === 409) return `${what} is not possible now: ${err.detail}`;
  return `${what} failed${err.status ? ` (${err.status})` : ''}: ${err.detail || err.message}${err.field ? ` [${err.field}]` : ''}`;
}

// An error line beside a control: role=alert, focusable, with "Set a token"
// after a 401 or 403.
function errorLine(id) {
  const el = h('p', { class: 'action-error', id, role: 'alert', tabindex: '-1', hidden: true });
  return {
    el,
    show(err, what) {
      put(clear(el), h('span', {}, explain(err, what)),
        err.status === 401 || err.status === 403 ? [' ', h('button', { type: 'button', class: 'small', id: `${id}-token`,
          onclick: () => document.getElementById('token-button').click() }, 'Set a token')] : null);
      el.dataset.status = String(err.status || 0);
      el.hidden = false;
      el.focus();
    },
    clear() { el.hidden = true; clear(el); delete el.dataset.status; },
  };
}

// manageControls(id, {title, navigate, reload}): {renameButton,
// renameForm, tagsBox, actions (cancel or re-run), deleteSlot, actionError,
// update(exp)}; title is the page's h1, reload refetches the experiment.
export function manageControls(id, { title, navigate, reload }) {
  let exp = null;

  // ---- rename, inline: the h1 gives way to an input ----
  const renameInput = h('input', { type: 'text', id: 'rename-input', name: 'name', maxlength: '200', autocomplete: 'off',
    'aria-describedby': 'rename-hint' });
  const renameErr = errorLine('rename-error');
  const renameButton = h('button', { type: 'button', class: 'small', id: 'rename-button', 'aria-label': 'Rename this experiment' }, 'Rename');
  const renameForm = h('form', { class: 'rename-form', id: 'rename-form', hidden: true, 'aria-label': 'Rename' },
    h('label', { for: 'rename-input', class: 'visually-hidden' }, 'Name'),
    renameInput,
    h('button', { type: 'submit', class: 'primary small', id: 'rename-save' }, 'Save'),
    h('button', { type: 'button', class: 'small', id: 'rename-cancel', onclick: () => closeRename(true) }, 'Cancel'),
    h('span', { class: 'hint', id: 'rename-hint' }, 'Empty removes the name.'),
    renameErr.el);
  function openRename() {
    renameInput.value = exp && exp.name ? exp.name : '';
    renameErr.clear();
    title.hidden = true;
    renameButton.hidden = true;
    renameForm.hidden = false;
    renameInput.focus();
    renameInput.select();
  }
  function closeRename(focus) {
    renameForm.hidden = true;
    title.hidden = false;
    renameButton.hidden = false;
    renameErr.clear();
    if (focus) renameButton.focus();
  }
  renameButton.addEventListener('click', openRename);
  renameInput.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); closeRename(true); } });
  renameForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = renameInput.value.trim();
    try {
      await patchExperiment(id, { name: name || null });
      closeRename(true);
      await reload();
    } catch (err) { renameErr.show(err, 'Renaming'); }
  });

  // ---- tags: chips with a remove button, and an input to add one ----
  const chips = h('span', { class: 'tags', id: 'exp-tags' });
  const tagInput = h('input', { type: 'text', id: 'tag-input', name: 'tag', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'add a tag', maxlength: '64', 'aria-describedby': 'tag-hint' });
  const tagErr = errorLine('tag-error');
  const tagForm = h('form', { class: 'tag-form', 'aria-label': 'Add a tag' },
    h('label', { for: 'tag-input', class: 'visually-hidden' }, 'New tag'), tagInput,
    h('button', { type: 'submit', class: 'small', id: 'tag-add' }, 'Add tag'));
  const tagsBox = h('div', { class: 'tags-row' }, h('span', { class: 'muted small' }, 'Tags'), chips, tagForm,
    h('span', { class: 'hint', id: 'tag-hint' }, 'letters, digits and . _ : + @ = -'), tagErr.el);
  tagForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const tag = tagInput.value.trim();
    if (!tag) { tagInput.focus(); return; }
    try {
      await addTag(id, tag);
      tagInput.value = '';
      tagErr.clear();
      await reload();
      tagInput.focus();
    } catch (err) { tagErr.show(err, `Adding tag "${tag}"`); }
  });
  let shownTags = null;
  function drawTags() {
    const tags = exp.tags || [];
    if (JSON.stringify(tags) === shownTags) return; // unchanged between polls: the chips (and focus) stay
    shownTags = JSON.stringify(tags);
    put(clear(chips), tags.length ? tags.map((t) => h('span', { class: 'tag', dataset: { tag: t } },
      h('a', { href: `#/experiments?tag=${encodeURIComponent(t)}`, title: `Experiments tagged ${t}` }, t),
      h('button', { type: 'button', class: 'tag-remove', 'aria-label': `Remove tag ${t}`, dataset: { tag: t },
        onclick: async () => {
          try {
            await removeTag(id, t);
            tagErr.clear();
            await reload();
            tagInput.focus();
          } catch (err) { tagErr.show(err, `Removing tag "${t}"`); }
        } }, '×'))) : h('span', { class: 'muted small' }, 'none'));
  }

  // ---- re-run, cancel, delete ----
  const actionErr = errorLine('action-error');
  const actions = h('span', { class: 'manage-actions' });
  const deleteSlot = h('span', { class: 'manage-actions' }); // last: the one that cannot be undone
  async function act(button, what, call) {
    button.disabled = true;
    try {
      actionErr.clear();
      await call();
    } catch (err) {
      actionErr.show(err, what);
    } finally {
      button.disabled = false;
    }
  }
  const rerunBtn = h('button', { type: 'button', id: 'rerun-button', title: 'Submit this spec again as a new experiment' }, 'Re-run');
  rerunBtn.addEventListener('click', () => act(rerunBtn, 'Re-running', async () => {
    const r = await rerunExperiment(id);
    navigate(`#/experiments/${r.id}`);
  }));
  const cancelBtn = h('button', { type: 'button', class: 'danger', id: 'cancel-button' }, 'Cancel');
  cancelBtn.addEventListener('click', () => {
    if (!window.confirm('Cancel this experiment?')) return;
    act(cancelBtn, 'Cancelling', async () => { await cancelExperiment(id); await reload(); });
  });
  const deleteBtn = h('button', { type: 'button', class: 'danger', id: 'delete-button',
    title: 'Delete this experiment, its jobs, tags and artifacts' }, 'Delete');
  deleteBtn.addEventListener('click', () => {
    const files = (exp.files || []).length;
    if (!window.confirm(`Delete "${exp.name || id.slice(0, 8)}"${files ? ` and its ${files} artifact file${files === 1 ? '' : 's'}` : ''}? This cannot be undone.`)) return;
    act(deleteBtn, 'Deleting', async () => {
      await deleteExperiment(id);
      navigate('#/experiments');
    });
  });

  function update(e) {
    exp = e;
    if (renameForm.hidden) title.hidden = false;
    drawTags();
    const live = !TERMINAL.has(exp.state);
    if (live === shownLive) return; // the buttons stay put (and focused) between polls
    shownLive = live;
    const focused = document.activeElement;
    put(clear(actions), live ? cancelBtn : null, rerunBtn);
    put(clear(deleteSlot), live ? null : deleteBtn);
    if (focused && focused !== document.activeElement && focused.isConnected) focused.focus();
  }
  let shownLive = null;

  return { renameButton, renameForm, tagsBox, actions, deleteSlot, actionError: actionErr.el, update };
}
