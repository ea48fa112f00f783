// Serving endpoints list: state, config update, served entities with their traffic, creator, updated.
// Refreshes itself while any endpoint is updating.

import { h, icon, pageHeader, setTitle, navigate, modal, showError } from '../../lib/ui.js';
import { api } from '../../lib/api.js';
import { dataTable } from '../../lib/table.js';
import { ENDPOINTS, endpointHref, entityTarget, listEndpoints, readyBadge, routeMap, updateBadge, when } from './common.js';

function entityChips(ep) {
  const config = ep.config || ep.pending_config;
  if (!config) return h('span', { class: 'muted' }, '—');
  const routes = routeMap(config);
  return h('span', { class: 'tag-list', style: { display: 'inline-flex', flexWrap: 'wrap', gap: '4px' } },
    (config.served_entities || []).map((e) => h('span', { class: 'tag-chip', title: e.name, 'data-entity': e.name },
      h('span', { class: 'k' }, entityTarget(e)),
      h('span', { class: 'v' }, e.shadow ? 'shadow' : `${routes.get(e.name) ?? 0}%`))));
}

function createDialog() {
  const name = h('input', { class: 'input', id: 'new-endpoint-name', autocomplete: 'off', placeholder: 'e.g. fraud-scoring' });
  const model = h('input', { class: 'input', id: 'new-endpoint-model', autocomplete: 'off', placeholder: 'registered model name' });
  const version = h('input', { class: 'input', id: 'new-endpoint-version', autocomplete: 'off', placeholder: '1 or @champion', style: { width: '160px' } });
  const err = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { class: 'btn primary', type: 'submit', form: 'create-endpoint-form' }, 'Create');
  const cancel = h('button', { class: 'btn', type: 'button' }, 'Cancel');
  const form = h('form', { id: 'create-endpoint-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'new-endpoint-name' }, 'Endpoint name'), name),
    h('div', { class: 'field' }, h('label', { for: 'new-endpoint-model' }, 'Registered model'), model),
    h('div', { class: 'field' }, h('label', { for: 'new-endpoint-version' }, 'Version or alias'), version,
      h('span', { class: 'help' }, 'A version number, or @alias to follow an alias as it moves.')),
    err);
  const dlg = modal({ title: 'Create a serving endpoint', body: form, footer: [cancel, submit] });
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = version.value.trim();
    const entity = { entity_name: model.value.trim() };
    if (v.startsWith('@')) entity.alias = v.slice(1);
    else entity.entity_version = v;
    submit.disabled = true;
    try {
      await api.post(ENDPOINTS, { name: name.value.trim(), config: { served_entities: [entity] } });
      dlg.close();
      navigate(endpointHref(name.value.trim()));
    } catch (e) {
      err.textContent = e.message;
      submit.disabled = false;
    }
  });
  name.focus();
}

export async function renderList(root, params) {
  setTitle('Serving');
  let endpoints = (await listEndpoints()).endpoints || [];
  const table = dataTable({
    label: 'Serving endpoints',
    rows: endpoints,
    rowKey: (ep) => ep.name,
    pageSize: 25,
    sort: { key: 'name', dir: 'asc' },
    columns: [
      { key: 'name', label: 'Name', sortable: true, render: (ep) => h('a', { href: endpointHref(ep.name), class: 'endpoint-link' }, ep.name) },
      { key: 'state', label: 'State', sortable: true, value: (ep) => ep.state && ep.state.ready, render: readyBadge },
      { key: 'config_update', label: 'Config update', sortable: true, value: (ep) => ep.state && ep.state.config_update, render: updateBadge },
      { key: 'entities', label: 'Served entities', render: entityChips },
      { key: 'creator', label: 'Creator', sortable: true, render: (ep) => ep.creator || h('span', { class: 'muted' }, '—') },
      { key: 'last_updated_timestamp', label: 'Updated', sortable: true, defaultDir: 'desc', render: (ep) => when(ep.last_updated_timestamp) },
    ],
    empty: () => h('div', { class: 'empty', style: { padding: '28px 16px' } },
      h('h3', null, 'No serving endpoints yet'),
      h('p', null, 'Serve a registered model with the button above, the CLI or the REST API:'),
      h('pre', { class: 'code', style: { textAlign: 'left' } },
        `ingot endpoints create my-endpoint --model my-model --version 1 --wait\ncurl -X POST ${window.location.origin}/serving-endpoints/my-endpoint/invocations \\\n  -H 'Content-Type: application/json' -d '{"dataframe_records": [...]}'`)),
    onRowClick: (ep) => navigate(endpointHref(ep.name)),
  });

  const refresh = async () => {
    endpoints = (await listEndpoints()).endpoints || [];
    table.setRows(endpoints);
  };
  const refreshBtn = h('button', { class: 'btn', type: 'button', id: 'refresh-endpoints', onClick: () => refresh().catch(showError) }, icon('refresh'), 'Refresh');
  root.append(
    pageHeader({
      title: 'Serving',
      subtitle: 'Endpoints serving registered models: native LightGBM / XGBoost evaluators, Python pyfunc workers for every other flavor.',
      actions: [refreshBtn, h('button', { class: 'btn primary', type: 'button', id: 'create-endpoint', onClick: createDialog }, icon('plus'), 'Create endpoint')],
    }),
    table.el,
  );

  // While an update is in progress, follow it.
  const timer = setInterval(() => {
    if (!root.isConnected || !params.isCurrent()) {
      clearInterval(timer);
      return;
    }
    if (endpoints.some((ep) => ep.state && ep.state.config_update === 'IN_PROGRESS')) refresh().catch(() => {});
  }, 2000);
}
