// Admin — users, groups (with members) and the caller's access tokens. Admin-only sections are
// hidden from non-admins (the server refuses those calls anyway).

import { api, session } from '../lib/api.js';
import { h, clear, card, pageHeader, setTitle, formatTime, inlineError, showNotice, copyButton, emptyState } from '../lib/ui.js';
import { permissionsEditor, OBJECT_TYPES, SECURABLE_TYPES } from '../lib/permissions-editor.js';

const SCIM = '/api/2.0/preview/scim/v2';

function table(headers, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('table', { class: 'simple-table' },
    h('thead', null, h('tr', null, headers.map((t) => h('th', null, t)))),
    h('tbody', null, rows));
}

async function guarded(target, fn) {
  try {
    await fn();
  } catch (err) {
    target.appendChild(inlineError(err));
  }
}

function section(title, hint, id) {
  const body = h('div', { id });
  return { el: card({ title, hint, body }), body };
}

async function renderTokens(body) {
  clear(body);
  const comment = h('input', { class: 'input', id: 'token-comment', placeholder: 'Comment (what it is for)' });
  const days = h('input', { class: 'input', id: 'token-days', type: 'number', min: '1', placeholder: 'Days (empty: no expiry)', style: 'max-width: 190px' });
  const create = h('button', { class: 'btn primary', type: 'button', id: 'token-create' }, 'Create token');
  const shown = h('div', { id: 'token-created' });
  create.addEventListener('click', () => guarded(body, async () => {
    const req = { comment: comment.value.trim() || undefined };
    if (days.value) req.lifetime_seconds = Number(days.value) * 86400;
    const res = await api.post('/api/2.0/token/create', req);
    await renderTokens(body);
    body.prepend(h('div', { class: 'notice', id: 'token-created' },
      h('p', null, 'Copy the new token now: it is not shown again.'),
      h('code', { class: 'inline', id: 'token-value' }, res.token_value), ' ', copyButton(res.token_value)));
  }));
  const { token_infos: tokens = [] } = await api.get('/api/2.0/token/list');
  const rows = tokens.map((t) => h('tr', { 'data-token': t.token_id },
    h('td', null, h('code', { class: 'inline' }, t.token_id)),
    h('td', null, t.comment || ''),
    h('td', null, formatTime(t.creation_time)),
    h('td', null, t.expiry_time > 0 ? formatTime(t.expiry_time) : 'never'),
    h('td', null, h('button', {
      class: 'btn sm danger', type: 'button',
      onClick: () => guarded(body, async () => {
        await api.post('/api/2.0/token/delete', { token_id: t.token_id });
        await renderTokens(body);
      }),
    }, 'Delete'))));
  body.append(shown, h('div', { class: 'toolbar' }, comment, days, create),
    table(['Token id', 'Comment', 'Created', 'Expires', ''], rows, 'No tokens yet.'));
}

async function renderUsers(body, onChange) {
  clear(body);
  const name = h('input', { class: 'input', id: 'user-name-input', placeholder: 'User name', autocomplete: 'off' });
  const password = h('input', { class: 'input', id: 'user-password-input', type: 'password', placeholder: 'Initial password', autocomplete: 'new-password' });
  const admin = h('input', { type: 'checkbox', id: 'user-admin-input' });
  const create = h('button', { class: 'btn primary', type: 'button', id: 'user-create' }, 'Create user');
  create.addEventListener('click', () => guarded(body, async () => {
    const req = { userName: name.value.trim(), password: password.value || undefined };
    if (admin.checked) req.entitlements = [{ value: 'admin' }];
    await api.post(`${SCIM}/Users`, req);
    await renderUsers(body, onChange);
    onChange();
  }));
  const { Resources: users = [] } = await api.get(`${SCIM}/Users`);
  const rows = users.map((u) => h('tr', { 'data-user': u.userName },
    h('td', null, u.userName),
    h('td', null, (u.entitlements || []).some((e) => e.value === 'admin') ? 'admin' : ''),
    h('td', null, (u.groups || []).map((g) => g.value).join(', ')),
    h('td', null, u.userName === session.me?.user_name ? null : h('button', {
      class: 'btn sm danger', type: 'button',
      onClick: () => guarded(body, async () => {
        await api.delete(`${SCIM}/Users/${encodeURIComponent(u.id)}`);
        await renderUsers(body, onChange);
        onChange();
      }),
    }, 'Delete'))));
  body.append(h('div', { class: 'toolbar' }, name, password, h('label', null, admin, ' admin'), create),
    table(['User', 'Role', 'Groups', ''], rows, 'No users.'));
  return users;
}

