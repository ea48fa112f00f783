// Shared pieces of the pipelines pages: API paths, state badges and colours, update timings.

import { api } from '../../lib/api.js';
import { h, formatRelative, formatTime, formatDuration } from '../../lib/ui.js';

/** Databricks-shaped pipelines API (PipelinesController). */
export const PIPELINES = '/api/2.0/pipelines';
/** Ingot's read-only DAG view with per-dataset state and counts (PipelineGraphController). */
export const GRAPH = '/api/2.0/ingot/pipelines';

export const pipelineHref = (id) => `/ui/pipelines/${encodeURIComponent(id)}`;
const enc = encodeURIComponent;

export const listPipelines = () => api.get(PIPELINES);
export const getPipeline = (id) => api.get(`${PIPELINES}/${enc(id)}`);
export const getUpdate = (id, updateId) => api.get(`${PIPELINES}/${enc(id)}/updates/${enc(updateId)}`);
export const listUpdates = (id) => api.get(`${PIPELINES}/${enc(id)}/updates`);
export const listEvents = (id, query) => api.get(`${PIPELINES}/${enc(id)}/events`, query);
export const getGraph = (id, updateId) => api.get(`${GRAPH}/${enc(id)}/graph`, { update_id: updateId });
export const getLineage = (id, updateId) => api.get(`${GRAPH}/${enc(id)}/lineage`, { update_id: updateId });
export const startUpdate = (id, fullRefresh) => api.post(`${PIPELINES}/${enc(id)}/updates`, { full_refresh: !!fullRefresh });
export const stopPipeline = (id) => api.post(`${PIPELINES}/${enc(id)}/stop`, {});

export const ACTIVE = new Set(['QUEUED', 'CREATED', 'WAITING_FOR_RESOURCES', 'INITIALIZING', 'SETTING_UP_TABLES', 'RUNNING', 'STOPPING']);
export const isActive = (state) => ACTIVE.has(String(state || '').toUpperCase());

/** Badge class of an update / dataset state. */
export function stateKind(state) {
  const st = String(state || '').toUpperCase();
  if (st === 'COMPLETED' || st === 'IDLE') return 'ok';
  if (st === 'FAILED') return 'danger';
  if (st === 'CANCELED' || st === 'STOPPING') return 'warn';
  if (ACTIVE.has(st)) return 'info running';
  return '';
}

export function stateBadge(state, role) {
  const st = String(state || 'UNKNOWN').toUpperCase();
  const text = st.charAt(0) + st.slice(1).toLowerCase().replace(/_/g, ' ');
  return h('span', { class: `badge ${stateKind(st)}`, 'data-status': st, 'data-role': role || 'state' }, text);
}

/** ms since epoch from an epoch-ms number or an ISO string. */
export function toMs(v) {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number') return v;
  const n = Date.parse(v);
  return Number.isFinite(n) ? n : null;
}

/** Duration of an update (running ones up to now). */
export function updateDuration(u) {
  if (!u) return null;
  const start = toMs(u.start_time) ?? toMs(u.creation_time);
  if (start === null) return null;
  const end = toMs(u.end_time) ?? (isActive(u.state) ? Date.now() : null);
  return end === null ? null : Math.max(0, end - start);
}

export function when(ms) {
  return ms ? h('span', { title: formatTime(ms) }, formatRelative(ms)) : h('span', { class: 'muted' }, '—');
}

export function duration(ms) {
  return ms === null || ms === undefined ? h('span', { class: 'muted' }, '—') : formatDuration(ms);
}

/** "12,345" */
export function count(n) {
  const v = Number(n);
  return Number.isFinite(v) ? v.toLocaleString('en-US') : '—';
}

/** Calls fn every `ms` while the page is current; fn returns false to stop. Returns {stop}. */
export function poller(root, params, ms, fn) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped || !root.isConnected || !params.isCurrent()) return;
    let again = true;
    try {
      again = (await fn()) !== false;
    } catch {
      again = true;
    }
    if (again && !stopped) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  return { stop() { stopped = true; clearTimeout(timer); } };
}
