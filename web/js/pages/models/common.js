// Shared helpers for the registry pages (MLflow registry REST plus Ingot's workflow endpoints).

import { api, mlflow } from '../../lib/api.js';
import { h, tagChip, statusBadge, formatTime, formatRelative, showError, showNotice, modal } from '../../lib/ui.js';

export const INGOT = '/api/2.0/ingot/registry/';

export const modelHref = (name) => `/ui/models/${encodeURIComponent(name)}`;
export const versionHref = (name, v) => `/ui/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(v)}`;

/** Quotes a value for a registry search filter. */
export function sqlString(value) {
  return `'${String(value).replace(/'/g, "''")}'`;
}

export function aliasChip(alias, version, name) {
  return h('a', { class: 'tag-chip alias-chip', href: versionHref(name, version), 'data-alias': alias, title: `@${alias} → version ${version}` },
    h('span', { class: 'k' }, `@${alias}`), h('span', { class: 'v' }, `v${version}`));
}

export function stageBadge(stage) {
  const st = stage || 'None';
  const kind = st === 'Production' ? 'ok' : st === 'Staging' ? 'info' : st === 'Archived' ? 'warn' : '';
  return h('span', { class: `badge ${kind}`, 'data-stage': st }, st);
}

export function tagChips(tags) {
  const list = tags || [];
  if (!list.length) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'tag-list' }, list.map((t) => tagChip(t.key, t.value)));
}

export function when(ms) {
  return h('span', { title: formatTime(ms) }, formatRelative(ms));
}

/** Describes what a request asks for: "alias champion" or "stage Production". */
export function requestTarget(r) {
  return r.alias ? `alias @${r.alias}` : `stage ${r.to_stage}`;
}

export async function pendingRequests(name, version) {
  const res = await mlflow.get('transition-requests/list', { name, version });
  return res.requests || [];
}

/** Approve / Reject buttons for one pending request; each opens a dialog for an optional comment. */
export function requestActions(r, onDone) {
  const decide = (verb) => {
    const comment = h('textarea', { class: 'input', rows: '3', id: 'decision-comment', placeholder: 'Optional comment' });
    const err = h('div', { class: 'form-error', role: 'alert' });
    const confirm = h('button', { class: `btn ${verb === 'approve' ? 'primary' : 'danger'}`, type: 'button', id: 'confirm-decision' },
      verb === 'approve' ? 'Approve' : 'Reject');
    const cancel = h('button', { class: 'btn', type: 'button' }, 'Cancel');
    const dlg = modal({
      title: `${verb === 'approve' ? 'Approve' : 'Reject'} request`,
      body: [h('p', null, `${r.user_id} asks for ${requestTarget(r)} on version ${r.version}`, r.comment ? `: “${r.comment}”` : '.'),
        h('div', { class: 'field' }, h('label', { for: 'decision-comment' }, 'Comment'), comment), err],
      footer: [cancel, confirm],
    });
    cancel.addEventListener('click', () => dlg.close());
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        const res = await mlflow.post(`transition-requests/${verb}`, { id: r.id, comment: comment.value.trim() || undefined });
        dlg.close();
        const status = res.request && res.request.status;
        showNotice('ok', status === 'APPROVED' ? `Approved and applied: ${requestTarget(r)} → version ${r.version}.`
          : status === 'PENDING' ? 'Approval recorded; more approvals are needed.' : `Request ${String(status || '').toLowerCase()}.`);
        await onDone();
      } catch (e) {
        confirm.disabled = false;
        err.textContent = e.message;
      }
    });
  };
  return h('span', { class: 'row-actions', style: { display: 'inline-flex', gap: '6px' } },
    h('button', { class: 'btn sm primary', type: 'button', 'data-action': 'approve', 'data-request': r.id, onClick: () => decide('approve') }, 'Approve'),
    h('button', { class: 'btn sm danger', type: 'button', 'data-action': 'reject', 'data-request': r.id, onClick: () => decide('reject') }, 'Reject'));
}

/** Table of pending requests (model- or version-wide) with actions. */
export function requestsTable(requests, onDone, { showVersion = true } = {}) {
  if (!requests.length) return h('p', { class: 'muted', 'data-role': 'no-requests' }, 'No pending requests.');
  return h('table', { class: 'data', 'data-role': 'pending-requests' },
    h('thead', null, h('tr', null, showVersion ? h('th', null, 'Version') : null, h('th', null, 'Request'), h('th', null, 'Requested by'),
      h('th', null, 'When'), h('th', null, 'Approvals'), h('th', null, 'Comment'), h('th', null, ''))),
    h('tbody', null, requests.map((r) => h('tr', { 'data-request': r.id },
      showVersion ? h('td', null, h('a', { href: versionHref(r.name, r.version) }, `v${r.version}`)) : null,
      h('td', null, requestTarget(r)), h('td', null, r.user_id), h('td', null, when(r.creation_timestamp)),
      h('td', null, (r.approvals || []).join(', ') || '—'), h('td', null, r.comment || ''),
      h('td', null, requestActions(r, onDone))))));
}

