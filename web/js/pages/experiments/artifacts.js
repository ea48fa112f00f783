// Artifact browser for a run: lazy directory tree + preview (text / JSON / YAML / MLmodel / images).
// Listing: GET /ajax-api/2.0/mlflow/artifacts/list?run_id=&path=   (MLflow UI endpoint)
// Bytes:   GET /get-artifact?path=&run_uuid=&run_id=              (MLflow UI endpoint)
// If the server lacks the UI listing endpoint (404 ENDPOINT_NOT_FOUND) and the run's artifacts live behind
// the artifact proxy (mlflow-artifacts:/...), the proxy routes are used instead:
//   GET /api/2.0/mlflow-artifacts/artifacts?path=<exp>/<run>/artifacts/<p>  and  .../artifacts/<path>

import { api, mlflow, getText, buildUrl } from '../../lib/api.js';
import { h, add, clear, icon, formatBytes, spinner, inlineError, emptyState } from '../../lib/ui.js';

const IMAGE_EXT = new Set(['png', 'jpg', 'jpeg', 'gif', 'bmp', 'webp', 'svg', 'ico']);
const TEXT_EXT = new Set([
  'txt', 'log', 'json', 'yaml', 'yml', 'md', 'csv', 'tsv', 'py', 'r', 'sql', 'sh', 'cfg', 'ini', 'toml', 'xml',
  'html', 'js', 'ts', 'java', 'scala', 'go', 'rs', 'swift', 'c', 'h', 'cpp', 'ipynb', 'jsonl', 'properties', 'conf',
  'env', 'gitignore', 'dockerfile', 'text', 'out', 'err', 'lock',
]);
const TEXT_NAMES = new Set(['MLmodel', 'Dockerfile', 'LICENSE', 'README', 'Makefile', 'requirements.txt', 'conda.yaml', 'python_env.yaml']);
const MAX_PREVIEW = 2 * 1024 * 1024;

let mode = 'ui'; // 'ui' (MLflow UI endpoints) or 'proxy' (artifact proxy), remembered across runs

function proxyBase(artifactUri) {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri || '');
  return m ? m[1].replace(/\/+$/, '') : null;
}

function extOf(name) {
  const i = name.lastIndexOf('.');
  return i > 0 ? name.slice(i + 1).toLowerCase() : '';
}

function kindOf(name) {
  const base = name.split('/').pop();
  const ext = extOf(base);
  if (IMAGE_EXT.has(ext)) return 'image';
  if (TEXT_NAMES.has(base) || TEXT_EXT.has(ext)) return 'text';
  if (!ext) return 'text-maybe';
  return 'binary';
}

/**
 * @param {object} run  MLflow run {info, data}
 * @returns {HTMLElement}
 */
