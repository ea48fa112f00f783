// Search results: /ui/search?q=…&types=… — catalogs, schemas, tables, columns, volumes, registered
// models, experiments, pipelines and serving endpoints, ranked by the server (exact name, prefix,
// word, substring, then comment/tag matches) and limited to what the signed-in user may see.

import { api } from '../lib/api.js';
import { h, clear, pageHeader, setTitle, spinner, inlineError, emptyState, navigate } from '../lib/ui.js';

const TYPES = [
  ['', 'Everything'], ['table', 'Tables'], ['column', 'Columns'], ['schema', 'Schemas'], ['catalog', 'Catalogs'], ['volume', 'Volumes'],
  ['registered_model', 'Models'], ['experiment', 'Experiments'], ['pipeline', 'Pipelines'], ['serving_endpoint', 'Endpoints'],
];
const LABEL = Object.fromEntries(TYPES.filter(([k]) => k));

function href(r) {
  if (!r.link) return null;
  const [path, qs] = r.link.split('?');
  return `/ui/${path.split('/').map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
}

export async function render(root, params) {
  const q = params.query.get('q') || '';
  const types = params.query.get('types') || '';
  setTitle(q ? `Search: ${q}` : 'Search');
  const input = h('input', { class: 'input', type: 'search', id: 'search-page-input', name: 'q', value: q, placeholder: 'Search names, comments, tags…', 'aria-label': 'Search' });
  const select = h('select', { class: 'input', id: 'search-type', 'aria-label': 'Type' },
    TYPES.map(([k, label]) => h('option', { value: k, selected: k === types ? '' : null }, label)));
  const form = h('form', { class: 'toolbar', id: 'search-form', role: 'search' }, input, select, h('button', { class: 'btn primary', type: 'submit' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const qs = new URLSearchParams();
    if (input.value.trim()) qs.set('q', input.value.trim());
    if (select.value) qs.set('types', select.value);
    navigate(`/ui/search?${qs}`);
  });
  select.addEventListener('change', () => form.requestSubmit());
  const results = h('div', { id: 'search-results' });
  root.append(pageHeader({ title: 'Search' }), form, results);
  if (!q.trim()) {
    results.append(emptyState({ title: 'Type something to search', body: 'Names match first (exact, prefix, words), then comments and tags.' }));
    return;
  }
  results.append(spinner('Searching…'));
  let answer;
  try {
    answer = await api.get('/api/2.0/ingot/search', { q, types: types || undefined, limit: 100 });
  } catch (err) {
    if (params.isCurrent()) clear(results).appendChild(inlineError(err));
    return;
  }
  if (!params.isCurrent()) return;
  clear(results);
  const list = answer.results || [];
  if (!list.length) {
    results.append(emptyState({ title: 'No results', body: `Nothing you can see matches “${q}”.` }));
    return;
  }
  results.append(h('p', { class: 'muted', id: 'search-count' }, `${list.length} result${list.length === 1 ? '' : 's'}`),
    h('ul', { class: 'search-results' }, list.map((r) => {
      const link = href(r);
      return h('li', { class: 'search-result', 'data-type': r.type, 'data-name': r.name },
        h('span', { class: 'badge' }, LABEL[r.type] ? LABEL[r.type].replace(/s$/, '') : r.type),
        ' ',
        link ? h('a', { href: link, class: 'search-title' }, r.title) : h('span', { class: 'search-title' }, r.title),
        r.type === 'experiment' || r.type === 'pipeline' ? null : h('span', { class: 'muted' }, `  ${r.name}`),
        r.parent && r.type === 'column' ? h('span', { class: 'muted' }, ` (${r.tags && r.tags.type ? r.tags.type : ''})`) : null,
        r.comment ? h('div', { class: 'muted search-comment' }, r.comment) : null);
    })));
}
