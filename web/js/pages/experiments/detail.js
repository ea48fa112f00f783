// One experiment: header, then tabs Runs / Logged models / Traces.

import { api, mlflow, toNumber } from '../../lib/api.js';
import {
  h, clear, icon, pageHeader, setTitle, formatTime, formatRelative, formatDuration, formatNumber, statusBadge,
  copyButton, tabs, tagChip, navigate, modal, spinner,
} from '../../lib/ui.js';
import { dataTable } from '../../lib/table.js';
import { permissionsButton } from '../../lib/permissions-editor.js';
import {
  getExperiment, notFoundState, runDuration, runName, quoteKey, isSystemTag, parseDurationMs, parseTimeMs,
} from './common.js';

const TABS = [
  { id: 'runs', label: 'Runs' },
  { id: 'models', label: 'Logged models' },
  { id: 'traces', label: 'Traces' },
];

export async function renderExperiment(root, params) {
  const id = params.parts[0];
  setTitle(`Experiment ${id}`);
  root.appendChild(spinner('Loading experiment…'));
  let exp;
  try {
    exp = await getExperiment(id);
  } catch (err) {
    clear(root);
    if (err.status === 404 && err.error_code !== 'ENDPOINT_NOT_FOUND') {
      root.append(pageHeader({ title: 'Experiment not found', crumbs: [{ label: 'Experiments', href: '/ui/experiments' }] }),
        h('div', { class: 'card' }, notFoundState('Experiment', id, '/ui/experiments', 'All experiments')));
      return;
    }
    throw err;
  }
  if (!params.isCurrent()) return;
  clear(root);
  setTitle(exp.name);

  const tags = exp.tags || [];
  const note = tags.find((t) => t.key === 'mlflow.note.content');
  const userTags = tags.filter((t) => !isSystemTag(t.key));
  const meta = h('div', { class: 'meta-row' },
    h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'ID'), h('span', { class: 'id-text', id: 'experiment-id' }, exp.experiment_id), copyButton(exp.experiment_id, { label: 'Copy experiment ID' })),
    h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Created'), formatTime(exp.creation_time)),
    h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Artifacts'), h('span', { class: 'id-text' }, exp.artifact_location || '—')),
    exp.lifecycle_stage === 'deleted' ? statusBadge('DELETED') : null);

  const initial = TABS.some((t) => t.id === params.query.get('tab')) ? params.query.get('tab') : 'runs';
  const panel = h('div', { id: 'experiment-tab-panel', role: 'tabpanel' });
  const strip = tabs(TABS, initial, (tabId) => {
    const q = new URLSearchParams(window.location.search);
    if (tabId === 'runs') q.delete('tab');
    else q.set('tab', tabId);
    const qs = q.toString();
    window.history.replaceState({}, '', `${window.location.pathname}${qs ? `?${qs}` : ''}`);
    show(tabId);
  });

  function show(tabId) {
    clear(panel);
    panel.setAttribute('aria-labelledby', `tab-${tabId}`);
    if (tabId === 'runs') runsTab(panel, exp, params);
    else if (tabId === 'models') modelsTab(panel, exp);
    else tracesTab(panel, exp);
  }

  root.append(
    pageHeader({
      title: exp.name,
      crumbs: [{ label: 'Experiments', href: '/ui/experiments' }, { label: exp.name }],
      subtitle: note ? note.value : null,
      meta: h('div', null, meta, userTags.length ? h('div', { class: 'row wrap', style: { marginTop: '8px' } }, userTags.map((t) => tagChip(t.key, t.value))) : null),
      actions: [permissionsButton({ type: 'experiments', id: exp.experiment_id })],
    }),
    strip.el,
    panel,
  );
  show(initial);
}

// ------------------------------------------------------------------ runs

