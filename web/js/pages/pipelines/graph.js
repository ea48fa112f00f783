// The pipeline's dataset DAG as an SVG graph: layered left to right by dependency depth (bronze →
// silver → gold), landing-folder sources on the far left, edges as curves, and per node the dataset's
// name, type, state in the shown update and its input / output / dropped counts.

import { h, s, add, clear } from '../../lib/ui.js';
import { count } from './common.js';

const NODE_W = 240;
const SRC_W = 164;
const NODE_H = 78;
const SRC_H = 34;
const COL_GAP = 52;
const ROW_GAP = 18;
const PAD = 16;

const TYPE_LABEL = {
  STREAMING_TABLE: 'Streaming table',
  MATERIALIZED_VIEW: 'Materialized view',
  VIEW: 'View',
  TEMPORARY_VIEW: 'Temporary view',
};

export function typeLabel(d) {
  if (d.flow && d.flow.type === 'AUTO_CDC') return `AUTO CDC · SCD type ${d.flow.scd_type || 1}`;
  return TYPE_LABEL[d.type] || String(d.type || '').toLowerCase().replace(/_/g, ' ');
}

const STATE_COLOR = {
  COMPLETED: '#1d7f4c', FAILED: '#be3129', RUNNING: '#2d63d8', QUEUED: '#98a0ae', CANCELED: '#9a5b00', NOT_RUN: '#cdd2db', SKIPPED: '#cdd2db',
};
export const stateColor = (st) => STATE_COLOR[String(st || '').toUpperCase()] || '#98a0ae';

function clip(text, max) {
  const t = String(text ?? '');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * Layout: columns by depth; in each column nodes are ordered by the mean row of their parents
 * (a few barycentre sweeps keep edges from crossing in the usual fan-in shapes).
 * Returns {nodes: [{id, kind, data, col, x, y, w, h}], edges: [{from, to}], width, height}.
 */
export function layout(graph) {
  const datasets = graph.datasets || [];
  const sources = [];
  const seenSrc = new Map();
  const edges = [];
  for (const d of datasets) {
    for (const path of d.sources || []) {
      if (!seenSrc.has(path)) {
        seenSrc.set(path, `src:${path}`);
        sources.push({ id: `src:${path}`, kind: 'source', data: { path }, col: 0 });
      }
      edges.push({ from: seenSrc.get(path), to: d.name });
    }
  }
  const shift = sources.length ? 1 : 0;
  const nodes = [...sources, ...datasets.map((d) => ({ id: d.name, kind: 'dataset', data: d, col: (Number(d.depth) || 0) + shift }))];
  for (const e of graph.edges || []) edges.push({ from: e.from, to: e.to });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parents = new Map(nodes.map((n) => [n.id, []]));
  const children = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    if (!byId.has(e.from) || !byId.has(e.to)) continue;
    parents.get(e.to).push(e.from);
    children.get(e.from).push(e.to);
  }
  const cols = [];
  nodes.forEach((n, i) => {
    n.order = i;
    (cols[n.col] = cols[n.col] || []).push(n);
  });
  for (let i = 0; i < cols.length; i += 1) cols[i] = cols[i] || [];
  const rowOf = () => { cols.forEach((c) => c.forEach((n, i) => { n.row = i; })); };
  rowOf();
  const mean = (ids) => {
    const rows = ids.map((id) => byId.get(id).row);
    return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : null;
  };
  for (let sweep = 0; sweep < 4; sweep += 1) {
    const down = sweep % 2 === 0;
    const range = down ? cols.keys() : [...cols.keys()].reverse();
    for (const ci of range) {
      const c = cols[ci];
      c.forEach((n) => {
        const m = mean(down ? parents.get(n.id) : children.get(n.id));
        n.key = m === null ? n.row : m;
      });
      c.sort((a, b) => a.key - b.key || a.order - b.order);
      c.forEach((n, i) => { n.row = i; });
    }
  }
  // Pixel positions: columns centred vertically on the tallest one.
  const colHeight = (c) => c.reduce((sum, n) => sum + (n.kind === 'source' ? SRC_H : NODE_H), 0) + Math.max(0, c.length - 1) * ROW_GAP;
  const height = Math.max(NODE_H, ...cols.map(colHeight)) + PAD * 2;
  let x = PAD;
  cols.forEach((c, ci) => {
    const colW = shift && ci === 0 ? SRC_W : NODE_W;
    let y = PAD + (height - PAD * 2 - colHeight(c)) / 2;
    c.forEach((n) => {
      n.w = colW;
      n.h = n.kind === 'source' ? SRC_H : NODE_H;
      n.x = x;
      n.y = y;
      y += n.h + ROW_GAP;
    });
    x += colW + COL_GAP;
  });
  const width = x - COL_GAP + PAD;
  return { nodes, edges: edges.filter((e) => byId.has(e.from) && byId.has(e.to)), byId, width, height };
}

