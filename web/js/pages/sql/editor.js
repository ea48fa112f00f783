// SQL editor: a textarea, catalog/schema pickers, Run / Cancel, the result grid and query history.
// Statements are submitted with wait_timeout "0s" and polled, so Cancel works at any time.

import { api } from '../../lib/api.js';
import {
  h, add, icon, clear, pageHeader, setTitle, formatDuration, formatRelative, formatTime, describeError,
} from '../../lib/ui.js';
import { STATEMENTS, resultGrid, downloadCsv, formatCount } from './results.js';

const HISTORY = '/api/2.0/ingot/sql/history';
const UC = '/api/2.1/unity-catalog';
const KEY_DRAFT = 'ingot.sql.draft';
const KEY_CATALOG = 'ingot.sql.catalog';
const KEY_SCHEMA = 'ingot.sql.schema';
const INDENT = '  ';
const ACTIVE = new Set(['PENDING', 'RUNNING']);

function store(key, value) {
  try {
    if (value === undefined) return window.localStorage.getItem(key);
    window.localStorage.setItem(key, value);
  } catch { /* storage disabled */ }
  return null;
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const isMac = /Mac|iPhone|iPad/.test(navigator.platform || '');

/** Tab / Shift+Tab indentation and Ctrl/Cmd+Enter on a textarea. Esc then Tab leaves the editor. */
function editorKeys(area, run) {
  let escaped = false;
  area.addEventListener('keydown', (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === 'Enter') {
      ev.preventDefault();
      run();
      return;
    }
    if (ev.key === 'Escape') {
      escaped = true;
      return;
    }
    if (ev.key !== 'Tab' || ev.ctrlKey || ev.metaKey || ev.altKey) {
      escaped = false;
      return;
    }
    if (escaped) return; // let focus move on
    ev.preventDefault();
    const { value, selectionStart: start, selectionEnd: end } = area;
    const lineStart = value.lastIndexOf('\n', start - 1) + 1;
    const multi = value.slice(start, end).includes('\n');
    if (!ev.shiftKey && !multi) {
      // execCommand keeps the browser's undo history; setRangeText is the fallback.
      if (!document.execCommand || !document.execCommand('insertText', false, INDENT)) {
        area.setRangeText(INDENT, start, end, 'end');
      }
    } else {
      // Whole lines: from the first selected line's start to the last selected line's end.
      const last = end > start && value[end - 1] === '\n' ? end - 1 : end;
      let blockEnd = value.indexOf('\n', last);
      if (blockEnd === -1) blockEnd = value.length;
      const lines = value.slice(lineStart, blockEnd).split('\n');
      const changed = lines.map((l) => (ev.shiftKey ? l.replace(/^ {1,2}/, '') : INDENT + l));
      const text = changed.join('\n');
      area.setSelectionRange(lineStart, blockEnd);
      if (!text || !document.execCommand || !document.execCommand('insertText', false, text)) {
        area.setRangeText(text, lineStart, blockEnd, 'select');
      }
      if (multi) {
        area.setSelectionRange(lineStart, lineStart + text.length);
      } else {
        const delta = changed[0].length - lines[0].length;
        const pos = Math.max(lineStart, start + delta);
        area.setSelectionRange(pos, Math.max(pos, end + delta));
      }
    }
    area.dispatchEvent(new Event('input'));
  });
}

