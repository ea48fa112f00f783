// Shared pieces of the serving pages: API paths, links, state badges and entity labels.

import { api } from '../../lib/api.js';
import { h, statusBadge, formatRelative, formatTime } from '../../lib/ui.js';

/** Databricks-shaped serving endpoints API. */
export const ENDPOINTS = '/api/2.0/serving-endpoints';
/** Ingot's live per-endpoint request statistics (ServingStatsController). */
export const STATS = '/api/2.0/ingot/serving-endpoints';

export const endpointHref = (name) => `/ui/serving/${encodeURIComponent(name)}`;
export const invocationsPath = (name) => `/serving-endpoints/${encodeURIComponent(name)}/invocations`;

export const getEndpoint = (name, opts) => api.get(`${ENDPOINTS}/${encodeURIComponent(name)}`, undefined, opts);
export const listEndpoints = (opts) => api.get(ENDPOINTS, undefined, opts);
export const putConfig = (name, body) => api.put(`${ENDPOINTS}/${encodeURIComponent(name)}/config`, body);

/** READY / NOT_READY badge for an endpoint's state. */
export function readyBadge(ep) {
  const ready = ep && ep.state ? ep.state.ready : 'UNKNOWN';
  const el = statusBadge(ready === 'NOT_READY' ? 'DOWN' : ready);
  el.textContent = ready === 'NOT_READY' ? 'Not ready' : el.textContent;
  el.dataset.status = ready;
  el.dataset.role = 'ready';
  return el;
}

/** config_update badge: NOT_UPDATING, IN_PROGRESS, UPDATE_FAILED, UPDATE_CANCELED. */
export function updateBadge(ep) {
  const st = (ep && ep.state && ep.state.config_update) || 'NOT_UPDATING';
  const kind = st === 'IN_PROGRESS' ? 'info running' : st === 'UPDATE_FAILED' ? 'danger' : st === 'NOT_UPDATING' ? '' : 'warn';
  const text = { NOT_UPDATING: 'Not updating', IN_PROGRESS: 'Update in progress', UPDATE_FAILED: 'Update failed', UPDATE_CANCELED: 'Update canceled' }[st]
    || st.charAt(0) + st.slice(1).toLowerCase().replace(/_/g, ' ');
  return h('span', { class: `badge ${kind}`, 'data-status': st, 'data-role': 'config-update' }, text);
}

/** DEPLOYMENT_READY etc. → a badge with a short label. */
export function deploymentBadge(entity) {
  const st = (entity && entity.state && entity.state.deployment) || 'UNKNOWN';
  const short = st.replace(/^DEPLOYMENT_/, '');
  const map = { READY: 'READY', CREATING: 'PENDING', FAILED: 'FAILED', ABORTED: 'WARNING', SCALED_TO_ZERO: 'WARNING', RECOVERING: 'RUNNING' };
  const el = statusBadge(map[short] || short);
  el.textContent = short.charAt(0) + short.slice(1).toLowerCase().replace(/_/g, ' ');
  el.dataset.status = st;
  el.dataset.role = 'deployment';
  if (entity && entity.state && entity.state.deployment_state_message) el.title = entity.state.deployment_state_message;
  return el;
}

/** "model v3" or "model @champion → v3". */
export function entityTarget(e) {
  const v = String(e.entity_version ?? e.model_version ?? '');
  if (v.startsWith('@') || e.alias) {
    const alias = e.alias || v.slice(1);
    return `${e.entity_name} @${alias}${e.resolved_version ? ` → v${e.resolved_version}` : ''}`;
  }
  return `${e.entity_name} v${v || e.resolved_version || '?'}`;
}

/** Traffic percentage of each served entity name. */
export function routeMap(config) {
  const out = new Map();
  for (const r of (config && config.traffic_config && config.traffic_config.routes) || []) {
    out.set(r.served_entity_name || r.served_model_name, Number(r.traffic_percentage) || 0);
  }
  // One entity without routes takes all traffic.
  const entities = ((config && config.served_entities) || []).filter((e) => !e.shadow);
  if (!out.size && entities.length === 1) out.set(entities[0].name, 100);
  return out;
}

/** The input shape of a served entity (what PUT /config accepts), from its GET form. */
export function entityInput(e) {
  const out = { name: e.name, entity_name: e.entity_name };
  const v = String(e.entity_version ?? '');
  if (e.alias || v.startsWith('@')) out.alias = e.alias || v.slice(1);
  else out.entity_version = v;
  for (const k of ['workload_size', 'scale_to_zero_enabled', 'min_provisioned_concurrency', 'max_provisioned_concurrency', 'environment_vars', 'shadow']) {
    if (e[k] !== undefined) out[k] = e[k];
  }
  return out;
}

export function when(ms) {
  return h('span', { title: formatTime(ms) }, formatRelative(ms));
}
