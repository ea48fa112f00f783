// Shared pieces of the catalog explorer: Unity Catalog REST helpers, links, the namespace tree
// beside every catalog page, and the create / confirm dialogs.

import { api } from '../../lib/api.js';
import { h, clear, icon, modal, emptyState, formatTime, formatRelative } from '../../lib/ui.js';

export const UC = '/api/2.1/unity-catalog';
export const INGOT_TABLES = '/api/2.0/ingot/tables';

const enc = encodeURIComponent;
export const catalogHref = (c) => `/ui/catalog/${enc(c)}`;
export const schemaHref = (c, s) => `/ui/catalog/${enc(c)}/${enc(s)}`;
export const tableHref = (c, s, t) => `/ui/catalog/${enc(c)}/${enc(s)}/${enc(t)}`;
export const sqlHref = (statement) => `/ui/sql?q=${enc(statement)}`;

/** Quotes one identifier part for SQL when it is not a plain name. */
export function sqlIdent(part) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? part : `\`${String(part).replace(/`/g, '``')}\``;
}
export const sqlName = (...parts) => parts.map(sqlIdent).join('.');

export async function listCatalogs() {
  const res = await api.get(`${UC}/catalogs`);
  return (res.catalogs || []).slice().sort((a, b) => String(a.name).localeCompare(String(b.name)));
}
export async function listSchemas(catalog) {
  const res = await api.get(`${UC}/schemas`, { catalog_name: catalog });
  return (res.schemas || []).slice().sort((a, b) => String(a.name).localeCompare(String(b.name)));
}
export async function listTables(catalog, schema) {
  const res = await api.get(`${UC}/tables`, { catalog_name: catalog, schema_name: schema });
  return (res.tables || []).slice().sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

export function when(ms) {
  return h('span', { title: formatTime(ms) }, formatRelative(ms));
}

export function commentText(text) {
  return text ? h('span', { class: 'muted', title: text }, text.length > 90 ? `${text.slice(0, 90)}…` : text) : null;
}

/** "Not found" state for a catalog / schema / table that does not exist. */
export function missingState(what, name, backHref, backLabel) {
  return h('div', { class: 'card', 'data-role': 'not-found' }, emptyState({
    iconName: 'alert',
    title: `${what} not found`,
    body: h('p', null, `No ${what.toLowerCase()} named `, h('code', { class: 'inline' }, name), ' exists. It may have been dropped.'),
    action: h('a', { class: 'btn', href: backHref }, icon('back'), backLabel),
  }));
}

export const isMissing = (err) => err && err.status === 404 && err.error_code !== 'ENDPOINT_NOT_FOUND';

// ---------------------------------------------------------------- namespace tree

// Nodes the user opened stay open across navigations (the router rebuilds the page each time).
const expanded = new Set();
const TABLE_ICON = ['M4 5.5h16v13H4z', 'M4 10h16M4 14.5h16M9.5 5.5v13'];
const SCHEMA_ICON = ['M3.5 6.5a1 1 0 0 1 1-1h5l2 2h8a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1h-15a1 1 0 0 1-1-1z'];
const CATALOG_ICON = ['M5 6c0-1.4 3.1-2.6 7-2.6s7 1.2 7 2.6v12c0 1.4-3.1 2.6-7 2.6s-7-1.2-7-2.6z', 'M5 6c0 1.4 3.1 2.6 7 2.6s7-1.2 7-2.6M5 12c0 1.4 3.1 2.6 7 2.6s7-1.2 7-2.6'];

function pathIcon(paths) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  for (const d of paths) {
    const p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    p.setAttribute('d', d);
    svg.appendChild(p);
  }
  return svg;
}

/**
 * The catalog → schema → table tree. `at` = {catalog, schema, table} of the page shown; the path to
 * it is opened and highlighted. Children load when a node opens.
 */
