// Permissions: the reusable editor (grant / revoke) for object ACLs (Databricks' permissions API:
// experiments, registered models, serving endpoints, pipelines, jobs) and Unity Catalog grants
// (catalogs, schemas, tables), plus the caller's own level so pages hide what it cannot do. The
// server refuses those actions anyway; hiding only keeps the page honest.

import { api, session } from './api.js';
import { h, clear, inlineError, modal } from './ui.js';

export const OBJECT_TYPES = {
  experiments: 'Experiment',
  'registered-models': 'Registered model',
  'serving-endpoints': 'Serving endpoint',
  pipelines: 'Pipeline',
  jobs: 'Job',
};
export const SECURABLE_TYPES = { catalog: 'Catalog', schema: 'Schema', table: 'Table' };
const PRIVILEGES = ['USE_CATALOG', 'USE_SCHEMA', 'SELECT', 'MODIFY', 'CREATE_TABLE', 'CREATE_SCHEMA', 'MANAGE', 'ALL_PRIVILEGES'];
const KINDS = [['user_name', 'User'], ['group_name', 'Group'], ['service_principal_name', 'Service principal']];

const aclPath = (type, id) => `/api/2.0/permissions/${type}/${encodeURIComponent(id)}`;
const grantsPath = (type, name) => `/api/2.1/unity-catalog/permissions/${type}/${encodeURIComponent(name)}`;

/** Whether authentication is off (everyone is the local admin) or the caller is an admin. */
export function unrestricted() {
  const me = session.me;
  return !me || me.auth_mode === 'none' || me.is_admin;
}

/**
 * The levels the caller holds on an object (`['CAN_READ', 'CAN_EDIT']`): every level when it is an
 * admin or auth is off, none when it holds nothing or the question fails.
 */
export async function myLevels(type, id) {
  if (unrestricted()) return { all: true, levels: [] };
  try {
    const res = await api.get(`${aclPath(type, id)}/me`);
    return { all: false, levels: res.levels || [] };
  } catch {
    return { all: false, levels: [] };
  }
}

/** The catalog privileges the caller holds on a securable (`['USE_CATALOG', 'SELECT']`). */
export async function myPrivileges(type, fullName) {
  if (unrestricted()) return { all: true, levels: [] };
  try {
    const res = await api.get(`/api/2.1/unity-catalog/effective-permissions/${type}/${encodeURIComponent(fullName)}/me`);
    return { all: false, levels: res.privileges || [] };
  } catch {
    return { all: false, levels: [] };
  }
}

/** `can(held, 'CAN_EDIT')`: the caller may do what needs that level (or privilege). */
export function can(held, level) {
  if (!held) return false;
  if (held.all) return true;
  return held.levels.includes(level) || held.levels.includes('ALL_PRIVILEGES');
}

/** Hides (and disables) elements the caller may not use. */
export function hideUnless(allowed, ...elements) {
  for (const el of elements) {
    if (!el || allowed) continue;
    el.hidden = true;
    el.disabled = true;
    el.dataset.hiddenByPermissions = 'true';
  }
}

/**
 * For sections a page redraws (polled editors, table rows): marks `root` with what the caller lacks
 * (`data-lacks="CAN_MANAGE CAN_QUERY"`), and CSS hides every element inside it tagged
 * `data-needs="CAN_MANAGE"` for a lacking level, however late it renders. `held` as `myLevels`
 * gives it; `levels` the ones the page asks about.
 */
export function markLacking(root, held, levels) {
  root.dataset.lacks = levels.filter((level) => !can(held, level)).join(' ');
}

function principalOf(row) {
  for (const [key, label] of KINDS) if (row[key]) return { key, label, name: row[key] };
  return { key: 'user_name', label: 'User', name: row.principal || '' };
}

function grid(headers, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted', 'data-role': 'permissions-empty' }, empty);
  return h('table', { class: 'simple-table', 'data-role': 'permissions-table' },
    h('thead', null, h('tr', null, headers.map((t) => h('th', null, t)))),
    h('tbody', null, rows));
}

/** Names the grant form can offer (admins may list users and groups; others type names). */
async function knownPrincipals() {
  if (!session.me || !session.me.is_admin) return [];
  try {
    const [users, groups] = await Promise.all([
      api.get('/api/2.0/preview/scim/v2/Users'), api.get('/api/2.0/preview/scim/v2/Groups')]);
    return [...(users.Resources || []).map((u) => u.userName), ...(groups.Resources || []).map((g) => g.displayName)];
  } catch {
    return [];
  }
}

/**
 * The editor for one object or securable. `target`: `{ type: 'experiments', id: '12' }` for an
 * object ACL, `{ securable: 'table', name: 'main.sales.orders' }` for catalog grants. Returns the
 * element; it loads itself.
 */
export function permissionsEditor(target) {
  const body = h('div', { class: 'permissions-editor', id: 'permissions-editor', 'data-target': target.type ? `${target.type}/${target.id}` : `${target.securable}/${target.name}` });
  const reload = () => (target.type ? renderACL(body, target, reload) : renderGrants(body, target, reload)).catch((err) => {
    clear(body);
    body.appendChild(inlineError(err));
  });
  reload();
  return body;
}

