// Result grid for a statement: pages through the result, fetching JSON_ARRAY chunks on demand,
// and exports the whole result as CSV.

import { api } from '../../lib/api.js';
import { h, add, clear, spinner, inlineError } from '../../lib/ui.js';

/** 25000 → "25,000". */
export const formatCount = (n) => Number(n).toLocaleString('en-US');

export const STATEMENTS = '/api/2.0/sql/statements';
const NUMERIC = new Set(['BYTE', 'SHORT', 'INT', 'INTEGER', 'LONG', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL']);
export const isNumeric = (col) => NUMERIC.has(String((col && col.type_name) || '').toUpperCase());

/** One CSV field (RFC 4180): null is empty, quoted when it holds a separator, quote or line break. */
export function csvField(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns, rows) {
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  for (const r of rows) lines.push(r.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Chunk cache for one statement. manifest.chunks gives each chunk's row range; chunk n is fetched
 * from /result/chunks/n the first time a page needs it.
 */
export function chunkSource(statementId, manifest, first) {
  const chunks = (manifest.chunks || []).slice().sort((a, b) => a.chunk_index - b.chunk_index);
  const cache = new Map();
  const pending = new Map();
  if (first && Array.isArray(first.data_array)) cache.set(first.chunk_index || 0, first.data_array);

  function get(index) {
    if (cache.has(index)) return Promise.resolve(cache.get(index));
    if (!pending.has(index)) {
      const p = api.get(`${STATEMENTS}/${encodeURIComponent(statementId)}/result/chunks/${index}`)
        .then((res) => {
          const rows = res.data_array || [];
          cache.set(index, rows);
          return rows;
        })
        .finally(() => pending.delete(index));
      pending.set(index, p);
    }
    return pending.get(index);
  }

  /** Rows [from, to) of the result. */
  async function rows(from, to) {
    const needed = chunks.filter((c) => c.row_offset < to && c.row_offset + c.row_count > from);
    const data = await Promise.all(needed.map((c) => get(c.chunk_index)));
    const out = [];
    needed.forEach((c, i) => {
      const lo = Math.max(from, c.row_offset) - c.row_offset;
      const hi = Math.min(to, c.row_offset + c.row_count) - c.row_offset;
      for (let k = lo; k < hi && k < data[i].length; k += 1) out.push(data[i][k]);
    });
    return out;
  }

  /** Every row, in order; onProgress(done, total) after each chunk. */
  async function all(onProgress) {
    const out = [];
    let done = 0;
    for (const c of chunks) {
      const data = await get(c.chunk_index);
      for (const r of data) out.push(r);
      done += 1;
      if (onProgress) onProgress(done, chunks.length);
    }
    return out;
  }

  return { rows, all, fetchedCount: () => cache.size, chunkCount: chunks.length };
}

function cell(v, numeric) {
  if (v === null || v === undefined) return h('td', { class: numeric ? 'num' : null }, h('span', { class: 'null' }, 'NULL'));
  const s = String(v);
  return h('td', { class: numeric ? 'num' : null, title: s.length > 40 ? s : undefined }, s);
}

/**
 * The grid. Returns {el}. manifest: statement manifest; first: the statement's first result chunk.
 */
export function resultGrid(statementId, manifest, first) {
  const columns = (manifest.schema && manifest.schema.columns) || [];
  const total = Number(manifest.total_row_count || 0);
  const source = chunkSource(statementId, manifest, first);
  const state = { page: 0, pageSize: 100, seq: 0 };
  const scroll = h('div', { class: 'dt-scroll sql-grid-scroll' });
  const footer = h('div', { class: 'dt-footer', 'data-role': 'result-pager' });
  const el = h('div', { class: 'dt sql-grid', 'data-role': 'result-grid' }, scroll, footer);
  const numeric = columns.map(isNumeric);
  const pages = () => Math.max(1, Math.ceil(total / state.pageSize));

  const head = h('thead', null, h('tr', null,
    h('th', { class: 'num rownum', scope: 'col', 'aria-label': 'Row number' }, '#'),
    columns.map((c, i) => h('th', { scope: 'col', class: numeric[i] ? 'num' : null, title: `${c.name} · ${c.type_text || c.type_name || ''}`, 'data-column': c.name },
      h('span', { class: 'col-head' }, h('span', null, c.name), h('span', { class: 'col-type-hint' }, c.type_text || String(c.type_name || '').toLowerCase()))))));

  async function show(page) {
    const seq = ++state.seq;
    state.page = Math.min(Math.max(0, page), pages() - 1);
    const from = state.page * state.pageSize;
    const to = Math.min(total, from + state.pageSize);
    renderFooter(true);
    let rows;
    try {
      rows = await source.rows(from, to);
    } catch (err) {
      if (seq !== state.seq) return;
      scroll.replaceChildren(h('div', { style: { padding: '12px' } }, inlineError(err)));
      renderFooter(false);
      return;
    }
    if (seq !== state.seq) return;
    const body = h('tbody', null, rows.map((r, i) => h('tr', { 'data-row': String(from + i) },
      h('td', { class: 'num rownum' }, String(from + i + 1)),
      columns.map((c, j) => cell(r[j], numeric[j])))));
    if (!rows.length) {
      body.appendChild(h('tr', null, h('td', { class: 'dt-empty', colspan: String(columns.length + 1) }, 'The query returned no rows.')));
    }
    scroll.replaceChildren(h('table', { class: 'data', 'aria-label': 'Query result' }, head, body));
    scroll.scrollTop = 0;
    renderFooter(false);
  }

  function renderFooter(loading) {
    const from = state.page * state.pageSize;
    const to = Math.min(total, from + state.pageSize);
    const sizeSel = h('select', { class: 'select', 'aria-label': 'Rows per page', id: 'sql-page-size' },
      [50, 100, 500, 1000].map((n) => h('option', { value: String(n) }, `${n} / page`)));
    sizeSel.value = String(state.pageSize);
    sizeSel.addEventListener('change', () => {
      const firstRow = state.page * state.pageSize;
      state.pageSize = Number(sizeSel.value);
      show(Math.floor(firstRow / state.pageSize));
    });
    const last = pages() - 1;
    const btn = (action, label, target, disabled, title) => h('button', {
      class: 'btn sm', type: 'button', 'data-action': action, title, disabled: disabled || loading, onClick: () => show(target),
    }, label);
    add(clear(footer),
      h('span', { class: 'spacer' }),
      loading ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
      h('span', { class: 'dt-range', id: 'sql-range' }, total ? `Rows ${formatCount(from + 1)}–${formatCount(to)} of ${formatCount(total)}` : 'No rows'),
      h('span', { class: 'muted' }, `Page ${state.page + 1} of ${pages()}`),
      sizeSel,
      btn('first', '«', 0, state.page === 0, 'First page'),
      btn('prev', '‹ Prev', state.page - 1, state.page === 0),
      btn('next', 'Next ›', state.page + 1, state.page >= last),
      btn('last', '»', last, state.page >= last, 'Last page'));
  }

  if (!columns.length) {
    scroll.replaceChildren(h('div', { class: 'sql-note' }, 'The statement ran and returned no result set.'));
  } else {
    scroll.replaceChildren(spinner('Loading rows…'));
    show(0);
  }
  return { el, source, columns };
}

/** Downloads the full result as CSV (fetching every chunk first). btn shows progress. */
export async function downloadCsv(statementId, grid, btn) {
  const label = btn.textContent;
  btn.disabled = true;
  try {
    const rows = await grid.source.all((done, n) => {
      btn.textContent = n > 1 ? `Preparing CSV… ${done}/${n}` : 'Preparing CSV…';
    });
    const blob = new Blob([toCsv(grid.columns, rows)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: `query-${String(statementId).slice(0, 8)}.csv`, style: { display: 'none' } });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30000);
  } finally {
    btn.textContent = label;
    btn.disabled = false;
  }
}
