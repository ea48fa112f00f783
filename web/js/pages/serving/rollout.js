// Rollout progress and history. The endpoints API does not expose rollouts yet; this section shows
// whatever the endpoint carries under `rollout` (the current one) and `rollout_history` / `rollouts`
// (past ones) as soon as those fields appear, and says so plainly until then.

import { h, card, statusBadge, formatTime, formatNumber } from '../../lib/ui.js';

function value(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return v > 1e12 && v < 1e14 ? formatTime(v) : formatNumber(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** statusBadge with rollout words coloured by meaning (succeeded is good, rolled back is bad). */
function stateBadge(st) {
  const up = String(st || 'UNKNOWN').toUpperCase();
  const alias = { SUCCEEDED: 'SUCCESS', COMPLETED: 'SUCCESS', DONE: 'SUCCESS', ROLLED_BACK: 'FAILED', ROLLING_BACK: 'RUNNING', BAKING: 'RUNNING' }[up];
  const el = statusBadge(alias || up);
  if (alias) el.textContent = up.charAt(0) + up.slice(1).toLowerCase().replace(/_/g, ' ');
  el.dataset.status = up;
  return el;
}

function isTimeKey(k) {
  return /(_time|timestamp|_at)$/.test(k);
}

/** A table of objects with the union of their scalar keys as columns. */
function objectsTable(rows, role) {
  const keys = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k) && (typeof r[k] !== 'object' || r[k] === null)) keys.push(k);
  return h('div', { class: 'dt' }, h('div', { class: 'dt-scroll auto-height' },
    h('table', { class: 'data', 'data-role': role },
      h('thead', null, h('tr', null, keys.map((k) => h('th', null, k.replace(/_/g, ' '))))),
      h('tbody', null, rows.map((r) => h('tr', null, keys.map((k) => h('td', null,
        /state|status/.test(k) && typeof r[k] === 'string' ? stateBadge(r[k]) : isTimeKey(k) ? formatTime(r[k]) : value(r[k])))))))));
}

function progress(rollout) {
  const steps = Array.isArray(rollout.steps) ? rollout.steps : [];
  const step = steps[Number(rollout.current_step)];
  const pct = Number(rollout.traffic_percentage ?? rollout.current_percentage ?? rollout.percentage ?? (step && step.traffic_percentage));
  const done = Number.isFinite(pct) ? pct
    : steps.length && Number.isFinite(Number(rollout.current_step)) ? (100 * (Number(rollout.current_step) + 1)) / steps.length : null;
  return h('div', { 'data-role': 'rollout-current' },
    h('div', { class: 'row wrap', style: { marginBottom: '8px' } },
      stateBadge(rollout.state || rollout.status),
      rollout.strategy || rollout.type ? h('span', { class: 'muted' }, rollout.strategy || rollout.type) : null,
      rollout.target_entity || rollout.new_entity ? h('span', null, '→ ', h('span', { class: 'id-text' }, rollout.target_entity || rollout.new_entity)) : null),
    done !== null ? h('div', { class: 'progress', role: 'progressbar', 'aria-valuenow': String(Math.round(done)), 'aria-valuemin': '0', 'aria-valuemax': '100' },
      h('span', { style: { width: `${Math.max(0, Math.min(100, done))}%` } })) : null,
    done !== null ? h('div', { class: 'muted small' }, `${Math.round(done)}% of traffic on the new entity`) : null,
    steps.length ? objectsTable(steps, 'rollout-steps') : null);
}

export function rolloutSection(ep) {
  const current = ep.rollout || (ep.state && ep.state.rollout) || null;
  const history = ep.rollout_history || ep.rollouts || null;
  const supported = current !== null || history !== null;
  let body;
  if (!supported) {
    body = h('div', { 'data-role': 'rollout-unavailable' },
      h('p', { class: 'muted', style: { marginTop: 0 } },
        'Rollouts (canary or linear steps with bake times, automatic rollback) are not exposed by this server’s endpoints API yet. '
        + 'Progress and history will appear here once the endpoint carries them.'),
      ep.pending_config ? h('p', { class: 'muted' }, `A config update (version ${ep.pending_config.config_version}) is pending: see Pending config above.`) : null);
  } else {
    body = h('div', { 'data-role': 'rollout' },
      current ? progress(current) : h('p', { class: 'muted' }, 'No rollout in progress.'),
      h('h3', { class: 'section-title' }, 'History'),
      history && history.length ? objectsTable(history, 'rollout-history') : h('p', { class: 'muted' }, 'No past rollouts.'));
  }
  return card({ title: 'Rollout', body });
}