/** Opens a dialog asking for an alias change or stage move; the server decides if it needs approval. */
export function requestDialog(name, version, onDone) {
  const kind = h('select', { class: 'select', id: 'request-kind' }, h('option', { value: 'alias' }, 'Set alias'), h('option', { value: 'stage' }, 'Move to stage'));
  const alias = h('input', { class: 'input', id: 'request-alias', placeholder: 'e.g. champion' });
  const stage = h('select', { class: 'select', id: 'request-stage', hidden: true },
    ['Staging', 'Production', 'Archived', 'None'].map((s) => h('option', { value: s }, s)));
  const comment = h('textarea', { class: 'input', rows: '3', id: 'request-comment', placeholder: 'Why?' });
  const direct = h('input', { type: 'checkbox', id: 'request-direct' });
  const err = h('div', { class: 'form-error', role: 'alert' });
  kind.addEventListener('change', () => {
    alias.hidden = kind.value !== 'alias';
    stage.hidden = kind.value !== 'stage';
  });
  const submit = h('button', { class: 'btn primary', type: 'button', id: 'submit-request' }, 'Submit');
  const cancel = h('button', { class: 'btn', type: 'button' }, 'Cancel');
  const dlg = modal({
    title: `Change version ${version}`,
    body: [h('div', { class: 'field' }, h('label', { for: 'request-kind' }, 'Change'), kind, alias, stage),
      h('div', { class: 'field' }, h('label', { for: 'request-comment' }, 'Comment'), comment),
      h('label', { style: { display: 'flex', gap: '6px', alignItems: 'center' } }, direct, 'Apply directly (only where no approval policy applies)'),
      err],
    footer: [cancel, submit],
  });
  cancel.addEventListener('click', () => dlg.close());
  submit.addEventListener('click', async () => {
    submit.disabled = true;
    err.textContent = '';
    try {
      if (direct.checked) {
        if (kind.value === 'alias') await mlflow.post('registered-models/alias', { name, alias: alias.value.trim(), version });
        else await mlflow.post('model-versions/transition-stage', { name, version, stage: stage.value, archive_existing_versions: false });
        showNotice('ok', 'Applied.');
      } else {
        const body = { name, version, comment: comment.value.trim() || undefined };
        if (kind.value === 'alias') body.alias = alias.value.trim();
        else body.stage = stage.value;
        await mlflow.post('transition-requests/create', body);
        showNotice('ok', 'Request created; it is applied once approved.');
      }
      dlg.close();
      await onDone();
    } catch (e) {
      submit.disabled = false;
      err.textContent = e.error_code === 'PERMISSION_DENIED' ? `${e.message} — untick “Apply directly” to request approval.` : e.message;
    }
  });
}

/** A read/edit description block: text shown, "Edit" swaps in a textarea with Save/Cancel. */
export function editableDescription(text, save) {
  const wrap = h('div', { class: 'description', 'data-role': 'description' });
  function show(value) {
    wrap.replaceChildren(
      value ? h('p', { class: 'description-text', style: { whiteSpace: 'pre-wrap', margin: '0 0 8px' } }, value)
        : h('p', { class: 'muted', style: { margin: '0 0 8px' } }, 'No description.'),
      h('button', { class: 'btn sm', type: 'button', 'data-action': 'edit-description', onClick: () => edit(value) }, 'Edit description'));
  }
  function edit(value) {
    const area = h('textarea', { class: 'input', rows: '4', 'aria-label': 'Description', style: { width: '100%' } });
    area.value = value || '';
    const saveBtn = h('button', { class: 'btn sm primary', type: 'button', 'data-action': 'save-description' }, 'Save');
    const cancel = h('button', { class: 'btn sm', type: 'button', onClick: () => show(value) }, 'Cancel');
    saveBtn.addEventListener('click', async () => {
      saveBtn.disabled = true;
      try {
        await save(area.value);
        show(area.value);
      } catch (e) {
        saveBtn.disabled = false;
        showError(e);
      }
    });
    wrap.replaceChildren(area, h('div', { style: { marginTop: '6px', display: 'flex', gap: '6px' } }, saveBtn, cancel));
    area.focus();
  }
  show(text);
  return wrap;
}

export { api, mlflow, statusBadge };
