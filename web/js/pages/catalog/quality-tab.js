// The table page's Quality tab: score and health, the latest profile (row count, freshness, null
// rate / approximate distinct count / min / max per column, violations), trend charts of the score
// and row count over the monitor's refreshes, and pipeline expectation pass/fail/drop trends.
// Without a monitor it offers to create one (thresholds can be set later via CLI or REST).

import { api } from '../../lib/api.js';
import { h, clear, spinner, inlineError, emptyState, statusBadge, formatTime, formatRelative, formatNumber, card } from '../../lib/ui.js';
import { lineChart, fitWidth } from '../../lib/chart.js';
import { dataTable } from '../../lib/table.js';

export const QUALITY_TAB = { id: 'quality', label: 'Quality' };
const UC = '/api/2.1/unity-catalog/tables/';
const Q = '/api/2.0/ingot/quality/tables/';

function pct(v) {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(v > 0 && v < 0.01 ? 2 : 1)} %`;
}

/** Fills the tab panel for `fullName`; `stillHere()` is false once the user moved on. */
export function qualityTab(panel, fullName, stillHere = () => true) {
  const body = h('div', { id: 'quality-body' }, spinner('Loading quality…'));
  panel.append(body);
  async function load() {
    let q;
    try {
      q = await api.get(Q + encodeURIComponent(fullName));
    } catch (err) {
      if (stillHere()) clear(body).appendChild(inlineError(err));
      return;
    }
    if (!stillHere()) return;
    clear(body);
    if (!q.monitored) {
      const create = h('button', { class: 'btn primary', type: 'button', id: 'quality-create' }, 'Create monitor');
      create.addEventListener('click', async () => {
        create.disabled = true;
        try {
          await api.post(UC + encodeURIComponent(fullName) + '/monitor', {});
          await api.post(UC + encodeURIComponent(fullName) + '/monitor/refreshes', {});
          load();
        } catch (err) {
          create.disabled = false;
          body.appendChild(inlineError(err));
        }
      });
      body.append(emptyState({
        title: 'No monitor on this table',
        body: 'A monitor profiles the table after every commit (row count, freshness, nulls, distinct values, min/max) and marks it unhealthy when a threshold is crossed.',
        action: create,
      }));
      expectationsCard(body, q.expectations);
      return;
    }
    summary(body, q, load);
    trends(body, q);
    profileCard(body, q.latest);
    expectationsCard(body, q.expectations);
  }
  load();
}

function summary(body, q, reload) {
  const refresh = h('button', { class: 'btn', type: 'button', id: 'quality-refresh' }, 'Refresh now');
  refresh.addEventListener('click', async () => {
    refresh.disabled = true;
    try {
      await api.post(UC + encodeURIComponent(q.table_name) + '/monitor/refreshes', {});
    } finally {
      reload();
    }
  });
  const p = q.latest && q.latest.profile;
  body.append(h('div', { class: 'meta-row', id: 'quality-summary' },
    h('span', { class: 'meta-item' }, 'Score ', h('strong', { id: 'quality-score' }, q.score === null || q.score === undefined ? '—' : String(q.score))),
    h('span', { class: 'meta-item', id: 'quality-health' }, statusBadge(q.health)),
    p ? h('span', { class: 'meta-item' }, `${formatNumber(p.row_count)} rows at version ${p.table_version}`) : null,
    p ? h('span', { class: 'meta-item', title: formatTime(p.last_commit_ms) }, `last commit ${formatRelative(p.last_commit_ms)}`) : null,
    refresh));
  const v = (q.latest && q.latest.violations) || [];
  if (v.length) {
    body.append(card({
      title: 'Violations', cls: 'quality-violations',
      body: h('ul', { id: 'quality-violations' }, v.map((x) => h('li', null, h('code', { class: 'inline' }, x.check), ' ', x.message))),
    }));
  }
}

function trends(body, q) {
  const hist = q.history || [];
  if (hist.length < 1) return;
  const holder = h('div', { class: 'quality-trends', id: 'quality-trends' });
  body.append(card({ title: 'Trends', hint: `${hist.length} refreshes`, body: holder }));
  const width = Math.min(fitWidth(holder, 560), 720);
  holder.append(
    lineChart({ series: [{ name: 'score', points: hist.map((x) => [x.created_at_ms, x.score]) }], xType: 'time', yLabel: 'score', width, height: 200 }),
    lineChart({ series: [{ name: 'rows', points: hist.map((x) => [x.created_at_ms, x.row_count]) }], xType: 'time', yLabel: 'rows', width, height: 200 }));
}

function profileCard(body, latest) {
  if (!latest) return;
  const rows = latest.profile.columns.map((c) => ({ ...c }));
  const drift = new Map(((latest.drift && latest.drift.columns) || []).map((d) => [d.name, d]));
  body.append(card({
    title: 'Latest profile',
    hint: latest.profile.scanned ? 'stats + scan (distinct counts are approximate)' : 'from Delta statistics',
    flush: true,
    body: h('div', { id: 'quality-profile' }, dataTable({
      columns: [
        { key: 'name', label: 'Column' },
        { key: 'type', label: 'Type' },
        { key: 'null_rate', label: 'Null rate', render: (r) => pct(r.null_rate) },
        { key: 'distinct_count', label: 'Distinct ≈', render: (r) => (r.distinct_count === null || r.distinct_count === undefined ? '—' : formatNumber(r.distinct_count)) },
        { key: 'min', label: 'Min', render: (r) => r.min ?? '—' },
        { key: 'max', label: 'Max', render: (r) => r.max ?? '—' },
        { key: 'drift', label: 'Drift', render: (r) => {
          const d = drift.get(r.name);
          if (!d) return '';
          const parts = [];
          if (d.previous_min !== d.min) parts.push(`min ${d.previous_min ?? '—'} → ${d.min ?? '—'}`);
          if (d.previous_max !== d.max) parts.push(`max ${d.previous_max ?? '—'} → ${d.max ?? '—'}`);
          if (d.null_rate_change) parts.push(`nulls ${d.null_rate_change > 0 ? '+' : ''}${(d.null_rate_change * 100).toFixed(1)} pt`);
          return parts.join(', ');
        } },
      ],
      rows,
      label: 'Column profile',
      autoHeight: true,
    }).el),
  }));
}

function expectationsCard(body, points) {
  if (!points || !points.length) return;
  // One point per pipeline update: passed, failed (WARN/FAIL) and dropped (DROP) records.
  const byUpdate = new Map();
  for (const p of points) {
    const u = byUpdate.get(p.update_id) || { t: p.timestamp_ms, passed: 0, failed: 0, dropped: 0 };
    u.passed += p.passed_records;
    if (String(p.action).toUpperCase() === 'DROP') u.dropped += p.failed_records;
    else u.failed += p.failed_records;
    byUpdate.set(p.update_id, u);
  }
  const series = [...byUpdate.values()].sort((a, b) => a.t - b.t);
  const holder = h('div', { id: 'quality-expectations' });
  body.append(card({ title: 'Pipeline expectations', hint: `${series.length} updates`, body: holder }));
  holder.append(lineChart({
    series: [
      { name: 'passed', points: series.map((u) => [u.t, u.passed]) },
      { name: 'failed', points: series.map((u) => [u.t, u.failed]) },
      { name: 'dropped', points: series.map((u) => [u.t, u.dropped]) },
    ],
    xType: 'time', yLabel: 'records', width: Math.min(fitWidth(holder, 560), 720), height: 220,
  }));
}
