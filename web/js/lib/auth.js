// Sign-in for the admin pages: who is signed in (top bar), the sign-in form shown whenever the API
// answers 401, and sign-out. The session cookie is HttpOnly; pages only ever see the CSRF token,
// which api.js sends with every change.

import { api, session, setSession } from './api.js';
import { h, clear } from './ui.js';

const ME = '/api/2.0/ingot/me';

/** Re-renders the current page (after signing in). */
function reload() {
  window.dispatchEvent(new CustomEvent('ingot:navigate', { detail: { href: window.location.href, replace: true } }));
}

/** Resolves once someone is signed in (at once when the server has authentication off). */
export async function ensureSignedIn() {
  try {
    const me = await api.get(ME);
    setSession(me);
    renderUserChip();
    return me;
  } catch (err) {
    if (err && err.status === 401) return new Promise((resolve) => showLogin(resolve));
    throw err;
  }
}

/** The sign-in form, over the whole shell. `onDone(me)` runs after a successful sign-in. */
export function showLogin(onDone = reload) {
  setSession(null);
  renderUserChip();
  if (document.getElementById('login')) return;
  const user = h('input', { class: 'input', id: 'login-username', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { class: 'input', id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'form-error', id: 'login-error', role: 'alert' });
  const submit = h('button', { class: 'btn primary', type: 'submit', id: 'login-submit' }, 'Sign in');
  const form = h('form', { class: 'login-card', 'aria-label': 'Sign in' },
    h('h1', null, 'Sign in to Ingot'),
    h('div', { class: 'field' }, h('label', { for: 'login-username' }, 'User name'), user),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), password),
    error, submit);
  const overlay = h('div', { class: 'login-overlay', id: 'login', 'data-view': 'login' }, form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    try {
      const me = await api.post('/api/2.0/ingot/login', { username: user.value.trim(), password: password.value });
      setSession(me);
      overlay.remove();
      renderUserChip();
      onDone(me);
    } catch (err) {
      error.textContent = err && err.status === 401 ? 'Wrong user name or password.' : (err && err.message) || String(err);
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  document.body.appendChild(overlay);
  user.focus();
}

async function signOut() {
  try {
    await api.post('/api/2.0/ingot/logout');
  } catch { /* the session may already be gone */ }
  showLogin();
}

/** The signed-in user and "Sign out" in the top bar. */
export function renderUserChip() {
  const el = document.getElementById('user-chip');
  if (!el) return;
  clear(el);
  const me = session.me;
  if (!me) return;
  el.appendChild(h('span', { class: 'user-name', id: 'user-name', title: me.groups && me.groups.length ? `Groups: ${me.groups.join(', ')}` : '' }, me.user_name));
  if (me.is_admin) el.appendChild(h('span', { class: 'badge plain' }, 'admin'));
  if (me.auth_mode === 'token' && me.csrf_token) {
    el.appendChild(h('button', { class: 'btn sm ghost', type: 'button', id: 'sign-out', onClick: signOut }, 'Sign out'));
  }
}

window.addEventListener('ingot:unauthenticated', () => showLogin());
