// One serving endpoint: state and served entities, pending config (an update in progress), the traffic
// split editor, rollout progress and history, live request charts and a "try it" box.
// The endpoint is polled (every second while an update is in progress, else every 4 s); sections the
// user is editing are not redrawn under them.

import { api } from '../../lib/api.js';
import { h, add, clear, pageHeader, setTitle, card, showError, showNotice, navigate, icon, formatTime, inlineError } from '../../lib/ui.js';
import {
  ENDPOINTS, deploymentBadge, entityInput, entityTarget, getEndpoint, putConfig, readyBadge, routeMap, updateBadge, when,
} from './common.js';
import { liveCharts } from './charts.js';
import { permissionsButton, myLevels, can, hideUnless, markLacking } from '../../lib/permissions-editor.js';
import { rolloutSection } from './rollout.js';
import { tryIt } from './tryit.js';

function modelLink(e) {
  const version = e.resolved_version || (String(e.entity_version || '').startsWith('@') ? null : e.entity_version);
  const href = version ? `/ui/models/${encodeURIComponent(e.entity_name)}/versions/${encodeURIComponent(version)}` : `/ui/models/${encodeURIComponent(e.entity_name)}`;
  return h('a', { href }, entityTarget(e));
}

// Runtime of each served version ("lightgbm-native", "python-pyfunc"…) from Open Inference V2 metadata, asked once.
const runtimes = new Map();

function runtimeCell(endpoint, e) {
  const cell = h('td', { 'data-role': 'runtime' }, h('span', { class: 'muted' }, '—'));
  const ready = e.state && e.state.deployment === 'DEPLOYMENT_READY';
  if (!ready || !e.resolved_version || e.shadow) return cell;
  const key = `${endpoint}/${e.resolved_version}`;
  if (!runtimes.has(key)) {
    runtimes.set(key, api.get(`/v2/models/${encodeURIComponent(endpoint)}/versions/${encodeURIComponent(e.resolved_version)}`)
      .then((m) => m.platform || null).catch(() => { runtimes.delete(key); return null; }));
  }
  runtimes.get(key).then((platform) => {
    if (platform) clear(cell).appendChild(h('span', { class: 'id-text', title: platform.endsWith('-native') ? 'Native evaluator, no Python in the request path' : 'Python pyfunc worker processes' }, platform));
  });
  return cell;
}

function entitiesTable(config, { pending = false, endpoint = null } = {}) {
  const routes = routeMap(config);
  const entities = (config && config.served_entities) || [];
  if (!entities.length) return h('p', { class: 'muted' }, 'No served entities.');
  return h('div', { class: 'dt' }, h('div', { class: 'dt-scroll auto-height' },
    h('table', { class: 'data', 'data-role': pending ? 'pending-entities' : 'entities' },
      h('thead', null, h('tr', null, ['Served entity', 'Model', 'State', 'Traffic', 'Runtime', 'Concurrency', 'Scale to zero'].map((c) => h('th', null, c)))),
      h('tbody', null, entities.map((e) => h('tr', { 'data-entity': e.name },
        h('td', null, h('span', { class: 'id-text' }, e.name), e.shadow ? h('span', { class: 'badge warn', style: { marginLeft: '6px' } }, 'Shadow') : null),
        h('td', null, modelLink(e)),
        h('td', null, deploymentBadge(e),
          e.state && e.state.deployment_state_message ? h('div', { class: 'muted small', 'data-role': 'state-message' }, e.state.deployment_state_message) : null),
        h('td', { 'data-role': 'traffic' }, e.shadow ? h('span', { class: 'muted' }, 'copy of traffic') : `${routes.get(e.name) ?? 0}%`),
        pending || !endpoint ? h('td', null, h('span', { class: 'muted' }, '—')) : runtimeCell(endpoint, e),
        h('td', null, `${e.min_provisioned_concurrency ?? '?'}–${e.max_provisioned_concurrency ?? '?'}`),
        h('td', null, e.scale_to_zero_enabled ? 'Yes' : 'No')))))));
}

