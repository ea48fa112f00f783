// Run detail: overview (details, params, metrics, tags, datasets), metric charts, artifacts.

import { mlflow, toNumber } from '../../lib/api.js';
import {
  h, add, clear, pageHeader, setTitle, formatTime, formatDuration, formatNumber, statusBadge, copyButton, tabs,
  spinner, inlineError, emptyState, card, mapLimit, tagChip, navigate, showError,
} from '../../lib/ui.js';
import { myLevels, can, hideUnless } from '../../lib/permissions-editor.js';
import { dataTable } from '../../lib/table.js';
import { lineChart, fitWidth } from '../../lib/chart.js';
import {
  getRun, getExperiment, metricHistory, historyPoints, X_AXES, tagMap, runName, runDuration, notFoundState, isSystemTag,
} from './common.js';
import { artifactBrowser } from './artifacts.js';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'metrics', label: 'Metric charts' },
  { id: 'artifacts', label: 'Artifacts' },
];

export async function renderRun(root, params) {
  const id = params.parts[0];
  setTitle(`Run ${id || ''}`);
  if (!id) {
    root.append(pageHeader({ title: 'Runs', crumbs: [{ label: 'Experiments', href: '/ui/experiments' }] }),
      h('div', { class: 'card' }, emptyState({ title: 'Pick a run', body: 'Open an experiment and choose one of its runs.', action: h('a', { class: 'btn', href: '/ui/experiments' }, 'All experiments') })));
    return;
  }
  root.appendChild(spinner('Loading run…'));
  let run;
  try {
    run = await getRun(id);
  } catch (err) {
    clear(root);
    if (err.status === 404 && err.error_code !== 'ENDPOINT_NOT_FOUND') {
      root.append(pageHeader({ title: 'Run not found', crumbs: [{ label: 'Experiments', href: '/ui/experiments' }] }),
        h('div', { class: 'card' }, notFoundState('Run', id, '/ui/experiments', 'All experiments')));
      return;
    }
    throw err;
  }
  let exp = null;
  try {
    exp = await getExperiment(run.info.experiment_id);
  } catch { /* the run page works without the experiment's name */ }
  if (!params.isCurrent()) return;
  clear(root);

  const info = run.info;
  const data = run.data || {};
  const name = runName(run);
  setTitle(name);
  const expHref = `/ui/experiments/${encodeURIComponent(info.experiment_id)}`;
  const metricCount = (data.metrics || []).length;

  const initial = TABS.some((t) => t.id === params.query.get('tab')) ? params.query.get('tab') : 'overview';
  const panel = h('div', { id: 'run-tab-panel', role: 'tabpanel' });
  const strip = tabs(TABS.map((t) => (t.id === 'metrics' ? { ...t, count: metricCount } : t)), initial, (tabId) => {
    const q = new URLSearchParams(window.location.search);
    if (tabId === 'overview') q.delete('tab');
    else q.set('tab', tabId);
    const qs = q.toString();
    window.history.replaceState({}, '', `${window.location.pathname}${qs ? `?${qs}` : ''}`);
    show(tabId);
  });
  function show(tabId) {
    clear(panel);
    panel.setAttribute('aria-labelledby', `tab-${tabId}`);
    if (tabId === 'metrics') metricsTab(panel, run);
    else if (tabId === 'artifacts') panel.appendChild(artifactBrowser(run));
    else overviewTab(panel, run, exp, (t) => { strip.select(t); show(t); });
  }

  const actions = runActions(info, name, () => navigate(window.location.pathname + window.location.search, { replace: true }));
  root.append(
    pageHeader({
      title: h('span', { class: 'row', style: { gap: '12px' } }, h('span', { id: 'run-name' }, name), statusBadge(info.status)),
      actions,
      crumbs: [
        { label: 'Experiments', href: '/ui/experiments' },
        { label: exp ? exp.name : `Experiment ${info.experiment_id}`, href: expHref },
        { label: name },
      ],
      meta: h('div', { class: 'meta-row' },
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Run ID'), h('span', { class: 'id-text', id: 'run-id' }, info.run_id || info.run_uuid), copyButton(info.run_id || info.run_uuid, { label: 'Copy run ID' })),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Started'), formatTime(info.start_time)),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Duration'), formatDuration(runDuration(info)))),
    }),
    strip.el,
    panel,
  );
  show(initial);
}

