// Rollout progress and history: the endpoint GET carries `rollout` (the latest, running or finished:
// state, strategy, steps[] with observed requests/errors/p99 and decisions, current_step,
// traffic_percentage, target_entity, reason) and `rollout_history` (newest first). A running rollout
// can be canceled (all traffic back to the old entity) or promoted (the new one takes 100% now).

import { api } from '../../lib/api.js';
import { h, card, statusBadge, formatTime, formatNumber, showError, showNotice } from '../../lib/ui.js';

const ROLLOUT = (name) => `/api/2.0/ingot/serving-endpoints/${encodeURIComponent(name)}/rollout`;

function value(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return v > 1e12 && v < 1e14 ? formatTime(v) : formatNumber(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** statusBadge with rollout words coloured by meaning (succeeded is good, rolled back is bad). */
function stateBadge(st) {
  const up = String(st || 'UNKNOWN').toUpperCase();
  const alias = {
    SUCCEEDED: 'SUCCESS', COMPLETED: 'SUCCESS', DONE: 'SUCCESS', PASSED: 'SUCCESS', ROLLED_BACK: 'FAILED', ROLLING_BACK: 'RUNNING',
    BAKING: 'RUNNING', LOADING: 'RUNNING', CANCELED: 'KILLED', ABORTED: 'KILLED',
  }[up];
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

/** Cancel / promote buttons for a running rollout. */
function actions(ep) {
  const post = (what, confirmText) => async () => {
    if (!window.confirm(confirmText)) return;
    try {
      const answer = await api.post(`${ROLLOUT(ep.name)}/${what}`);
      showNotice('ok', `Rollout ${answer.rollout.state.toLowerCase().replace(/_/g, ' ')}.`);
    } catch (e) {
      showError(e);
    }
  };
  const cancel = h('button', { class: 'btn danger', type: 'button', 'data-role': 'rollout-cancel' }, 'Cancel rollout');
  cancel.addEventListener('click', post('cancel', 'Cancel the rollout? All traffic returns to the old entity.'));
  const promote = h('button', { class: 'btn', type: 'button', 'data-role': 'rollout-promote' }, 'Promote now');
  promote.addEventListener('click', post('promote', 'Skip the remaining steps? The new entity takes 100% of traffic now.'));
  return h('div', { class: 'row wrap', style: { marginTop: '8px' }, 'data-needs': 'CAN_MANAGE', 'data-role': 'rollout-actions' }, promote, cancel);
}

function progress(rollout, ep) {
  const active = ['LOADING', 'BAKING'].includes(String(rollout.state).toUpperCase());
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
    rollout.reason ? h('div', { class: 'small', 'data-role': 'rollout-reason' }, rollout.reason) : null,
    steps.length ? objectsTable(steps.map(stepRow), 'rollout-steps') : null,
    active && ep ? actions(ep) : null);
}

/** A step's columns in reading order: the split, the outcome, what the new and the old entity did. */
function stepRow(st) {
  const row = {
    step: Number.isFinite(Number(st.step)) ? Number(st.step) + 1 : st.step, traffic_percentage: st.traffic_percentage, state: st.state,
    requests: st.requests ?? null, errors: st.errors ?? null, error_rate: st.error_rate ?? null, p99_ms: st.p99_ms ?? null,
    baseline_requests: st.baseline_requests ?? null, baseline_error_rate: st.baseline_error_rate ?? null,
    baseline_p99_ms: st.baseline_p99_ms ?? null, decision: st.decision ?? null, start_time: st.start_time ?? null,
  };
  for (const k of Object.keys(st)) if (!(k in row) && (typeof st[k] !== 'object' || st[k] === null)) row[k] = st[k];
  return row;
}

/** The columns of the history table. */
function summary(r) {
  return {
    state: r.state, strategy: r.strategy, from: r.baseline_entity, to: r.target_entity, traffic_percentage: r.traffic_percentage,
    start_time: r.start_time, end_time: r.end_time ?? null, reason: r.reason ?? null,
  };
}

export function rolloutSection(ep) {
  const current = ep.rollout || (ep.state && ep.state.rollout) || null;
  const history = ep.rollout_history || ep.rollouts || null;
  const supported = current !== null || history !== null;
  let body;
  if (!supported) {
    body = h('div', { 'data-role': 'rollout-unavailable' },
      h('p', { class: 'muted', style: { marginTop: 0 } },
        'This server does not report rollouts for the endpoint.'),
      ep.pending_config ? h('p', { class: 'muted' }, `A config update (version ${ep.pending_config.config_version}) is pending: see Pending config above.`) : null);
  } else {
    body = h('div', { 'data-role': 'rollout' },
      current ? progress(current, ep) : h('p', { class: 'muted' }, 'No rollouts yet.',
        h('span', { 'data-needs': 'CAN_MANAGE' }, ' Start one with ', h('code', { class: 'inline' }, `ingot endpoints rollout ${ep.name} --version V --steps 10,50,100 --bake 60s`), '.')),
      h('h3', { class: 'section-title' }, 'History'),
      history && history.length ? objectsTable(history.map(summary), 'rollout-history') : h('p', { class: 'muted' }, 'No past rollouts.'));
  }
  return card({ title: 'Rollout', body });
}