export function namespaceTree(at = {}) {
  if (at.catalog) expanded.add(`c:${at.catalog}`);
  if (at.catalog && at.schema) expanded.add(`s:${at.catalog}.${at.schema}`);
  const el = h('nav', { class: 'uc-tree', 'aria-label': 'Catalog tree', 'data-role': 'catalog-tree' });

  function node({ key, level, label, href, iconPaths, current, loadChildren, kind }) {
    const li = h('li', { role: 'treeitem', 'data-kind': kind, 'data-name': label });
    const children = h('ul', { class: 'uc-tree-children', role: 'group' });
    const open = loadChildren ? expanded.has(key) : false;
    const caret = loadChildren
      ? h('button', {
        class: 'uc-caret', type: 'button', 'aria-label': `${open ? 'Collapse' : 'Expand'} ${label}`, 'aria-expanded': String(open),
        onClick: () => toggle(),
      }, open ? '▾' : '▸')
      : h('span', { class: 'uc-caret-space', 'aria-hidden': 'true' });
    const link = h('a', { class: 'uc-node', href, 'aria-current': current ? 'page' : undefined, title: label },
      pathIcon(iconPaths), h('span', { class: 'name' }, label));
    li.append(h('div', { class: ['uc-row', current ? 'current' : null], style: { '--level': String(level) } }, caret, link), children);
    if (loadChildren) li.setAttribute('aria-expanded', String(open));
    let loaded = false;
    async function fill() {
      loaded = true;
      children.replaceChildren(h('li', { class: 'uc-tree-note', style: { '--level': String(level + 1) } }, 'Loading…'));
      try {
        const items = await loadChildren();
        children.replaceChildren(...(items.length ? items
          : [h('li', { class: 'uc-tree-note', style: { '--level': String(level + 1) } }, kind === 'catalog' ? 'No schemas' : 'No tables')]));
      } catch (err) {
        loaded = false;
        children.replaceChildren(h('li', { class: 'uc-tree-note error', style: { '--level': String(level + 1) } }, err.message || String(err)));
      }
    }
    function toggle() {
      const now = !expanded.has(key);
      if (now) expanded.add(key);
      else expanded.delete(key);
      caret.textContent = now ? '▾' : '▸';
      caret.setAttribute('aria-expanded', String(now));
      caret.setAttribute('aria-label', `${now ? 'Collapse' : 'Expand'} ${label}`);
      li.setAttribute('aria-expanded', String(now));
      children.hidden = !now;
      if (now && !loaded) fill();
    }
    children.hidden = !open;
    if (open) fill();
    return li;
  }

  const tableNode = (c, s, t) => node({
    key: `t:${c}.${s}.${t.name}`, level: 2, label: t.name, kind: 'table', href: tableHref(c, s, t.name), iconPaths: TABLE_ICON,
    current: at.catalog === c && at.schema === s && at.table === t.name,
  });
  const schemaNode = (c, s) => node({
    key: `s:${c}.${s.name}`, level: 1, label: s.name, kind: 'schema', href: schemaHref(c, s.name), iconPaths: SCHEMA_ICON,
    current: at.catalog === c && at.schema === s.name && !at.table,
    loadChildren: async () => (await listTables(c, s.name)).map((t) => tableNode(c, s.name, t)),
  });
  const catalogNode = (c) => node({
    key: `c:${c.name}`, level: 0, label: c.name, kind: 'catalog', href: catalogHref(c.name), iconPaths: CATALOG_ICON,
    current: at.catalog === c.name && !at.schema,
    loadChildren: async () => (await listSchemas(c.name)).map((s) => schemaNode(c.name, s)),
  });

  const list = h('ul', { class: 'uc-tree-root', role: 'tree' }, h('li', { class: 'uc-tree-note' }, 'Loading…'));
  el.append(
    h('div', { class: 'uc-tree-head' }, h('a', { href: '/ui/catalog', 'aria-current': !at.catalog ? 'page' : undefined }, 'All catalogs')),
    list);
  listCatalogs().then((cats) => {
    list.replaceChildren(...(cats.length ? cats.map(catalogNode) : [h('li', { class: 'uc-tree-note' }, 'No catalogs')]));
  }).catch((err) => {
    list.replaceChildren(h('li', { class: 'uc-tree-note error' }, err.message || String(err)));
  });
  return el;
}

