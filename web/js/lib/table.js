// Data table: client-side (rows in memory, sort + paginate locally) or server-side
// (fetchPage({pageToken, orderBy, pageSize}) → {rows, nextPageToken}, MLflow-style opaque tokens).
//
// Column: {key, label, group, sortable, render(row) → Node|string, value(row) → sort value,
//          align: 'left'|'right'|'center', orderBy(dir) → server order string, defaultDir, title, wrap}

import { h, add, clear, spinner, inlineError } from './ui.js';

const DEFAULT_SIZES = [10, 25, 50, 100];

function cmp(a, b) {
  const an = a === undefined || a === null || a === '' || (typeof a === 'number' && Number.isNaN(a));
  const bn = b === undefined || b === null || b === '' || (typeof b === 'number' && Number.isNaN(b));
  if (an && bn) return 0;
  if (an) return 1; // missing values always last
  if (bn) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

/**
 * Creates a table. Returns {el, reload(), refresh(), getSelected(), clearSelection(), setRows(rows)}.
 * @param {object} opts
 * @param {Array|Function} opts.columns  column list, or (rowsOnPage) => column list (dynamic columns)
 * @param {Array} [opts.rows]            client mode data
 * @param {Function} [opts.fetchPage]    server mode: async ({pageToken, orderBy, pageSize}) => ({rows, nextPageToken})
 * @param {Function} [opts.rowKey]       row → unique key (needed for selection)
 * @param {Function} [opts.onRowClick]   (row, event) => void
 * @param {boolean} [opts.selectable]    show selection checkboxes
 * @param {Function} [opts.onSelectionChange] (selectedRows) => void
 * @param {number} [opts.pageSize]       initial page size
 * @param {number[]} [opts.pageSizes]    choices for the page size selector
 * @param {{key, dir}} [opts.sort]        initial sort
 * @param {string|Node} [opts.empty]     what to show with no rows
 * @param {boolean} [opts.autoHeight]    don't cap the height (no inner vertical scroll)
 * @param {string} [opts.label]          accessible table label
 */
export function dataTable(opts) {
  const serverMode = typeof opts.fetchPage === 'function';
  const rowKey = opts.rowKey || ((row, i) => i);
  const pageSizes = opts.pageSizes || DEFAULT_SIZES;
  const state = {
    rows: serverMode ? [] : (opts.rows || []).slice(),
    page: 0,
    pageSize: opts.pageSize || pageSizes[1] || pageSizes[0],
    sort: opts.sort ? { ...opts.sort } : null,
    tokens: [null], // tokens[i] = token that fetches page i (server mode)
    nextToken: null,
    selected: new Map(),
    loading: false,
    error: null,
    seq: 0,
    loaded: false,
  };

  const scroll = h('div', { class: ['dt-scroll', opts.autoHeight ? 'auto-height' : null] });
  const footer = h('div', { class: 'dt-footer' });
  const el = h('div', { class: 'dt' }, scroll, footer);

  function columnsFor(rows) {
    return typeof opts.columns === 'function' ? opts.columns(rows) : opts.columns;
  }

  function sortValue(col, row) {
    if (col.value) return col.value(row);
    return row[col.key];
  }

  function visibleRows() {
    if (serverMode) return state.rows;
    let rows = state.rows;
    if (state.sort) {
      const col = columnsFor(rows).find((c) => c.key === state.sort.key);
      if (col) {
        const dir = state.sort.dir === 'desc' ? -1 : 1;
        rows = rows.map((r, i) => [r, i]).sort((a, b) => {
          const va = sortValue(col, a[0]);
          const vb = sortValue(col, b[0]);
          const base = cmp(va, vb);
          const missing = (v) => v === undefined || v === null || v === '' || (typeof v === 'number' && Number.isNaN(v));
          if (missing(va) || missing(vb)) return base || a[1] - b[1];
          return base * dir || a[1] - b[1];
        }).map((p) => p[0]);
      }
    }
    const start = state.page * state.pageSize;
    return rows.slice(start, start + state.pageSize);
  }

  function onHeaderClick(col) {
    if (!col.sortable) return;
    let dir;
    if (state.sort && state.sort.key === col.key) dir = state.sort.dir === 'asc' ? 'desc' : 'asc';
    else dir = col.defaultDir || 'asc';
    state.sort = { key: col.key, dir, orderBy: col.orderBy ? col.orderBy(dir) : null };
    state.page = 0;
    if (serverMode) {
      state.tokens = [null];
      load();
    } else {
      render();
    }
  }

  function emitSelection() {
    if (opts.onSelectionChange) opts.onSelectionChange([...state.selected.values()]);
  }

  function headerCell(col) {
    const sorted = state.sort && state.sort.key === col.key ? state.sort.dir : null;
    const attrs = {
      scope: 'col',
      class: [col.align === 'right' ? 'num' : col.align === 'center' ? 'center' : null, col.sortable ? 'sortable' : null],
      title: col.title || (typeof col.label === 'string' ? col.label : undefined),
      'data-key': col.key,
    };
    if (col.sortable) {
      attrs['aria-sort'] = sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none';
      attrs.tabindex = '0';
      attrs.onClick = () => onHeaderClick(col);
      attrs.onKeydown = (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onHeaderClick(col);
        }
      };
    }
    return h('th', attrs,
      col.group ? h('span', { class: 'th-group' }, col.group) : null,
      h('span', { class: 'th-inner' },
        h('span', null, col.label),
        col.sortable ? h('span', { class: 'sort-ind', 'aria-hidden': 'true' }, sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕') : null));
  }

  function bodyCell(col, row) {
    let content;
    try {
      content = col.render ? col.render(row) : row[col.key];
    } catch {
      content = '';
    }
    if (content === undefined || content === null || content === '') content = h('span', { class: 'null' }, '—');
    return h('td', {
      class: [col.align === 'right' ? 'num' : col.align === 'center' ? 'center' : null, col.wrap ? 'wrap' : null, col.cls],
      'data-key': col.key,
    }, content);
  }

  function render() {
    const rows = visibleRows();
    const cols = columnsFor(rows);
    clear(scroll);
    clear(footer);
    el.classList.toggle('loading', state.loading);

    if (state.error) {
      scroll.appendChild(h('div', { style: { padding: '12px' } }, inlineError(state.error)));
    }

    const headRow = h('tr');
    let headCheck = null;
    if (opts.selectable) {
      headCheck = h('input', { type: 'checkbox', class: 'checkbox', 'aria-label': 'Select all rows on this page' });
      const keys = rows.map((r, i) => rowKey(r, i));
      const onPage = keys.filter((k) => state.selected.has(k)).length;
      headCheck.checked = rows.length > 0 && onPage === rows.length;
      headCheck.indeterminate = onPage > 0 && onPage < rows.length;
      headCheck.addEventListener('change', () => {
        rows.forEach((r, i) => {
          const k = rowKey(r, i);
          if (headCheck.checked) state.selected.set(k, r);
          else state.selected.delete(k);
        });
        render();
        emitSelection();
      });
      headRow.appendChild(h('th', { class: 'sel', scope: 'col' }, headCheck));
    }
    cols.forEach((c) => headRow.appendChild(headerCell(c)));

    const tbody = h('tbody');
    if (!state.loaded && state.loading) {
      tbody.appendChild(h('tr', { class: 'dt-loading-row' },
        h('td', { colspan: String(cols.length + (opts.selectable ? 1 : 0)) }, spinner())));
    } else if (rows.length === 0 && !state.error) {
      tbody.appendChild(h('tr', null,
        h('td', { colspan: String(cols.length + (opts.selectable ? 1 : 0)), class: 'dt-empty' },
          (typeof opts.empty === 'function' ? opts.empty() : opts.empty) || 'No rows.')));
    }
    rows.forEach((row, i) => {
      const key = rowKey(row, i);
      const tr = h('tr', { 'data-row-key': String(key), class: [opts.onRowClick ? 'clickable' : null, state.selected.has(key) ? 'selected' : null] });
      if (opts.selectable) {
        const cb = h('input', { type: 'checkbox', class: 'checkbox', 'aria-label': 'Select row' });
        cb.checked = state.selected.has(key);
        cb.addEventListener('click', (e) => e.stopPropagation());
        cb.addEventListener('change', () => {
          if (cb.checked) state.selected.set(key, row);
          else state.selected.delete(key);
          tr.classList.toggle('selected', cb.checked);
          const onPage = rows.filter((r, j) => state.selected.has(rowKey(r, j))).length;
          headCheck.checked = onPage === rows.length;
          headCheck.indeterminate = onPage > 0 && onPage < rows.length;
          emitSelection();
        });
        tr.appendChild(h('td', { class: 'sel' }, cb));
      }
      cols.forEach((c) => tr.appendChild(bodyCell(c, row)));
      if (opts.onRowClick) {
        tr.addEventListener('click', (e) => {
          // Let real links / buttons / inputs inside the row do their own thing.
          if (e.target.closest('a, button, input, select, label')) return;
          if (window.getSelection && String(window.getSelection()).length > 0) return;
          opts.onRowClick(row, e);
        });
      }
      tbody.appendChild(tr);
    });

    scroll.appendChild(h('table', { class: 'data', 'aria-label': opts.label || undefined, 'aria-busy': String(state.loading) },
      h('thead', null, headRow), tbody));
    renderFooter(rows.length);
  }

  function renderFooter(count) {
    const sizeSel = h('select', { class: 'select', 'aria-label': 'Rows per page' },
      pageSizes.map((n) => h('option', { value: String(n) }, `${n} / page`)));
    sizeSel.value = String(state.pageSize);
    sizeSel.addEventListener('change', () => {
      state.pageSize = Number(sizeSel.value);
      state.page = 0;
      if (serverMode) {
        state.tokens = [null];
        load();
      } else {
        render();
      }
    });

    let from = state.page * state.pageSize + (count ? 1 : 0);
    let to = state.page * state.pageSize + count;
    let rangeText;
    let hasNext;
    if (serverMode) {
      hasNext = !!state.nextToken;
      rangeText = count ? `Rows ${from}–${to}${hasNext ? '' : ` of ${to}`}` : (state.page ? 'No more rows' : 'Rows 0 of 0');
    } else {
      const total = state.rows.length;
      hasNext = to < total;
      rangeText = `Rows ${total ? from : 0}–${to} of ${total}`;
    }
    const prev = h('button', { class: 'btn sm', type: 'button', 'data-action': 'prev', disabled: state.page === 0 || state.loading, onClick: () => go(state.page - 1) }, '‹ Prev');
    const next = h('button', { class: 'btn sm', type: 'button', 'data-action': 'next', disabled: !hasNext || state.loading, onClick: () => go(state.page + 1) }, 'Next ›');
    const selCount = state.selected.size;
    add(footer,
      opts.selectable && selCount ? h('span', { class: 'dt-selected' }, `${selCount} selected`) : null,
      opts.selectable && selCount ? h('button', { class: 'btn sm ghost', type: 'button', onClick: () => { state.selected.clear(); render(); emitSelection(); } }, 'Clear selection') : null,
      h('span', { class: 'spacer' }),
      state.loading && state.loaded ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
      h('span', { class: 'dt-range' }, rangeText),
      sizeSel, prev, next);
  }

  function go(page) {
    if (page < 0) return;
    if (serverMode) {
      if (page > state.page && !state.nextToken) return;
      if (page > state.page) state.tokens[page] = state.nextToken;
      state.page = page;
      load();
    } else {
      state.page = page;
      render();
      scroll.scrollTop = 0;
    }
  }

  function currentOrderBy() {
    if (!state.sort) return null;
    if (state.sort.orderBy) return state.sort.orderBy;
    const cols = columnsFor(state.rows);
    const col = cols.find((c) => c.key === state.sort.key);
    if (col && col.orderBy) return col.orderBy(state.sort.dir);
    return `${state.sort.key} ${state.sort.dir.toUpperCase()}`;
  }

  async function load() {
    if (!serverMode) {
      render();
      return;
    }
    const seq = ++state.seq;
    state.loading = true;
    render();
    try {
      const res = await opts.fetchPage({
        pageToken: state.tokens[state.page] || null,
        orderBy: currentOrderBy(),
        sort: state.sort,
        pageSize: state.pageSize,
      });
      if (seq !== state.seq) return;
      state.rows = (res && res.rows) || [];
      state.nextToken = (res && res.nextPageToken) || null;
      state.error = null;
    } catch (err) {
      if (seq !== state.seq) return;
      state.rows = [];
      state.nextToken = null;
      state.error = err;
    }
    state.loading = false;
    state.loaded = true;
    render();
    scroll.scrollTop = 0;
  }

  if (serverMode) load();
  else {
    state.loaded = true;
    render();
  }

  return {
    el,
    /** Re-queries from the first page (server mode) — e.g. after the filter changed. */
    reload() {
      state.page = 0;
      state.tokens = [null];
      return load();
    },
    /** Re-renders the current page (e.g. after columns changed). */
    refresh: () => (serverMode ? load() : render()),
    setRows(rows) {
      state.rows = rows.slice();
      state.page = 0;
      render();
    },
    getSelected: () => [...state.selected.values()],
    clearSelection() {
      state.selected.clear();
      render();
      emitSelection();
    },
    get sort() { return state.sort; },
  };
}
