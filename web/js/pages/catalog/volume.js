// /ui/catalog/<catalog>/<schema>/<volume>?volume=1[&path=dir/sub] → a volume's files: browse
// directories, upload (streamed through the Files API), download, delete.

import { api, buildUrl, session, ApiError } from '../../lib/api.js';
import { h, icon, pageHeader, setTitle, navigate, emptyState, spinner, clear, showNotice, showError, formatBytes, copyButton } from '../../lib/ui.js';
import { dataTable } from '../../lib/table.js';
import { myPrivileges, can, hideUnless, markLacking } from '../../lib/permissions-editor.js';
import { UC, catalogHref, schemaHref, when, explorerLayout, confirmDialog, missingState, isMissing } from './common.js';

const FILES = '/api/2.0/fs/files';
const DIRS = '/api/2.0/fs/directories';
const enc = (p) => p.split('/').map(encodeURIComponent).join('/');

export const volumeHref = (c, s, v, path) =>
  `/ui/catalog/${encodeURIComponent(c)}/${encodeURIComponent(s)}/${encodeURIComponent(v)}?volume=1${path ? `&path=${encodeURIComponent(path)}` : ''}`;

async function listDirectory(base) {
  const out = [];
  let token;
  do {
    const page = await api.get(`${DIRS}${enc(base)}`, token ? { page_token: token } : undefined);
    out.push(...(page.contents || []));
    token = page.next_page_token;
  } while (token);
  return out;
}

async function upload(target, file) {
  const headers = { 'Content-Type': 'application/octet-stream', 'X-Ingot-Client': 'web' };
  if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
  const res = await fetch(buildUrl(`${FILES}${enc(target)}`, { overwrite: 'false' }), { method: 'PUT', headers, body: file });
  if (!res.ok) {
    let data = {};
    try { data = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, data.error_code || `HTTP_${res.status}`, data.message || res.statusText);
  }
}

export async function renderVolume(root, params, catalog, schema, volume) {
  const full = `${catalog}.${schema}.${volume}`;
  const rel = (params.query.get('path') || '').replace(/^\/+|\/+$/g, '');
  const base = `/Volumes/${catalog}/${schema}/${volume}${rel ? `/${rel}` : ''}`;
  setTitle(full);
  const main = explorerLayout(root, { catalog, schema });
  main.appendChild(spinner('Loading volume…'));
  const crumbs = [{ label: 'Catalog', href: '/ui/catalog' }, { label: catalog, href: catalogHref(catalog) }, { label: schema, href: schemaHref(catalog, schema) },
    { label: volume, href: rel ? volumeHref(catalog, schema, volume) : undefined }];
  rel.split('/').filter(Boolean).forEach((part, i, all) => {
    crumbs.push({ label: part, href: i < all.length - 1 ? volumeHref(catalog, schema, volume, all.slice(0, i + 1).join('/')) : undefined });
  });
  let info;
  let entries;
  try {
    [info, entries] = await Promise.all([api.get(`${UC}/volumes/${encodeURIComponent(full)}`), listDirectory(base)]);
  } catch (err) {
    if (!params.isCurrent()) return;
    clear(main);
    if (isMissing(err)) {
      main.append(pageHeader({ title: volume, crumbs }), missingState('Volume or directory', base, schemaHref(catalog, schema), `Back to ${schema}`));
      return;
    }
    throw err;
  }
  if (!params.isCurrent()) return;
  clear(main);
  const reload = () => navigate(volumeHref(catalog, schema, volume, rel), { replace: true });
  const picker = h('input', {
    type: 'file', multiple: true, id: 'volume-upload-input', style: { display: 'none' },
    onChange: async () => {
      try {
        for (const file of picker.files) await upload(`${base}/${file.name}`, file);
        showNotice('ok', `Uploaded ${picker.files.length} file(s).`);
        reload();
      } catch (err) {
        showError(err);
      }
    },
  });
  const uploadButton = h('button', { class: 'btn primary', type: 'button', id: 'volume-upload', onClick: () => picker.click() }, icon('plus'), 'Upload files');
  // Uploading and deleting need WRITE VOLUME: hidden without it (the delete buttons by CSS, as rows redraw).
  myPrivileges('volume', full).then((held) => {
    hideUnless(can(held, 'WRITE_VOLUME'), uploadButton, picker);
    markLacking(root, held, ['WRITE_VOLUME']);
  });
  const remove = (e) => confirmDialog({
    title: `Delete ${e.name}?`,
    body: h('p', null, e.is_directory ? 'The directory must be empty.' : 'The file is deleted from the volume.'),
    confirmLabel: 'Delete',
    action: async () => {
      await api.delete(`${e.is_directory ? DIRS : FILES}${enc(e.path.replace(/\/$/, ''))}`);
      showNotice('ok', `${e.name} deleted.`);
      reload();
    },
  });
  const table = dataTable({
    label: 'Files',
    rows: entries,
    rowKey: (e) => e.name,
    autoHeight: true,
    pageSize: 50,
    pageSizes: [25, 50, 100],
    sort: { key: 'name', dir: 'asc' },
    columns: [
      {
        key: 'name', label: 'Name', sortable: true,
        render: (e) => (e.is_directory
          ? h('a', { href: volumeHref(catalog, schema, volume, rel ? `${rel}/${e.name}` : e.name), 'data-dir': e.name }, icon('folder'), ` ${e.name}/`)
          : h('a', { href: `${FILES}${enc(e.path)}`, download: e.name, 'data-file': e.name }, e.name)),
      },
      { key: 'file_size', label: 'Size', sortable: true, align: 'right', value: (e) => Number(e.file_size || 0), render: (e) => (e.is_directory ? '' : formatBytes(e.file_size)) },
      { key: 'last_modified', label: 'Modified', sortable: true, render: (e) => when(e.last_modified) },
      { key: 'actions', label: '', render: (e) => h('button', { class: 'btn small danger', type: 'button', 'data-delete': e.name, 'data-needs': 'WRITE_VOLUME', onClick: (ev) => { ev.stopPropagation(); remove(e); } }, 'Delete') },
    ],
    empty: () => emptyState({
      title: 'This directory is empty',
      iconName: 'folder',
      body: h('div', { 'data-needs': 'WRITE_VOLUME' }, h('p', null, 'Upload files here, or copy them with the CLI:'),
        h('pre', { class: 'code', style: { textAlign: 'left', marginTop: '8px' } }, `ingot fs cp -r ./data dbfs:${base} --server ${window.location.origin}`)),
    }),
  });
  main.append(
    pageHeader({
      title: rel ? rel.split('/').pop() : volume,
      crumbs,
      subtitle: h('span', null, info.comment ? `${info.comment} · ` : '', h('code', { class: 'inline' }, base), ' ',
        copyButton(base, { label: 'Copy path' })),
      meta: h('div', { class: 'meta-row' },
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Type'), info.volume_type),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Owner'), info.owner),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Created'), when(info.created_at))),
      actions: [uploadButton],
    }),
    picker,
    h('h2', { class: 'section-title' }, `Files (${entries.length})`),
    table.el);
}
