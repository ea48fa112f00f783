// One pipeline: header with Start update / Full refresh / Stop, then tabs — Graph (the dataset DAG with
// each dataset's state and counts in the shown update, refreshed every second while it runs), Updates,
// Event log and Data quality (pass / fail / drop per expectation over the updates).

import { h, clear, pageHeader, setTitle, card, tabs, showError, showNotice, icon, formatTime, inlineError, spinner } from '../../lib/ui.js';
import { dataTable } from '../../lib/table.js';
import {
  getGraph, getLineage, getPipeline, listUpdates, startUpdate, stopPipeline, stateBadge, isActive, updateDuration, when, duration, count, toMs, poller, pipelineHref,
} from './common.js';
import { drawGraph, typeLabel } from './graph.js';
import { permissionsButton, myLevels, can, hideUnless } from '../../lib/permissions-editor.js';
import { eventLog } from './events.js';
import { qualityTab } from './quality.js';

const TABS = [
  { id: 'graph', label: 'Graph' },
  { id: 'updates', label: 'Updates' },
  { id: 'events', label: 'Event log' },
  { id: 'quality', label: 'Data quality' },
];

function datasetDetails(d, graph) {
  if (!d) return h('p', { class: 'muted', 'data-role': 'dataset-details' }, 'Select a dataset in the graph to see its details.');
  const results = new Map((d.expectation_results || []).map((e) => [e.name, e]));
  const tableHref = `/ui/catalog/${encodeURIComponent(graph.catalog)}/${encodeURIComponent(graph.schema)}/${encodeURIComponent(d.name)}`;
  return h('div', { 'data-role': 'dataset-details', 'data-name': d.name },
    h('dl', { class: 'kv', style: { marginBottom: '12px' } },
      h('dt', null, 'Dataset'), h('dd', null, h('a', { href: tableHref }, `${graph.catalog}.${graph.schema}.${d.name}`)),
      h('dt', null, 'Type'), h('dd', null, typeLabel(d)),
      d.flow ? [h('dt', null, 'Flow'), h('dd', null, `${d.flow.name}: keys (${(d.flow.keys || []).join(', ')}), sequence by ${d.flow.sequence_by}`)] : null,
      h('dt', null, 'State'), h('dd', null, stateBadge(d.state, 'dataset-state')),
      h('dt', null, 'Defined at'), h('dd', null, h('span', { class: 'id-text' }, d.location || '—')),
      d.comment ? [h('dt', null, 'Comment'), h('dd', null, d.comment)] : null,
      (d.sources || []).length ? [h('dt', null, 'Reads files'), h('dd', null, d.sources.join(', '))] : null,
      (d.depends_on || []).length ? [h('dt', null, 'Reads'), h('dd', null, d.depends_on.join(', '))] : null,
      d.output_records !== undefined ? [
        h('dt', null, 'Rows'), h('dd', { 'data-role': 'dataset-counts' },
          `${count(d.input_records)} in · ${count(d.output_records)} out · ${count(d.dropped_records)} dropped${d.input_files ? ` · ${count(d.input_files)} new file(s)` : ''}`),
        h('dt', null, 'Duration'), h('dd', null, duration(d.duration_ms)),
        d.table_version !== undefined ? [h('dt', null, 'Table version'), h('dd', null, String(d.table_version))] : null,
      ] : null),
    (d.expectations || []).length
      ? h('table', { class: 'data', 'data-role': 'dataset-expectations' },
        h('thead', null, h('tr', null, ['Expectation', 'Condition', 'On violation', 'Passed', 'Failed'].map((c) => h('th', null, c)))),
        h('tbody', null, d.expectations.map((e) => {
          const r = results.get(e.name);
          return h('tr', { 'data-expectation': e.name },
            h('td', null, h('span', { class: 'id-text' }, e.name)),
            h('td', null, h('code', { class: 'inline' }, e.condition)),
            h('td', null, { warn: 'Warn (keep)', drop: 'Drop row', fail: 'Fail update' }[e.action] || e.action),
            h('td', { class: 'num' }, r ? count(r.passed_records) : '—'),
            h('td', { class: ['num', r && Number(r.failed_records) > 0 ? 'text-danger' : null] }, r ? count(r.failed_records) : '—'));
        })))
      : null);
}

const tableHref = (full) => `/ui/catalog/${String(full).split('.').map(encodeURIComponent).join('/')}`;