function edgePath(a, b) {
  const x1 = a.x + a.w;
  const y1 = a.y + a.h / 2;
  const x2 = b.x - 6;
  const y2 = b.y + b.h / 2;
  const dx = Math.max(30, (x2 - x1) / 2);
  return `M${x1.toFixed(1)} ${y1.toFixed(1)} C${(x1 + dx).toFixed(1)} ${y1.toFixed(1)} ${(x2 - dx).toFixed(1)} ${y2.toFixed(1)} ${x2.toFixed(1)} ${y2.toFixed(1)}`;
}

/** Exact below 100,000; then 395.9k, 12.3M (the exact numbers are in the node's data- attributes and title). */
function compact(n) {
  const v = Number(n);
  if (!Number.isFinite(v) || Math.abs(v) < 1e5) return count(v);
  const [div, suffix] = Math.abs(v) >= 1e9 ? [1e9, 'G'] : Math.abs(v) >= 1e6 ? [1e6, 'M'] : [1e3, 'k'];
  return `${Number((v / div).toFixed(1))}${suffix}`;
}

function countsLine(d) {
  if (d.output_records === undefined) {
    const st = String(d.state || '');
    return st === 'RUNNING' ? 'processing…' : st === 'QUEUED' ? 'waiting for upstream' : 'no counts yet';
  }
  const parts = [`in ${compact(d.input_records)}`, `out ${compact(d.output_records)}`];
  if (Number(d.dropped_records) > 0) parts.push(`dropped ${compact(d.dropped_records)}`);
  return parts.join(' · ');
}

