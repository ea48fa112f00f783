// Shared helpers for the tracking pages (MLflow REST under /ajax-api/2.0/mlflow/).

import { mlflow, toNumber } from '../../lib/api.js';
import { h, icon, emptyState } from '../../lib/ui.js';

export async function getExperiment(id) {
  const res = await mlflow.get('experiments/get', { experiment_id: id });
  return res.experiment;
}

export async function getRun(id) {
  const res = await mlflow.get('runs/get', { run_id: id, run_uuid: id });
  return res.run;
}

/** Full metric history, following page tokens. Returns [{key, value, timestamp, step}]. */
export async function metricHistory(runId, key) {
  const out = [];
  let token = null;
  for (let guard = 0; guard < 1000; guard += 1) {
    const res = await mlflow.get('metrics/get-history', {
      run_id: runId, run_uuid: runId, metric_key: key, max_results: 25000, page_token: token || undefined,
    });
    for (const m of res.metrics || []) out.push(m);
    token = res.next_page_token;
    if (!token) break;
  }
  return out;
}

/** History → chart points for the chosen x axis ('step' | 'time' | 'relative'). */
export function historyPoints(history, xAxis, startTime) {
  return history.map((m) => {
    const y = toNumber(m.value);
    let x;
    if (xAxis === 'time') x = Number(m.timestamp);
    else if (xAxis === 'relative') x = (Number(m.timestamp) - Number(startTime || 0)) / 1000;
    else x = Number(m.step ?? 0);
    return [x, y];
  });
}

export const X_AXES = [
  { id: 'step', label: 'Step', xLabel: 'step', xType: 'number' },
  { id: 'time', label: 'Wall time', xLabel: 'time', xType: 'time' },
  { id: 'relative', label: 'Relative time', xLabel: 'seconds', xType: 'number' },
];

export function tagMap(tags) {
  const m = {};
  for (const t of tags || []) m[t.key] = t.value;
  return m;
}

export function runName(run) {
  const info = run.info || run;
  const tags = run.data ? tagMap(run.data.tags) : {};
  return info.run_name || tags['mlflow.runName'] || (info.run_id || info.run_uuid || '').slice(0, 8);
}

export function runId(run) {
  const info = run.info || run;
  return info.run_id || info.run_uuid;
}

/** Duration of a run in ms; a running run counts up to now. */
export function runDuration(info) {
  const start = Number(info.start_time);
  if (!start) return null;
  const end = Number(info.end_time);
  if (end) return Math.max(0, end - start);
  if (info.status === 'RUNNING') return Math.max(0, Date.now() - start);
  return null;
}

/** Backtick-quotes a key for MLflow's search grammar (metrics.`my key`). */
export function quoteKey(key) {
  return `\`${String(key).replace(/`/g, '')}\``;
}

/** SQL-ish string literal for MLflow filters. */
export function sqlString(value) {
  const v = String(value);
  if (!v.includes("'")) return `'${v}'`;
  if (!v.includes('"')) return `"${v}"`;
  return `'${v.replace(/'/g, '')}'`;
}

export function isSystemTag(key) {
  return key.startsWith('mlflow.');
}

export function notFoundState(what, id, backHref, backLabel) {
  return emptyState({
    iconName: 'alert',
    title: `${what} not found`,
    body: h('p', null, `No ${what.toLowerCase()} with id `, h('code', { class: 'inline' }, id), ' exists, or it was permanently deleted.'),
    action: h('a', { class: 'btn', href: backHref }, icon('back'), backLabel),
  });
}

/** Parses a v3 trace duration ("1.5s") or a number of ms. */
export function parseDurationMs(v) {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number') return v;
  const m = /^(-?[\d.]+)s$/.exec(String(v));
  if (m) return Number(m[1]) * 1000;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Parses an RFC 3339 timestamp or epoch ms to epoch ms. */
export function parseTimeMs(v) {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number') return v;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}
