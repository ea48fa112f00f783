// One table: header with "Query this table" and Drop, then tabs Columns / Sample data / History / Details.

import { api } from '../../lib/api.js';
import {
  h, clear, pageHeader, setTitle, navigate, spinner, tabs, copyButton, formatTime, formatBytes, formatNumber,
  inlineError, showNotice, emptyState,
} from '../../lib/ui.js';
import { dataTable } from '../../lib/table.js';
import { LINEAGE_TAB, lineageTab } from './lineage-tab.js';
import { PERMISSIONS_TAB, permissionsTab } from './permissions-tab.js';
import { QUALITY_TAB, qualityTab } from './quality-tab.js';
import { myPrivileges, can, hideUnless } from '../../lib/permissions-editor.js';
import { tagChips, commentEditor, saveTableComment, saveColumnComment } from './metadata.js';

const STATEMENTS = '/api/2.0/sql/statements';
import {
  UC, INGOT_TABLES, catalogHref, schemaHref, sqlHref, sqlName, when, explorerLayout, confirmDialog, missingState, isMissing,
} from './common.js';

const TABS = [
  { id: 'columns', label: 'Columns' },
  { id: 'sample', label: 'Sample data' },
  { id: 'history', label: 'History' },
  { id: 'details', label: 'Details' },
  LINEAGE_TAB,
  QUALITY_TAB,
  PERMISSIONS_TAB,
];

const NUMERIC = new Set(['BYTE', 'SHORT', 'INT', 'LONG', 'FLOAT', 'DOUBLE', 'DECIMAL']);
export const isNumericType = (typeName) => NUMERIC.has(String(typeName || '').toUpperCase());

