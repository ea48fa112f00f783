// Compare 2–10 runs: one chart per metric key with a series per run; params and latest metrics side by side.

import { toNumber } from '../../lib/api.js';
import {
  h, clear, pageHeader, setTitle, formatTime, formatDuration, formatNumber, statusBadge, spinner, inlineError,
  emptyState, card, mapLimit, banner,
} from '../../lib/ui.js';
import { lineChart, seriesColor, fitWidth } from '../../lib/chart.js';
import { getRun, getExperiment, metricHistory, historyPoints, X_AXES, runName, runDuration } from './common.js';

const MAX_RUNS = 10;

function swatch(color) {
  return h('span', { class: 'legend-swatch', style: { background: color }, 'aria-hidden': 'true' });
}

export async function renderCompare(root, params) {
  setTitle('Compare runs');
  const raw = (params.query.get('runs') || '').split(',').map((x) => x.trim()).filter(Boolean);
  const ids = [...new Set(raw)];
  const crumbs = [{ label: 'Experiments', href: '/ui/experiments' }, { label: 'Compare runs' }];
  if (ids.length < 2) {
    root.append(pageHeader({ title: 'Compare runs', crumbs }),
      h('div', { class: 'card' }, emptyState({
        iconName: 'compare', title: 'Select at least two runs',
        body: 'Open an experiment, tick 2 to 10 runs in the runs table and press Compare.',
        action: h('a', { class: 'btn', href: '/ui/experiments' }, 'All experiments'),
      })));
    return;
  }
  const notices = [];
  if (ids.length > MAX_RUNS) {
    notices.push(banner('warn', 'Too many runs.', `Only the first ${MAX_RUNS} of ${ids.length} runs are compared.`, { dismissable: false }));
  }
  const wanted = ids.slice(0, MAX_RUNS);

  root.appendChild(spinner(`Loading ${wanted.length} runs…`));
  const results = await mapLimit(wanted, 5, async (id) => {
    try {
      return { id, run: await getRun(id) };
    } catch (err) {
      return { id, err };
    }
  });
  if (!params.isCurrent()) return;
  clear(root);
  const failed = results.filter((r) => r.err);
  for (const f of failed) {
    notices.push(banner('error', `Run ${f.id} could not be loaded.`, f.err.message, { code: f.err.error_code, dismissable: false }));
  }
  const runs = results.filter((r) => r.run).map((r, i) => ({ run: r.run, color: seriesColor(i) }));

  // Label each run; duplicate names get a short id suffix.
  const nameCount = {};
  runs.forEach((r) => { const n = runName(r.run); nameCount[n] = (nameCount[n] || 0) + 1; });
  runs.forEach((r) => {
    const n = runName(r.run);
    r.id = r.run.info.run_id || r.run.info.run_uuid;
    r.label = nameCount[n] > 1 ? `${n} (${r.id.slice(0, 6)})` : n;
  });

  const expIds = [...new Set(runs.map((r) => r.run.info.experiment_id))];
  let expName = null;
  if (expIds.length === 1) {
    try {
      expName = (await getExperiment(expIds[0])).name;
    } catch { /* optional */ }
    crumbs.splice(1, 0, { label: expName || `Experiment ${expIds[0]}`, href: `/ui/experiments/${encodeURIComponent(expIds[0])}` });
  }
  if (!params.isCurrent()) return;

  root.append(pageHeader({
    title: `Comparing ${runs.length} runs`,
    crumbs,
    subtitle: expIds.length > 1 ? `Runs from ${expIds.length} experiments` : null,
  }));
  if (notices.length) root.append(h('div', { style: { marginBottom: '16px' } }, notices));
  if (runs.length < 2) {
    root.append(h('div', { class: 'card' }, emptyState({ iconName: 'alert', title: 'Not enough runs to compare', body: 'At least two of the requested runs must exist.' })));
    return;
  }

  // ---- runs overview
  const runsTable = h('table', { class: 'data', id: 'compare-runs-table' },
    h('thead', null, h('tr', null, ['Run', 'Status', 'Started', 'Duration', 'Run ID'].map((t) => h('th', null, t)))),
    h('tbody', null, runs.map((r) => h('tr', { 'data-run-id': r.id },
      h('td', null, h('span', { class: 'row' }, swatch(r.color), h('a', { href: `/ui/runs/${encodeURIComponent(r.id)}` }, r.label))),
      h('td', null, statusBadge(r.run.info.status)),
      h('td', null, formatTime(r.run.info.start_time)),
      h('td', null, formatDuration(runDuration(r.run.info))),
      h('td', null, h('span', { class: 'id-text' }, r.id))))));

  // ---- params side by side
  const paramKeys = [...new Set(runs.flatMap((r) => ((r.run.data && r.run.data.params) || []).map((p) => p.key)))].sort();
  const paramOf = (r, k) => {
    const p = ((r.run.data && r.run.data.params) || []).find((x) => x.key === k);
    return p ? p.value : undefined;
  };
  const onlyDiff = h('input', { type: 'checkbox', class: 'checkbox', id: 'only-diff' });
  const paramRows = paramKeys.map((k) => {
    const vals = runs.map((r) => paramOf(r, k));
    const differs = new Set(vals.map((v) => (v === undefined ? '\u0000missing' : v))).size > 1;
    return h('tr', { class: differs ? 'diff' : null, 'data-param': k, 'data-differs': String(differs) },
      h('th', { scope: 'row', class: 'mono' }, k),
      vals.map((v) => h('td', { class: 'mono' }, v === undefined ? h('span', { class: 'null' }, '—') : v)));
  });
  const diffCount = paramRows.filter((tr) => tr.dataset.differs === 'true').length;
  onlyDiff.addEventListener('change', () => {
    paramRows.forEach((tr) => { tr.hidden = onlyDiff.checked && tr.dataset.differs !== 'true'; });
  });
  const headRow = () => h('thead', null, h('tr', null, h('th', null, ''), runs.map((r) => h('th', { title: r.id }, h('span', { class: 'row' }, swatch(r.color), r.label)))));
  const paramsBody = paramKeys.length
    ? h('div', { class: 'dt-scroll auto-height' }, h('table', { class: 'data', id: 'compare-params' }, headRow(), h('tbody', null, paramRows)))
    : h('p', { class: 'muted', style: { padding: '16px', margin: 0 } }, 'None of these runs logged parameters.');

  // ---- latest metric values side by side
  const metricKeys = [...new Set(runs.flatMap((r) => ((r.run.data && r.run.data.metrics) || []).map((m) => m.key)))].sort();
  const metricOf = (r, k) => ((r.run.data && r.run.data.metrics) || []).find((x) => x.key === k);
  const metricRows = metricKeys.map((k) => {
    const vals = runs.map((r) => metricOf(r, k));
    const shown = vals.map((m) => (m ? formatNumber(toNumber(m.value)) : undefined));
    const differs = new Set(shown.map((v) => (v === undefined ? '\u0000missing' : v))).size > 1;
    return h('tr', { class: differs ? 'diff' : null, 'data-metric': k },
      h('th', { scope: 'row', class: 'mono' }, k),
      shown.map((v, i) => h('td', { class: 'num', title: vals[i] ? String(vals[i].value) : '' }, v === undefined ? h('span', { class: 'null' }, '—') : v)));
  });
  const metricsBody = metricKeys.length
    ? h('div', { class: 'dt-scroll auto-height' }, h('table', { class: 'data', id: 'compare-metrics' }, headRow(), h('tbody', null, metricRows)))
    : h('p', { class: 'muted', style: { padding: '16px', margin: 0 } }, 'None of these runs logged metrics.');

  // ---- charts: one per metric key, one series per run that logged it
  let xAxis = 'step';
  const histories = new Map(); // `${runId}\u0000${key}` → history
  const axisButtons = X_AXES.filter((a) => a.id !== 'time').map((a) => h('button', { type: 'button', 'aria-pressed': String(a.id === xAxis), 'data-axis': a.id }, a.label));
  const seg = h('div', { class: 'segmented', role: 'group', 'aria-label': 'X axis' }, axisButtons);
  const chartCards = new Map();
  const grid = h('div', { class: 'grid charts', id: 'compare-charts' });
  for (const k of metricKeys) {
    const body = h('div', { class: 'card-body' }, spinner('Loading histories…'));
    const c = h('section', { class: 'card chart-card', 'data-metric': k },
      h('div', { class: 'card-header' }, h('h2', { title: k }, k)), body);
    c.bodyEl = body;
    chartCards.set(k, c);
    grid.appendChild(c);
  }
  function draw(k) {
    const axis = X_AXES.find((a) => a.id === xAxis);
    const series = [];
    for (const r of runs) {
      if (!metricOf(r, k)) continue;
      const hist = histories.get(`${r.id}\u0000${k}`);
      if (!hist) return; // not loaded yet
      series.push({ name: r.label, color: r.color, points: historyPoints(hist, xAxis, r.run.info.start_time) });
    }
    clear(chartCards.get(k).bodyEl).appendChild(lineChart({
      series, xLabel: axis.xLabel, yLabel: k, xType: axis.xType, width: fitWidth(chartCards.get(k).bodyEl), height: 280, title: `${k} by ${axis.xLabel}`,
    }));
  }
  axisButtons.forEach((b) => b.addEventListener('click', () => {
    xAxis = b.dataset.axis;
    axisButtons.forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
    metricKeys.forEach(draw);
  }));

  root.append(
    card({ title: 'Runs', body: runsTable, flush: true }),
    h('div', { class: 'section-title row' }, h('span', null, 'Metric charts'), h('span', { class: 'spacer' }), metricKeys.length ? seg : null),
    metricKeys.length ? grid : h('div', { class: 'card' }, emptyState({ iconName: 'pulse', title: 'No metrics to chart' })),
    h('div', { class: 'grid cols-2', style: { marginTop: '16px', alignItems: 'start' } },
      card({
        title: 'Parameters', hint: paramKeys.length ? `${diffCount} of ${paramKeys.length} differ` : '', flush: true, cls: 'compare-params',
        actions: paramKeys.length ? h('label', { class: 'row small muted', style: { cursor: 'pointer' } }, onlyDiff, 'Only differences') : null,
        body: paramsBody,
      }),
      card({ title: 'Metrics', hint: 'latest values', flush: true, body: metricsBody })),
  );

  const jobs = [];
  for (const k of metricKeys) for (const r of runs) if (metricOf(r, k)) jobs.push({ r, k });
  await mapLimit(jobs, 6, async ({ r, k }) => {
    try {
      histories.set(`${r.id}\u0000${k}`, await metricHistory(r.id, k));
      draw(k);
    } catch (err) {
      clear(chartCards.get(k).bodyEl).appendChild(inlineError(err));
    }
  });
}
