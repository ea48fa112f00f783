// DOM helpers, formatting and small UI pieces shared by every page.
// Untrusted text only ever goes through text nodes / attributes, never innerHTML.

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_TAGS = new Set([
  'svg', 'g', 'path', 'circle', 'rect', 'line', 'polyline', 'polygon', 'text', 'tspan', 'ellipse', 'title',
  'defs', 'clipPath', 'use',
]);

function applyAttrs(el, attrs, isSvg) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class' || key === 'className') {
      const cls = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      if (cls) el.setAttribute('class', cls);
    } else if (key === 'style' && typeof value === 'object') {
      for (const [prop, v] of Object.entries(value)) {
        if (v === undefined || v === null) continue;
        if (prop.startsWith('--')) el.style.setProperty(prop, v);
        else el.style[prop] = v;
      }
    } else if (key === 'dataset' && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = String(v);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'ref' && typeof value === 'function') {
      value(el);
    } else if (!isSvg && (key === 'value' || key === 'checked' || key === 'disabled' || key === 'selected' || key === 'indeterminate')) {
      el[key] = value;
      if (value === true && key !== 'indeterminate') el.setAttribute(key, '');
    } else if (key === 'href' || key === 'src') {
      const s = String(value);
      // Refuse script URLs coming from data.
      if (/^\s*(javascript|vbscript|data:text\/html)/i.test(s)) continue;
      el.setAttribute(key, s);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

function appendChildren(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false || child === true) continue;
    if (Array.isArray(child)) appendChildren(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** h('div', {class: 'x', onClick: fn}, 'text', h('span')) → HTMLElement. Text is always escaped. */
export function h(tag, attrs, ...children) {
  if (attrs instanceof Node || typeof attrs === 'string' || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = null;
  }
  const isSvg = SVG_TAGS.has(tag);
  const el = isSvg ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  applyAttrs(el, attrs, isSvg);
  appendChildren(el, children);
  return el;
}

/** Same as h() but always in the SVG namespace. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs, true);
  appendChildren(el, children);
  return el;
}

/** Appends children like h() does: null/false skipped, arrays flattened, strings as text. */
export function add(el, ...children) {
  appendChildren(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Icon paths (24×24, stroked). Static, trusted markup built with createElementNS. */
const ICONS = {
  search: ['M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13zM20 20l-4.7-4.7'],
  copy: ['M9 9h10v11H9z', 'M5 15V4h10'],
  check: ['M5 12.5 10 17l9-10'],
  plus: ['M12 5v14M5 12h14'],
  folder: ['M3.5 6.5a1 1 0 0 1 1-1h5l2 2h8a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1h-15a1 1 0 0 1-1-1z'],
  file: ['M6 3.5h8l4 4v13H6z', 'M14 3.5v4h4'],
  download: ['M12 4v11M7 10.5l5 5 5-5M5 19.5h14'],
  compare: ['M8 4v16M16 4v16M4 8h8M12 16h8'],
  refresh: ['M19.5 12a7.5 7.5 0 1 1-2.2-5.3M19.5 4.5v4h-4'],
  box: ['M12 3.5 19.5 7.7v8.6L12 20.5l-7.5-4.2V7.7z', 'M4.5 7.7 12 12l7.5-4.3M12 12v8.5'],
  flask: ['M9.5 3.5h5M10.5 3.5v6L5 18.5A1.3 1.3 0 0 0 6.1 20.5h11.8a1.3 1.3 0 0 0 1.1-2L13.5 9.5v-6M7.5 14.5h9'],
  pulse: ['M3 12h4l2.5-6 5 12 2.5-6h4'],
  list: ['M8 6h12M8 12h12M8 18h12M4 6h.01M4 12h.01M4 18h.01'],
  alert: ['M12 4 21 19.5H3z', 'M12 10v4M12 17h.01'],
  clock: ['M12 20.5a8.5 8.5 0 1 0 0-17 8.5 8.5 0 0 0 0 17z', 'M12 7.5V12l3 2'],
  back: ['M15 5l-7 7 7 7'],
  external: ['M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5'],
};

export function icon(name, cls) {
  const svg = s('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true', class: cls });
  for (const d of ICONS[name] || []) svg.appendChild(s('path', { d }));
  return svg;
}

// ---------------------------------------------------------------- formatting

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** Local date-time "2026-01-05 14:03:22" from epoch milliseconds. */
export function formatTime(ms) {
  const n = Number(ms);
  if (ms === null || ms === undefined || ms === '' || !Number.isFinite(n) || n <= 0) return '—';
  const d = new Date(n);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3 minutes ago" style relative time (falls back to formatTime after a week). */
export function formatRelative(ms) {
  const n = Number(ms);
  if (!Number.isFinite(n) || n <= 0) return '—';
  const diff = (Date.now() - n) / 1000;
  if (diff < 0) return formatTime(n);
  if (diff < 45) return 'just now';
  if (diff < 90) return '1 minute ago';
  if (diff < 3600) return `${Math.round(diff / 60)} minutes ago`;
  if (diff < 5400) return '1 hour ago';
  if (diff < 86400) return `${Math.round(diff / 3600)} hours ago`;
  if (diff < 7 * 86400) {
    const days = Math.round(diff / 86400);
    return days === 1 ? 'yesterday' : `${days} days ago`;
  }
  return formatTime(n);
}

/** Human duration from milliseconds: "850ms", "12.3s", "4m 05s", "2h 03m", "3d 4h". */
export function formatDuration(ms) {
  const n = Number(ms);
  if (ms === null || ms === undefined || ms === '' || !Number.isFinite(n) || n < 0) return '—';
  if (n < 1000) return `${Math.round(n)}ms`;
  const sec = n / 1000;
  if (sec < 60) return `${sec < 10 ? sec.toFixed(2) : sec.toFixed(1)}s`;
  const totalSec = Math.floor(sec);
  const d = Math.floor(totalSec / 86400);
  const hh = Math.floor((totalSec % 86400) / 3600);
  const mm = Math.floor((totalSec % 3600) / 60);
  const ss = totalSec % 60;
  if (d > 0) return `${d}d ${hh}h`;
  if (hh > 0) return `${hh}h ${pad(mm)}m`;
  return `${mm}m ${pad(ss)}s`;
}

/** "1.5 KB" etc. (binary multiples). */
export function formatBytes(n) {
  const v = Number(n);
  if (n === null || n === undefined || n === '' || !Number.isFinite(v) || v < 0) return '—';
  if (v < 1024) return `${v} B`;
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i += 1;
  }
  return `${x < 10 ? x.toFixed(1) : Math.round(x)} ${units[i]}`;
}

/** Compact display of a metric value: up to 6 significant digits, NaN/Infinity spelled out. */
export function formatNumber(v) {
  const n = typeof v === 'number' ? v : Number(v);
  if (typeof v === 'string' && (v === 'NaN' || v === 'Infinity' || v === '-Infinity')) return v;
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return n.toExponential(4).replace(/\.?0+e/, 'e');
  return String(Number(n.toPrecision(6)));
}

// ---------------------------------------------------------------- components

/** Dismissable banner element. kind: error | warn | info | ok. */
export function banner(kind, title, message, { code, onClose, dismissable = true } = {}) {
  const el = h('div', { class: `banner ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('div', { class: 'banner-body' },
      title ? h('span', { class: 'banner-title' }, title) : null,
      title && message ? ' ' : null,
      message ? h('span', { class: 'banner-message' }, message) : null,
      code ? h('span', { class: 'banner-code' }, code) : null),
    dismissable
      ? h('button', {
        class: 'banner-close', type: 'button', 'aria-label': 'Dismiss',
        onClick: () => { el.remove(); if (onClose) onClose(); },
      }, '×')
      : null);
  return el;
}

/** Describes any thrown value as {title, message, code}. */
export function describeError(err) {
  if (!err) return { title: 'Something went wrong.', message: '', code: '' };
  if (err.name === 'ApiError') {
    if (err.error_code === 'ENDPOINT_NOT_FOUND') {
      return { title: 'Not available on this server.', message: `This build of the server does not provide the API this page needs (${err.message}).`, code: 'ENDPOINT_NOT_FOUND · HTTP 404' };
    }
    const title = err.status === 0 ? 'Server unreachable.'
      : err.status === 404 ? 'Not found.'
        : err.status === 401 ? 'Not signed in.'
          : err.status === 403 ? 'Permission denied.'
            : err.status >= 500 ? 'Server error.' : 'Request failed.';
    return { title, message: err.message, code: err.error_code ? `${err.error_code}${err.status ? ` · HTTP ${err.status}` : ''}` : '' };
  }
  return { title: 'Something went wrong.', message: String(err.message || err), code: '' };
}

/** Shows an error banner at the top of the content area (dismissable). Returns the banner. */
export function showError(err, { container } = {}) {
  const host = container || document.getElementById('banners') || document.body;
  const { title, message, code } = describeError(err);
  // Avoid stacking identical banners.
  for (const existing of host.querySelectorAll('.banner.error')) {
    if (existing.dataset.key === `${title}|${message}`) existing.remove();
  }
  const el = banner('error', title, message, { code });
  el.dataset.key = `${title}|${message}`;
  host.appendChild(el);
  return el;
}

export function showNotice(kind, message, { container } = {}) {
  const host = container || document.getElementById('banners') || document.body;
  const el = banner(kind, '', message);
  host.appendChild(el);
  if (kind === 'ok' || kind === 'info') setTimeout(() => el.remove(), 5000);
  return el;
}

export function clearBanners() {
  const host = document.getElementById('banners');
  if (host) clear(host);
}

/** Inline error (inside a card / tab) rather than the global banner area. */
export function inlineError(err) {
  const { title, message, code } = describeError(err);
  return banner('error', title, message, { code, dismissable: false });
}

export function spinner(label = 'Loading…') {
  return h('div', { class: 'spinner-wrap', role: 'status', 'aria-live': 'polite' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, label));
}

export function emptyState({ title, body, action, iconName = 'list' } = {}) {
  return h('div', { class: 'empty' },
    h('div', { class: 'empty-icon' }, icon(iconName)),
    title ? h('h3', null, title) : null,
    body ? (body instanceof Node ? body : h('p', null, body)) : null,
    action || null);
}

async function writeClipboard(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const ta = h('textarea', { style: { position: 'fixed', left: '-9999px', top: '0' }, readonly: true });
  ta.value = text;
  document.body.appendChild(ta);
  ta.select();
  try {
    document.execCommand('copy');
  } finally {
    ta.remove();
  }
}

/** Small icon button copying `text` to the clipboard, with a ✓ confirmation. */
export function copyButton(text, { label = 'Copy' } = {}) {
  const btn = h('button', { class: 'btn ghost icon copy-btn', type: 'button', title: label, 'aria-label': label },
    icon('copy'));
  btn.addEventListener('click', async (ev) => {
    ev.stopPropagation();
    try {
      await writeClipboard(String(text));
      btn.classList.add('copied');
      btn.replaceChildren(icon('check'));
      btn.title = 'Copied';
      setTimeout(() => {
        btn.classList.remove('copied');
        btn.replaceChildren(icon('copy'));
        btn.title = label;
      }, 1400);
    } catch {
      btn.title = 'Copy failed — select the text instead';
    }
  });
  return btn;
}

/** Status badge with colour by meaning. */
export function statusBadge(status) {
  const st = String(status || 'UNKNOWN');
  const up = st.toUpperCase();
  let kind = '';
  if (['OK', 'FINISHED', 'READY', 'ACTIVE', 'LOGGED_MODEL_READY', 'SUCCESS', 'HEALTHY'].includes(up)) kind = 'ok';
  else if (['RUNNING', 'PENDING', 'SCHEDULED', 'IN_PROGRESS', 'LOGGED_MODEL_PENDING'].includes(up)) kind = 'info running';
  else if (['FAILED', 'ERROR', 'DOWN', 'LOGGED_MODEL_UPLOAD_FAILED', 'UNHEALTHY'].includes(up)) kind = 'danger';
  else if (['KILLED', 'DEGRADED', 'DELETED', 'WARNING', 'STATE_UNSPECIFIED'].includes(up)) kind = 'warn';
  const label = up.startsWith('LOGGED_MODEL_') ? up.slice(13) : up;
  const text = label.charAt(0) + label.slice(1).toLowerCase().replace(/_/g, ' ');
  return h('span', { class: `badge ${kind}`, 'data-status': st }, text);
}

export function tagChip(key, value) {
  return h('span', { class: 'tag-chip', title: `${key}: ${value}` },
    h('span', { class: 'k' }, key), h('span', { class: 'v' }, value));
}

/** Page header with optional breadcrumbs, subtitle and action buttons. */
export function pageHeader({ title, subtitle, crumbs, actions, meta }) {
  return h('div', { class: 'page-header' },
    h('div', { class: 'titles' },
      crumbs && crumbs.length
        ? h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
          crumbs.flatMap((c, i) => [
            i ? h('span', { class: 'sep', 'aria-hidden': 'true' }, '/') : null,
            c.href ? h('a', { href: c.href }, c.label) : h('span', null, c.label),
          ]))
        : null,
      h('h1', null, title),
      subtitle ? h('div', { class: 'subtitle' }, subtitle) : null,
      meta || null),
    actions && actions.length ? h('div', { class: 'actions' }, actions) : null);
}

export function card({ title, hint, actions, body, flush, cls }) {
  return h('section', { class: ['card', cls] },
    title ? h('div', { class: 'card-header' }, h('h2', null, title, hint ? h('span', { class: 'hint' }, `  ${hint}`) : null), actions || null) : null,
    h('div', { class: flush ? 'card-body flush' : 'card-body' }, body));
}

/** Tab strip. tabs: [{id, label, count}]; onSelect(id). Returns {el, select(id)}. */
export function tabs(items, active, onSelect) {
  const buttons = new Map();
  const el = h('div', { class: 'tabs', role: 'tablist' });
  for (const t of items) {
    const b = h('button', {
      type: 'button', role: 'tab', id: `tab-${t.id}`, 'data-tab': t.id,
      'aria-selected': String(t.id === active),
      onClick: () => { select(t.id); onSelect(t.id); },
    }, t.label, t.count !== undefined && t.count !== null ? h('span', { class: 'count' }, String(t.count)) : null);
    buttons.set(t.id, b);
    el.appendChild(b);
  }
  function select(id) {
    for (const [k, b] of buttons) b.setAttribute('aria-selected', String(k === id));
  }
  return { el, select };
}

/** Modal dialog built on <dialog>. Returns the dialog element (already shown). */
export function modal({ title, body, footer, onClose }) {
  const dlg = h('dialog', { class: 'modal' },
    h('div', { class: 'modal-header' }, h('h2', null, title)),
    h('div', { class: 'modal-body' }, body),
    h('div', { class: 'modal-footer' }, footer));
  dlg.addEventListener('close', () => {
    dlg.remove();
    if (onClose) onClose();
  });
  document.body.appendChild(dlg);
  dlg.showModal();
  return dlg;
}

/** Updates the top bar title and the document title. */
export function setTitle(text) {
  document.title = text ? `${text} · Ingot` : 'Ingot';
  const el = document.getElementById('page-title');
  if (el) el.textContent = text || '';
}

/** Runs async tasks with bounded concurrency, preserving order of results. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next;
      next += 1;
      out[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Navigates inside the single-page app (the router listens for this). */
export function navigate(href, { replace = false } = {}) {
  window.dispatchEvent(new CustomEvent('ingot:navigate', { detail: { href, replace } }));
}
