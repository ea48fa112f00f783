// Live request rate, error rate, p50 and p99 latency of one endpoint, per served entity, polled from
// GET /api/2.0/ingot/serving-endpoints/{name}/stats (per-interval counts and exact percentiles kept in
// memory by the server for the last 15 minutes). Drawn with the shared SVG line chart.

import { api } from '../../lib/api.js';
import { h, clear, card, inlineError } from '../../lib/ui.js';
import { lineChart, fitWidth } from '../../lib/chart.js';
import { STATS } from './common.js';

const WINDOWS = [{ seconds: 300, step: 5, label: '5 min' }, { seconds: 900, step: 15, label: '15 min' }];
const POLL_MS = 5000;

/** Points [t, value] for every interval of the window; missing intervals count as 0 when `fill`. */
function series(points, stats, valueOf, fill) {
  const byT = new Map(points.map((p) => [p.t, p]));
  const step = stats.step_seconds * 1000;
  const end = stats.now - (stats.now % step);
  const start = end - stats.window_seconds * 1000 + step;
  const out = [];
  for (let t = start; t <= end; t += step) {
    const p = byT.get(t);
    if (p) {
      const v = valueOf(p);
      if (v !== null && v !== undefined) out.push([t, v]);
    } else if (fill) {
      out.push([t, 0]);
    }
  }
  return out;
}

export function liveCharts(name, params) {
  let win = WINDOWS[0];
  const grid = h('div', { class: 'grid charts', 'data-role': 'live-charts' });
  const summary = h('div', { class: 'stat-grid', 'data-role': 'live-summary', style: { marginBottom: '12px', gridTemplateColumns: 'repeat(auto-fit, minmax(160px, 1fr))' } });
  const picker = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time window' },
    WINDOWS.map((w) => h('button', {
      type: 'button', 'aria-pressed': String(w === win), 'data-window': String(w.seconds),
      onClick: (ev) => {
        win = w;
        for (const b of picker.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === ev.currentTarget));
        load();
      },
    }, w.label)));
  const body = h('div', null, summary, grid);
  const el = card({ title: 'Live traffic', hint: 'refreshed every 5 s', actions: picker, body });
  let timer = null;

  function chartCard(title, yLabel, seriesList) {
    const c = h('section', { class: 'card chart-card', 'data-chart': title },
      h('div', { class: 'card-header' }, h('h2', null, title)),
      h('div', { class: 'card-body' }));
    grid.appendChild(c);
    const width = fitWidth(c.querySelector('.card-body'), 440);
    c.querySelector('.card-body').appendChild(lineChart({ series: seriesList, xType: 'time', yLabel, width, height: 220, title }));
  }

  function stat(label, value, role) {
    return h('div', { class: 'stat', 'data-role': role }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value));
  }

  function draw(stats) {
    const step = stats.step_seconds;
    const total = stats.total || [];
    const entities = Object.entries(stats.entities || {}).sort(([a], [b]) => a.localeCompare(b));
    const requests = total.reduce((s, p) => s + p.requests, 0);
    const errors = total.reduce((s, p) => s + p.errors, 0);
    const last = total.length ? total[total.length - 1] : null;
    clear(summary).append(
      stat('Requests in window', String(requests), 'stat-requests'),
      stat('Errors in window', `${errors}${requests ? ` (${((100 * errors) / requests).toFixed(2)}%)` : ''}`, 'stat-errors'),
      stat('Latest p50', last && last.p50_ms !== undefined ? `${last.p50_ms.toFixed(3)} ms` : '—', 'stat-p50'),
      stat('Latest p99', last && last.p99_ms !== undefined ? `${last.p99_ms.toFixed(3)} ms` : '—', 'stat-p99'));
    clear(grid);
    const rate = (p) => p.requests / step;
    const perEntity = (valueOf, fill) => entities.map(([n, pts]) => ({ name: n, points: series(pts, stats, valueOf, fill) }));
    const withTotal = (valueOf, fill) => (entities.length > 1 ? [{ name: 'all', points: series(total, stats, valueOf, fill) }, ...perEntity(valueOf, fill)]
      : [{ name: entities.length ? entities[0][0] : 'all', points: series(total, stats, valueOf, fill) }]);
    chartCard('Requests / s', 'req/s', withTotal(rate, true));
    chartCard('Error rate %', '%', [{ name: 'all', points: series(total, stats, (p) => (p.requests ? (100 * p.errors) / p.requests : 0), true) }]);
    chartCard('p50 latency (ms)', 'ms', withTotal((p) => p.p50_ms, false));
    chartCard('p99 latency (ms)', 'ms', withTotal((p) => p.p99_ms, false));
  }

  async function load() {
    clearTimeout(timer);
    if (!el.isConnected && timer !== null) return;
    try {
      const stats = await api.get(`${STATS}/${encodeURIComponent(name)}/stats`, { seconds: win.seconds, step: win.step });
      draw(stats);
    } catch (e) {
      clear(grid).appendChild(inlineError(e));
      if (e && e.status === 404) return; // no stats API on this server: stop polling
    }
    timer = setTimeout(() => {
      if (el.isConnected && params.isCurrent()) load();
    }, POLL_MS);
  }
  timer = 0;
  // First load once the card is in the document (so charts can size themselves).
  requestAnimationFrame(() => load());
  return { el };
}