/** One preview value (JSON) as display text; null shown as a muted "null". */
function valueCell(v) {
  if (v === null || v === undefined) return h('span', { class: 'null' }, 'null');
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

/** Operation parameters / metrics as compact "key value" lines. */
function keyValues(obj) {
  const entries = Object.entries(obj || {});
  if (!entries.length) return null;
  return h('div', { class: 'kv-mini' }, entries.map(([k, v]) => {
    const text = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    return h('div', { title: `${k}: ${text}` }, h('span', { class: 'k' }, k), h('span', { class: 'v' }, text));
  }));
}

/**
 * File count, size and rows of the current version, replayed from the commits' operation metrics.
 * Null when a commit is not one whose metrics add up (then the page asks the SQL engine instead).
 */
export function estimateFromHistory(history) {
  let files = 0;
  let bytes = 0;
  let rows = 0;
  const num = (v) => (v === undefined || v === null || v === '' ? NaN : Number(v));
  const known = (...xs) => xs.every(Number.isFinite);
  for (const c of history.slice().sort((a, b) => Number(a.version) - Number(b.version))) {
    const op = String(c.operation || '').toUpperCase();
    const m = c.operationMetrics || {};
    const p = c.operationParameters || {};
    const mode = String(p.mode || '');
    const added = num(m.numAddedFiles);
    const removed = num(m.numRemovedFiles);
    const addedBytes = num(m.numAddedBytes);
    const removedBytes = num(m.numRemovedBytes);
    if (known(added, removed, addedBytes, removedBytes)) {
      // DELETE, UPDATE, OPTIMIZE: files swapped, with their sizes.
      files += added - removed;
      bytes += addedBytes - removedBytes;
      if (op === 'DELETE') rows -= num(m.numDeletedRows);
      else if (op !== 'UPDATE' && op !== 'OPTIMIZE') rows = NaN;
      continue;
    }
    if (known(added, removed) && added === 0 && removed === 0) continue; // metadata-only change
    const predicate = p.predicate !== undefined && p.predicate !== '[]';
    const replaces = op.startsWith('CREATE') || op.startsWith('REPLACE') || (op === 'WRITE' && mode === 'Overwrite' && !predicate);
    const appends = (op === 'WRITE' && mode === 'Append') || op === 'STREAMING UPDATE' || op === 'ADD COLUMNS' || op === 'SET TBLPROPERTIES';
    if (!replaces && !appends) return null;
    let f = num(m.numFiles);
    if (!Number.isFinite(f) && op === 'CREATE TABLE') f = 0;
    let b = num(m.numOutputBytes);
    if (!Number.isFinite(b) && f === 0) b = 0;
    let r = num(m.numOutputRows);
    if (!Number.isFinite(r) && f === 0) r = 0;
    if (!known(f, b)) return null;
    if (replaces) {
      files = f;
      bytes = b;
      rows = r;
    } else {
      files += f;
      bytes += b;
      rows += r;
    }
  }
  return { files, bytes, rows: Number.isFinite(rows) ? rows : null };
}

/** numFiles / sizeInBytes from the SQL engine's DESCRIBE DETAIL (null when SQL is unavailable). */
async function describeDetail(fullName) {
  const res = await api.post(STATEMENTS, { statement: `DESCRIBE DETAIL ${fullName}`, wait_timeout: '10s', on_wait_timeout: 'CANCEL' });
  if (!res.status || res.status.state !== 'SUCCEEDED' || !res.manifest) return null;
  const cols = (res.manifest.schema.columns || []).map((c) => c.name);
  const row = ((res.result && res.result.data_array) || [])[0];
  if (!row) return null;
  const get = (name) => (cols.indexOf(name) >= 0 ? row[cols.indexOf(name)] : null);
  const files = Number(get('numFiles'));
  const bytes = Number(get('sizeInBytes'));
  return Number.isFinite(files) && Number.isFinite(bytes) ? { files, bytes, rows: null } : null;
}

export async function renderTable(root, params, catalog, schema, name) {
  const full = `${catalog}.${schema}.${name}`;
  const path = encodeURIComponent(full);
  setTitle(full);
  const main = explorerLayout(root, { catalog, schema, table: name });
  main.appendChild(spinner('Loading table…'));
  const crumbs = [{ label: 'Catalog', href: '/ui/catalog' }, { label: catalog, href: catalogHref(catalog) },
    { label: schema, href: schemaHref(catalog, schema) }, { label: name }];
  let info;
  try {
    info = await api.get(`${UC}/tables/${path}`);
  } catch (err) {
    if (!params.isCurrent()) return;
    clear(main);
    if (isMissing(err)) {
      main.append(pageHeader({ title: name, crumbs }), missingState('Table', full, schemaHref(catalog, schema), `Back to ${catalog}.${schema}`));
      return;
    }
    throw err;
  }
  if (!params.isCurrent()) return;
  clear(main);
  setTitle(info.full_name || full);

  // History is shared by three tabs (history, the version picker, the size estimate): fetch once.
  let historyPromise = null;
  const history = () => {
    if (!historyPromise) historyPromise = api.get(`${INGOT_TABLES}/${path}/history`).then((r) => r.history || []);
    return historyPromise;
  };

  const columns = info.columns || [];
  const query = `SELECT * FROM ${sqlName(catalog, schema, name)} LIMIT 100`;
  const dropBtn = h('button', {
    class: 'btn danger', type: 'button', id: 'drop-table',
    onClick: () => confirmDialog({
      title: `Drop table ${full}?`,
      body: h('p', null, info.table_type === 'MANAGED'
        ? 'This is a managed table: its data files are deleted with it. This cannot be undone.'
        : 'The table is removed from the catalog; its files at the storage location are left in place.'),
      confirmLabel: 'Drop table',
      typed: name,
      action: async () => {
        await api.delete(`${UC}/tables/${path}`);
        navigate(schemaHref(catalog, schema));
        showNotice('ok', `Table ${full} dropped.`);
      },
    }),
  }, 'Drop table');

  const meta = h('div', { class: 'meta-row' },
    info.table_type ? h('span', { class: 'badge plain', 'data-role': 'table-type' }, info.table_type) : null,
    info.data_source_format ? h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Format'), info.data_source_format) : null,
    info.delta_version !== undefined && info.delta_version !== null
      ? h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Version'), h('span', { id: 'table-version' }, String(info.delta_version))) : null,
    info.owner ? h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Owner'), info.owner) : null,
    h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Updated'), when(info.updated_at || info.created_at)));

  main.appendChild(pageHeader({
    title: name,
    crumbs,
    subtitle: h('span', null, info.comment ? `${info.comment} · ` : '', h('code', { class: 'inline', id: 'table-full-name' }, info.full_name || full), ' ',
      copyButton(info.full_name || full, { label: 'Copy table name' })),
    meta,
    actions: [dropBtn, h('a', { class: 'btn primary', id: 'query-table', href: sqlHref(query) }, 'Query this table')],
  }));

  const initial = TABS.some((t) => t.id === params.query.get('tab')) ? params.query.get('tab') : 'columns';
  const panel = h('div', { id: 'table-tab-panel', role: 'tabpanel' });
  const strip = tabs(TABS.map((t) => (t.id === 'columns' ? { ...t, count: columns.length } : t)), initial, (id) => {
    const q = new URLSearchParams(window.location.search);
    if (id === 'columns') q.delete('tab');
    else q.set('tab', id);
    if (id !== 'sample') q.delete('version');
    const qs = q.toString();
    window.history.replaceState({}, '', `${window.location.pathname}${qs ? `?${qs}` : ''}`);
    show(id);
  });
  main.append(strip.el, panel);
  myPrivileges('table', info.full_name || full).then((held) => hideUnless(can(held, 'MANAGE'), dropBtn));

  let showSeq = 0;
  function show(id, opts = {}) {
    const seq = ++showSeq;
    clear(panel);
    panel.setAttribute('aria-labelledby', `tab-${id}`);
    panel.dataset.tab = id;
    const stillHere = () => seq === showSeq && params.isCurrent();
    if (id === 'columns') panel.appendChild(columnsTab(columns, info.full_name || full));
    else if (id === 'sample') sampleTab(panel, { path, history, stillHere, version: opts.version ?? params.query.get('version') });
    else if (id === 'history') historyTab(panel, { history, stillHere, openVersion });
    else if (id === LINEAGE_TAB.id) lineageTab(panel, info.full_name || full, stillHere);
    else if (id === QUALITY_TAB.id) qualityTab(panel, info.full_name || full, stillHere);
    else if (id === PERMISSIONS_TAB.id) permissionsTab(panel, info.full_name || full);
    else detailsTab(panel, { info, history, stillHere });
  }
  function openVersion(v) {
    strip.select('sample');
    const q = new URLSearchParams(window.location.search);
    q.set('tab', 'sample');
    q.set('version', String(v));
    window.history.replaceState({}, '', `${window.location.pathname}?${q.toString()}`);
    show('sample', { version: String(v) });
  }
  show(initial);
}

function columnsTab(columns, fullName) {
  const anyTags = columns.some((c) => c.tags && Object.keys(c.tags).length);
  const table = dataTable({
    label: 'Columns',
    rows: columns,
    rowKey: (c) => c.name,
    autoHeight: true,
    pageSize: 100,
    pageSizes: [100, 500],
    columns: [
      { key: 'position', label: '#', align: 'right', sortable: true, value: (c) => Number(c.position), render: (c) => String(Number(c.position ?? 0) + 1) },
      { key: 'name', label: 'Name', sortable: true, render: (c) => h('span', { class: 'col-name', 'data-column': c.name }, c.name) },
      { key: 'type_text', label: 'Type', sortable: true, render: (c) => h('code', { class: 'col-type', title: c.type_name || '' }, c.type_text || String(c.type_name || '').toLowerCase()) },
      { key: 'nullable', label: 'Nullable', sortable: true, value: (c) => (c.nullable === false ? 0 : 1), render: (c) => (c.nullable === false ? h('span', { class: 'muted' }, 'NOT NULL') : 'yes') },
      {
        key: 'partition_index', label: 'Partition', sortable: true, align: 'right',
        value: (c) => (c.partition_index === undefined || c.partition_index === null ? null : Number(c.partition_index)),
        render: (c) => (c.partition_index === undefined || c.partition_index === null ? null : h('span', { class: 'badge info plain', title: 'Partition column' }, String(c.partition_index))),
      },
      {
        key: 'comment', label: 'Comment', wrap: true, sortable: true, value: (c) => c.comment || '',
        render: (c) => commentEditor({ value: c.comment, id: c.name, save: (text) => saveColumnComment(fullName, c.name, text) }),
      },
      ...(anyTags ? [{ key: 'tags', label: 'Tags', render: (c) => tagChips(c.tags, 'column-tags') }] : []),
    ],
    empty: 'This table has no columns.',
  });
  table.el.dataset.role = 'columns';
  return table.el;
}

function sampleTab(panel, { path, history, stillHere, version }) {
  const versionSel = h('select', { class: 'select', id: 'sample-version', 'aria-label': 'Table version' }, h('option', { value: '' }, 'Latest version'));
  const limitSel = h('select', { class: 'select', id: 'sample-limit', 'aria-label': 'Rows to load' },
    [100, 500, 1000].map((n) => h('option', { value: String(n) }, `First ${n} rows`)));
  const count = h('span', { class: 'muted', id: 'sample-count', 'aria-live': 'polite' });
  const grid = h('div', { 'data-role': 'sample-grid' });
  panel.append(
    h('div', { class: 'toolbar' },
      h('label', { class: 'row', for: 'sample-version' }, h('span', { class: 'muted' }, 'Version'), versionSel),
      limitSel, h('span', { class: 'spacer' }), count),
    grid);

  const wanted = version !== null && version !== undefined && version !== '' ? String(version) : null;
  // Until history arrives, the requested version is selectable on its own.
  const placeholder = wanted ? h('option', { value: wanted }, `v${wanted}`) : null;
  if (placeholder) {
    versionSel.appendChild(placeholder);
    versionSel.value = wanted;
  }
  history().then((hist) => {
    if (!stillHere()) return;
    const current = versionSel.value;
    if (placeholder && hist.some((c) => String(c.version) === wanted)) placeholder.remove();
    for (const c of hist) {
      versionSel.appendChild(h('option', { value: String(c.version) },
        `v${c.version} · ${formatTime(c.timestamp)} · ${c.operation || ''}`));
    }
    versionSel.value = current;
  }).catch(() => { /* the picker just stays at "Latest" */ });

  let seq = 0;
  async function load() {
    const mySeq = ++seq;
    const v = versionSel.value;
    const limit = Number(limitSel.value);
    grid.replaceChildren(spinner('Loading rows…'));
    count.textContent = '';
    try {
      const res = await api.get(`${INGOT_TABLES}/${path}/preview`, { limit, version: v || undefined });
      if (mySeq !== seq || !stillHere()) return;
      const cols = res.columns || [];
      const rows = res.rows || [];
      count.textContent = `${rows.length === limit ? `First ${rows.length}` : rows.length} row${rows.length === 1 ? '' : 's'}${v ? ` at version ${v}` : ''}`;
      count.dataset.rows = String(rows.length);
      grid.dataset.version = v || 'latest';
      const table = dataTable({
        label: 'Sample data',
        rows,
        pageSize: 100,
        pageSizes: [50, 100, 500, 1000],
        columns: cols.map((c, i) => ({
          key: `c${i}`,
          label: h('span', { title: c.type_text || '' }, c.name),
          title: `${c.name} · ${c.type_text || ''}`,
          align: isNumericType(c.type_name) ? 'right' : 'left',
          sortable: true,
          value: (r) => r[i],
          render: (r) => valueCell(r[i]),
        })),
        empty: 'The table has no rows at this version.',
      });
      grid.replaceChildren(table.el);
    } catch (err) {
      if (mySeq !== seq || !stillHere()) return;
      grid.replaceChildren(inlineError(err));
    }
  }
  versionSel.addEventListener('change', () => {
    const q = new URLSearchParams(window.location.search);
    if (versionSel.value) q.set('version', versionSel.value);
    else q.delete('version');
    window.history.replaceState({}, '', `${window.location.pathname}?${q.toString()}`);
    load();
  });
  limitSel.addEventListener('change', load);
  load();
}

async function historyTab(panel, { history, stillHere, openVersion }) {
  panel.appendChild(spinner('Loading history…'));
  let hist;
  try {
    hist = await history();
  } catch (err) {
    if (!stillHere()) return;
    panel.replaceChildren(inlineError(err));
    return;
  }
  if (!stillHere()) return;
  const table = dataTable({
    label: 'History',
    rows: hist,
    rowKey: (c) => String(c.version),
    autoHeight: true,
    pageSize: 25,
    pageSizes: [25, 50, 100],
    sort: { key: 'version', dir: 'desc' },
    columns: [
      { key: 'version', label: 'Version', sortable: true, align: 'right', value: (c) => Number(c.version), render: (c) => h('span', { 'data-version': String(c.version) }, String(c.version)) },
      { key: 'timestamp', label: 'Timestamp', sortable: true, value: (c) => Number(c.timestamp), render: (c) => formatTime(c.timestamp) },
      { key: 'operation', label: 'Operation', sortable: true, render: (c) => h('span', { class: 'badge plain op' }, c.operation || '—') },
      { key: 'operationParameters', label: 'Parameters', render: (c) => keyValues(c.operationParameters) },
      { key: 'operationMetrics', label: 'Metrics', render: (c) => keyValues(c.operationMetrics) },
      ...(hist.some((c) => c.userName || c.userId) ? [{ key: 'user', label: 'By', render: (c) => c.userName || c.userId }] : []),
      {
        key: 'actions', label: '',
        render: (c) => h('button', { class: 'btn sm', type: 'button', 'data-action': 'view-version', 'data-version': String(c.version), onClick: () => openVersion(c.version) }, 'View data'),
      },
    ],
    empty: () => emptyState({ title: 'No commits', body: 'This table has no history yet.' }),
  });
  table.el.dataset.role = 'history';
  panel.replaceChildren(table.el);
}

function detailsTab(panel, { info, history, stillHere }) {
  const dash = () => h('span', { class: 'muted' }, '—');
  const mono = (text) => (text ? [h('span', { class: 'id-text' }, text), copyButton(text, { label: 'Copy' })] : dash());
  const filesEl = h('span', { id: 'detail-files' }, '…');
  const sizeEl = h('span', { id: 'detail-size' }, '…');
  const rowsEl = h('span', { id: 'detail-rows' }, '…');
  const note = h('p', { class: 'muted small', style: { marginTop: '12px' } });
  const props = Object.entries(info.properties || {});
  const item = (label, value, id) => [h('dt', null, label), h('dd', { 'data-detail': id }, value === undefined || value === null || value === '' ? dash() : value)];
  panel.appendChild(h('div', { class: 'grid uc-details' },
    h('section', { class: 'card' },
      h('div', { class: 'card-header' }, h('h2', null, 'Table')),
      h('div', { class: 'card-body' },
        h('dl', { class: 'kv', 'data-role': 'details' },
          item('Full name', mono(info.full_name), 'full_name'),
          item('Table type', info.table_type, 'table_type'),
          item('Format', info.data_source_format, 'data_source_format'),
          item('Delta version', info.delta_version !== undefined && info.delta_version !== null ? String(info.delta_version) : null, 'delta_version'),
          item('Location', mono(info.storage_location), 'storage_location'),
          item('Iceberg metadata', mono(info.iceberg_metadata_location), 'iceberg_metadata_location'),
          item('Table ID', mono(info.table_id), 'table_id'),
          item('Owner', info.owner, 'owner'),
          item('Created', info.created_at ? `${formatTime(info.created_at)}${info.created_by ? ` by ${info.created_by}` : ''}` : null, 'created_at'),
          item('Updated', info.updated_at ? `${formatTime(info.updated_at)}${info.updated_by ? ` by ${info.updated_by}` : ''}` : null, 'updated_at'),
          item('Tags', tagChips(info.tags, 'table-tags'), 'tags'),
          item('Comment', commentEditor({ value: info.comment, id: 'table', save: (text) => saveTableComment(info.full_name, text) }), 'comment')))),
    h('div', { class: 'stack' },
      h('section', { class: 'card' },
        h('div', { class: 'card-header' }, h('h2', null, 'Storage')),
        h('div', { class: 'card-body' },
          h('dl', { class: 'kv' },
            item('Files', filesEl, 'files'),
            item('Total size', sizeEl, 'size'),
            item('Rows', rowsEl, 'rows')),
          note)),
      h('section', { class: 'card' },
        h('div', { class: 'card-header' }, h('h2', null, 'Properties', h('span', { class: 'hint' }, `  ${props.length}`))),
        h('div', { class: props.length ? 'card-body flush' : 'card-body' },
          props.length
            ? h('table', { class: 'data', 'data-role': 'properties' },
              h('thead', null, h('tr', null, h('th', null, 'Key'), h('th', null, 'Value'))),
              h('tbody', null, props.map(([k, v]) => h('tr', null, h('td', { class: 'mono' }, k), h('td', { class: 'wrap mono' }, String(v))))))
            : h('p', { class: 'muted', style: { margin: 0 } }, 'No properties.'))))));

  const unknown = (el) => el.replaceChildren(dash());
  const showStats = (stats, source) => {
    filesEl.textContent = formatNumber(stats.files);
    sizeEl.textContent = formatBytes(stats.bytes);
    sizeEl.title = `${stats.bytes} bytes`;
    if (stats.rows === null || stats.rows === undefined) unknown(rowsEl);
    else rowsEl.textContent = formatNumber(stats.rows);
    note.textContent = source;
  };
  (async () => {
    // 1. The table's own statistics, when the server reports them.
    const files = Number(info.num_files);
    const size = Number(info.size_in_bytes);
    if (info.num_files !== undefined && Number.isFinite(files) && Number.isFinite(size)) {
      const rows = info.num_rows !== undefined && info.num_rows !== null ? Number(info.num_rows) : null;
      showStats({ files, bytes: size, rows }, '');
      return;
    }
    // 2. Added up from the commit metrics in the history.
    let est = null;
    try {
      est = estimateFromHistory(await history());
    } catch { /* fall through */ }
    if (!stillHere()) return;
    if (est) {
      showStats(est, 'Added up from the commit metrics in the table history.');
      return;
    }
    // 3. Asked from the SQL engine (DESCRIBE DETAIL), when this server has one.
    let detail = null;
    try {
      detail = await describeDetail(sqlName(...String(info.full_name).split('.')));
    } catch { /* no SQL API */ }
    if (!stillHere()) return;
    if (detail) {
      showStats(detail, 'From DESCRIBE DETAIL.');
      return;
    }
    [filesEl, sizeEl, rowsEl].forEach(unknown);
    note.textContent = 'This server does not report file statistics for this table.';
  })();
}
