// Home: server status (GET /health) and a card per module.

import { h, s, clear, pageHeader, statusBadge, formatDuration, showError, spinner, setTitle, icon, copyButton } from '../lib/ui.js';
import { refreshServerState } from '../app.js';

const MODULE_ICONS = {
  pipelines: ['M7.2 6h9.6M6.2 7.9l4.6 8.2M17.8 7.9l-4.6 8.2', 'M5 8.2a2.2 2.2 0 1 0 0-4.4 2.2 2.2 0 0 0 0 4.4zM19 8.2a2.2 2.2 0 1 0 0-4.4 2.2 2.2 0 0 0 0 4.4zM12 20.2a2.2 2.2 0 1 0 0-4.4 2.2 2.2 0 0 0 0 4.4z'],
  jobs: ['M12 20.5a8.5 8.5 0 1 0 0-17 8.5 8.5 0 0 0 0 17z', 'M12 7.5V12l3 2'],
  catalog: ['M5 6c0 1.4 3.1 2.6 7 2.6S19 7.4 19 6s-3.1-2.6-7-2.6S5 4.6 5 6zM5 6v12c0 1.4 3.1 2.6 7 2.6s7-1.2 7-2.6V6M5 12c0 1.4 3.1 2.6 7 2.6s7-1.2 7-2.6'],
  sql: ['M5.5 4.5h13a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2h-13a2 2 0 0 1-2-2v-11a2 2 0 0 1 2-2z', 'm7.5 10 2.5 2-2.5 2M12 15h4.5'],
  experiments: ['M9.5 3.5h5M10.5 3.5v6L5 18.5A1.3 1.3 0 0 0 6.1 20.5h11.8a1.3 1.3 0 0 0 1.1-2L13.5 9.5v-6M7.5 14.5h9'],
  models: ['m12 3.5 7.5 4.2v8.6L12 20.5l-7.5-4.2V7.7z', 'm4.5 7.7 7.5 4.3 7.5-4.3M12 12v8.5'],
  serving: ['M13 3.5 5.5 13.5h6l-1 7 7.5-10h-6z'],
  admin: ['M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z', 'M12 3.5v2.2M12 18.3v2.2M3.5 12h2.2M18.3 12h2.2M6 6l1.6 1.6M16.4 16.4 18 18M6 18l1.6-1.6M16.4 7.6 18 6'],
};

export const MODULES = [
  { id: 'pipelines', name: 'Pipelines', line: 'Declarative bronze → silver → gold pipelines with expectations, CDC and an event log.', ready: true },
  { id: 'jobs', name: 'Jobs', line: 'Scheduled DAGs of pipeline, SQL, Python and shell tasks with retries and repair.', ready: true },
  { id: 'catalog', name: 'Catalog', line: 'Catalogs, schemas, tables and volumes with grants and lineage.', ready: false },
  { id: 'sql', name: 'SQL', line: 'Query Delta, Iceberg and Parquet tables with SQL from the browser.', ready: false },
  { id: 'experiments', name: 'Experiments', line: 'MLflow-compatible experiment tracking: runs, metrics, params and artifacts.', ready: true },
  { id: 'models', name: 'Models', line: 'Model registry with versions, aliases and stage transitions.', ready: false },
  { id: 'serving', name: 'Serving', line: 'Deploy registered models as REST endpoints and watch their traffic.', ready: false },
  { id: 'admin', name: 'Admin', line: 'Users, groups, tokens, permissions, audit log and backups.', ready: false },
];

function moduleIcon(id) {
  const svg = s('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' });
  for (const d of MODULE_ICONS[id] || []) svg.appendChild(s('path', { d }));
  return svg;
}

function stat(label, value, { mono = false, key } = {}) {
  return h('div', { class: 'stat', 'data-stat': key || label.toLowerCase() },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: ['stat-value', mono ? 'mono' : null] }, value));
}