/** Rename and delete/restore the run: need CAN_EDIT on its experiment, hidden without it. */
function runActions(info, name, reload) {
  const id = info.run_id || info.run_uuid;
  const act = (fn) => async () => {
    try {
      if (await fn() !== false) reload();
    } catch (err) {
      showError(err);
    }
  };
  const rename = h('button', {
    class: 'btn', type: 'button', id: 'rename-run',
    onClick: act(async () => {
      const next = window.prompt('New run name', name);
      if (next === null || !next.trim() || next.trim() === name) return false;
      await mlflow.post('runs/update', { run_id: id, run_name: next.trim() });
      return true;
    }),
  }, 'Rename');
  const deleted = info.lifecycle_stage === 'deleted';
  const lifecycle = h('button', {
    class: deleted ? 'btn' : 'btn danger', type: 'button', id: deleted ? 'restore-run' : 'delete-run',
    onClick: act(async () => {
      if (!deleted && !window.confirm(`Delete run “${name}”? It can be restored until the garbage collector removes it.`)) return false;
      await mlflow.post(deleted ? 'runs/restore' : 'runs/delete', { run_id: id });
      return true;
    }),
  }, deleted ? 'Restore run' : 'Delete run');
  myLevels('experiments', info.experiment_id).then((held) => hideUnless(can(held, 'CAN_EDIT'), rename, lifecycle));
  return [rename, lifecycle];
}

// ------------------------------------------------------------------ overview

