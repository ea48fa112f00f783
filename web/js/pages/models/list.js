// Registered models list: registered-models/search with server-side paging, name search, create.

import { mlflow } from '../../lib/api.js';
import { h, icon, pageHeader, setTitle, modal, navigate } from '../../lib/ui.js';
import { dataTable } from '../../lib/table.js';
import { aliasChip, modelHref, sqlString, tagChips, when } from './common.js';

function createDialog() {
  const name = h('input', { class: 'input', id: 'new-model-name', required: true, autocomplete: 'off', placeholder: 'e.g. fraud-detector' });
  const description = h('textarea', { class: 'input', id: 'new-model-desc', rows: '3', placeholder: 'Optional' });
  const err = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { class: 'btn primary', type: 'submit', form: 'create-model-form' }, 'Create');
  const cancel = h('button', { class: 'btn', type: 'button' }, 'Cancel');
  const form = h('form', { id: 'create-model-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'new-model-name' }, 'Name'), name,
      h('span', { class: 'help' }, 'Names cannot contain “/” or “:”.')),
    h('div', { class: 'field' }, h('label', { for: 'new-model-desc' }, 'Description'), description),
    err);
  const dlg = modal({ title: 'Register a model', body: form, footer: [cancel, submit] });
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const n = name.value.trim();
    if (!n) {
      err.textContent = 'A name is required.';
      return;
    }
    submit.disabled = true;
    try {
      const body = { name: n };
      if (description.value.trim()) body.description = description.value.trim();
      await mlflow.post('registered-models/create', body);
      dlg.close();
      navigate(modelHref(n));
    } catch (e) {
      err.textContent = e.message;
      submit.disabled = false;
    }
  });
  name.focus();
}

function latestVersion(m) {
  const versions = (m.latest_versions || []).map((v) => Number(v.version)).filter(Number.isFinite);
  return versions.length ? Math.max(...versions) : null;
}

export async function renderList(root, params) {
  setTitle('Models');
  let search = params.query.get('q') || '';
  const searchInput = h('input', {
    class: 'input', type: 'search', id: 'model-search', placeholder: 'Search models by name', 'aria-label': 'Search models by name', value: search,
  });

  const table = dataTable({
    label: 'Registered models',
    rowKey: (m) => m.name,
    pageSizes: [25, 50, 100],
    pageSize: 25,
    sort: { key: 'name', dir: 'asc' },
    columns: [
      { key: 'name', label: 'Name', sortable: true, orderBy: (d) => `name ${d.toUpperCase()}`, render: (m) => h('a', { href: modelHref(m.name), class: 'model-link' }, m.name) },
      {
        key: 'latest', label: 'Latest version',
        render: (m) => {
          const v = latestVersion(m);
          return v === null ? h('span', { class: 'muted' }, '—') : h('a', { href: `${modelHref(m.name)}/versions/${v}` }, `Version ${v}`);
        },
      },
      { key: 'aliases', label: 'Aliases', render: (m) => h('span', { class: 'tag-list' }, (m.aliases || []).map((a) => aliasChip(a.alias, a.version, m.name))) },
      { key: 'tags', label: 'Tags', render: (m) => tagChips(m.tags) },
      {
        key: 'last_updated_timestamp', label: 'Last modified', sortable: true, defaultDir: 'desc',
        orderBy: (d) => `last_updated_timestamp ${d.toUpperCase()}`, render: (m) => when(m.last_updated_timestamp),
      },
      {
        key: 'description', label: 'Description',
        render: (m) => (m.description ? h('span', { class: 'muted', title: m.description }, m.description.length > 80 ? `${m.description.slice(0, 80)}…` : m.description) : null),
      },
    ],
    empty: () => (search.trim() ? h('span', null, 'No models match this search.')
      : h('div', { class: 'empty', style: { padding: '28px 16px' } },
        h('h3', null, 'No registered models yet'),
        h('p', null, 'Register one from a run with the MLflow client:'),
        h('pre', { class: 'code', style: { textAlign: 'left' } },
          `mlflow.set_tracking_uri("${window.location.origin}")\nmlflow.sklearn.log_model(model, name="model", registered_model_name="my-model")`))),
    onRowClick: (m) => navigate(modelHref(m.name)),
    fetchPage: async ({ pageToken, orderBy, pageSize }) => {
      const query = { max_results: pageSize, page_token: pageToken || undefined, order_by: orderBy || undefined };
      if (search.trim()) query.filter = `name ILIKE ${sqlString(`%${search.trim()}%`)}`;
      const res = await mlflow.get('registered-models/search', query);
      return { rows: res.registered_models || [], nextPageToken: res.next_page_token };
    },
  });

  let timer = null;
  searchInput.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      search = searchInput.value;
      window.history.replaceState({}, '', `/ui/models${search.trim() ? `?q=${encodeURIComponent(search.trim())}` : ''}`);
      table.reload();
    }, 300);
  });

  root.append(
    pageHeader({
      title: 'Models',
      subtitle: 'MLflow-compatible model registry with aliases, lineage and approvals.',
      actions: [h('button', { class: 'btn primary', type: 'button', id: 'create-model', onClick: createDialog }, icon('plus'), 'Register model')],
    }),
    h('div', { class: 'toolbar' }, h('label', { class: 'search-input' }, icon('search'), searchInput)),
    table.el,
  );
}