function storesTable(stores) {
  const entries = Object.entries(stores || {});
  if (!entries.length) return h('p', { class: 'muted small', style: { padding: '12px 16px', margin: 0 } }, 'The server reported no stores.');
  return h('table', { class: 'data', 'aria-label': 'Stores' },
    h('thead', null, h('tr', null, h('th', null, 'Store'), h('th', null, 'Status'), h('th', null, 'Backend'), h('th', null, 'Details'))),
    h('tbody', null, entries.map(([name, info]) => {
      const o = info && typeof info === 'object' ? info : { status: String(info) };
      const extra = Object.entries(o).filter(([k]) => k !== 'status' && k !== 'backend')
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ');
      return h('tr', { 'data-store': name },
        h('td', null, h('strong', null, name.charAt(0).toUpperCase() + name.slice(1))),
        h('td', null, statusBadge(o.status || 'unknown')),
        h('td', null, h('code', { class: 'inline' }, o.backend || '—')),
        h('td', { class: 'muted' }, extra || '—'));
    })));
}

function statusBody(health) {
  const st = String(health.status || 'unknown');
  return h('div', null,
    h('div', { class: 'stat-grid' },
      stat('Status', statusBadge(st), { key: 'status' }),
      stat('Version', health.version || '—', { mono: true, key: 'version' }),
      stat('Schema', health.schema_version || '—', { mono: true, key: 'schema' }),
      stat('Migrations applied', health.migrations_applied ?? '—', { key: 'migrations' }),
      stat('Uptime', health.uptime_seconds !== undefined ? formatDuration(Number(health.uptime_seconds) * 1000) : '—', { key: 'uptime' }),
      h('div', { class: 'stat', 'data-stat': 'data_dir', style: { gridColumn: '1 / -1' } },
        h('div', { class: 'stat-label' }, 'Data directory'),
        h('div', { class: 'stat-value mono' }, health.data_dir || '—', health.data_dir ? copyButton(health.data_dir, { label: 'Copy path' }) : null))),
    h('div', { style: { borderTop: '1px solid var(--border)' } }, storesTable(health.stores)));
}

export async function render(root) {
  setTitle('Home');
  const statusBodyEl = h('div', { class: 'card-body flush', id: 'status-panel', 'data-state': 'loading' }, spinner('Checking server health…'));
  const headerBadge = h('span');
  const refreshBtn = h('button', { class: 'btn sm', type: 'button', title: 'Refresh status' }, icon('refresh'), 'Refresh');

  async function load() {
    refreshBtn.disabled = true;
    try {
      const health = await refreshServerState();
      clear(statusBodyEl).appendChild(statusBody(health));
      statusBodyEl.dataset.state = String(health.status || 'unknown').toLowerCase();
      clear(headerBadge).appendChild(statusBadge(health.status || 'unknown'));
    } catch (err) {
      statusBodyEl.dataset.state = 'error';
      clear(headerBadge).appendChild(statusBadge('DOWN'));
      clear(statusBodyEl).appendChild(h('div', { class: 'empty' },
        h('div', { class: 'empty-icon' }, icon('alert')),
        h('h3', null, 'Server status unavailable'),
        h('p', null, 'The health check did not answer. The server may be restarting or unreachable.'),
        h('button', { class: 'btn', type: 'button', onClick: load }, icon('refresh'), 'Try again')));
      showError(err);
    } finally {
      refreshBtn.disabled = false;
    }
  }
  refreshBtn.addEventListener('click', load);

  root.append(
    pageHeader({
      title: 'Welcome to Ingot',
      subtitle: 'Pipelines, a data catalog, SQL, experiment tracking, a model registry and serving — in one self-hosted server.',
    }),
    h('section', { class: 'card', 'aria-labelledby': 'status-title' },
      h('div', { class: 'card-header' },
        h('h2', { id: 'status-title' }, 'Server status'), headerBadge, refreshBtn),
      statusBodyEl),
    h('div', { class: 'section-title' }, 'Modules'),
    h('div', { class: 'grid auto', id: 'module-cards' },
      MODULES.map((m) => h('a', { class: 'card module-card', href: `/ui/${m.id}`, 'data-module': m.id },
        h('div', { class: 'mc-head' },
          h('span', { class: 'mc-icon' }, moduleIcon(m.id)),
          h('h3', null, m.name),
          m.ready ? null : h('span', { class: 'badge plain' }, 'Coming soon')),
        h('p', null, m.line)))),
  );
  await load();
}