function runsTab(panel, exp, params) {
  let filter = params.query.get('filter') || '';
  let viewType = 'ACTIVE_ONLY';
  let selected = [];

  const filterInput = h('input', {
    class: 'input mono grow', id: 'run-filter', type: 'search', value: filter, spellcheck: 'false',
    placeholder: "metrics.accuracy > 0.9 AND params.model = 'rf'", 'aria-label': 'Filter runs (MLflow search syntax)',
  });
  const applyBtn = h('button', { class: 'btn', type: 'submit' }, icon('search'), 'Search');
  const viewSel = h('select', { class: 'select', 'aria-label': 'Run lifecycle' },
    h('option', { value: 'ACTIVE_ONLY' }, 'Active runs'),
    h('option', { value: 'DELETED_ONLY' }, 'Deleted runs'),
    h('option', { value: 'ALL' }, 'All runs'));
  const compareBtn = h('button', { class: 'btn primary', type: 'button', id: 'compare-runs', disabled: true, title: 'Select 2 to 10 runs to compare' }, icon('compare'), 'Compare');

  function updateCompare() {
    const n = selected.length;
    compareBtn.disabled = n < 2 || n > 10;
    compareBtn.replaceChildren(icon('compare'), n ? `Compare (${n})` : 'Compare');
    compareBtn.title = n > 10 ? 'At most 10 runs can be compared' : 'Select 2 to 10 runs to compare';
  }
  compareBtn.addEventListener('click', () => {
    if (selected.length < 2 || selected.length > 10) return;
    navigate(`/ui/compare?runs=${selected.map((r) => encodeURIComponent(r.info.run_id || r.info.run_uuid)).join(',')}`);
  });

  let sortCol = null;
  const fixedCols = [
    {
      key: 'run_name', label: 'Run name', sortable: true, orderBy: (d) => `attributes.run_name ${d.toUpperCase()}`,
      value: (r) => runName(r),
      render: (r) => h('a', { href: `/ui/runs/${encodeURIComponent(r.info.run_id || r.info.run_uuid)}`, class: 'run-link' }, runName(r)),
    },
    { key: 'status', label: 'Status', sortable: true, orderBy: (d) => `attributes.status ${d.toUpperCase()}`, render: (r) => statusBadge(r.info.status) },
    {
      key: 'start_time', label: 'Created', sortable: true, defaultDir: 'desc', orderBy: (d) => `attributes.start_time ${d.toUpperCase()}`,
      render: (r) => h('span', { title: formatTime(r.info.start_time) }, formatRelative(r.info.start_time)),
    },
    { key: 'duration', label: 'Duration', align: 'right', render: (r) => formatDuration(runDuration(r.info)) },
    { key: 'user', label: 'User', render: (r) => r.info.user_id || null },
  ];

  function columns(rows) {
    const metricKeys = new Set();
    const paramKeys = new Set();
    for (const r of rows) {
      for (const m of (r.data && r.data.metrics) || []) metricKeys.add(m.key);
      for (const p of (r.data && r.data.params) || []) paramKeys.add(p.key);
    }
    if (sortCol && sortCol.kind === 'metric') metricKeys.add(sortCol.name);
    if (sortCol && sortCol.kind === 'param') paramKeys.add(sortCol.name);
    const cols = fixedCols.slice();
    [...metricKeys].sort().forEach((k) => cols.push({
      key: `metrics.${k}`, label: k, group: 'Metric', sortable: true, defaultDir: 'desc', align: 'right', title: `metrics.${k}`,
      orderBy: (d) => { sortCol = { kind: 'metric', name: k }; return `metrics.${quoteKey(k)} ${d.toUpperCase()}`; },
      render: (r) => {
        const m = ((r.data && r.data.metrics) || []).find((x) => x.key === k);
        return m ? h('span', { title: String(m.value) }, formatNumber(toNumber(m.value))) : null;
      },
    }));
    [...paramKeys].sort().forEach((k) => cols.push({
      key: `params.${k}`, label: k, group: 'Param', sortable: true, title: `params.${k}`,
      orderBy: (d) => { sortCol = { kind: 'param', name: k }; return `params.${quoteKey(k)} ${d.toUpperCase()}`; },
      render: (r) => {
        const p = ((r.data && r.data.params) || []).find((x) => x.key === k);
        return p ? h('span', { title: p.value }, p.value) : null;
      },
    }));
    return cols;
  }

  const table = dataTable({
    label: 'Runs',
    columns,
    rowKey: (r) => r.info.run_id || r.info.run_uuid,
    selectable: true,
    pageSizes: [25, 50, 100, 250],
    pageSize: 100,
    onSelectionChange: (rows) => { selected = rows; updateCompare(); },
    onRowClick: (r) => navigate(`/ui/runs/${encodeURIComponent(r.info.run_id || r.info.run_uuid)}`),
    empty: () => (filter.trim()
      ? h('span', null, 'No runs match this filter.')
      : h('div', null, h('strong', null, 'No runs in this experiment yet.'), h('div', { class: 'muted small', style: { marginTop: '4px' } },
        'Start one with ', h('code', { class: 'inline' }, `mlflow.set_experiment("${exp.name}")`), ' and ', h('code', { class: 'inline' }, 'mlflow.start_run()'), '.'))),
    fetchPage: async ({ pageToken, orderBy, pageSize, sort }) => {
      if (!sort) sortCol = null;
      else if (!sort.key.startsWith('metrics.') && !sort.key.startsWith('params.')) sortCol = null;
      const body = {
        experiment_ids: [exp.experiment_id],
        max_results: pageSize,
        run_view_type: viewType,
        order_by: [orderBy || 'attributes.start_time DESC'],
      };
      if (filter.trim()) body.filter = filter.trim();
      if (pageToken) body.page_token = pageToken;
      const res = await mlflow.post('runs/search', body);
      return { rows: res.runs || [], nextPageToken: res.next_page_token };
    },
  });

  const form = h('form', { class: 'toolbar', role: 'search' }, filterInput, applyBtn,
    h('button', {
      class: 'btn ghost', type: 'button', onClick: () => { filterInput.value = ''; apply(); },
    }, 'Clear'),
    viewSel, compareBtn);
  compareBtn.style.marginLeft = 'auto';
  function apply() {
    filter = filterInput.value;
    const q = new URLSearchParams(window.location.search);
    if (filter.trim()) q.set('filter', filter.trim());
    else q.delete('filter');
    const qs = q.toString();
    window.history.replaceState({}, '', `${window.location.pathname}${qs ? `?${qs}` : ''}`);
    table.reload();
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  viewSel.addEventListener('change', () => { viewType = viewSel.value; table.reload(); });

  panel.append(form, table.el);
}

// ------------------------------------------------------------------ logged models

function modelsTab(panel, exp) {
  const table = dataTable({
    label: 'Logged models',
    rowKey: (m) => m.info.model_id,
    pageSizes: [25, 50, 100],
    pageSize: 50,
    columns: [
      { key: 'name', label: 'Name', render: (m) => h('strong', null, m.info.name || '—') },
      { key: 'model_id', label: 'Model ID', render: (m) => h('span', { class: 'row' }, h('span', { class: 'id-text' }, m.info.model_id), copyButton(m.info.model_id, { label: 'Copy model ID' })) },
      { key: 'status', label: 'Status', render: (m) => statusBadge(m.info.status || 'UNKNOWN') },
      { key: 'model_type', label: 'Type', render: (m) => m.info.model_type || null },
      {
        key: 'source_run_id', label: 'Source run',
        render: (m) => (m.info.source_run_id ? h('a', { href: `/ui/runs/${encodeURIComponent(m.info.source_run_id)}`, class: 'id-text' }, m.info.source_run_id.slice(0, 12)) : null),
      },
      {
        key: 'creation_timestamp_ms', label: 'Created', sortable: true, defaultDir: 'desc',
        render: (m) => h('span', { title: formatTime(m.info.creation_timestamp_ms) }, formatRelative(m.info.creation_timestamp_ms)),
      },
      {
        key: 'metrics', label: 'Metrics', wrap: true,
        render: (m) => {
          const ms = (m.data && m.data.metrics) || [];
          if (!ms.length) return null;
          return h('span', { class: 'row wrap' }, ms.slice(0, 4).map((x) => tagChip(x.key, formatNumber(toNumber(x.value)))),
            ms.length > 4 ? h('span', { class: 'muted small' }, `+${ms.length - 4}`) : null);
        },
      },
    ],
    empty: () => h('div', null, h('strong', null, 'No logged models in this experiment.'),
      h('div', { class: 'muted small', style: { marginTop: '4px' } }, 'Models saved with ', h('code', { class: 'inline' }, 'mlflow.<flavor>.log_model(...)'), ' appear here.')),
    fetchPage: async ({ pageToken, pageSize, sort }) => {
      const body = {
        experiment_ids: [exp.experiment_id],
        max_results: pageSize,
        order_by: [{ field_name: 'creation_timestamp', ascending: sort ? sort.dir === 'asc' : false }],
      };
      if (pageToken) body.page_token = pageToken;
      const res = await mlflow.post('logged-models/search', body);
      return { rows: res.models || [], nextPageToken: res.next_page_token };
    },
  });
  panel.append(table.el);
}

// ------------------------------------------------------------------ traces

function previewText(v) {
  if (v === undefined || v === null || v === '') return null;
  const t = String(v);
  return h('span', { class: 'mono small', title: t.length > 2000 ? `${t.slice(0, 2000)}…` : t }, t.length > 90 ? `${t.slice(0, 90)}…` : t);
}

function traceDialog(t) {
  const info = { ...t };
  const body = h('div', null,
    h('dl', { class: 'kv', style: { marginBottom: '12px' } },
      h('dt', null, 'Trace ID'), h('dd', null, h('span', { class: 'id-text' }, t.trace_id || t.request_id), copyButton(t.trace_id || t.request_id || '')),
      h('dt', null, 'State'), h('dd', null, statusBadge(t.state || t.status || 'UNKNOWN')),
      h('dt', null, 'Request time'), h('dd', null, formatTime(parseTimeMs(t.request_time ?? t.timestamp_ms))),
      h('dt', null, 'Duration'), h('dd', null, formatDuration(parseDurationMs(t.execution_duration ?? t.execution_time_ms)))),
    h('pre', { class: 'code', style: { maxHeight: '360px' } }, JSON.stringify(info, null, 2)));
  const close = h('button', { class: 'btn', type: 'button' }, 'Close');
  const dlg = modal({ title: (t.tags && t.tags['mlflow.traceName']) || 'Trace', body, footer: [close] });
  dlg.style.width = 'min(760px, calc(100vw - 32px))';
  close.addEventListener('click', () => dlg.close());
}

function tracesTab(panel, exp) {
  const table = dataTable({
    label: 'Traces',
    rowKey: (t) => t.trace_id || t.request_id,
    pageSizes: [25, 50, 100],
    pageSize: 50,
    onRowClick: (t) => traceDialog(t),
    columns: [
      { key: 'trace_id', label: 'Trace ID', render: (t) => h('span', { class: 'id-text' }, t.trace_id || t.request_id) },
      { key: 'name', label: 'Name', render: (t) => (t.tags && t.tags['mlflow.traceName']) || null },
      { key: 'request_time', label: 'Request time', render: (t) => formatTime(parseTimeMs(t.request_time ?? t.timestamp_ms)) },
      { key: 'duration', label: 'Duration', align: 'right', render: (t) => formatDuration(parseDurationMs(t.execution_duration ?? t.execution_time_ms)) },
      { key: 'state', label: 'State', render: (t) => statusBadge(t.state || t.status || 'UNKNOWN') },
      { key: 'request', label: 'Request', render: (t) => previewText(t.request_preview ?? (t.trace_metadata && t.trace_metadata['mlflow.traceInputs'])) },
      { key: 'response', label: 'Response', render: (t) => previewText(t.response_preview ?? (t.trace_metadata && t.trace_metadata['mlflow.traceOutputs'])) },
      {
        key: 'run', label: 'Run',
        render: (t) => {
          const rid = t.trace_metadata && t.trace_metadata['mlflow.sourceRun'];
          return rid ? h('a', { href: `/ui/runs/${encodeURIComponent(rid)}`, class: 'id-text' }, rid.slice(0, 12)) : null;
        },
      },
    ],
    empty: () => h('div', null, h('strong', null, 'No traces in this experiment.'),
      h('div', { class: 'muted small', style: { marginTop: '4px' } }, 'Functions decorated with ', h('code', { class: 'inline' }, '@mlflow.trace'), ' log traces here.')),
    fetchPage: async ({ pageToken, pageSize }) => {
      // MLflow 3 clients search traces with SearchTracesV3 (POST /api/3.0/mlflow/traces/search).
      const body = {
        locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp.experiment_id } }],
        max_results: pageSize,
        order_by: ['timestamp_ms DESC'],
      };
      if (pageToken) body.page_token = pageToken;
      const res = await api.post('/api/3.0/mlflow/traces/search', body);
      return { rows: res.traces || [], nextPageToken: res.next_page_token };
    },
  });
  panel.append(table.el);
}

