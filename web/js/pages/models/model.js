// One registered model: description (edited in place), aliases, tags, approval policy,
// pending requests (approve/reject here) and the versions table.

import { api, mlflow } from '../../lib/api.js';
import { h, pageHeader, setTitle, card, statusBadge, showError, showNotice, navigate, emptyState, formatTime, copyButton } from '../../lib/ui.js';
import { dataTable } from '../../lib/table.js';
import { permissionsButton, myLevels, can, hideUnless } from '../../lib/permissions-editor.js';
import {
  INGOT, aliasChip, editableDescription, modelHref, pendingRequests, requestDialog, requestsTable, sqlString, stageBadge, versionHref, when,
} from './common.js';

function tagEditor(tags, { onSet, onDelete }) {
  const key = h('input', { class: 'input', placeholder: 'key', 'aria-label': 'Tag key', id: 'tag-key', style: { width: '160px' } });
  const value = h('input', { class: 'input', placeholder: 'value', 'aria-label': 'Tag value', id: 'tag-value', style: { width: '220px' } });
  const add = h('button', { class: 'btn sm', type: 'button', id: 'add-tag' }, 'Add tag');
  add.addEventListener('click', async () => {
    if (!key.value.trim()) return;
    add.disabled = true;
    try {
      await onSet(key.value.trim(), value.value);
    } catch (e) {
      add.disabled = false;
      showError(e);
    }
  });
  return h('div', null,
    tags.length
      ? h('div', { class: 'tag-list', style: { display: 'flex', flexWrap: 'wrap', gap: '6px', marginBottom: '10px' } },
        tags.map((t) => h('span', { class: 'tag-chip', 'data-tag': t.key },
          h('span', { class: 'k' }, t.key), h('span', { class: 'v' }, t.value),
          h('button', {
            class: 'btn ghost icon', type: 'button', title: `Remove ${t.key}`, 'aria-label': `Remove tag ${t.key}`,
            onClick: () => onDelete(t.key).catch(showError),
          }, '×'))))
      : h('p', { class: 'muted' }, 'No tags.'),
    h('div', { style: { display: 'flex', gap: '6px', flexWrap: 'wrap' } }, key, value, add));
}

function policyEditor(name, policy, onSaved) {
  const aliases = h('input', { class: 'input', id: 'policy-aliases', placeholder: 'e.g. champion, production', value: (policy?.protected_aliases || []).join(', ') });
  const stageBoxes = ['Staging', 'Production', 'Archived'].map((s) => {
    const box = h('input', { type: 'checkbox', value: s, checked: (policy?.protected_stages || []).includes(s) });
    return { s, box, el: h('label', { style: { display: 'inline-flex', gap: '4px', marginRight: '10px' } }, box, s) };
  });
  const approvals = h('input', { class: 'input', type: 'number', min: '1', max: '10', id: 'policy-approvals', value: String(policy?.required_approvals || 1), style: { width: '80px' } });
  const selfOk = h('input', { type: 'checkbox', id: 'policy-self', checked: !!policy?.allow_self_approval });
  const save = h('button', { class: 'btn sm primary', type: 'button', id: 'save-policy' }, policy ? 'Save policy' : 'Enable policy');
  const remove = policy ? h('button', { class: 'btn sm danger', type: 'button', id: 'remove-policy' }, 'Remove policy') : null;
  save.addEventListener('click', async () => {
    save.disabled = true;
    try {
      await api.post(`${INGOT}policies/set`, {
        name,
        protected_aliases: aliases.value.split(',').map((x) => x.trim()).filter(Boolean),
        protected_stages: stageBoxes.filter((x) => x.box.checked).map((x) => x.s),
        required_approvals: Number(approvals.value) || 1,
        allow_self_approval: selfOk.checked,
      });
      showNotice('ok', 'Approval policy saved.');
      await onSaved();
    } catch (e) {
      save.disabled = false;
      showError(e);
    }
  });
  if (remove) {
    remove.addEventListener('click', async () => {
      try {
        await api.delete(`${INGOT}policies/delete`, { name });
        showNotice('ok', 'Approval policy removed; MLflow calls apply directly again.');
        await onSaved();
      } catch (e) {
        showError(e);
      }
    });
  }
  return h('div', { 'data-role': 'policy' },
    h('p', { class: 'muted', style: { marginTop: 0 } }, policy
      ? `Changes below need ${policy.required_approvals} approval(s)${policy.allow_self_approval ? '' : ' by someone other than the requester'}. Last changed by ${policy.updated_by || '?'} ${policy.last_updated_timestamp ? `on ${formatTime(policy.last_updated_timestamp)}` : ''}.`
      : 'No policy: aliases and stages change directly, exactly as in MLflow.'),
    h('div', { class: 'field' }, h('label', { for: 'policy-aliases' }, 'Protected aliases'), aliases),
    h('div', { class: 'field' }, h('label', null, 'Protected stages'), h('div', null, stageBoxes.map((x) => x.el))),
    h('div', { class: 'field' }, h('label', { for: 'policy-approvals' }, 'Approvals required'), approvals),
    h('label', { style: { display: 'flex', gap: '6px', alignItems: 'center', marginBottom: '10px' } }, selfOk, 'Allow requesters to approve their own requests'),
    h('div', { style: { display: 'flex', gap: '6px' } }, save, remove));
}

