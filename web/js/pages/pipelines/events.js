// The pipeline's event log (DLT event records: timestamp, level, event_type, origin, message, details),
// newest first, filtered by level, event type and update; a row opens its details JSON.

import { h, clear, inlineError, spinner, formatTime } from '../../lib/ui.js';
import { dataTable } from '../../lib/table.js';
import { listEvents, toMs } from './common.js';

const LEVELS = ['', 'INFO', 'WARN', 'ERROR', 'METRICS'];

function levelBadge(level) {
  const l = String(level || '').toUpperCase();
  const kind = l === 'ERROR' ? 'danger' : l === 'WARN' ? 'warn' : l === 'METRICS' ? 'info' : '';
  return h('span', { class: `badge plain ${kind}`, 'data-level': l }, l || '—');
}

/** Returns {el, reload()}; `updates()` lists known updates for the filter. */
export function eventLog(pipelineId, updates) {
  const level = h('select', { class: 'select', 'aria-label': 'Level', id: 'events-level' }, LEVELS.map((l) => h('option', { value: l }, l || 'All levels')));
  const type = h('input', { class: 'input', id: 'events-type', placeholder: 'event type, e.g. flow_progress', style: { width: '220px' } });
  const update = h('select', { class: 'select', 'aria-label': 'Update', id: 'events-update' }, h('option', { value: '' }, 'All updates'));
  const text = h('input', { class: 'input', id: 'events-search', placeholder: 'search messages / datasets', style: { width: '220px' } });
  const host = h('div', { 'data-role': 'event-log' });
  const detail = h('pre', { class: 'code', 'data-role': 'event-details', hidden: true, style: { marginTop: '12px', maxHeight: '360px', overflow: 'auto' } });
  const el = h('section', { class: 'card' },
    h('div', { class: 'card-header' }, h('h2', null, 'Event log'), level, update, type, text),
    h('div', { class: 'card-body' }, host, detail));
  let all = [];

  function fillUpdates() {
    const current = update.value;
    clear(update).appendChild(h('option', { value: '' }, 'All updates'));
    const seen = new Set();
    for (const u of updates()) {
      seen.add(u.update_id);
      update.appendChild(h('option', { value: u.update_id }, `${u.update_id.slice(0, 8)} · ${u.state} · ${formatTime(toMs(u.creation_time))}`));
    }
    for (const e of all) {
      const u = e.origin && e.origin.update_id;
      if (u && !seen.has(u)) {
        seen.add(u);
        update.appendChild(h('option', { value: u }, u.slice(0, 8)));
      }
    }
    update.value = current;
  }

  function draw() {
    const lv = level.value;
    const ty = type.value.trim().toLowerCase();
    const q = text.value.trim().toLowerCase();
    const rows = all.filter((e) => (!lv || e.level === lv)
      && (!ty || String(e.event_type).toLowerCase().includes(ty))
      && (!q || `${e.message} ${(e.origin && e.origin.dataset_name) || ''}`.toLowerCase().includes(q)));
    const table = dataTable({
      label: 'Pipeline events',
      rows,
      rowKey: (e) => e.id,
      pageSize: 50,
      pageSizes: [25, 50, 100, 500],
      columns: [
        { key: 'timestamp', label: 'Time', render: (e) => h('span', { class: 'id-text' }, formatTime(toMs(e.timestamp))) },
        { key: 'level', label: 'Level', render: (e) => levelBadge(e.level) },
        { key: 'event_type', label: 'Type', render: (e) => h('span', { class: 'id-text' }, e.event_type) },
        { key: 'dataset', label: 'Dataset', render: (e) => (e.origin && e.origin.dataset_name) || '' },
        { key: 'update', label: 'Update', render: (e) => h('span', { class: 'id-text' }, ((e.origin && e.origin.update_id) || '').slice(0, 8)) },
        { key: 'message', label: 'Message', wrap: true, render: (e) => h('span', { class: e.level === 'ERROR' ? 'text-danger' : null }, e.message) },
      ],
      empty: 'No events match.',
      onRowClick: (e) => {
        detail.hidden = false;
        detail.textContent = JSON.stringify(e, null, 2);
      },
    });
    clear(host).appendChild(table.el);
  }

  async function reload() {
    if (!all.length) clear(host).appendChild(spinner());
    try {
      const res = await listEvents(pipelineId, { max_results: 1000, update_id: update.value || undefined });
      all = res.events || [];
      fillUpdates();
      draw();
    } catch (e) {
      clear(host).appendChild(inlineError(e));
    }
  }
  level.addEventListener('change', draw);
  type.addEventListener('input', draw);
  text.addEventListener('input', draw);
  update.addEventListener('change', reload);
  return { el, reload };
}