function overviewTab(panel, run, exp, goTab) {
  const info = run.info;
  const data = run.data || {};
  const tags = tagMap(data.tags);
  const parentId = tags['mlflow.parentRunId'];
  const source = tags['mlflow.source.name'];
  const commit = tags['mlflow.source.git.commit'];
  const note = tags['mlflow.note.content'];

  const details = h('dl', { class: 'kv', id: 'run-details' },
    h('dt', null, 'Run ID'), h('dd', null, h('span', { class: 'id-text' }, info.run_id || info.run_uuid), copyButton(info.run_id || info.run_uuid, { label: 'Copy run ID' })),
    h('dt', null, 'Status'), h('dd', null, statusBadge(info.status)),
    h('dt', null, 'Experiment'), h('dd', null, h('a', { href: `/ui/experiments/${encodeURIComponent(info.experiment_id)}` }, exp ? exp.name : info.experiment_id)),
    parentId ? [h('dt', null, 'Parent run'), h('dd', null, h('a', { href: `/ui/runs/${encodeURIComponent(parentId)}`, id: 'parent-run-link', class: 'id-text' }, parentId))] : null,
    h('dt', null, 'Started'), h('dd', null, formatTime(info.start_time)),
    h('dt', null, 'Ended'), h('dd', null, info.end_time ? formatTime(info.end_time) : (info.status === 'RUNNING' ? 'Still running' : '—')),
    h('dt', null, 'Duration'), h('dd', null, formatDuration(runDuration(info))),
    h('dt', null, 'User'), h('dd', null, info.user_id || tags['mlflow.user'] || '—'),
    source ? [h('dt', null, 'Source'), h('dd', null, h('span', { class: 'id-text' }, source), tags['mlflow.source.type'] ? h('span', { class: 'badge plain' }, tags['mlflow.source.type']) : null)] : null,
    commit ? [h('dt', null, 'Git commit'), h('dd', null, h('span', { class: 'id-text' }, commit.slice(0, 12)), copyButton(commit))] : null,
    h('dt', null, 'Lifecycle'), h('dd', null, info.lifecycle_stage || 'active'),
    h('dt', null, 'Artifact URI'), h('dd', null, h('span', { class: 'id-text' }, info.artifact_uri || '—'), info.artifact_uri ? copyButton(info.artifact_uri) : null));

  // Metrics (latest values)
  const metrics = (data.metrics || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  const metricsTable = dataTable({
    label: 'Metrics',
    rows: metrics,
    autoHeight: true,
    pageSizes: [10, 25, 50, 100],
    pageSize: 25,
    sort: { key: 'key', dir: 'asc' },
    rowKey: (m) => m.key,
    columns: [
      { key: 'key', label: 'Metric', sortable: true, render: (m) => h('a', { href: '#', class: 'mono', onClick: (e) => { e.preventDefault(); goTab('metrics'); } }, m.key) },
      { key: 'value', label: 'Latest value', align: 'right', sortable: true, value: (m) => toNumber(m.value), render: (m) => h('span', { title: String(m.value) }, formatNumber(toNumber(m.value))) },
      { key: 'step', label: 'Step', align: 'right', sortable: true, value: (m) => Number(m.step || 0), render: (m) => String(m.step ?? 0) },
      { key: 'timestamp', label: 'Logged', sortable: true, render: (m) => formatTime(m.timestamp) },
    ],
    empty: 'No metrics logged.',
  });

  const params = (data.params || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  const paramsTable = dataTable({
    label: 'Parameters',
    rows: params,
    autoHeight: true,
    pageSizes: [10, 25, 50, 100],
    pageSize: 25,
    sort: { key: 'key', dir: 'asc' },
    rowKey: (p) => p.key,
    columns: [
      { key: 'key', label: 'Parameter', sortable: true, render: (p) => h('span', { class: 'mono' }, p.key) },
      { key: 'value', label: 'Value', sortable: true, wrap: true, render: (p) => h('span', { class: 'mono' }, p.value) },
    ],
    empty: 'No parameters logged.',
  });

  const allTags = (data.tags || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  const userTags = allTags.filter((t) => !isSystemTag(t.key));
  const sysTags = allTags.filter((t) => isSystemTag(t.key) && t.key !== 'mlflow.note.content');
  const tagsBody = h('div', null,
    userTags.length ? h('div', { class: 'row wrap' }, userTags.map((t) => tagChip(t.key, t.value))) : h('p', { class: 'muted' }, 'No tags.'),
    sysTags.length
      ? h('details', { style: { marginTop: '10px' } },
        h('summary', { class: 'muted small', style: { cursor: 'pointer' } }, `${sysTags.length} system tags`),
        h('table', { class: 'data', style: { marginTop: '8px' } }, h('tbody', null,
          sysTags.map((t) => h('tr', null, h('td', { class: 'mono' }, t.key), h('td', { class: 'mono wrap' }, t.value))))))
      : null);

  const datasets = (run.inputs && run.inputs.dataset_inputs) || [];
  const datasetsBody = datasets.length
    ? h('table', { class: 'data', id: 'run-datasets' },
      h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Context'), h('th', null, 'Digest'), h('th', null, 'Source'), h('th', null, 'Details'))),
      h('tbody', null, datasets.map((di) => {
        const ds = di.dataset || {};
        const ctx = tagMap(di.tags)['mlflow.data.context'];
        let sourceText = ds.source || '';
        try {
          const parsed = JSON.parse(ds.source);
          if (parsed && parsed.uri) sourceText = parsed.uri;
        } catch { /* keep raw */ }
        const detail = [ds.schema ? ['Schema', ds.schema] : null, ds.profile ? ['Profile', ds.profile] : null].filter(Boolean);
        return h('tr', null,
          h('td', null, h('strong', null, ds.name || '—')),
          h('td', null, ctx ? h('span', { class: 'badge plain' }, ctx) : '—'),
          h('td', null, h('span', { class: 'id-text' }, ds.digest || '—')),
          h('td', { class: 'wrap' }, h('span', { class: 'id-text' }, sourceText || '—'), ds.source_type ? h('span', { class: 'badge plain', style: { marginLeft: '6px' } }, ds.source_type) : null),
          h('td', { class: 'wrap' }, detail.length
            ? h('details', null, h('summary', { class: 'small muted', style: { cursor: 'pointer' } }, detail.map((d) => d[0]).join(' & ')),
              detail.map(([label, v]) => {
                let pretty = v;
                try { pretty = JSON.stringify(JSON.parse(v), null, 2); } catch { /* raw */ }
                return h('div', { style: { marginTop: '6px' } }, h('div', { class: 'small muted' }, label), h('pre', { class: 'code', style: { maxHeight: '200px' } }, pretty));
              }))
            : '—'));
      })))
    : h('p', { class: 'muted', style: { padding: '16px', margin: 0 } }, 'No datasets logged for this run.');

  add(panel,
    note ? h('div', { class: 'card', style: { marginBottom: '16px' } }, h('div', { class: 'card-body' }, h('div', { class: 'small muted' }, 'Description'), h('div', { style: { whiteSpace: 'pre-wrap' } }, note))) : null,
    h('div', { class: 'grid cols-2', style: { alignItems: 'start' } },
      h('div', { class: 'stack' },
        card({ title: 'Details', body: details }),
        card({ title: 'Tags', body: tagsBody }),
        card({ title: 'Datasets', hint: datasets.length ? String(datasets.length) : '', body: datasetsBody, flush: true })),
      h('div', { class: 'stack' },
        card({ title: 'Metrics', hint: metrics.length ? `${metrics.length} · latest values` : '', body: metricsTable.el, flush: true, cls: 'run-metrics' }),
        card({ title: 'Parameters', hint: params.length ? String(params.length) : '', body: paramsTable.el, flush: true, cls: 'run-params' }))),
  );
}

// ------------------------------------------------------------------ metric charts

function metricsTab(panel, run) {
  const info = run.info;
  const runIdValue = info.run_id || info.run_uuid;
  const keys = [...new Set(((run.data && run.data.metrics) || []).map((m) => m.key))].sort();
  if (!keys.length) {
    panel.appendChild(h('div', { class: 'card' }, emptyState({
      iconName: 'pulse', title: 'No metrics logged',
      body: h('p', null, 'Metrics logged with ', h('code', { class: 'inline' }, 'mlflow.log_metric("loss", value, step=i)'), ' are charted here.'),
    })));
    return;
  }
  let xAxis = 'step';
  const histories = new Map();
  const cards = new Map();

  const axisButtons = X_AXES.map((a) => h('button', { type: 'button', 'aria-pressed': String(a.id === xAxis), 'data-axis': a.id }, a.label));
  const seg = h('div', { class: 'segmented', role: 'group', 'aria-label': 'X axis' }, axisButtons);
  axisButtons.forEach((b) => b.addEventListener('click', () => {
    xAxis = b.dataset.axis;
    axisButtons.forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
    for (const k of keys) draw(k);
  }));
  const filterInput = h('input', { class: 'input', type: 'search', placeholder: 'Filter metrics', 'aria-label': 'Filter metrics' });
  filterInput.addEventListener('input', () => {
    const q = filterInput.value.trim().toLowerCase();
    for (const [k, c] of cards) c.style.display = !q || k.toLowerCase().includes(q) ? '' : 'none';
  });

  const grid = h('div', { class: 'grid charts', id: 'metric-charts' });
  for (const k of keys) {
    const body = h('div', { class: 'card-body chart-body' }, spinner('Loading history…'));
    const hint = h('span', { class: 'hint' });
    const c = h('section', { class: 'card chart-card', 'data-metric': k },
      h('div', { class: 'card-header' }, h('h2', { title: k }, k), hint),
      body);
    c.bodyEl = body;
    c.hintEl = hint;
    cards.set(k, c);
    grid.appendChild(c);
  }

  function draw(k) {
    const c = cards.get(k);
    const hist = histories.get(k);
    if (!hist) return;
    const axis = X_AXES.find((a) => a.id === xAxis);
    const points = historyPoints(hist, xAxis, info.start_time);
    const finite = points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1])).length;
    const skipped = points.length - finite;
    c.hintEl.textContent = `${finite} point${finite === 1 ? '' : 's'}${skipped ? ` · ${skipped} non-finite skipped` : ''}`;
    clear(c.bodyEl).appendChild(lineChart({
      series: [{ name: k, points }],
      xLabel: axis.xLabel, yLabel: k, xType: axis.xType, width: fitWidth(c.bodyEl), height: 260, title: `${k} by ${axis.xLabel}`,
    }));
  }

  add(panel,
    h('div', { class: 'toolbar' }, h('span', { class: 'muted small' }, 'X axis'), seg, h('span', { class: 'spacer' }), keys.length > 4 ? filterInput : null),
    grid);

  mapLimit(keys, 4, async (k) => {
    try {
      const hist = await metricHistory(runIdValue, k);
      histories.set(k, hist);
      draw(k);
    } catch (err) {
      clear(cards.get(k).bodyEl).appendChild(inlineError(err));
    }
  }).catch(() => {});
}