async function renderGroups(body) {
  clear(body);
  const [{ Resources: groups = [] }, { Resources: users = [] }] = await Promise.all([api.get(`${SCIM}/Groups`), api.get(`${SCIM}/Users`)]);
  const name = h('input', { class: 'input', id: 'group-name-input', placeholder: 'Group name' });
  const create = h('button', { class: 'btn primary', type: 'button', id: 'group-create' }, 'Create group');
  create.addEventListener('click', () => guarded(body, async () => {
    await api.post(`${SCIM}/Groups`, { displayName: name.value.trim() });
    await renderGroups(body);
  }));
  const rows = groups.map((g) => {
    const pick = h('select', { class: 'select', 'aria-label': `Add a member to ${g.displayName}` },
      h('option', { value: '' }, 'Add member…'),
      users.filter((u) => !(g.members || []).some((m) => m.value === u.id && !String(m.$ref || '').startsWith('Groups/')))
        .map((u) => h('option', { value: u.id }, u.userName)));
    pick.addEventListener('change', () => guarded(body, async () => {
      if (!pick.value) return;
      await api.patch(`${SCIM}/Groups/${g.id}`, { Operations: [{ op: 'add', path: 'members', value: [{ value: pick.value }] }] });
      await renderGroups(body);
    }));
    return h('tr', { 'data-group': g.displayName },
      h('td', null, g.displayName),
      h('td', null, (g.members || []).map((m) => m.display).join(', ') || h('span', { class: 'muted' }, 'no members')),
      h('td', null, pick),
      h('td', null, h('button', {
        class: 'btn sm danger', type: 'button',
        onClick: () => guarded(body, async () => {
          await api.delete(`${SCIM}/Groups/${g.id}`);
          await renderGroups(body);
        }),
      }, 'Delete')));
  });
  body.append(h('div', { class: 'toolbar' }, name, create), table(['Group', 'Members', '', ''], rows, 'No groups yet.'));
}

/** Permissions on any object or securable: pick the type, name the object, edit its grants. */
function renderPermissions(body, params) {
  const type = h('select', { class: 'select', id: 'perm-object-type', 'aria-label': 'Object type' },
    Object.entries(OBJECT_TYPES).map(([value, label]) => h('option', { value }, label)),
    Object.entries(SECURABLE_TYPES).map(([value, label]) => h('option', { value: `uc:${value}` }, `${label} (catalog)`)));
  const id = h('input', { class: 'input', id: 'perm-object-id', placeholder: 'Id or name (experiment id, model name, catalog.schema.table…)', autocomplete: 'off' });
  const open = h('button', { class: 'btn primary', type: 'submit', id: 'perm-open' }, 'Show permissions');
  const host = h('div', { id: 'perm-host' });
  const form = h('form', { class: 'toolbar', 'aria-label': 'Find an object' }, type, id, open);
  const show = (t, name) => {
    clear(host);
    if (!name) return;
    host.appendChild(t.startsWith('uc:') ? permissionsEditor({ securable: t.slice(3), name }) : permissionsEditor({ type: t, id: name }));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams(window.location.search);
    q.set('perm_type', type.value);
    q.set('perm_id', id.value.trim());
    window.history.replaceState({}, '', `${window.location.pathname}?${q.toString()}`);
    show(type.value, id.value.trim());
  });
  const initialType = params.query && params.query.get('perm_type');
  if (initialType && [...type.options].some((o) => o.value === initialType)) type.value = initialType;
  id.value = (params.query && params.query.get('perm_id')) || '';
  body.append(form, host);
  show(type.value, id.value);
}

export async function render(root, params) {
  setTitle('Admin');
  const me = session.me || await api.get('/api/2.0/ingot/me');
  root.appendChild(pageHeader({
    title: 'Admin',
    subtitle: `Signed in as ${me.user_name}${me.is_admin ? ' (admin)' : ''}${me.groups && me.groups.length ? ` · groups: ${me.groups.join(', ')}` : ''}`,
  }));
  if (me.auth_mode === 'none') {
    root.appendChild(card({ title: 'Authentication is off', body: h('p', null,
      'Everyone is the local admin (auth.mode: none). Run `ingot admin init` and set auth.mode: token to manage users, groups and tokens.') }));
  }
  const tokens = section('Your access tokens', 'Bearer tokens for the API, the CLI and the mlflow client', 'admin-tokens');
  root.appendChild(tokens.el);
  await guarded(tokens.body, () => renderTokens(tokens.body));
  // Anyone may look up an object they hold a level on; changing needs CAN_MANAGE (MANAGE on securables).
  const perms = section('Permissions', 'who may read, edit, run or manage an object', 'admin-permissions');
  root.appendChild(perms.el);
  renderPermissions(perms.body, params);
  if (!me.is_admin) return;  // users and groups are managed by admins only
  const users = section('Users', null, 'admin-users');
  const groups = section('Groups', 'with their direct members', 'admin-groups');
  root.append(users.el, groups.el);
  const refreshGroups = () => { if (params.isCurrent()) guarded(groups.body, () => renderGroups(groups.body)); };
  await guarded(users.body, () => renderUsers(users.body, refreshGroups));
  await guarded(groups.body, () => renderGroups(groups.body));
}
