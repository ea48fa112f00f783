// Catalog explorer list levels: all catalogs, one catalog's schemas, one schema's tables.

import { api } from '../../lib/api.js';
import { h, icon, pageHeader, setTitle, navigate, emptyState, spinner, clear, showNotice, tagChip, copyButton } from '../../lib/ui.js';
import { dataTable } from '../../lib/table.js';
import {
  UC, catalogHref, schemaHref, tableHref, listCatalogs, listSchemas, listTables, when, commentText, explorerLayout,
  createDialog, confirmDialog, missingState, isMissing,
} from './common.js';
import { volumeHref } from './volume.js';
import { myPrivileges, can, hideUnless, markLacking, unrestricted } from '../../lib/permissions-editor.js';

function propsChips(props) {
  const entries = Object.entries(props || {});
  if (!entries.length) return null;
  return h('span', { class: 'tag-list' }, entries.map(([k, v]) => tagChip(k, v)));
}

function metaRow(obj) {
  return h('div', { class: 'meta-row' },
    obj.owner ? h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Owner'), obj.owner) : null,
    h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Created'), when(obj.created_at)),
    obj.updated_at && obj.updated_at !== obj.created_at
      ? h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Updated'), when(obj.updated_at)) : null,
    propsChips(obj.properties));
}

export async function renderCatalogs(root, params) {
  setTitle('Catalog');
  const main = explorerLayout(root, {});
  main.appendChild(spinner('Loading catalogs…'));
  const catalogs = await listCatalogs();
  if (!params.isCurrent()) return;
  clear(main);
  const create = h('button', {
    class: 'btn primary', type: 'button', id: 'create-catalog',
    onClick: () => createDialog('catalog', { onCreated: (n) => navigate(catalogHref(n)) }),
  }, icon('plus'), 'Create catalog');
  hideUnless(unrestricted(), create); // creating a catalog takes an administrator
  const table = dataTable({
    label: 'Catalogs',
    rows: catalogs,
    rowKey: (c) => c.name,
    autoHeight: true,
    pageSize: 50,
    pageSizes: [25, 50, 100],
    sort: { key: 'name', dir: 'asc' },
    onRowClick: (c) => navigate(catalogHref(c.name)),
    columns: [
      { key: 'name', label: 'Name', sortable: true, render: (c) => h('a', { href: catalogHref(c.name), 'data-catalog': c.name }, c.name) },
      { key: 'comment', label: 'Comment', render: (c) => commentText(c.comment) },
      { key: 'owner', label: 'Owner', sortable: true },
      { key: 'created_at', label: 'Created', sortable: true, render: (c) => when(c.created_at) },
    ],
    empty: () => emptyState({ title: 'No catalogs yet', body: 'Create one to organise schemas and tables.', iconName: 'folder' }),
  });
  main.append(
    pageHeader({ title: 'Catalog', subtitle: 'Catalogs, schemas and tables (Delta with Iceberg metadata).', actions: [create] }),
    table.el);
}

export async function renderCatalog(root, params, catalog) {
  setTitle(catalog);
  const main = explorerLayout(root, { catalog });
  main.appendChild(spinner('Loading catalog…'));
  let info;
  let schemas;
  try {
    [info, schemas] = await Promise.all([api.get(`${UC}/catalogs/${encodeURIComponent(catalog)}`), listSchemas(catalog)]);
  } catch (err) {
    if (!params.isCurrent()) return;
    clear(main);
    if (isMissing(err)) {
      main.append(pageHeader({ title: catalog, crumbs: [{ label: 'Catalog', href: '/ui/catalog' }, { label: catalog }] }),
        missingState('Catalog', catalog, '/ui/catalog', 'All catalogs'));
      return;
    }
    throw err;
  }
  if (!params.isCurrent()) return;
  clear(main);
  const create = h('button', {
    class: 'btn primary', type: 'button', id: 'create-schema',
    onClick: () => createDialog('schema', { catalog, onCreated: (n) => navigate(schemaHref(catalog, n)) }),
  }, icon('plus'), 'Create schema');
  const drop = h('button', {
    class: 'btn danger', type: 'button', id: 'delete-catalog',
    onClick: () => confirmDialog({
      title: `Delete catalog ${catalog}?`,
      body: h('p', null, 'This deletes the catalog with all ', String(schemas.length), ' schema(s) and every table in them. Managed tables lose their data.'),
      confirmLabel: 'Delete catalog',
      typed: catalog,
      action: async () => {
        await api.delete(`${UC}/catalogs/${encodeURIComponent(catalog)}?force=true`);
        navigate('/ui/catalog');
        showNotice('ok', `Catalog ${catalog} deleted.`);
      },
    }),
  }, 'Delete');
  myPrivileges('catalog', catalog).then((held) => {
    hideUnless(can(held, 'CREATE_SCHEMA'), create);
    hideUnless(can(held, 'MANAGE'), drop);
  });
  const table = dataTable({
    label: 'Schemas',
    rows: schemas,
    rowKey: (s) => s.name,
    autoHeight: true,
    pageSize: 50,
    pageSizes: [25, 50, 100],
    sort: { key: 'name', dir: 'asc' },
    onRowClick: (s) => navigate(schemaHref(catalog, s.name)),
    columns: [
      { key: 'name', label: 'Schema', sortable: true, render: (s) => h('a', { href: schemaHref(catalog, s.name), 'data-schema': s.name }, s.name) },
      { key: 'comment', label: 'Comment', render: (s) => commentText(s.comment) },
      { key: 'owner', label: 'Owner', sortable: true },
      { key: 'created_at', label: 'Created', sortable: true, render: (s) => when(s.created_at) },
    ],
    empty: () => emptyState({ title: 'No schemas in this catalog', body: 'Create a schema to hold tables.', iconName: 'folder' }),
  });
  main.append(
    pageHeader({
      title: catalog,
      crumbs: [{ label: 'Catalog', href: '/ui/catalog' }, { label: catalog }],
      subtitle: info.comment || null,
      meta: metaRow(info),
      actions: [drop, create],
    }),
    h('h2', { class: 'section-title' }, `Schemas (${schemas.length})`),
    table.el);
}

