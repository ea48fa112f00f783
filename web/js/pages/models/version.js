// One model version: source and run link, signature and input example (from its MLmodel),
// lineage (run, logged model, datasets), aliases, tags, pending requests, approval history, comments.

import { api, mlflow, getText } from '../../lib/api.js';
import { h, pageHeader, setTitle, card, statusBadge, showError, formatTime, copyButton, inlineError, tagChip, spinner } from '../../lib/ui.js';
import {
  INGOT, aliasChip, editableDescription, modelHref, pendingRequests, requestDialog, requestsTable, stageBadge, when,
} from './common.js';

/** `mlflow-artifacts:/a/b` → proxy path `a/b`; null for locations this server does not serve. */
function proxyPath(uri) {
  const m = /^mlflow-artifacts:\/+(.*)$/.exec(uri || '');
  return m ? m[1].replace(/\/+$/, '') : null;
}

function artifactUrl(path) {
  return `/api/2.0/mlflow-artifacts/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** Reads `inputs: '[...]'` style JSON strings out of an MLmodel file's signature block. */
export function parseSignature(mlmodel) {
  const out = {};
  const block = /^signature:\s*\n((?:[ \t]+.*\n?)*)/m.exec(mlmodel);
  if (!block) return null;
  for (const key of ['inputs', 'outputs', 'params']) {
    const m = new RegExp(`^\\s+${key}:\\s*'(.*)'\\s*$`, 'm').exec(block[1]);
    if (m) {
      try {
        out[key] = JSON.parse(m[1].replace(/''/g, "'"));
      } catch {
        out[key] = m[1];
      }
    }
  }
  return out;
}

function schemaTable(title, cols) {
  if (!cols) return null;
  if (!Array.isArray(cols)) return h('div', null, h('h3', null, title), h('pre', { class: 'code' }, String(cols)));
  return h('div', null, h('h3', { style: { fontSize: '13px' } }, title),
    h('table', { class: 'data' },
      h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Type'), h('th', null, 'Required'))),
      h('tbody', null, cols.map((c) => h('tr', null, h('td', null, c.name ?? '(unnamed)'), h('td', null, c.type || (c['tensor-spec'] ? `tensor ${c['tensor-spec'].dtype}` : '?')),
        h('td', null, c.required === false ? 'no' : 'yes'))))));
}

async function modelFiles(location) {
  const base = proxyPath(location);
  if (!base) return h('p', { class: 'muted' }, `Files at ${location} are not served by this server.`);
  let mlmodel;
  try {
    mlmodel = (await getText(artifactUrl(`${base}/MLmodel`))).text;
  } catch (e) {
    return inlineError(e);
  }
  const sig = parseSignature(mlmodel);
  const parts = [];
  parts.push(sig ? h('div', { 'data-role': 'signature' }, schemaTable('Inputs', sig.inputs), schemaTable('Outputs', sig.outputs), schemaTable('Params', sig.params))
    : h('p', { class: 'muted', 'data-role': 'signature' }, 'No signature logged.'));
  const ex = /saved_input_example_info:\s*\n(?:[ \t]+.*\n)*?[ \t]+artifact_path:\s*(\S+)/m.exec(mlmodel);
  if (ex) {
    try {
      const text = (await getText(artifactUrl(`${base}/${ex[1]}`))).text;
      let pretty = text;
      try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON */ }
      parts.push(h('h3', { style: { fontSize: '13px' } }, 'Input example'),
        h('pre', { class: 'code', 'data-role': 'input-example', style: { maxHeight: '240px', overflow: 'auto' } }, pretty.length > 4000 ? `${pretty.slice(0, 4000)}\n…` : pretty));
    } catch (e) {
      parts.push(inlineError(e));
    }
  }
  const flavors = /^flavors:\s*\n((?:[ \t]+.*\n?)*)/m.exec(mlmodel);
  if (flavors) {
    const names = flavors[1].split('\n').filter((l) => /^ {2}\S.*:\s*$/.test(l)).map((l) => l.trim().replace(/:$/, ''));
    parts.unshift(h('p', null, 'Flavors: ', names.map((n) => h('span', { class: 'badge', style: { marginRight: '4px' } }, n))));
  }
  return h('div', null, parts);
}

function lineageView(lineage) {
  return h('dl', { class: 'kv', id: 'lineage' },
    h('dt', null, 'Source run'), h('dd', null, lineage.run_id ? h('a', { href: `/ui/runs/${encodeURIComponent(lineage.run_id)}`, id: 'source-run-link', class: 'id-text' }, lineage.run_id) : '—'),
    h('dt', null, 'Experiment'), h('dd', null, lineage.experiment_id ? h('a', { href: `/ui/experiments/${encodeURIComponent(lineage.experiment_id)}` }, lineage.experiment_id) : '—'),
    h('dt', null, 'Logged model'), h('dd', null, lineage.model_id ? h('span', { class: 'id-text' }, lineage.model_id) : '—'),
    h('dt', null, 'Files'), h('dd', null, h('span', { class: 'id-text' }, lineage.artifact_location), copyButton(lineage.artifact_location, { label: 'Copy location' })),
    h('dt', null, 'Datasets'), h('dd', null, (lineage.datasets || []).length
      ? h('span', { 'data-role': 'datasets', style: { display: 'flex', gap: '6px', flexWrap: 'wrap' } },
        lineage.datasets.map((d) => tagChip(d.context ? `${d.name} (${d.context})` : d.name, `${d.source_type} · ${d.digest}`)))
      : h('span', { class: 'muted' }, 'None logged by the source run')));
}

function historyView(activities) {
  if (!activities.length) return h('p', { class: 'muted' }, 'No history yet.');
  const label = {
    REQUESTED_TRANSITION: 'requested', APPROVED_REQUEST: 'approved', REJECTED_REQUEST: 'rejected', CANCELLED_REQUEST: 'cancelled',
    APPLIED_TRANSITION: 'moved', SYSTEM_TRANSITION: 'system moved', NEW_COMMENT: 'commented', SET_ALIAS: 'set alias', DELETED_ALIAS: 'removed alias',
  };
  return h('ol', { class: 'history', id: 'approval-history', style: { margin: 0, paddingLeft: '18px' } }, activities.slice().reverse().map((a) => h('li', { 'data-activity': a.activity_type, style: { marginBottom: '6px' } },
    h('strong', null, a.user_id), ` ${label[a.activity_type] || a.activity_type} `,
    a.alias ? h('code', { class: 'inline' }, `@${a.alias}`) : null,
    a.to_stage ? [a.from_stage ? `${a.from_stage} → ` : '', h('strong', null, a.to_stage)] : null,
    ' · ', when(a.creation_timestamp),
    a.comment && a.activity_type !== 'NEW_COMMENT' ? h('div', { class: 'muted' }, `“${a.comment}”`) : null,
    a.system_comment ? h('div', { class: 'muted' }, a.system_comment) : null)));
}

function commentsView(name, version, comments, onDone) {
  const input = h('textarea', { class: 'input', rows: '2', id: 'new-comment', placeholder: 'Add a comment', style: { width: '100%' } });
  const post = h('button', { class: 'btn sm primary', type: 'button', id: 'post-comment' }, 'Comment');
  post.addEventListener('click', async () => {
    if (!input.value.trim()) return;
    post.disabled = true;
    try {
      await mlflow.post('comments/create', { name, version, comment: input.value.trim() });
      await onDone();
    } catch (e) {
      post.disabled = false;
      showError(e);
    }
  });
  return h('div', { id: 'comments' },
    comments.map((c) => h('div', { class: 'comment', 'data-comment': c.id, style: { borderBottom: '1px solid var(--border)', padding: '6px 0' } },
      h('div', null, h('strong', null, c.user_id), ' · ', when(c.creation_timestamp),
        h('button', {
          class: 'btn ghost sm', type: 'button', style: { float: 'right' }, 'aria-label': 'Delete comment',
          onClick: async () => { try { await mlflow.delete('comments/delete', { id: c.id }); await onDone(); } catch (e) { showError(e); } },
        }, 'Delete')),
      h('div', { style: { whiteSpace: 'pre-wrap' } }, c.comment))),
    h('div', { style: { marginTop: '8px' } }, input, h('div', { style: { marginTop: '6px' } }, post)));
}

export async function renderVersion(root, name, version) {
  setTitle(`${name} v${version}`);
  const [mvRes, lineageRes, activitiesRes, commentsRes, requests] = await Promise.all([
    mlflow.get('model-versions/get', { name, version }),
    api.get(`${INGOT}lineage/get`, { name, version }),
    api.get(`${INGOT}activities/list`, { name, version }),
    api.get(`${INGOT}comments/list`, { name, version }),
    pendingRequests(name, version),
  ]);
  const mv = mvRes.model_version;
  const lineage = lineageRes.lineage;
  const rerender = async () => {
    const fresh = h('div', { class: 'page', 'data-page': 'models' });
    root.replaceWith(fresh);
    root = fresh;
    await renderVersion(fresh, name, version);
  };
  const uri = `models:/${name}/${version}`;
  const files = h('div', { id: 'model-files' }, spinner('Reading MLmodel…'));

  root.append(
    pageHeader({
      title: `Version ${version}`,
      crumbs: [{ label: 'Models', href: '/ui/models' }, { label: name, href: modelHref(name) }, { label: `Version ${version}` }],
      subtitle: h('span', null, h('code', { class: 'inline' }, uri), ' ', copyButton(uri, { label: 'Copy model URI' })),
      actions: [h('button', { class: 'btn primary', type: 'button', id: 'change-version', onClick: () => requestDialog(name, version, rerender) }, 'Change alias or stage…')],
    }),
    h('div', { class: 'grid cols-2', style: { marginBottom: '16px' } },
      card({
        title: 'Details',
        body: h('dl', { class: 'kv', id: 'version-details' },
          h('dt', null, 'Stage'), h('dd', null, stageBadge(mv.current_stage)),
          h('dt', null, 'Status'), h('dd', null, statusBadge(mv.status)),
          h('dt', null, 'Aliases'), h('dd', { id: 'version-aliases' }, (mv.aliases || []).length ? mv.aliases.map((a) => aliasChip(a, version, name)) : h('span', { class: 'muted' }, '—')),
          h('dt', null, 'Source'), h('dd', null, h('span', { class: 'id-text' }, mv.source), copyButton(mv.source, { label: 'Copy source' })),
          h('dt', null, 'Registered'), h('dd', null, formatTime(mv.creation_timestamp)),
          h('dt', null, 'By'), h('dd', null, mv.user_id || '—'),
          h('dt', null, 'Tags'), h('dd', null, (mv.tags || []).length ? mv.tags.map((t) => tagChip(t.key, t.value)) : h('span', { class: 'muted' }, '—'))),
      }),
      card({ title: 'Lineage', body: lineageView(lineage) })),
    card({
      title: 'Description',
      body: editableDescription(mv.description || '', async (text) => { await mlflow.patch('model-versions/update', { name, version, description: text }); }),
    }),
    card({ title: 'Pending requests', hint: `${requests.length}`, body: requestsTable(requests, rerender, { showVersion: false }) }),
    card({ title: 'Signature and input example', body: files }),
    h('div', { class: 'grid cols-2', style: { marginBottom: '16px' } },
      card({ title: 'Approval history', body: historyView(activitiesRes.activities || []) }),
      card({ title: 'Comments', body: commentsView(name, version, commentsRes.comments || [], rerender) })),
  );
  modelFiles(lineage.artifact_location).then((node) => files.replaceChildren(node)).catch((e) => files.replaceChildren(inlineError(e)));
}