export function artifactBrowser(run) {
  const info = run.info;
  const rid = info.run_id || info.run_uuid;
  const base = proxyBase(info.artifact_uri);

  async function list(path) {
    if (mode === 'ui') {
      try {
        const files = [];
        let token = null;
        for (let i = 0; i < 50; i += 1) {
          const res = await mlflow.get('artifacts/list', { run_id: rid, run_uuid: rid, path: path || undefined, page_token: token || undefined });
          files.push(...(res.files || []));
          token = res.next_page_token;
          if (!token) break;
        }
        return normalize(files, path);
      } catch (err) {
        if (!(err.status === 404 && err.error_code === 'ENDPOINT_NOT_FOUND' && base !== null)) throw err;
        mode = 'proxy';
      }
    }
    if (base === null) throw new Error('This run stores artifacts outside the artifact proxy; the server cannot list them.');
    const res = await api.get('/api/2.0/mlflow-artifacts/artifacts', { path: [base, path].filter(Boolean).join('/') });
    return normalize(res.files || [], path);
  }

  function normalize(files, dir) {
    return files.map((f) => {
      let p = String(f.path || '');
      // MLflow's list endpoint returns paths relative to the run root; the proxy returns basenames.
      if (dir && !p.startsWith(`${dir}/`)) p = `${dir}/${p.split('/').pop()}`;
      return { path: p, name: p.split('/').pop(), is_dir: !!f.is_dir, file_size: f.file_size };
    }).sort((a, b) => (a.is_dir === b.is_dir ? a.name.localeCompare(b.name) : a.is_dir ? -1 : 1));
  }

  function fileUrl(path) {
    if (mode === 'proxy' && base !== null) {
      return `/api/2.0/mlflow-artifacts/artifacts/${[base, path].join('/').split('/').map(encodeURIComponent).join('/')}`;
    }
    return buildUrl('/get-artifact', { path, run_uuid: rid, run_id: rid });
  }

  const tree = h('div', { class: 'tree', role: 'tree', 'aria-label': 'Artifacts' });
  const previewHead = h('div', { class: 'preview-head' }, h('span', { class: 'path muted' }, 'No file selected'));
  const previewBody = h('div', { class: 'preview-body' },
    h('p', { class: 'muted' }, 'Select a file on the left to preview it.'));
  const el = h('section', { class: 'card', id: 'artifact-browser' },
    h('div', { class: 'artifacts' }, tree, h('div', { class: 'preview' }, previewHead, previewBody)));
  let selectedBtn = null;

  function nodeFor(f, depth) {
    const caret = h('span', { class: 'caret', 'aria-hidden': 'true' }, f.is_dir ? '▸' : '');
    const btn = h('button', {
      class: 'tree-node', type: 'button', role: 'treeitem', 'data-path': f.path, 'aria-selected': 'false',
      style: { paddingLeft: `${10 + depth * 16}px` },
    }, caret, icon(f.is_dir ? 'folder' : 'file'), h('span', { class: 'name', title: f.path }, f.name),
    !f.is_dir && f.file_size !== undefined ? h('span', { class: 'size' }, formatBytes(f.file_size)) : null);
    const li = h('li', null, btn);
    if (f.is_dir) {
      btn.setAttribute('aria-expanded', 'false');
      let children = null;
      btn.addEventListener('click', async () => {
        const open = btn.getAttribute('aria-expanded') === 'true';
        if (open) {
          btn.setAttribute('aria-expanded', 'false');
          caret.textContent = '▸';
          if (children) children.hidden = true;
          return;
        }
        btn.setAttribute('aria-expanded', 'true');
        caret.textContent = '▾';
        if (children) {
          children.hidden = false;
          return;
        }
        children = h('ul', { class: 'tree-children', role: 'group' }, h('li', { class: 'muted small', style: { paddingLeft: `${26 + depth * 16}px` } }, 'Loading…'));
        li.appendChild(children);
        try {
          const files = await list(f.path);
          clear(children);
          if (!files.length) children.appendChild(h('li', { class: 'muted small', style: { padding: `2px 0 2px ${26 + depth * 16}px` } }, 'Empty folder'));
          files.forEach((c) => children.appendChild(nodeFor(c, depth + 1)));
        } catch (err) {
          children.remove();
          children = null;
          btn.setAttribute('aria-expanded', 'false');
          caret.textContent = '▸';
          showPreviewError(err);
        }
      });
    } else {
      btn.addEventListener('click', () => {
        if (selectedBtn) selectedBtn.setAttribute('aria-selected', 'false');
        selectedBtn = btn;
        btn.setAttribute('aria-selected', 'true');
        preview(f);
      });
    }
    return li;
  }

  function showPreviewError(err) {
    clear(previewBody).appendChild(inlineError(err));
  }

  async function preview(f) {
    const url = fileUrl(f.path);
    add(clear(previewHead),
      h('span', { class: 'path', id: 'artifact-path' }, f.path),
      f.file_size !== undefined ? h('span', { class: 'muted small' }, formatBytes(f.file_size)) : null,
      h('a', { class: 'btn sm', href: url, download: f.name, 'data-external': '' }, icon('download'), 'Download'));
    clear(previewBody);
    const kind = kindOf(f.name);
    if (kind === 'image') {
      previewBody.appendChild(h('img', { src: url, alt: f.name, id: 'artifact-image' }));
      return;
    }
    if (kind === 'binary') {
      previewBody.appendChild(emptyState({ iconName: 'file', title: 'No preview for this file type', body: 'Download the file to open it locally.' }));
      return;
    }
    if (f.file_size !== undefined && Number(f.file_size) > MAX_PREVIEW) {
      previewBody.appendChild(emptyState({ iconName: 'file', title: 'File too large to preview', body: `${formatBytes(f.file_size)} — download it instead.` }));
      return;
    }
    previewBody.appendChild(spinner('Loading file…'));
    try {
      const { text } = await getText(url);
      let shown = text;
      if (extOf(f.name) === 'json' || extOf(f.name) === 'ipynb') {
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* show raw */ }
      }
      if (kind === 'text-maybe' && /[\u0000-\u0008\u000e-\u001a]/.test(text.slice(0, 4096))) {
        clear(previewBody).appendChild(emptyState({ iconName: 'file', title: 'Binary file', body: 'Download the file to open it locally.' }));
        return;
      }
      clear(previewBody).appendChild(h('pre', { class: 'code', id: 'artifact-text' }, shown.length > MAX_PREVIEW ? `${shown.slice(0, MAX_PREVIEW)}\n…` : shown));
    } catch (err) {
      showPreviewError(err);
    }
  }

  (async () => {
    tree.appendChild(spinner('Loading…'));
    try {
      const files = await list('');
      clear(tree);
      if (!files.length) {
        clear(el).appendChild(emptyState({
          iconName: 'folder', title: 'No artifacts',
          body: h('p', null, 'Files logged with ', h('code', { class: 'inline' }, 'mlflow.log_artifact(path)'), ' appear here.'),
        }));
        return;
      }
      tree.appendChild(h('ul', { class: 'tree-children', role: 'group' }, files.map((f) => nodeFor(f, 0))));
      // Open the model description automatically when it is at the root.
      const mlmodel = files.find((f) => f.name === 'MLmodel' && !f.is_dir);
      if (mlmodel) tree.querySelector(`[data-path="${CSS.escape(mlmodel.path)}"]`).click();
    } catch (err) {
      clear(tree).appendChild(h('div', { style: { padding: '10px' } }, inlineError(err)));
    }
  })();

  return el;
}