export async function renderSchema(root, params, catalog, schema) {
  const full = `${catalog}.${schema}`;
  setTitle(full);
  const main = explorerLayout(root, { catalog, schema });
  main.appendChild(spinner('Loading schema…'));
  let info;
  let tables;
  const crumbs = [{ label: 'Catalog', href: '/ui/catalog' }, { label: catalog, href: catalogHref(catalog) }, { label: schema }];
  try {
    [info, tables] = await Promise.all([api.get(`${UC}/schemas/${encodeURIComponent(full)}`), listTables(catalog, schema)]);
  } catch (err) {
    if (!params.isCurrent()) return;
    clear(main);
    if (isMissing(err)) {
      main.append(pageHeader({ title: schema, crumbs }), missingState('Schema', full, catalogHref(catalog), `Back to ${catalog}`));
      return;
    }
    throw err;
  }
  if (!params.isCurrent()) return;
  clear(main);
  const drop = h('button', {
    class: 'btn danger', type: 'button', id: 'delete-schema',
    onClick: () => confirmDialog({
      title: `Delete schema ${full}?`,
      body: tables.length
        ? h('p', null, `The schema still holds ${tables.length} table(s); they are dropped with it and managed tables lose their data.`)
        : h('p', null, 'The schema is empty.'),
      confirmLabel: 'Delete schema',
      typed: tables.length ? schema : undefined,
      action: async () => {
        await api.delete(`${UC}/schemas/${encodeURIComponent(full)}${tables.length ? '?force=true' : ''}`);
        navigate(catalogHref(catalog));
        showNotice('ok', `Schema ${full} deleted.`);
      },
    }),
  }, 'Delete');
  myPrivileges('schema', full).then((held) => {
    hideUnless(can(held, 'MANAGE'), drop);
    // The CLI hints for creating tables and volumes show only to callers who may create them.
    markLacking(root, held, ['CREATE_TABLE', 'CREATE_VOLUME']);
  });
  const table = dataTable({
    label: 'Tables',
    rows: tables,
    rowKey: (t) => t.name,
    autoHeight: true,
    pageSize: 50,
    pageSizes: [25, 50, 100],
    sort: { key: 'name', dir: 'asc' },
    onRowClick: (t) => navigate(tableHref(catalog, schema, t.name)),
    columns: [
      { key: 'name', label: 'Table', sortable: true, render: (t) => h('a', { href: tableHref(catalog, schema, t.name), 'data-table': t.name }, t.name) },
      { key: 'table_type', label: 'Type', sortable: true, render: (t) => (t.table_type ? h('span', { class: 'badge plain' }, t.table_type) : null) },
      { key: 'data_source_format', label: 'Format', sortable: true },
      { key: 'delta_version', label: 'Version', sortable: true, align: 'right', value: (t) => Number(t.delta_version) },
      { key: 'updated_at', label: 'Updated', sortable: true, render: (t) => when(t.updated_at || t.created_at) },
      { key: 'owner', label: 'Owner', sortable: true },
      { key: 'comment', label: 'Comment', render: (t) => commentText(t.comment) },
    ],
    empty: () => emptyState({
      title: 'No tables in this schema',
      iconName: 'list',
      body: h('div', { 'data-needs': 'CREATE_TABLE', 'data-role': 'create-table-hint' },
        h('p', null, 'Load a CSV, JSON-lines or Parquet file with the CLI:'),
        h('pre', { class: 'code', style: { textAlign: 'left', marginTop: '8px' } },
          `ingot tables ingest data.csv ${full}.my_table --server ${window.location.origin}`)),
    }),
  });
  main.append(
    pageHeader({
      title: schema,
      crumbs,
      subtitle: h('span', null, info.comment ? `${info.comment} · ` : '', h('code', { class: 'inline' }, full), ' ', copyButton(full, { label: 'Copy schema name' })),
      meta: metaRow(info),
      actions: [drop],
    }),
    h('h2', { class: 'section-title' }, `Tables (${tables.length})`),
    table.el,
    volumesSection(catalog, schema));
}

/** The schema's volumes, each linking to its file browser (filled in when the list arrives). */
function volumesSection(catalog, schema) {
  const section = h('div', { id: 'schema-volumes' });
  api.get(`${UC}/volumes`, { catalog_name: catalog, schema_name: schema }).then(({ volumes = [] }) => {
    section.append(h('h2', { class: 'section-title' }, `Volumes (${volumes.length})`),
      volumes.length
        ? h('ul', { class: 'plain-list' }, volumes.map((v) => h('li', null,
          h('a', { href: volumeHref(catalog, schema, v.name), 'data-volume': v.name }, icon('folder'), ` ${v.name}`), ' ',
          h('span', { class: 'badge plain' }, v.volume_type), ' ', commentText(v.comment))))
        : h('p', { class: 'muted' }, 'No volumes.',
          h('span', { 'data-needs': 'CREATE_VOLUME', 'data-role': 'create-volume-hint' }, ` Create one with: ingot volumes create ${catalog}.${schema}.<name>`)));
  }).catch(() => {});
  return section;
}