/** What the dataset read and wrote in the shown update (GET …/lineage). */
function lineageSection(entry) {
  if (!entry) return h('p', { class: 'muted small', 'data-role': 'dataset-lineage' }, 'No lineage recorded for this dataset in this update.');
  const files = entry.source_files || [];
  return h('dl', { class: 'kv', 'data-role': 'dataset-lineage' },
    h('dt', null, 'Read tables'), h('dd', null, (entry.upstream_tables || []).length
      ? entry.upstream_tables.map((t) => h('a', { class: 'tag-chip', href: tableHref(t.name) }, h('span', { class: 'k' }, t.name), t.version !== undefined ? h('span', { class: 'v' }, `v${t.version}`) : null))
      : h('span', { class: 'muted' }, 'none')),
    h('dt', null, 'Read files'), h('dd', null, files.length
      ? h('span', { title: files.join('\n') }, `${files.length} file${files.length === 1 ? '' : 's'}: ${files.slice(0, 3).map((f) => f.split('/').pop()).join(', ')}${files.length > 3 ? ', …' : ''}`)
      : h('span', { class: 'muted' }, 'none')),
    entry.target ? [h('dt', null, 'Wrote'), h('dd', null, h('a', { href: tableHref(entry.target.name) }, entry.target.name), entry.target.version !== undefined ? ` at version ${entry.target.version}` : '')] : null);
}

/** Live progress of a running update: datasets done of the pass, rows written and their rate, micro-batches. */
function progressItems(p) {
  const secs = Number(p.elapsed_ms) / 1000;
  const rate = secs > 0 ? Number(p.output_records) / secs : null;
  return [
    h('span', { class: 'meta-item', 'data-role': 'progress-datasets' }, h('span', { class: 'meta-label' }, 'Datasets'), `${p.datasets_done} / ${p.datasets_total}`),
    h('span', { class: 'meta-item', 'data-role': 'progress-rows' }, h('span', { class: 'meta-label' }, 'Rows written'),
      `${count(p.output_records)}${rate !== null ? ` (${count(Math.round(rate))} rows/s)` : ''}`),
    Number(p.micro_batches) > 0 ? h('span', { class: 'meta-item', 'data-role': 'progress-batches' }, h('span', { class: 'meta-label' }, 'Micro-batches'), String(p.micro_batches)) : null,
  ];
}

function updateSummary(u) {
  if (!u) return h('div', { class: 'muted', 'data-role': 'update-summary' }, 'This pipeline has not run yet. Start an update to build its datasets.');
  return h('div', { 'data-role': 'update-summary', 'data-update': u.update_id, 'data-state': u.state },
    h('div', { class: 'meta-row', style: { marginTop: 0 } },
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Update'), h('span', { class: 'id-text' }, u.update_id)),
      h('span', { class: 'meta-item' }, stateBadge(u.state, 'update-state')),
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Started'), when(toMs(u.start_time) ?? toMs(u.creation_time))),
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Duration'), duration(updateDuration(u))),
      u.full_refresh ? h('span', { class: 'badge warn' }, 'Full refresh') : null,
      u.cause ? h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Cause'), u.cause) : null,
      u.progress ? progressItems(u.progress) : null),
    u.error ? h('div', { class: 'banner error', role: 'alert', style: { marginTop: '10px' }, 'data-role': 'update-error' },
      h('div', { class: 'banner-body' }, h('span', { class: 'banner-title' }, 'Update failed.'), ' ', h('span', { class: 'banner-message' }, u.error))) : null);
}