export async function renderModel(root, name) {
  setTitle(name);
  const [modelRes, versionsRes, requests, policyRes] = await Promise.all([
    mlflow.get('registered-models/get', { name }),
    mlflow.get('model-versions/search', { filter: `name = ${sqlString(name)}`, order_by: 'version_number DESC', max_results: 10000 }),
    pendingRequests(name),
    api.get(`${INGOT}policies/get`, { name }).catch(() => ({ policy: null })),
  ]);
  const model = modelRes.registered_model;
  const versions = versionsRes.model_versions || [];
  const rerender = async () => {
    const fresh = h('div', { class: 'page', 'data-page': 'models' });
    root.replaceWith(fresh);
    root = fresh;
    await renderModel(fresh, name);
  };

  const deleteBtn = h('button', { class: 'btn danger', type: 'button', id: 'delete-model' }, 'Delete model');
  deleteBtn.addEventListener('click', async () => {
    if (!window.confirm(`Delete model “${name}” and all ${versions.length} version(s)?`)) return;
    try {
      await mlflow.delete('registered-models/delete', { name });
      navigate('/ui/models');
    } catch (e) {
      showError(e);
    }
  });

  myLevels('registered-models', name).then((held) => {
    hideUnless(can(held, 'CAN_MANAGE'), deleteBtn);
    // Read-only callers: no stage changes, description edits (CSS hides them however late they render).
    if (!can(held, 'CAN_EDIT')) root.dataset.permissionReadOnly = 'true';
  });

  const versionsTable = dataTable({
    label: 'Versions',
    rows: versions,
    rowKey: (v) => v.version,
    autoHeight: true,
    pageSize: 25,
    sort: { key: 'version', dir: 'desc' },
    onRowClick: (v, ev) => { if (!ev.target.closest('button, a')) navigate(versionHref(name, v.version)); },
    columns: [
      { key: 'version', label: 'Version', sortable: true, value: (v) => Number(v.version), render: (v) => h('a', { href: versionHref(name, v.version) }, `Version ${v.version}`) },
      { key: 'current_stage', label: 'Stage', sortable: true, render: (v) => stageBadge(v.current_stage) },
      { key: 'aliases', label: 'Aliases', render: (v) => h('span', { class: 'tag-list' }, (v.aliases || []).map((a) => aliasChip(a, v.version, name))) },
      { key: 'status', label: 'Status', render: (v) => statusBadge(v.status) },
      { key: 'creation_timestamp', label: 'Registered', sortable: true, render: (v) => when(v.creation_timestamp) },
      { key: 'run_id', label: 'Source run', render: (v) => (v.run_id ? h('a', { href: `/ui/runs/${encodeURIComponent(v.run_id)}`, class: 'id-text' }, v.run_id.slice(0, 8)) : '—') },
      { key: 'user_id', label: 'By' },
      {
        key: 'actions', label: '',
        render: (v) => h('button', { class: 'btn sm', type: 'button', 'data-action': 'change', 'data-version': v.version, onClick: () => requestDialog(name, v.version, rerender) }, 'Change…'),
      },
    ],
    empty: emptyState({ title: 'No versions yet', body: 'Register one with mlflow.register_model(...) or log_model(..., registered_model_name=...).' }),
  });

  root.append(
    pageHeader({
      title: name,
      crumbs: [{ label: 'Models', href: '/ui/models' }, { label: name }],
      subtitle: h('span', null, `Created ${formatTime(model.creation_timestamp)} · updated ${formatTime(model.last_updated_timestamp)} · `,
        h('code', { class: 'inline' }, `models:/${name}`), ' ', copyButton(`models:/${name}`, { label: 'Copy model URI' })),
      actions: [permissionsButton({ type: 'registered-models', id: name }), deleteBtn],
    }),
    h('div', { class: 'grid cols-2', style: { marginBottom: '16px' } },
      card({
        title: 'Description',
        body: editableDescription(model.description || '', async (text) => {
          await mlflow.patch('registered-models/update', { name, description: text });
        }),
      }),
      card({
        title: 'Aliases',
        body: (model.aliases || []).length
          ? h('div', { class: 'tag-list', id: 'model-aliases', style: { display: 'flex', gap: '6px', flexWrap: 'wrap' } },
            model.aliases.map((a) => aliasChip(a.alias, a.version, name)))
          : h('p', { class: 'muted', id: 'model-aliases' }, 'No aliases. Use “Change…” on a version to set one.'),
      })),
    card({
      title: 'Pending requests', hint: `${requests.length}`,
      body: h('div', { id: 'pending-requests' }, requestsTable(requests, rerender)),
    }),
    card({ title: 'Versions', hint: `${versions.length}`, flush: true, body: versionsTable.el }),
    h('div', { class: 'grid cols-2', style: { marginBottom: '16px' } },
      card({
        title: 'Tags',
        body: tagEditor(model.tags || [], {
          onSet: async (k, v) => { await mlflow.post('registered-models/set-tag', { name, key: k, value: v }); await rerender(); },
          onDelete: async (k) => { await mlflow.delete('registered-models/delete-tag', { name, key: k }); await rerender(); },
        }),
      }),
      card({ title: 'Approval policy', body: policyEditor(name, policyRes.policy, rerender) })),
  );
}

export { modelHref };