function grantForm({ kinds, levels, onGrant }) {
  const list = h('datalist', { id: `perm-principals-${Math.random().toString(36).slice(2, 8)}` });
  knownPrincipals().then((names) => names.forEach((n) => list.appendChild(h('option', { value: n }))));
  const kind = kinds ? h('select', { class: 'select', id: 'perm-kind', 'aria-label': 'Principal kind' },
    kinds.map(([key, label]) => h('option', { value: key }, label))) : null;
  const name = h('input', { class: 'input', id: 'perm-principal', placeholder: 'User, group or service principal', list: list.id, autocomplete: 'off' });
  const level = h('select', { class: 'select', id: 'perm-level', 'aria-label': 'Permission' }, levels.map((l) => h('option', { value: l }, l)));
  const grant = h('button', { class: 'btn primary', type: 'submit', id: 'perm-grant' }, 'Grant');
  const form = h('form', { class: 'toolbar', 'aria-label': 'Grant a permission' }, kind, name, list, level, grant);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!name.value.trim()) return;
    grant.disabled = true;
    try {
      await onGrant({ kind: kind ? kind.value : null, name: name.value.trim(), level: level.value });
    } finally {
      grant.disabled = false;
    }
  });
  return form;
}

async function renderACL(body, { type, id }, reload) {
  const [acl, levelsRes, mine] = await Promise.all([
    api.get(aclPath(type, id)),
    api.get(`${aclPath(type, id)}/permissionLevels`),
    myLevels(type, id),
  ]);
  clear(body);
  const manage = can(mine, 'CAN_MANAGE');
  const levels = (levelsRes.permission_levels || []).map((l) => l.permission_level).filter((l) => l !== 'IS_OWNER');
  const entries = (acl.access_control_list || []).map((row) => ({ ...principalOf(row), level: ((row.all_permissions || [])[0] || {}).permission_level || '' }));
  const fail = (err) => body.appendChild(inlineError(err));
  const rows = entries.map((e, i) => h('tr', { 'data-principal': e.name, 'data-level': e.level },
    h('td', null, e.name), h('td', null, e.label), h('td', null, h('code', { class: 'inline' }, e.level)),
    h('td', null, manage && e.level !== 'IS_OWNER' ? h('button', {
      class: 'btn sm danger', type: 'button', 'data-action': 'revoke',
      onClick: async () => {
        // Revoking is the ACL without that row (PUT replaces the list).
        const rest = entries.filter((_, j) => j !== i).map((x) => ({ [x.key]: x.name, permission_level: x.level }));
        try {
          await api.put(aclPath(type, id), { access_control_list: rest });
          reload();
        } catch (err) { fail(err); }
      },
    }, 'Revoke') : null)));
  body.append(grid(['Principal', 'Kind', 'Permission', ''], rows, 'No one has permissions here yet (administrators always do).'));
  if (manage) {
    body.appendChild(grantForm({
      kinds: KINDS, levels,
      onGrant: async ({ kind, name, level }) => {
        try {
          await api.patch(aclPath(type, id), { access_control_list: [{ [kind]: name, permission_level: level }] });
          reload();
        } catch (err) { fail(err); }
      },
    }));
  } else {
    body.appendChild(h('p', { class: 'muted' }, 'Changing permissions needs CAN_MANAGE.'));
  }
}

async function renderGrants(body, { securable, name }, reload) {
  const [grants, mine] = await Promise.all([api.get(grantsPath(securable, name)), myPrivileges(securable, name)]);
  clear(body);
  const manage = can(mine, 'MANAGE');
  const fail = (err) => body.appendChild(inlineError(err));
  const rows = [];
  for (const a of grants.privilege_assignments || []) {
    for (const p of a.privileges || []) {
      rows.push(h('tr', { 'data-principal': a.principal, 'data-level': p },
        h('td', null, a.principal), h('td', null, h('code', { class: 'inline' }, p)),
        h('td', null, manage ? h('button', {
          class: 'btn sm danger', type: 'button', 'data-action': 'revoke',
          onClick: async () => {
            try {
              await api.patch(grantsPath(securable, name), { changes: [{ principal: a.principal, remove: [p] }] });
              reload();
            } catch (err) { fail(err); }
          },
        }, 'Revoke') : null)));
    }
  }
  body.append(grid(['Principal', 'Privilege', ''], rows, 'No grants here (grants on the parent catalog or schema still apply).'));
  if (manage) {
    body.appendChild(grantForm({
      kinds: null, levels: PRIVILEGES,
      onGrant: async ({ name: principal, level }) => {
        try {
          await api.patch(grantsPath(securable, name), { changes: [{ principal, add: [level] }] });
          reload();
        } catch (err) { fail(err); }
      },
    }));
  } else {
    body.appendChild(h('p', { class: 'muted' }, 'Changing grants needs MANAGE.'));
  }
}

/** A "Permissions" header button that opens the editor in a dialog. */
export function permissionsButton(target, label = 'Permissions') {
  return h('button', {
    class: 'btn', type: 'button', id: 'open-permissions',
    onClick: () => {
      const close = h('button', { class: 'btn', type: 'button' }, 'Close');
      const dlg = modal({ title: `${label} · ${target.type ? OBJECT_TYPES[target.type] : SECURABLE_TYPES[target.securable]} ${target.id || target.name}`, body: permissionsEditor(target), footer: close });
      close.addEventListener('click', () => dlg.close());
    },
  }, label);
}