/** Two-pane layout: tree on the left, page content on the right. Returns the content element. */
export function explorerLayout(root, at) {
  const main = h('div', { class: 'uc-main' });
  root.appendChild(h('div', { class: 'uc-layout' }, namespaceTree(at), main));
  return main;
}

// ---------------------------------------------------------------- dialogs

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/**
 * Create-catalog / create-schema dialog. kind: 'catalog' | 'schema'. onCreated(name) after success.
 */
export function createDialog(kind, { catalog, onCreated } = {}) {
  const id = `new-${kind}`;
  const name = h('input', { class: 'input', id: `${id}-name`, required: true, autocomplete: 'off', placeholder: kind === 'catalog' ? 'e.g. sales' : 'e.g. raw' });
  const comment = h('textarea', { class: 'input', id: `${id}-comment`, rows: '3', placeholder: 'Optional' });
  const err = h('div', { class: 'form-error', role: 'alert', id: `${id}-error` });
  const submit = h('button', { class: 'btn primary', type: 'submit', form: `${id}-form`, id: `${id}-submit` }, 'Create');
  const cancel = h('button', { class: 'btn', type: 'button' }, 'Cancel');
  const form = h('form', { id: `${id}-form`, novalidate: true },
    kind === 'schema' ? h('p', { class: 'muted' }, 'In catalog ', h('code', { class: 'inline' }, catalog), '.') : null,
    h('div', { class: 'field' }, h('label', { for: `${id}-name` }, 'Name'), name,
      h('span', { class: 'help' }, 'Letters, digits, “_” and “-”.')),
    h('div', { class: 'field' }, h('label', { for: `${id}-comment` }, 'Comment'), comment),
    err);
  const dlg = modal({ title: kind === 'catalog' ? 'Create catalog' : 'Create schema', body: form, footer: [cancel, submit] });
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const n = name.value.trim();
    if (!n) {
      err.textContent = 'A name is required.';
      return;
    }
    if (!NAME_RE.test(n)) {
      err.textContent = 'Use letters, digits, “_” and “-” only.';
      return;
    }
    submit.disabled = true;
    err.textContent = '';
    try {
      const body = { name: n };
      if (comment.value.trim()) body.comment = comment.value.trim();
      if (kind === 'schema') body.catalog_name = catalog;
      await api.post(`${UC}/${kind === 'catalog' ? 'catalogs' : 'schemas'}`, body);
      dlg.close();
      if (onCreated) onCreated(n);
    } catch (e) {
      err.textContent = e.message;
      submit.disabled = false;
    }
  });
  name.focus();
  return dlg;
}

/**
 * A destructive-action confirmation. The confirm button stays disabled until the user types `typed`
 * (when given). action() runs on confirm; errors show in the dialog.
 */
export function confirmDialog({ title, body, confirmLabel, typed, action }) {
  const err = h('div', { class: 'form-error', role: 'alert' });
  const confirm = h('button', { class: 'btn danger', type: 'button', id: 'confirm-danger', disabled: !!typed }, confirmLabel);
  const cancel = h('button', { class: 'btn', type: 'button', id: 'cancel-danger' }, 'Cancel');
  const input = typed ? h('input', { class: 'input mono', id: 'confirm-typed', autocomplete: 'off', 'aria-label': `Type ${typed} to confirm` }) : null;
  if (input) input.addEventListener('input', () => { confirm.disabled = input.value.trim() !== typed; });
  const dlg = modal({
    title,
    body: [body,
      typed ? h('div', { class: 'field', style: { marginTop: '12px' } },
        h('label', { for: 'confirm-typed' }, 'Type ', h('code', { class: 'inline' }, typed), ' to confirm'), input) : null,
      err],
    footer: [cancel, confirm],
  });
  cancel.addEventListener('click', () => dlg.close());
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    err.textContent = '';
    try {
      await action();
      dlg.close();
    } catch (e) {
      err.textContent = e.message;
      confirm.disabled = false;
    }
  });
  (input || cancel).focus();
  return dlg;
}

export { clear };
