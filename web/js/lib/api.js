// JSON client for the Ingot server. Every failure becomes an ApiError; nothing is left uncaught here.

/** Error raised for any failed call: HTTP status, MLflow-style error_code and a readable message. */
export class ApiError extends Error {
  constructor(status, errorCode, message, body) {
    super(message || errorCode || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.error_code = errorCode || '';
    this.body = body;
  }
  get isNotFoundEndpoint() {
    return this.status === 404 && (this.error_code === 'ENDPOINT_NOT_FOUND' || !this.error_code || this.error_code === 'NOT_FOUND_HTTP');
  }
}

const STATUS_CODES = {
  400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND_HTTP',
  405: 'METHOD_NOT_ALLOWED', 409: 'RESOURCE_CONFLICT', 413: 'PAYLOAD_TOO_LARGE', 429: 'REQUEST_LIMIT_EXCEEDED',
  500: 'INTERNAL_ERROR', 501: 'NOT_IMPLEMENTED', 502: 'BAD_GATEWAY', 503: 'TEMPORARILY_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/** Builds a same-origin URL; arrays in `query` become repeated keys, null/undefined are dropped. */
export function buildUrl(path, query) {
  const url = new URL(path, window.location.origin);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      if (Array.isArray(v)) v.forEach((item) => url.searchParams.append(k, String(item)));
      else url.searchParams.append(k, String(v));
    }
  }
  return url.origin === window.location.origin ? url.pathname + url.search : url.toString();
}

/** JSON.parse that also accepts bare NaN / Infinity tokens (Python servers emit them). */
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (first) {
    const patched = text.replace(/([:\[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '$1"$2"');
    if (patched !== text) return JSON.parse(patched);
    throw first;
  }
}

/** The signed-in session as /api/2.0/ingot/me or the login answer describes it (null: not known yet). */
export const session = { me: null, csrf: null };

/** Remembers who is signed in and the session's CSRF token (sent on every change). */
export function setSession(me) {
  session.me = me || null;
  session.csrf = (me && me.csrf_token) || null;
}

const LOGIN_PATHS = new Set(['/api/2.0/ingot/login', '/api/2.0/ingot/me']);

async function request(method, path, { query, body, signal, headers } = {}) {
  // X-Ingot-Client: the server then answers 401 without a Basic challenge (no browser dialog).
  const init = { method, headers: { Accept: 'application/json', 'X-Ingot-Client': 'web', ...(headers || {}) }, signal };
  if (method !== 'GET' && method !== 'HEAD' && session.csrf) init.headers['X-CSRF-Token'] = session.csrf;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(buildUrl(path, query), init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'Cannot reach the Ingot server. Check that it is running and reachable.');
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    text = '';
  }
  let data = null;
  if (text) {
    try {
      data = parseJson(text);
    } catch {
      data = null;
    }
  }
  if (res.status === 401 && !LOGIN_PATHS.has(path)) {
    // The session ended (expired, signed out elsewhere, user deleted): ask the shell for the sign-in page.
    window.dispatchEvent(new CustomEvent('ingot:unauthenticated'));
  }
  if (!res.ok) {
    const code = (data && typeof data === 'object' && data.error_code) || STATUS_CODES[res.status] || `HTTP_${res.status}`;
    let message = data && typeof data === 'object' && (data.message || (data.error && data.error.message));
    if (!message) message = text && !data ? text.trim().slice(0, 300) : `${res.status} ${res.statusText || ''}`.trim();
    throw new ApiError(res.status, code, message, data);
  }
  if (data === null && text) {
    throw new ApiError(res.status, 'INVALID_RESPONSE', `Expected JSON from ${path}, got something else.`);
  }
  return data === null ? {} : data;
}

/** Fetches a plain-text resource (e.g. an artifact preview). Throws ApiError on failure. */
export async function getText(path, query) {
  let res;
  try {
    res = await fetch(buildUrl(path, query), { headers: { 'X-Ingot-Client': 'web' } });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'Cannot reach the Ingot server.');
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    let code = STATUS_CODES[res.status] || `HTTP_${res.status}`;
    let message = `${res.status} ${res.statusText || ''}`.trim();
    try {
      const data = JSON.parse(text);
      if (data && data.error_code) code = data.error_code;
      if (data && data.message) message = data.message;
    } catch { /* not JSON */ }
    throw new ApiError(res.status, code, message);
  }
  return { text, contentType: res.headers.get('Content-Type') || '' };
}

export const api = {
  get: (path, query, opts) => request('GET', path, { ...opts, query }),
  post: (path, body, opts) => request('POST', path, { ...opts, body: body ?? {} }),
  patch: (path, body, opts) => request('PATCH', path, { ...opts, body: body ?? {} }),
  put: (path, body, opts) => request('PUT', path, { ...opts, body: body ?? {} }),
  delete: (path, body, opts) => request('DELETE', path, { ...opts, body }),
};

/** MLflow tracking/registry REST under the UI prefix (/ajax-api/2.0/mlflow/...). */
export const MLFLOW = '/ajax-api/2.0/mlflow/';
export const mlflow = {
  get: (endpoint, query, opts) => api.get(MLFLOW + endpoint, query, opts),
  post: (endpoint, body, opts) => api.post(MLFLOW + endpoint, body, opts),
  patch: (endpoint, body, opts) => api.patch(MLFLOW + endpoint, body, opts),
  delete: (endpoint, body, opts) => api.delete(MLFLOW + endpoint, body, opts),
};

/** MLflow numbers may arrive as numbers or as "NaN" / "Infinity" strings. */
// MLflow's SQL stores save ±Infinity as ±Number.MAX_VALUE; read those back as infinities.
export function toNumber(v) {
  if (typeof v === 'number') return Math.abs(v) >= Number.MAX_VALUE ? v * Infinity : v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity' || v === '+Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = Number(v);
    return v.trim() === '' ? NaN : n;
  }
  return NaN;
}