export async function renderEditor(root, params) {
  setTitle('SQL');
  const fromQuery = params.query.get('q');

  // ---- controls
  const editor = h('textarea', {
    class: 'sql-editor', id: 'sql-editor', spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off', rows: '8',
    'aria-label': 'SQL statement', placeholder: 'SELECT * FROM main.default.my_table LIMIT 100',
  });
  editor.value = fromQuery !== null ? fromQuery : (store(KEY_DRAFT) || '');
  let draftTimer = null;
  editor.addEventListener('input', () => {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(() => store(KEY_DRAFT, editor.value), 300);
  });

  const catalogSel = h('select', { class: 'select', id: 'sql-catalog', 'aria-label': 'Default catalog' });
  const schemaSel = h('select', { class: 'select', id: 'sql-schema', 'aria-label': 'Default schema' });
  const runBtn = h('button', { class: 'btn primary', type: 'button', id: 'sql-run', title: `Run (${isMac ? '⌘' : 'Ctrl'}+Enter)` }, '▶ Run');
  const cancelBtn = h('button', { class: 'btn', type: 'button', id: 'sql-cancel', disabled: true }, 'Cancel');
  const stateEl = h('span', { id: 'sql-state', 'data-state': '' });
  const rowCountEl = h('span', { id: 'sql-rowcount' });
  const elapsedEl = h('span', { id: 'sql-elapsed' });
  const csvBtn = h('button', { class: 'btn sm', type: 'button', id: 'sql-download', hidden: true }, icon('download'), 'Download CSV');
  const statusBar = h('div', { class: 'sql-status', id: 'sql-status' }, stateEl, rowCountEl, elapsedEl, h('span', { class: 'spacer' }), csvBtn);
  const errorPanel = h('div', { class: 'sql-error', id: 'sql-error', role: 'alert', hidden: true });
  const results = h('div', { class: 'sql-results', id: 'sql-results' },
    h('div', { class: 'sql-note' }, `Write a statement and press ${isMac ? '⌘' : 'Ctrl'}+Enter or Run.`));
  const historyList = h('ol', { class: 'sql-history', id: 'sql-history', 'aria-label': 'Query history' });
  const historyRefresh = h('button', { class: 'btn ghost icon', type: 'button', title: 'Refresh history', 'aria-label': 'Refresh history', onClick: () => loadHistory() }, icon('refresh'));

  root.append(
    pageHeader({ title: 'SQL', subtitle: 'Run SQL against the tables in the catalog.' }),
    h('div', { class: 'sql-layout' },
      h('div', { class: 'sql-main' },
        h('div', { class: 'card sql-editor-card' },
          h('div', { class: 'sql-toolbar' },
            h('label', { class: 'row', for: 'sql-catalog' }, h('span', { class: 'muted small' }, 'Catalog'), catalogSel),
            h('label', { class: 'row', for: 'sql-schema' }, h('span', { class: 'muted small' }, 'Schema'), schemaSel),
            h('span', { class: 'spacer' }),
            h('span', { class: 'muted small sql-hint' }, `${isMac ? '⌘' : 'Ctrl'}+Enter runs · selection runs alone`),
            cancelBtn, runBtn),
          editor),
        statusBar, errorPanel, results),
      h('aside', { class: 'card sql-history-card' },
        h('div', { class: 'card-header' }, h('h2', null, 'History'), historyRefresh),
        historyList)));

  // ---- catalog / schema pickers
  async function loadSchemas(preferred) {
    const catalog = catalogSel.value;
    schemaSel.replaceChildren(h('option', { value: '' }, '…'));
    if (!catalog) return;
    try {
      const res = await api.get(`${UC}/schemas`, { catalog_name: catalog });
      const names = (res.schemas || []).map((s) => s.name).sort();
      schemaSel.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
      if (!names.length) schemaSel.replaceChildren(h('option', { value: '' }, '(no schemas)'));
      const pick = [preferred, 'default', names[0]].find((n) => n && names.includes(n));
      if (pick) schemaSel.value = pick;
    } catch {
      schemaSel.replaceChildren(h('option', { value: preferred || 'default' }, preferred || 'default'));
    }
  }
  catalogSel.addEventListener('change', () => {
    store(KEY_CATALOG, catalogSel.value);
    loadSchemas(null).then(() => store(KEY_SCHEMA, schemaSel.value));
  });
  schemaSel.addEventListener('change', () => store(KEY_SCHEMA, schemaSel.value));
  (async () => {
    catalogSel.replaceChildren(h('option', { value: '' }, '…'));
    try {
      const res = await api.get(`${UC}/catalogs`);
      const names = (res.catalogs || []).map((c) => c.name).sort();
      catalogSel.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
      const pick = [store(KEY_CATALOG), 'main', names[0]].find((n) => n && names.includes(n));
      if (pick) catalogSel.value = pick;
    } catch {
      catalogSel.replaceChildren(h('option', { value: 'main' }, 'main'));
    }
    await loadSchemas(store(KEY_SCHEMA));
  })();

  // ---- running
  const run = { seq: 0, id: null, active: false, cancelWanted: false, started: 0, timer: null, grid: null };

  const STATE_KIND = { PENDING: 'info running', RUNNING: 'info running', SUCCEEDED: 'ok', FAILED: 'danger', CANCELED: 'warn', CLOSED: '' };
  function setState(state) {
    stateEl.dataset.state = state || '';
    stateEl.replaceChildren(state
      ? h('span', { class: `badge ${STATE_KIND[state] ?? ''}`, 'data-status': state }, state.charAt(0) + state.slice(1).toLowerCase())
      : '');
  }
  function tick() {
    elapsedEl.textContent = run.started ? formatDuration(performance.now() - run.started) : '';
  }
  function showError(title, message, code) {
    errorPanel.hidden = false;
    errorPanel.replaceChildren(
      h('div', { class: 'sql-error-title' }, title, code ? h('span', { class: 'banner-code' }, code) : null),
      h('pre', { class: 'sql-error-message' }, message || ''));
  }
  function finish() {
    run.active = false;
    clearInterval(run.timer);
    run.timer = null;
    tick();
    runBtn.disabled = false;
    cancelBtn.disabled = true;
    cancelBtn.textContent = 'Cancel';
    loadHistory();
  }

  function statementText() {
    const { selectionStart: s, selectionEnd: e, value } = editor;
    const selected = e > s ? value.slice(s, e) : '';
    return (selected.trim() ? selected : value).trim();
  }

  async function execute() {
    if (run.active) return;
    const statement = statementText();
    if (!statement) {
      editor.focus();
      return;
    }
    const seq = ++run.seq;
    const current = () => seq === run.seq && params.isCurrent();
    Object.assign(run, { active: true, id: null, cancelWanted: false, started: performance.now(), grid: null });
    store(KEY_DRAFT, editor.value);
    runBtn.disabled = true;
    cancelBtn.disabled = false;
    csvBtn.hidden = true;
    errorPanel.hidden = true;
    clear(errorPanel);
    rowCountEl.textContent = '';
    results.replaceChildren(h('div', { class: 'sql-note' }, 'Running…'));
    setState('PENDING');
    run.timer = setInterval(() => { if (params.isCurrent()) tick(); else clearInterval(run.timer); }, 100);
    tick();

    let res;
    try {
      res = await api.post(STATEMENTS, {
        statement, catalog: catalogSel.value || undefined, schema: schemaSel.value || undefined, wait_timeout: '0s', on_wait_timeout: 'CONTINUE',
      });
      if (!current()) return;
      run.id = res.statement_id;
      results.dataset.statementId = run.id || '';
      if (run.cancelWanted && run.id) await api.post(`${STATEMENTS}/${encodeURIComponent(run.id)}/cancel`, {}).catch(() => {});
      let delay = 60;
      while (res.status && ACTIVE.has(res.status.state)) {
        setState(res.status.state);
        await sleep(delay);
        if (!current()) return;
        delay = Math.min(delay * 1.5, 750);
        res = await api.get(`${STATEMENTS}/${encodeURIComponent(run.id)}`);
        if (!current()) return;
      }
    } catch (err) {
      if (!current()) return;
      const d = describeError(err);
      setState('FAILED');
      showError(d.title, d.message, d.code);
      results.replaceChildren();
      finish();
      return;
    }
    const state = (res.status && res.status.state) || 'UNKNOWN';
    setState(state);
    if (state === 'SUCCEEDED') {
      const manifest = res.manifest || { schema: { columns: [] }, chunks: [], total_row_count: 0 };
      const total = Number(manifest.total_row_count || 0);
      rowCountEl.textContent = `${formatCount(total)} row${total === 1 ? '' : 's'}`;
      rowCountEl.dataset.rows = String(total);
      const grid = resultGrid(run.id, manifest, res.result);
      run.grid = grid;
      clear(results);
      add(results,
        manifest.truncated ? h('div', { class: 'banner warn', style: { marginBottom: '8px' } }, `The result was truncated to ${formatCount(total)} rows.`) : null,
        grid.el);
      csvBtn.hidden = !(manifest.schema && (manifest.schema.columns || []).length);
    } else if (state === 'FAILED') {
      const e = (res.status && res.status.error) || {};
      showError('The statement failed.', e.message || 'No error message was returned.', e.error_code);
      results.replaceChildren();
    } else if (state === 'CANCELED') {
      results.replaceChildren(h('div', { class: 'sql-note', 'data-role': 'canceled' }, 'The statement was canceled.'));
    } else {
      results.replaceChildren(h('div', { class: 'sql-note' }, `The statement ended in state ${state}.`));
    }
    finish();
  }

  async function cancel() {
    if (!run.active) return;
    cancelBtn.disabled = true;
    cancelBtn.textContent = 'Canceling…';
    if (!run.id) {
      run.cancelWanted = true;
      return;
    }
    try {
      await api.post(`${STATEMENTS}/${encodeURIComponent(run.id)}/cancel`, {});
    } catch (err) {
      const d = describeError(err);
      showError('Cancel failed.', d.message, d.code);
      cancelBtn.disabled = false;
      cancelBtn.textContent = 'Cancel';
    }
  }

  runBtn.addEventListener('click', execute);
  cancelBtn.addEventListener('click', cancel);
  csvBtn.addEventListener('click', () => {
    if (!run.grid) return;
    downloadCsv(run.id, run.grid, csvBtn).catch((err) => {
      const d = describeError(err);
      showError('CSV export failed.', d.message, d.code);
    });
  });
  editorKeys(editor, execute);

  // ---- history
  let historySeq = 0;
  async function loadHistory() {
    const seq = ++historySeq;
    if (!historyList.childElementCount) historyList.replaceChildren(h('li', { class: 'sql-history-note' }, 'Loading…'));
    let items;
    try {
      items = (await api.get(HISTORY, { limit: 50 })).statements || [];
    } catch (err) {
      if (seq !== historySeq || !params.isCurrent()) return;
      historyList.replaceChildren(h('li', { class: 'sql-history-note' },
        err.isNotFoundEndpoint ? 'Query history is not available on this server.' : `History could not be loaded: ${err.message}`));
      return;
    }
    if (seq !== historySeq || !params.isCurrent()) return;
    if (!items.length) {
      historyList.replaceChildren(h('li', { class: 'sql-history-note' }, 'No queries yet.'));
      return;
    }
    historyList.replaceChildren(...items.map((it) => {
      const text = String(it.statement || '');
      const st = String(it.state || '');
      return h('li', null, h('button', {
        type: 'button', class: 'sql-history-item', 'data-statement-id': it.statement_id, 'data-state': st,
        title: `${formatTime(it.submitted_at)} — click to load into the editor`,
        onClick: () => {
          editor.value = text;
          store(KEY_DRAFT, text);
          editor.focus();
          editor.setSelectionRange(text.length, text.length);
        },
      },
      h('code', { class: 'sql-history-text' }, text.length > 300 ? `${text.slice(0, 300)}…` : text),
      h('span', { class: 'sql-history-meta' },
        h('span', { class: `sql-dot ${st.toLowerCase()}`, 'aria-hidden': 'true' }),
        h('span', null, st ? st.charAt(0) + st.slice(1).toLowerCase() : '—'),
        h('span', null, formatRelative(it.submitted_at)),
        it.duration_ms !== null && it.duration_ms !== undefined ? h('span', null, formatDuration(it.duration_ms)) : null,
        it.row_count !== null && it.row_count !== undefined ? h('span', null, `${formatCount(it.row_count)} row${Number(it.row_count) === 1 ? '' : 's'}`) : null),
      it.error ? h('span', { class: 'sql-history-error' }, it.error.length > 140 ? `${it.error.slice(0, 140)}…` : it.error) : null));
    }));
  }
  loadHistory();

  if (fromQuery !== null) {
    editor.focus();
    editor.setSelectionRange(editor.value.length, editor.value.length);
  }
}
