// Pipelines list: state of the latest update, when it ran and for how long, schedule / continuous mode.
// Each row is completed from the pipeline's spec and its latest update; refreshes while an update runs.

import { h, icon, pageHeader, setTitle, navigate, showError, mapLimit, modal } from '../../lib/ui.js';
import { api } from '../../lib/api.js';
import { dataTable } from '../../lib/table.js';
import {
  PIPELINES, getPipeline, getUpdate, listPipelines, pipelineHref, stateBadge, updateDuration, when, duration, toMs, isActive, poller,
} from './common.js';

async function loadRows() {
  const statuses = (await listPipelines()).statuses || [];
  return mapLimit(statuses, 4, async (st) => {
    const latest = (st.latest_updates || [])[0] || null;
    const [p, u] = await Promise.all([
      getPipeline(st.pipeline_id).catch(() => null),
      latest ? getUpdate(st.pipeline_id, latest.update_id).then((r) => r.update).catch(() => null) : null,
    ]);
    const spec = (p && p.spec) || {};
    const update = u || latest;
    return {
      id: st.pipeline_id,
      name: st.name,
      state: update ? update.state : null,
      pipelineState: st.state,
      lastRun: update ? toMs(update.start_time) ?? toMs(update.creation_time) : null,
      duration: updateDuration(update),
      schedule: spec.schedule || null,
      continuous: !!spec.continuous,
      target: spec.catalog ? `${spec.catalog}.${spec.schema}` : '',
      creator: st.creator_user_name || '',
    };
  });
}

function scheduleCell(r) {
  if (r.continuous) return h('span', { class: 'badge info', 'data-role': 'mode', 'data-mode': 'continuous' }, 'Continuous');
  if (r.schedule) return h('span', { 'data-role': 'mode', 'data-mode': 'scheduled' }, h('code', { class: 'inline' }, r.schedule));
  return h('span', { class: 'muted', 'data-role': 'mode', 'data-mode': 'triggered' }, 'Triggered');
}

/** Registers a pipeline from a folder on the server (its pipeline.yaml and SQL are validated first). */
function createDialog() {
  const path = h('input', { class: 'input mono', id: 'new-pipeline-path', autocomplete: 'off', placeholder: '/srv/pipelines/retail' });
  const name = h('input', { class: 'input', id: 'new-pipeline-name', autocomplete: 'off', placeholder: 'defaults to the name in pipeline.yaml' });
  const err = h('div', { class: 'form-error', role: 'alert', 'data-role': 'create-error' });
  const submit = h('button', { class: 'btn primary', type: 'submit', form: 'create-pipeline-form' }, 'Create');
  const cancel = h('button', { class: 'btn', type: 'button' }, 'Cancel');
  const form = h('form', { id: 'create-pipeline-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'new-pipeline-path' }, 'Pipeline folder (on the server)'), path,
      h('span', { class: 'help' }, 'A folder with a pipeline.yaml and *.sql files defining the datasets.')),
    h('div', { class: 'field' }, h('label', { for: 'new-pipeline-name' }, 'Name (optional)'), name),
    err);
  const dlg = modal({ title: 'Create a pipeline', body: form, footer: [cancel, submit] });
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      const r = await api.post(PIPELINES, { root_path: path.value.trim(), name: name.value.trim() || undefined });
      dlg.close();
      navigate(pipelineHref(r.pipeline_id));
    } catch (e) {
      err.textContent = e.message;
      submit.disabled = false;
    }
  });
  path.focus();
}

export async function renderList(root, params) {
  setTitle('Pipelines');
  let rows = await loadRows();
  const table = dataTable({
    label: 'Pipelines',
    rows,
    rowKey: (r) => r.id,
    pageSize: 25,
    sort: { key: 'name', dir: 'asc' },
    columns: [
      { key: 'name', label: 'Name', sortable: true, render: (r) => h('a', { href: pipelineHref(r.id), class: 'pipeline-link' }, r.name) },
      { key: 'state', label: 'Latest update', sortable: true, render: (r) => (r.state ? stateBadge(r.state, 'latest-state') : h('span', { class: 'muted', 'data-role': 'latest-state' }, 'Never run')) },
      { key: 'lastRun', label: 'Last run', sortable: true, defaultDir: 'desc', render: (r) => when(r.lastRun) },
      { key: 'duration', label: 'Duration', sortable: true, align: 'right', render: (r) => duration(r.duration) },
      { key: 'schedule', label: 'Schedule', sortable: true, value: (r) => (r.continuous ? 'continuous' : r.schedule || ''), render: scheduleCell },
      { key: 'target', label: 'Target schema', sortable: true, render: (r) => h('span', { class: 'id-text' }, r.target) },
      { key: 'creator', label: 'Creator', sortable: true },
    ],
    empty: () => h('div', { class: 'empty', style: { padding: '28px 16px' } },
      h('h3', null, 'No pipelines yet'),
      h('p', null, 'A pipeline is a folder with a pipeline.yaml and SQL files defining its datasets. Create and run one with:'),
      h('pre', { class: 'code', style: { textAlign: 'left' } }, 'ingot pipelines run examples/retail')),
    onRowClick: (r) => navigate(pipelineHref(r.id)),
  });
  const refresh = async () => {
    rows = await loadRows();
    table.setRows(rows);
  };
  root.append(
    pageHeader({
      title: 'Pipelines',
      subtitle: 'Declarative bronze → silver → gold pipelines: streaming tables, materialized views, AUTO CDC flows and expectations.',
      actions: [
        h('a', { class: 'btn', href: '/ui/jobs' }, icon('clock'), 'Jobs'),
        h('button', { class: 'btn', type: 'button', id: 'refresh-pipelines', onClick: () => refresh().catch(showError) }, icon('refresh'), 'Refresh'),
        h('button', { class: 'btn primary', type: 'button', id: 'create-pipeline', onClick: createDialog }, icon('plus'), 'Create pipeline'),
      ],
    }),
    table.el,
  );
  poller(root, params, 2000, async () => {
    if (rows.some((r) => isActive(r.state))) await refresh();
  });
}