function splitBar(rows) {
  const total = rows.reduce((s, r) => s + (Number(r.pct) || 0), 0) || 1;
  return h('div', { class: 'split-bar', 'aria-hidden': 'true' },
    rows.map((r, i) => h('span', { class: `split-seg c${i % 6}`, style: { width: `${(100 * (Number(r.pct) || 0)) / total}%` }, title: `${r.name}: ${r.pct}%` })));
}

/** Traffic split editor. Sends the full config (entities + routes) with PUT /config and shows the API's answer. */
function splitEditor(name, ep, onSaved) {
  // While an update is pending, its config is what the next save builds on.
  const config = ep.pending_config || ep.config || { served_entities: [] };
  const routes = routeMap(config);
  const state = {
    dirty: false,
    rows: (config.served_entities || []).filter((e) => !e.shadow).map((e) => ({ name: e.name, input: entityInput(e), label: entityTarget(e), pct: routes.get(e.name) ?? 0, isNew: false })),
    shadows: (config.served_entities || []).filter((e) => e.shadow).map(entityInput),
  };
  const body = h('div', { 'data-role': 'split-editor', 'data-config-version': String(config.config_version ?? '') });
  const err = h('div', { class: 'form-error', role: 'alert', 'data-role': 'split-error' });
  const totalEl = h('span', { 'data-role': 'split-total' });
  const barHost = h('div');
  const save = h('button', { class: 'btn primary', type: 'button', id: 'save-split' }, 'Save traffic split');
  const reset = h('button', { class: 'btn', type: 'button', id: 'reset-split' }, 'Discard changes');
  const inProgress = ep.state && ep.state.config_update === 'IN_PROGRESS';

  function redrawTotals() {
    const total = state.rows.reduce((s, r) => s + (Number(r.pct) || 0), 0);
    totalEl.textContent = `Total ${total}%`;
    totalEl.className = total === 100 ? 'badge ok' : 'badge warn';
    clear(barHost).appendChild(splitBar(state.rows));
  }

  const list = h('div', { class: 'split-rows' });
  function drawRows() {
    clear(list);
    state.rows.forEach((r, i) => {
      const input = h('input', {
        class: 'input', type: 'number', min: '0', max: '100', step: '1', value: String(r.pct), id: `split-${r.name}`,
        'data-entity': r.name, 'aria-label': `Traffic percentage for ${r.name}`, style: { width: '90px' },
      });
      input.addEventListener('input', () => {
        r.pct = input.value === '' ? 0 : Number(input.value);
        state.dirty = true;
        redrawTotals();
      });
      const remove = h('button', {
        class: 'btn ghost icon', type: 'button', title: `Remove ${r.name} from the config`, 'aria-label': `Remove ${r.name}`,
        onClick: () => {
          state.rows.splice(i, 1);
          state.dirty = true;
          drawRows();
        },
      }, '×');
      list.appendChild(h('div', { class: 'split-row', 'data-entity': r.name },
        h('span', { class: `split-swatch c${i % 6}`, 'aria-hidden': 'true' }),
        h('span', { class: 'split-name' }, h('span', { class: 'id-text' }, r.name), h('span', { class: 'muted small' }, ` ${r.label}${r.isNew ? ' (new)' : ''}`)),
        input, h('span', { class: 'muted' }, '%'), state.rows.length > 1 ? remove : null));
    });
    redrawTotals();
  }

  // Add a served entity (e.g. a canary version at 0%).
  const addModel = h('input', { class: 'input', id: 'add-entity-model', placeholder: 'model', style: { width: '180px' }, value: (state.rows[0] && state.rows[0].input.entity_name) || '' });
  const addVersion = h('input', { class: 'input', id: 'add-entity-version', placeholder: 'version or @alias', style: { width: '140px' } });
  const addBtn = h('button', { class: 'btn sm', type: 'button', id: 'add-entity' }, icon('plus'), 'Add served entity');
  addBtn.addEventListener('click', () => {
    const model = addModel.value.trim();
    const v = addVersion.value.trim();
    if (!model || !v) {
      err.textContent = 'Give a model name and a version (or @alias) to add.';
      return;
    }
    const input = { entity_name: model };
    if (v.startsWith('@')) input.alias = v.slice(1);
    else input.entity_version = v;
    input.name = `${model}-${v.replace(/^@/, '')}`;
    state.rows.push({ name: input.name, input, label: v.startsWith('@') ? `${model} ${v}` : `${model} v${v}`, pct: 0, isNew: true });
    state.dirty = true;
    err.textContent = '';
    addVersion.value = '';
    drawRows();
  });

  save.addEventListener('click', async () => {
    err.textContent = '';
    save.disabled = true;
    const payload = {
      served_entities: [...state.rows.map((r) => ({ ...r.input, name: r.name })), ...state.shadows],
      traffic_config: { routes: state.rows.map((r) => ({ served_entity_name: r.name, traffic_percentage: Number(r.pct) })) },
    };
    try {
      const answer = await putConfig(name, payload);
      state.dirty = false;
      const version = answer.pending_config ? answer.pending_config.config_version : answer.config && answer.config.config_version;
      showNotice('ok', `Traffic split saved (config version ${version}).`);
      await onSaved(answer);
    } catch (e) {
      err.textContent = `${e.message}${e.error_code ? ` (${e.error_code})` : ''}`;
      save.disabled = false;
    }
  });
  reset.addEventListener('click', () => onSaved(null, { force: true }));

  drawRows();
  add(body,
    inProgress ? h('p', { class: 'muted', 'data-role': 'split-busy' }, 'An update is in progress; saving now is refused until it finishes.') : null,
    barHost, list,
    h('div', { class: 'row wrap', style: { margin: '10px 0' } }, totalEl),
    h('div', { class: 'row wrap', style: { marginBottom: '12px' } }, addModel, addVersion, addBtn),
    err,
    h('div', { class: 'row' }, save, reset),
    h('p', { class: 'muted small', style: { marginBottom: 0 } },
      'Saving sends the whole config (PUT /api/2.0/serving-endpoints/{name}/config). The new config takes traffic only once every entity is loaded and healthy.'));
  return { el: body, isDirty: () => state.dirty, version: config.config_version };
}

