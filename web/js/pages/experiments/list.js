// Experiments list: POST experiments/search with server-side paging, name search, create.

import { mlflow } from '../../lib/api.js';
import { h, icon, pageHeader, setTitle, formatTime, formatRelative, statusBadge, modal, navigate, copyButton } from '../../lib/ui.js';
import { dataTable } from '../../lib/table.js';
import { sqlString } from './common.js';

function createDialog() {
  const name = h('input', { class: 'input', id: 'new-exp-name', name: 'name', required: true, autocomplete: 'off', placeholder: 'e.g. churn-model' });
  const location = h('input', { class: 'input mono', id: 'new-exp-location', name: 'artifact_location', autocomplete: 'off', placeholder: 'Leave empty to use the server default' });
  const description = h('textarea', { class: 'input', id: 'new-exp-desc', rows: '3', placeholder: 'Optional' });
  const err = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { class: 'btn primary', type: 'submit', form: 'create-exp-form' }, 'Create');
  const cancel = h('button', { class: 'btn', type: 'button' }, 'Cancel');
  const form = h('form', { id: 'create-exp-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'new-exp-name' }, 'Name'), name),
    h('div', { class: 'field' }, h('label', { for: 'new-exp-location' }, 'Artifact location'), location,
      h('span', { class: 'help' }, 'Where runs of this experiment store their artifacts.')),
    h('div', { class: 'field' }, h('label', { for: 'new-exp-desc' }, 'Description'), description),
    err);
  const dlg = modal({ title: 'Create experiment', body: form, footer: [cancel, submit] });
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const n = name.value.trim();
    if (!n) {
      err.textContent = 'A name is required.';
      name.focus();
      return;
    }
    submit.disabled = true;
    err.textContent = '';
    try {
      const body = { name: n };
      if (location.value.trim()) body.artifact_location = location.value.trim();
      if (description.value.trim()) body.tags = [{ key: 'mlflow.note.content', value: description.value.trim() }];
      const res = await mlflow.post('experiments/create', body);
      dlg.close();
      navigate(`/ui/experiments/${encodeURIComponent(res.experiment_id)}`);
    } catch (e) {
      err.textContent = e.error_code === 'RESOURCE_ALREADY_EXISTS'
        ? `An experiment named “${n}” already exists (it may be deleted — restore it or pick another name).`
        : e.message;
      submit.disabled = false;
    }
  });
  name.focus();
}

export async function renderList(root, params) {
  setTitle('Experiments');
  let search = params.query.get('q') || '';
  let viewType = params.query.get('view') || 'ACTIVE_ONLY';

  const searchInput = h('input', {
    class: 'input', type: 'search', id: 'experiment-search', placeholder: 'Search experiments by name',
    'aria-label': 'Search experiments by name', value: search,
  });
  const viewSel = h('select', { class: 'select', 'aria-label': 'Lifecycle' },
    h('option', { value: 'ACTIVE_ONLY' }, 'Active'),
    h('option', { value: 'DELETED_ONLY' }, 'Deleted'),
    h('option', { value: 'ALL' }, 'All'));
  viewSel.value = viewType;

  const columns = [
    {
      key: 'name', label: 'Name', sortable: true, orderBy: (d) => `name ${d.toUpperCase()}`,
      render: (e) => h('a', { href: `/ui/experiments/${encodeURIComponent(e.experiment_id)}`, class: 'exp-link' }, e.name),
    },
    { key: 'experiment_id', label: 'ID', render: (e) => h('span', { class: 'id-text' }, e.experiment_id) },
    {
      key: 'creation_time', label: 'Created', sortable: true, defaultDir: 'desc',
      orderBy: (d) => `creation_time ${d.toUpperCase()}`,
      render: (e) => h('span', { title: formatTime(e.creation_time) }, formatRelative(e.creation_time)),
    },
    {
      key: 'last_update_time', label: 'Last modified', sortable: true, defaultDir: 'desc',
      orderBy: (d) => `last_update_time ${d.toUpperCase()}`,
      render: (e) => h('span', { title: formatTime(e.last_update_time) }, formatRelative(e.last_update_time)),
    },
    {
      key: 'description', label: 'Description',
      render: (e) => {
        const t = (e.tags || []).find((x) => x.key === 'mlflow.note.content');
        return t ? h('span', { class: 'muted', title: t.value }, t.value.length > 80 ? `${t.value.slice(0, 80)}…` : t.value) : null;
      },
    },
    { key: 'artifact_location', label: 'Artifact location', render: (e) => h('span', { class: 'id-text', title: e.artifact_location }, e.artifact_location) },
  ];
  const withLifecycle = () => (viewType === 'ACTIVE_ONLY' ? columns
    : [...columns.slice(0, 2), { key: 'lifecycle_stage', label: 'State', render: (e) => statusBadge(e.lifecycle_stage === 'deleted' ? 'DELETED' : 'ACTIVE') }, ...columns.slice(2)]);

  const tracking = `${window.location.origin}`;
  const emptyHelp = h('div', { class: 'empty', style: { padding: '28px 16px' } },
    h('h3', null, 'No experiments yet'),
    h('p', null, 'Create one here, or point MLflow at this server and start logging:'),
    h('pre', { class: 'code', style: { textAlign: 'left', marginTop: '6px' } },
      `import mlflow\nmlflow.set_tracking_uri("${tracking}")\nmlflow.set_experiment("my-experiment")\nwith mlflow.start_run():\n    mlflow.log_metric("loss", 0.42)`));

  const table = dataTable({
    label: 'Experiments',
    columns: () => withLifecycle(),
    rowKey: (e) => e.experiment_id,
    pageSizes: [25, 50, 100],
    pageSize: 25,
    empty: () => (search.trim() || viewType !== 'ACTIVE_ONLY'
      ? h('span', null, 'No experiments match this search.')
      : emptyHelp),
    onRowClick: (e) => navigate(`/ui/experiments/${encodeURIComponent(e.experiment_id)}`),
    fetchPage: async ({ pageToken, orderBy, pageSize }) => {
      const body = { max_results: pageSize, view_type: viewType };
      if (pageToken) body.page_token = pageToken;
      if (search.trim()) body.filter = `name LIKE ${sqlString(`%${search.trim()}%`)}`;
      if (orderBy) body.order_by = [orderBy];
      const res = await mlflow.post('experiments/search', body);
      return { rows: res.experiments || [], nextPageToken: res.next_page_token };
    },
  });

  function syncUrl() {
    const q = new URLSearchParams();
    if (search.trim()) q.set('q', search.trim());
    if (viewType !== 'ACTIVE_ONLY') q.set('view', viewType);
    const qs = q.toString();
    window.history.replaceState({}, '', `/ui/experiments${qs ? `?${qs}` : ''}`);
  }
  let timer = null;
  searchInput.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      search = searchInput.value;
      syncUrl();
      table.reload();
    }, 300);
  });
  viewSel.addEventListener('change', () => {
    viewType = viewSel.value;
    syncUrl();
    table.reload();
  });

  root.append(
    pageHeader({
      title: 'Experiments',
      subtitle: h('span', null, 'MLflow-compatible tracking. Tracking URI: ', h('code', { class: 'inline' }, tracking), ' ', copyButton(tracking, { label: 'Copy tracking URI' })),
      actions: [h('button', { class: 'btn primary', type: 'button', id: 'create-experiment', onClick: createDialog }, icon('plus'), 'Create experiment')],
    }),
    h('div', { class: 'toolbar' },
      h('label', { class: 'search-input' }, icon('search'), searchInput),
      viewSel),
    table.el,
  );
}
