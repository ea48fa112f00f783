// Data quality: for every expectation (by dataset and name) its passed and failing records in each
// update, as a summary table and one small trend chart per expectation (x = the update's start time).

import { h, card, formatTime } from '../../lib/ui.js';
import { lineChart, fitWidth } from '../../lib/chart.js';
import { count, toMs } from './common.js';

const FAIL_LABEL = { drop: 'dropped', fail: 'failed', warn: 'failed (kept)' };
const ACTION_LABEL = { drop: 'Drop row', fail: 'Fail update', warn: 'Warn' };

/** Expectation trends from updates (any order): [{key, dataset, name, action, runs: [{n, time, passed, failed}]}]. */
export function trends(updates) {
  const ordered = updates.slice().sort((a, b) => (toMs(a.creation_time) || 0) - (toMs(b.creation_time) || 0));
  const byKey = new Map();
  ordered.forEach((u, i) => {
    for (const d of u.datasets || []) {
      for (const e of d.expectations || []) {
        const key = `${d.name}.${e.name}`;
        if (!byKey.has(key)) byKey.set(key, { key, dataset: d.name, name: e.name, action: e.action, runs: [] });
        byKey.get(key).runs.push({
          n: i + 1, time: toMs(u.start_time) ?? toMs(u.creation_time), update: u.update_id, state: u.state,
          passed: Number(e.passed_records) || 0, failed: Number(e.failed_records) || 0,
        });
      }
    }
  });
  return [...byKey.values()];
}

export function qualityTab(updates, graph) {
  const list = trends(updates);
  // Expectations declared but never evaluated yet still get a row.
  for (const d of (graph && graph.datasets) || []) {
    for (const e of d.expectations || []) {
      if (!list.some((t) => t.key === `${d.name}.${e.name}`)) list.push({ key: `${d.name}.${e.name}`, dataset: d.name, name: e.name, action: e.action, runs: [] });
    }
  }
  if (!list.length) {
    return h('div', { class: 'empty', 'data-role': 'quality-empty' }, h('h3', null, 'No expectations'),
      h('p', null, 'Declare one in a dataset: CONSTRAINT valid_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW.'));
  }
  const summary = h('table', { class: 'data', 'data-role': 'quality-summary' },
    h('thead', null, h('tr', null, ['Dataset', 'Expectation', 'On violation', 'Updates', 'Last passed', 'Last failing', 'Failing rate (last)', 'Failing (all updates)'].map((c) => h('th', null, c)))),
    h('tbody', null, list.map((t) => {
      const last = t.runs[t.runs.length - 1];
      const total = t.runs.reduce((s, r) => s + r.failed, 0);
      const rate = last && last.passed + last.failed ? (100 * last.failed) / (last.passed + last.failed) : null;
      return h('tr', { 'data-expectation': t.key },
        h('td', null, t.dataset),
        h('td', null, h('span', { class: 'id-text' }, t.name)),
        h('td', null, ACTION_LABEL[t.action] || t.action),
        h('td', { class: 'num' }, String(t.runs.length)),
        h('td', { class: 'num' }, last ? count(last.passed) : '—'),
        h('td', { class: ['num', last && last.failed ? 'text-danger' : null] }, last ? count(last.failed) : '—'),
        h('td', { class: 'num' }, rate === null ? '—' : `${rate.toFixed(rate < 1 && rate > 0 ? 2 : 1)}%`),
        h('td', { class: 'num' }, count(total)));
    })));
  const grid = h('div', { class: 'grid charts', 'data-role': 'quality-charts', style: { marginTop: '16px' } });
  const el = h('div', null, card({ title: 'Expectations', hint: 'records checked per update', body: summary, flush: false }), grid);
  // Charts size themselves once in the document.
  requestAnimationFrame(() => {
    for (const t of list) {
      const body = h('div', { class: 'card-body' });
      const c = h('section', { class: 'card chart-card', 'data-chart': t.key, 'data-points': String(t.runs.length) },
        h('div', { class: 'card-header' }, h('h2', null, t.key), h('span', { class: 'hint' }, ACTION_LABEL[t.action] || t.action)), body);
      grid.appendChild(c);
      const byTime = new Map(t.runs.map((r) => [r.time, r]));
      body.appendChild(lineChart({
        series: [
          { name: 'passed', points: t.runs.map((r) => [r.time, r.passed]), color: '#1e9e6a' },
          { name: FAIL_LABEL[t.action] || 'failed', points: t.runs.map((r) => [r.time, r.failed]), color: t.action === 'warn' ? '#b58a00' : '#d64545' },
        ],
        xType: 'time', xLabel: 'update', yLabel: 'records', width: fitWidth(body, 440), height: 200, title: t.key,
        formatX: (ms) => { const r = byTime.get(ms); return r ? `#${r.n} (${formatTime(ms)})` : formatTime(ms); },
      }));
    }
  });
  return el;
}