function datasetNode(n, selected, onSelect) {
  const d = n.data;
  const st = String(d.state || 'NOT_RUN').toUpperCase();
  const failedExp = (d.expectation_results || []).reduce((sum, e) => sum + (Number(e.failed_records) || 0), 0);
  const g = s('g', {
    class: ['dag-node', `state-${st.toLowerCase()}`, selected ? 'selected' : null].filter(Boolean).join(' '),
    transform: `translate(${n.x.toFixed(1)},${n.y.toFixed(1)})`, tabindex: '0', role: 'button',
    'data-kind': 'dataset', 'data-name': d.name, 'data-type': d.type, 'data-state': st,
    'data-input': d.input_records ?? '', 'data-output': d.output_records ?? '', 'data-dropped': d.dropped_records ?? '',
    'aria-label': `${d.name}: ${typeLabel(d)}, ${st.toLowerCase()}`,
  });
  g.addEventListener('click', () => onSelect(d.name));
  g.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onSelect(d.name); } });
  add(g,
    s('title', null, `${d.name}\n${typeLabel(d)}${d.location ? `\n${d.location}` : ''}${d.comment ? `\n${d.comment}` : ''}${d.output_records !== undefined
      ? `\n${count(d.input_records)} in · ${count(d.output_records)} out · ${count(d.dropped_records)} dropped` : ''}`),
    s('rect', { class: 'dag-box', width: String(n.w), height: String(n.h), rx: '7' }),
    s('rect', { class: 'dag-stripe', width: '5', height: String(n.h), rx: '2', fill: stateColor(st) }),
    s('text', { class: 'dag-name', x: '14', y: '20', 'data-role': 'name' }, clip(d.name, 24)),
    s('text', { class: 'dag-type', x: '14', y: '37', 'data-role': 'type' }, clip(typeLabel(d), 24)),
    s('circle', { cx: String(n.w - 14), cy: '16', r: '5', fill: stateColor(st), class: st === 'RUNNING' ? 'dag-pulse' : null }),
    s('text', { class: 'dag-state', x: String(n.w - 10), y: '37', 'text-anchor': 'end', fill: stateColor(st), 'data-role': 'state' },
      st.charAt(0) + st.slice(1).toLowerCase().replace(/_/g, ' ')),
    s('text', { class: 'dag-counts', x: '14', y: '58', 'data-role': 'counts' }, countsLine(d)),
    (d.expectations || []).length
      ? s('text', { class: ['dag-exp', failedExp > 0 ? 'has-failures' : null].filter(Boolean).join(' '), x: '14', y: '72', 'data-role': 'expectations' },
        `${d.expectations.length} expectation${d.expectations.length === 1 ? '' : 's'}${failedExp > 0 ? ` · ${count(failedExp)} failing rows` : ''}`)
      : null,
  );
  return g;
}

function sourceNode(n) {
  const g = s('g', { class: 'dag-node dag-source', transform: `translate(${n.x.toFixed(1)},${n.y.toFixed(1)})`, 'data-kind': 'source', 'data-path': n.data.path });
  add(g,
    s('title', null, `read_files('${n.data.path}')`),
    s('rect', { class: 'dag-box', width: String(n.w), height: String(n.h), rx: '17' }),
    s('path', { class: 'dag-folder', d: 'M12 11.5h5l1.6 1.8h7.4v9.2H12z' }),
    s('text', { class: 'dag-type', x: '32', y: '21' }, clip(n.data.path, 24)),
  );
  return g;
}

/** Draws `graph` into `host`; `selected` is a dataset name; onSelect(name) on click. Returns the svg. */
export function drawGraph(host, graph, { selected, onSelect }) {
  const L = layout(graph);
  const svg = s('svg', {
    class: 'dag', viewBox: `0 0 ${L.width} ${L.height}`, width: String(L.width), height: String(L.height),
    role: 'img', 'aria-label': `Dataset graph of ${graph.name}`, 'data-datasets': String((graph.datasets || []).length),
  });
  const defs = s('defs');
  const marker = s('marker', { id: 'dag-arrow', viewBox: '0 0 10 10', refX: '8', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
    s('path', { d: 'M0 0 L10 5 L0 10 z', class: 'dag-arrow' }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  const edgeLayer = s('g', { class: 'dag-edges' });
  for (const e of L.edges) {
    const a = L.byId.get(e.from);
    const b = L.byId.get(e.to);
    const active = b.kind === 'dataset' && String(b.data.state).toUpperCase() === 'RUNNING';
    edgeLayer.appendChild(s('path', {
      class: ['dag-edge', active ? 'active' : null, a.kind === 'source' ? 'from-source' : null].filter(Boolean).join(' '),
      d: edgePath(a, b), 'marker-end': 'url(#dag-arrow)', 'data-from': e.from, 'data-to': e.to,
    }));
  }
  svg.appendChild(edgeLayer);
  const nodeLayer = s('g', { class: 'dag-nodes' });
  for (const n of L.nodes) nodeLayer.appendChild(n.kind === 'source' ? sourceNode(n) : datasetNode(n, n.id === selected, onSelect));
  svg.appendChild(nodeLayer);
  clear(host).appendChild(h('div', { class: 'dag-scroll', 'data-role': 'dag' }, svg));
  return svg;
}