export async function renderPipeline(root, params, id) {
  const [pipeline, firstGraph] = await Promise.all([getPipeline(id), getGraph(id)]);
  const pid = pipeline.pipeline_id;
  setTitle(pipeline.name);
  const spec = pipeline.spec || {};
  const state = {
    graph: firstGraph,
    pinnedUpdate: params.query.get('update') || null, // null = follow the latest update
    selected: params.query.get('dataset') || null,
    tab: TABS.some((t) => t.id === params.query.get('tab')) ? params.query.get('tab') : 'graph',
    updates: null,
  };
  if (state.pinnedUpdate) state.graph = await getGraph(pid, state.pinnedUpdate);

  // ---- header + actions
  const startBtn = h('button', { class: 'btn primary', type: 'button', id: 'start-update' }, icon('pulse'), 'Start update');
  const refreshBtn = h('button', { class: 'btn', type: 'button', id: 'full-refresh' }, icon('refresh'), 'Full refresh');
  const stopBtn = h('button', { class: 'btn danger', type: 'button', id: 'stop-update' }, 'Stop');
  const headerState = h('span', { class: 'meta-item', 'data-role': 'pipeline-state' });
  const mode = spec.continuous ? 'Continuous' : spec.schedule ? `Schedule ${spec.schedule}` : 'Triggered';
  root.appendChild(pageHeader({
    title: pipeline.name,
    crumbs: [{ label: 'Pipelines', href: '/ui/pipelines' }, { label: pipeline.name }],
    meta: h('div', { class: 'meta-row' },
      headerState,
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'ID'), h('span', { class: 'id-text' }, pid)),
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Target'), h('a', { href: `/ui/catalog/${encodeURIComponent(spec.catalog || '')}/${encodeURIComponent(spec.schema || '')}` }, `${spec.catalog}.${spec.schema}`)),
      h('span', { class: 'meta-item', 'data-role': 'pipeline-mode' }, h('span', { class: 'meta-label' }, 'Mode'), mode),
      spec.root_path ? h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Folder'), h('span', { class: 'id-text' }, spec.root_path)) : null,
      spec.engine ? h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Engine'), spec.engine) : null),
    actions: [permissionsButton({ type: 'pipelines', id: pid }), startBtn, refreshBtn, stopBtn],
  }));
  myLevels('pipelines', pid).then((held) => hideUnless(can(held, 'CAN_RUN'), startBtn, refreshBtn, stopBtn));

  const latestActive = () => state.graph.update && isActive(state.graph.update.state) && !state.pinnedUpdate;
  function syncButtons() {
    const active = state.graph.update && isActive(state.graph.update.state);
    startBtn.disabled = !!active;
    refreshBtn.disabled = !!active;
    stopBtn.disabled = !active;
    clear(headerState).append(h('span', { class: 'meta-label' }, 'Latest update'),
      state.graph.update && !state.pinnedUpdate ? stateBadge(state.graph.update.state, 'latest-state') : h('span', { class: 'muted' }, state.pinnedUpdate ? 'see Updates' : 'never run'));
  }
  async function start(full) {
    startBtn.disabled = true;
    refreshBtn.disabled = true;
    try {
      const r = await startUpdate(pid, full);
      showNotice('ok', `${full ? 'Full refresh' : 'Update'} ${r.update_id} started.`);
      state.pinnedUpdate = null;
      await reloadGraph();
    } catch (e) {
      showError(e);
    }
    syncButtons();
  }
  startBtn.addEventListener('click', () => start(false));
  refreshBtn.addEventListener('click', () => {
    // eslint-disable-next-line no-alert
    if (window.confirm('Full refresh truncates every streaming table, resets its checkpoints and recomputes all datasets from the sources. Continue?')) start(true);
  });
  stopBtn.addEventListener('click', async () => {
    stopBtn.disabled = true;
    try {
      await stopPipeline(pid);
      showNotice('info', 'Stop requested: the running update is being canceled.');
      await reloadGraph();
    } catch (e) {
      showError(e);
      syncButtons();
    }
  });

  // ---- tabs
  const panels = {
    graph: h('div', { role: 'tabpanel', 'data-panel': 'graph' }),
    updates: h('div', { role: 'tabpanel', 'data-panel': 'updates' }),
    events: h('div', { role: 'tabpanel', 'data-panel': 'events' }),
    quality: h('div', { role: 'tabpanel', 'data-panel': 'quality' }),
  };
  const strip = tabs(TABS, state.tab, (tabId) => {
    state.tab = tabId;
    const url = new URL(window.location.href);
    url.searchParams.set('tab', tabId);
    window.history.replaceState({}, '', url.pathname + url.search);
    showTab();
  });
  root.append(strip.el, ...Object.values(panels));

  // Graph tab
  const summaryHost = h('div', { style: { marginBottom: '12px' } });
  const dagHost = h('div');
  const detailsHost = h('div');
  const followBtn = h('button', { class: 'btn sm', type: 'button', id: 'follow-latest', onClick: () => { state.pinnedUpdate = null; reloadGraph().catch(showError); } }, 'Show latest update');
  const graphCard = card({ title: 'Datasets', hint: 'bronze → silver → gold, by dependency', actions: followBtn, body: h('div', null, summaryHost, dagHost) });
  const detailsCard = card({ title: 'Dataset', body: detailsHost });
  panels.graph.append(graphCard, detailsCard);

  function drawGraphTab() {
    const g = state.graph;
    followBtn.style.display = state.pinnedUpdate ? '' : 'none';
    clear(summaryHost).appendChild(updateSummary(g.update));
    if (g.definition_error) summaryHost.appendChild(h('div', { class: 'banner warn', style: { marginTop: '10px' } }, h('div', { class: 'banner-body' }, `The pipeline folder does not load (${g.definition_error}); showing the datasets the update recorded.`)));
    drawGraph(dagHost, g, {
      selected: state.selected,
      onSelect: (name) => {
        state.selected = state.selected === name ? null : name;
        drawGraphTab();
      },
    });
    const d = (g.datasets || []).find((x) => x.name === state.selected) || null;
    clear(detailsHost).appendChild(datasetDetails(d, g));
    if (d && g.update && !isActive(g.update.state)) {
      const lineageHost = h('div', null, h('div', { class: 'section-title' }, 'Lineage in this update'));
      detailsHost.appendChild(lineageHost);
      lineageFor(g.update.update_id).then((byName) => {
        if (byName) lineageHost.appendChild(lineageSection(byName.get(d.name.toLowerCase())));
        else lineageHost.remove();
      });
    }
  }

  // Lineage of finished updates, fetched once each (null when the server has no lineage route).
  const lineageCache = new Map();
  function lineageFor(updateId) {
    if (!lineageCache.has(updateId)) {
      lineageCache.set(updateId, getLineage(pid, updateId)
        .then((r) => new Map((r.datasets || []).map((e) => [String(e.dataset).toLowerCase(), e])))
        .catch(() => null));
    }
    return lineageCache.get(updateId);
  }

  async function reloadGraph() {
    state.graph = await getGraph(pid, state.pinnedUpdate || undefined);
    drawGraphTab();
    syncButtons();
  }

  // Updates tab
  async function loadUpdates() {
    state.updates = (await listUpdates(pid)).updates || [];
    return state.updates;
  }
  async function drawUpdatesTab() {
    clear(panels.updates).appendChild(spinner());
    let ups;
    try {
      ups = await loadUpdates();
    } catch (e) {
      clear(panels.updates).appendChild(inlineError(e));
      return;
    }
    const table = dataTable({
      label: 'Updates',
      rows: ups,
      rowKey: (u) => u.update_id,
      pageSize: 25,
      sort: { key: 'creation_time', dir: 'desc' },
      columns: [
        { key: 'update_id', label: 'Update', render: (u) => h('a', { href: `${pipelineHref(pid)}?update=${encodeURIComponent(u.update_id)}`, class: 'id-text', 'data-role': 'update-link' }, u.update_id.slice(0, 8)) },
        { key: 'state', label: 'State', sortable: true, render: (u) => stateBadge(u.state, 'update-state') },
        { key: 'creation_time', label: 'Started', sortable: true, defaultDir: 'desc', value: (u) => toMs(u.start_time) ?? toMs(u.creation_time), render: (u) => h('span', { title: formatTime(toMs(u.creation_time)) }, formatTime(toMs(u.start_time) ?? toMs(u.creation_time))) },
        { key: 'duration', label: 'Duration', sortable: true, align: 'right', value: updateDuration, render: (u) => duration(updateDuration(u)) },
        { key: 'full_refresh', label: 'Refresh', render: (u) => (u.full_refresh ? h('span', { class: 'badge warn' }, 'Full') : 'Incremental') },
        { key: 'cause', label: 'Cause' },
        { key: 'datasets', label: 'Datasets', align: 'right', value: (u) => (u.datasets || []).length, render: (u) => `${(u.datasets || []).filter((d) => d.state === 'COMPLETED').length} / ${(u.datasets || []).length}` },
        { key: 'rows', label: 'Rows written', align: 'right', value: (u) => (u.datasets || []).reduce((s, d) => s + (Number(d.output_records) || 0), 0), render: (u) => count((u.datasets || []).reduce((s, d) => s + (Number(d.output_records) || 0), 0)) },
        { key: 'error', label: 'Error', wrap: true, render: (u) => (u.error ? h('span', { class: 'text-danger small' }, u.error) : '') },
      ],
      empty: 'No updates yet.',
    });
    clear(panels.updates).appendChild(table.el);
  }

  // Event log tab
  const events = eventLog(pid, () => (state.updates || []));
  panels.events.appendChild(events.el);

  // Data quality tab
  async function drawQualityTab() {
    clear(panels.quality).appendChild(spinner());
    try {
      const ups = await loadUpdates();
      clear(panels.quality).appendChild(qualityTab(ups, state.graph));
    } catch (e) {
      clear(panels.quality).appendChild(inlineError(e));
    }
  }

  function showTab() {
    strip.select(state.tab);
    for (const [k, el] of Object.entries(panels)) el.hidden = k !== state.tab;
    if (state.tab === 'graph') drawGraphTab();
    else if (state.tab === 'updates') drawUpdatesTab();
    else if (state.tab === 'events') events.reload();
    else if (state.tab === 'quality') drawQualityTab();
  }

  syncButtons();
  showTab();

  // Every second while the latest update runs; every 4 s otherwise (an update started elsewhere shows up).
  let ticks = 0;
  poller(root, params, 1000, async () => {
    ticks += 1;
    const wasActive = latestActive();
    if (!wasActive && ticks % 4 !== 0) return true;
    const before = state.graph.update ? `${state.graph.update.update_id}/${state.graph.update.state}` : '';
    const g = await getGraph(pid, state.pinnedUpdate || undefined);
    const after = g.update ? `${g.update.update_id}/${g.update.state}` : '';
    state.graph = g;
    syncButtons();
    if (wasActive || before !== after) {
      if (state.tab === 'graph') drawGraphTab();
      if (before !== after && state.tab !== 'graph') showTab();
      else if (state.tab === 'events') events.reload();
    }
    return true;
  });
}
