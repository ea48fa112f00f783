// "Try it": sends a JSON body to /serving-endpoints/{name}/invocations and shows the status, the time
// taken, the served-model-name header and the answer. The body starts as a one-row dataframe_split
// built from the model signature (Open Inference V2 metadata), when the endpoint has one.

import { h, card, clear, statusBadge } from '../../lib/ui.js';
import { api, session } from '../../lib/api.js';
import { invocationsPath } from './common.js';

const SAMPLE = { STRING: '', BOOL: false, BYTES: '' };

async function exampleBody(name) {
  try {
    const meta = await api.get(`/v2/models/${encodeURIComponent(name)}`);
    const inputs = meta.inputs || [];
    if (inputs.length) {
      return { dataframe_split: { columns: inputs.map((i) => i.name), data: [inputs.map((i) => (i.datatype in SAMPLE ? SAMPLE[i.datatype] : 0.0))] } };
    }
  } catch { /* not ready or no signature */ }
  return { dataframe_records: [{}] };
}

export function tryIt(name) {
  const textarea = h('textarea', { class: 'input mono', id: 'try-body', rows: '8', spellcheck: 'false', 'aria-label': 'Request body (JSON)' });
  const send = h('button', { class: 'btn primary', type: 'button', id: 'try-send' }, 'Send request');
  const result = h('div', { 'data-role': 'try-result' });
  exampleBody(name).then((body) => {
    if (!textarea.value) textarea.value = JSON.stringify(body, null, 2);
  });

  send.addEventListener('click', async () => {
    send.disabled = true;
    clear(result).appendChild(h('p', { class: 'muted' }, 'Sending…'));
    const t0 = performance.now();
    let res;
    let text = '';
    try {
      res = await fetch(invocationsPath(name), { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Ingot-Client': 'web', ...(session.csrf ? { 'X-CSRF-Token': session.csrf } : {}) }, body: textarea.value });
      text = await res.text();
    } catch (e) {
      clear(result).appendChild(h('p', { class: 'form-error' }, `Cannot reach the server: ${e.message}`));
      send.disabled = false;
      return;
    }
    const ms = performance.now() - t0;
    let pretty = text;
    try {
      pretty = JSON.stringify(JSON.parse(text), null, 2);
    } catch { /* show as is */ }
    const served = res.headers.get('served-model-name');
    clear(result).append(
      h('div', { class: 'meta-row', style: { marginBottom: '8px' } },
        h('span', { class: 'meta-item', 'data-role': 'try-status', 'data-status': String(res.status) }, statusBadge(res.ok ? 'OK' : 'ERROR'), `HTTP ${res.status}`),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Time'), `${ms.toFixed(1)} ms`),
        h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'served-model-name'), h('code', { class: 'inline', id: 'try-served-model' }, served || '—'))),
      h('pre', { class: 'code', id: 'try-response' }, pretty));
    send.disabled = false;
  });

  return card({
    title: 'Try it',
    hint: `POST ${invocationsPath(name)}`,
    body: h('div', null,
      h('p', { class: 'muted', style: { marginTop: 0 } }, 'Any MLflow scoring body: dataframe_split, dataframe_records, instances or inputs, with optional params.'),
      textarea,
      h('div', { class: 'row', style: { margin: '10px 0' } }, send),
      result),
  });
}