function pendingSection(ep) {
  const p = ep.pending_config;
  const st = ep.state || {};
  const message = st.config_update_message
    ? h('div', { 'data-role': 'update-message' },
      inlineErrorOr(st.config_update === 'UPDATE_FAILED', st.config_update_message))
    : null;
  if (!p) {
    return h('div', { 'data-role': 'pending' }, message,
      h('p', { class: 'muted', style: { margin: 0 } }, 'No pending configuration: the current config carries all traffic.'));
  }
  return h('div', { 'data-role': 'pending' }, message,
    h('dl', { class: 'kv', style: { marginBottom: '12px' } },
      h('dt', null, 'Config version'), h('dd', null, String(p.config_version)),
      h('dt', null, 'Started'), h('dd', null, p.start_time ? formatTime(p.start_time) : '—'),
      h('dt', null, 'Update'), h('dd', null, updateBadge(ep))),
    entitiesTable(p, { pending: true }));
}

function inlineErrorOr(isError, message) {
  if (isError) return inlineError({ name: 'ApiError', status: 0, error_code: 'UPDATE_FAILED', message });
  return h('p', { class: 'muted' }, message);
}

export async function renderEndpoint(root, params, name) {
  setTitle(name);
  let ep = await getEndpoint(name);

  const headerHost = h('div');
  const entitiesHost = h('div');
  const pendingHost = h('div');
  // Config edits (traffic split, rollout cancel/promote) need CAN_MANAGE, "try it" CAN_QUERY: hidden without.
  const splitHost = h('div', { 'data-needs': 'CAN_MANAGE', id: 'split-host' });
  const rolloutHost = h('div');
  let editor = null;

  const del = h('button', { class: 'btn danger', type: 'button', id: 'delete-endpoint' }, 'Delete endpoint');
  del.addEventListener('click', async () => {
    if (!window.confirm(`Delete endpoint “${name}”? Its served entities stop at once.`)) return;
    try {
      await api.delete(`${ENDPOINTS}/${encodeURIComponent(name)}`);
      navigate('/ui/serving');
    } catch (e) {
      showError(e);
    }
  });
  const refreshBtn = h('button', { class: 'btn', type: 'button', id: 'refresh-endpoint' }, icon('refresh'), 'Refresh');
  myLevels('serving-endpoints', name).then((held) => {
    hideUnless(can(held, 'CAN_MANAGE'), del);
    markLacking(root, held, ['CAN_MANAGE', 'CAN_QUERY']);
  });

  function drawHeader() {
    const c = ep.config || {};
    clear(headerHost).appendChild(pageHeader({
      title: name,
      crumbs: [{ label: 'Serving', href: '/ui/serving' }, { label: name }],
      subtitle: ep.description || null,
      meta: h('div', { class: 'meta-row', 'data-role': 'endpoint-meta' },
        h('span', { class: 'meta-item' }, readyBadge(ep)),
        h('span', { class: 'meta-item' }, updateBadge(ep)),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Config version'), String(c.config_version ?? '—')),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Creator'), ep.creator || '—'),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Updated'), when(ep.last_updated_timestamp)),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Invocations'), h('code', { class: 'inline' }, `/serving-endpoints/${name}/invocations`))),
      actions: [refreshBtn, permissionsButton({ type: 'serving-endpoints', id: name }), del],
    }));
  }

  function drawSections({ force = false } = {}) {
    drawHeader();
    clear(entitiesHost).appendChild(card({ title: 'Served entities', hint: ep.config ? `config version ${ep.config.config_version}` : 'no config serving yet', body: entitiesTable(ep.config, { endpoint: name }), flush: false }));
    clear(pendingHost).appendChild(card({ title: 'Pending config', hint: ep.pending_config ? 'takes traffic once every entity is ready' : '', body: pendingSection(ep) }));
    const shown = ep.pending_config || ep.config;
    const version = shown ? shown.config_version : null;
    const busyChanged = editor && editor.el.querySelector('[data-role="split-busy"]') !== null && !(ep.state && ep.state.config_update === 'IN_PROGRESS');
    if (force || !editor || (!editor.isDirty() && (editor.version !== version || busyChanged))) {
      editor = splitEditor(name, ep, async (answer, opts) => {
        if (answer) ep = answer;
        else ep = await getEndpoint(name);
        drawSections({ force: !!(opts && opts.force) || !!answer });
      });
      clear(splitHost).appendChild(card({ title: 'Traffic split', body: editor.el }));
    }
    clear(rolloutHost).appendChild(rolloutSection(ep));
  }

  refreshBtn.addEventListener('click', async () => {
    try {
      ep = await getEndpoint(name);
      drawSections();
    } catch (e) {
      showError(e);
    }
  });

  drawSections();
  const charts = liveCharts(name, params);
  root.append(headerHost, h('div', { class: 'stack' },
    entitiesHost, pendingHost,
    h('div', { class: 'grid cols-2 serving-split-grid' }, splitHost, rolloutHost),
    charts.el,
    h('div', { 'data-needs': 'CAN_QUERY', id: 'try-host' }, tryIt(name))));

  // Poll the endpoint: fast while an update runs.
  let stopped = false;
  const alive = () => root.isConnected && params.isCurrent();
  async function poll() {
    if (stopped || !alive()) {
      stopped = true;
      return;
    }
    try {
      const fresh = await getEndpoint(name);
      if (!alive()) return;
      ep = fresh;
      drawSections();
    } catch (e) {
      if (e && e.status === 404) {
        stopped = true;
        if (alive()) showError(e);
        return;
      }
    }
    const busy = ep.state && ep.state.config_update === 'IN_PROGRESS';
    setTimeout(poll, busy ? 1000 : 4000);
  }
  setTimeout(poll, ep.state && ep.state.config_update === 'IN_PROGRESS' ? 1000 : 4000);
}

