// Shell + router. URL /ui/<section>/<rest...> → web/js/pages/<section>.js, which exports
// `async function render(root, params)`. "/", "/ui", "/ui/" show the home page.

import { api } from './lib/api.js';
import { ensureSignedIn } from './lib/auth.js';
import { h, clear, clearBanners, showError, setTitle, icon } from './lib/ui.js';

/** Route section → page module and the sidebar entry it belongs to. */
const ROUTES = {
  home: { module: 'home', nav: 'home' },
  pipelines: { module: 'pipelines', nav: 'pipelines' },
  jobs: { module: 'jobs', nav: 'jobs' },
  catalog: { module: 'catalog', nav: 'catalog' },
  sql: { module: 'sql', nav: 'sql' },
  experiments: { module: 'experiments', nav: 'experiments' },
  runs: { module: 'runs', nav: 'experiments' },
  compare: { module: 'compare', nav: 'experiments' },
  models: { module: 'models', nav: 'models' },
  serving: { module: 'serving', nav: 'serving' },
  admin: { module: 'admin', nav: 'admin' },
  search: { module: 'search', nav: null },
};

let navSeq = 0;

/** Splits a path into {section, parts}; null when it is not a UI route. */
export function parseRoute(pathname) {
  let path = pathname.replace(/\/+$/, '');
  if (path === '' || path === '/ui' || path === '/index.html' || path === '/ui/index.html') return { section: 'home', parts: [] };
  if (!path.startsWith('/ui/')) return { section: null, parts: [] };
  const segs = path.slice(4).split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { section: segs[0] || 'home', parts: segs.slice(1) };
}

function markNav(navKey) {
  for (const a of document.querySelectorAll('.sidebar a[data-nav]')) {
    if (a.dataset.nav === navKey) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function notFound(root, path) {
  setTitle('Not found');
  root.appendChild(h('div', { class: 'not-found', 'data-view': 'not-found' },
    h('div', { class: 'code-404' }, '404'),
    h('h1', null, 'This page does not exist'),
    h('p', null, 'Nothing lives at ', h('code', { class: 'inline' }, path), '. It may have moved, or the link is mistyped.'),
    h('p', null, h('a', { class: 'btn', href: '/ui/home' }, icon('back'), 'Back to Home'))));
}

async function route() {
  const seq = ++navSeq;
  const view = document.getElementById('view');
  const { section, parts } = parseRoute(window.location.pathname);
  const entry = section ? ROUTES[section] : null;
  clearBanners();
  // Each navigation gets a fresh root; a slow page that finishes late writes into a detached node.
  const root = h('div', { class: 'page', 'data-page': entry ? entry.module : 'not-found' });
  clear(view).appendChild(root);
  markNav(entry ? entry.nav : null);
  document.getElementById('content').scrollTop = 0;
  if (!entry) {
    notFound(root, window.location.pathname);
    return;
  }
  const params = {
    section,
    parts,
    id: parts[0],
    query: new URLSearchParams(window.location.search),
    path: window.location.pathname,
    isCurrent: () => seq === navSeq,
  };
  let mod;
  try {
    mod = await import(`./pages/${entry.module}.js`);
  } catch (err) {
    if (seq !== navSeq) return;
    showError(new Error(`The ${section} page failed to load (${err && err.message ? err.message : err}).`));
    return;
  }
  if (seq !== navSeq) return;
  try {
    await mod.render(root, params);
  } catch (err) {
    if (seq !== navSeq) return;
    showError(err);
  }
}

/** pushState navigation; same-origin /ui/ links are intercepted so the shell is never reloaded. */
function go(href, replace = false) {
  const url = new URL(href, window.location.href);
  if (url.origin !== window.location.origin) {
    window.location.assign(url.href);
    return;
  }
  const target = url.pathname + url.search + url.hash;
  const current = window.location.pathname + window.location.search + window.location.hash;
  if (replace) window.history.replaceState({}, '', target);
  else if (target !== current) window.history.pushState({}, '', target);
  route();
}

function isAppPath(pathname) {
  return pathname === '/' || pathname === '/ui' || pathname.startsWith('/ui/');
}

document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest && ev.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download') || a.dataset.external !== undefined) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin || !isAppPath(url.pathname)) return;
  // Static assets under /ui/ (files with an extension) are real files, not routes.
  if (/\.[a-z0-9]+$/i.test(url.pathname)) return;
  ev.preventDefault();
  go(url.href);
});

window.addEventListener('popstate', () => route());

// The header's search box opens the results page without reloading the shell.
document.getElementById('global-search')?.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = document.getElementById('global-search-input').value.trim();
  if (q) go(`/ui/search?q=${encodeURIComponent(q)}`);
});
window.addEventListener('ingot:navigate', (ev) => go(ev.detail.href, ev.detail.replace));

// No promise rejection should end up as a console error: show it in the banner instead.
window.addEventListener('unhandledrejection', (ev) => {
  ev.preventDefault();
  if (ev.reason && ev.reason.name === 'AbortError') return;
  showError(ev.reason);
});
window.addEventListener('error', (ev) => {
  if (ev.error) showError(ev.error);
});

// ---- server version / status in the top bar (refreshed every 30 s)
let lastHealth = null;
export function getLastHealth() {
  return lastHealth;
}

export async function refreshServerState() {
  const stateEl = document.getElementById('server-state');
  const textEl = document.getElementById('server-state-text');
  const versionEl = document.getElementById('server-version');
  try {
    const health = await api.get('/health');
    lastHealth = health;
    const st = String(health.status || 'unknown').toLowerCase();
    stateEl.className = `server-state ${st === 'ok' ? 'ok' : 'degraded'}`;
    textEl.textContent = st === 'ok' ? 'Healthy' : `Status: ${st}`;
    if (health.version) versionEl.textContent = `v${health.version}`;
    versionEl.title = `Server version ${health.version || 'unknown'}`;
    return health;
  } catch (err) {
    // A degraded server may answer 503 with the same health document.
    if (err && err.body && typeof err.body === 'object' && err.body.status) {
      lastHealth = err.body;
      stateEl.className = 'server-state degraded';
      textEl.textContent = `Status: ${String(err.body.status).toLowerCase()}`;
      if (err.body.version) versionEl.textContent = `v${err.body.version}`;
      return err.body;
    }
    lastHealth = null;
    stateEl.className = 'server-state down';
    textEl.textContent = 'Unreachable';
    throw err;
  }
}

refreshServerState().catch(() => { /* shown by the status indicator */ });
setInterval(() => refreshServerState().catch(() => {}), 30000);

// The shell and its scripts load without credentials; the APIs need them, so sign in first.
ensureSignedIn().then(() => route(), () => route());
