// Securable metadata on the table page: tags as chips and comments with an inline edit box.
// Comments are saved with PATCH /api/2.1/unity-catalog/tables/{name} ({comment} or {columns: [{name, comment}]}).

import { api } from '../../lib/api.js';
import { h, tagChip, inlineError } from '../../lib/ui.js';
import { UC } from './common.js';

/** Tags ({key: value}) as chips; null when there are none. */
export function tagChips(tags, role) {
  const entries = Object.entries(tags || {}).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return null;
  return h('span', { class: 'tag-list', 'data-role': role || 'tags', style: { display: 'inline-flex', flexWrap: 'wrap', gap: '4px' } }, entries.map(([k, v]) => tagChip(k, v)));
}

/**
 * A comment with an Edit button that turns into a text box (Save / Cancel). `save(text)` stores it and
 * resolves to the saved text; `editable` false shows the text only.
 */
export function commentEditor({ value, save, editable = true, id, placeholder = 'Add a comment' }) {
  const root = h('span', { class: 'comment-editor', 'data-comment': id || '' });
  let current = value || '';
  const view = () => {
    const text = current ? h('span', { class: 'comment-text' }, current) : h('span', { class: 'muted' }, editable ? '' : '—');
    const edit = editable
      ? h('button', { class: 'btn ghost sm', type: 'button', 'data-role': 'edit-comment', 'aria-label': `Edit comment${id ? ` of ${id}` : ''}`, onClick: form },
        current ? 'Edit' : placeholder)
      : null;
    root.replaceChildren(text, edit ? ' ' : '', edit || '');
  };
  const form = () => {
    const input = h('textarea', { class: 'input', rows: '2', 'data-role': 'comment-input', 'aria-label': 'Comment' });
    input.value = current;
    const error = h('div');
    const saveBtn = h('button', {
      class: 'btn primary sm', type: 'button', 'data-role': 'save-comment',
      onClick: async () => {
        saveBtn.disabled = true;
        try {
          current = (await save(input.value.trim())) ?? input.value.trim();
          view();
        } catch (err) {
          saveBtn.disabled = false;
          error.replaceChildren(inlineError(err));
        }
      },
    }, 'Save');
    const cancel = h('button', { class: 'btn sm', type: 'button', onClick: view }, 'Cancel');
    root.replaceChildren(h('div', { class: 'stack', style: { gap: '6px' } }, input, h('div', { class: 'row' }, saveBtn, cancel), error));
    input.focus();
  };
  view();
  return root;
}

/** Saves a table comment; resolves to the stored text. */
export async function saveTableComment(fullName, text) {
  const info = await api.patch(`${UC}/tables/${encodeURIComponent(fullName)}`, { comment: text });
  return info.comment || '';
}

/** Saves one column's comment; resolves to the stored text. */
export async function saveColumnComment(fullName, column, text) {
  const info = await api.patch(`${UC}/tables/${encodeURIComponent(fullName)}`, { columns: [{ name: column, comment: text }] });
  const col = (info.columns || []).find((c) => c.name === column);
  return (col && col.comment) || '';
}
