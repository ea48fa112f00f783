// A lineage graph drawn as SVG (no libraries): the centre node in the middle column, upstream
// nodes in columns to its left by distance, downstream nodes to its right. Edges are curves from a
// node's right side to the next node's left side, labelled by the process that produced them.

import { s } from './ui.js';

const W = 180;
const H = 46;
const GAP_X = 60;
const GAP_Y = 18;
const PAD = 16;

const TYPE_LABEL = {
  file: 'file', volume: 'volume', table: 'table', pipeline: 'pipeline', job: 'job', sql_statement: 'SQL statement',
  mlflow_run: 'MLflow run', model_version: 'model version', serving_endpoint: 'serving endpoint',
  external_dataset: 'external dataset', external_job: 'external job',
};

export const typeLabel = (t) => TYPE_LABEL[t] || t;

/** The short name shown in a box: a table's last part, a file's base name, a display name. */
export function shortName(node) {
  if (node.redacted) return '(hidden)';
  const name = node.display_name || node.name || '';
  if (node.type === 'table') return name.split('.').pop();
  if (node.type === 'file') return name.split('/').pop() || name;
  if (node.type === 'mlflow_run' && !node.display_name) return name.slice(0, 12);
  return name;
}

/**
 * Column (signed distance from the root) of every node reached through data edges (edges whose
 * ends are not processes): upstream negative, downstream positive.
 */
export function layers(graph) {
  const depth = new Map([[graph.root, 0]]);
  const data = graph.edges.filter((e) => e.source !== e.target);
  for (const [dir, from, to] of [[-1, 'target', 'source'], [1, 'source', 'target']]) {
    let frontier = [graph.root];
    const seen = new Set(frontier);
    let d = 0;
    while (frontier.length) {
      d += dir;
      const next = [];
      for (const id of frontier) {
        for (const e of data) {
          if (e[from] !== id || seen.has(e[to])) continue;
          seen.add(e[to]);
          if (!depth.has(e[to])) depth.set(e[to], d);
          next.push(e[to]);
        }
      }
      frontier = next;
    }
  }
  return depth;
}

/**
 * Renders the graph; `onSelect(node)` is called when a node is clicked or chosen with Enter.
 * Returns the <svg>.
 */
export function lineageSvg(graph, { onSelect } = {}) {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const depth = layers(graph);
  const columns = new Map();
  for (const [id, d] of depth) {
    if (!columns.has(d)) columns.set(d, []);
    columns.get(d).push(id);
  }
  const ds = [...columns.keys()].sort((a, b) => a - b);
  const minD = ds[0] ?? 0;
  const tallest = Math.max(1, ...[...columns.values()].map((c) => c.length));
  const height = PAD * 2 + tallest * H + (tallest - 1) * GAP_Y;
  const width = PAD * 2 + ds.length * W + Math.max(0, ds.length - 1) * GAP_X;
  const pos = new Map();
  for (const d of ds) {
    const col = columns.get(d).sort((a, b) => shortName(nodes.get(a) || {}).localeCompare(shortName(nodes.get(b) || {})));
    const x = PAD + (d - minD) * (W + GAP_X);
    const top = (height - (col.length * H + (col.length - 1) * GAP_Y)) / 2;
    col.forEach((id, i) => pos.set(id, { x, y: top + i * (H + GAP_Y) }));
  }
  const svg = s('svg', { class: 'dag lineage-graph', width: String(width), height: String(height), viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'Lineage graph' });
  const drawn = new Set();
  for (const e of graph.edges) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    const key = `${e.source}>${e.target}`;
    if (!a || !b || drawn.has(key)) continue;
    drawn.add(key);
    const x1 = a.x + W;
    const y1 = a.y + H / 2;
    const x2 = b.x;
    const y2 = b.y + H / 2;
    const mid = (x1 + x2) / 2;
    const via = e.via ? nodes.get(e.via) : null;
    const path = s('path', {
      class: 'dag-edge', d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
      'data-source': e.source, 'data-target': e.target, 'marker-end': 'url(#lineage-arrow)',
    });
    const title = [via ? `via ${typeLabel(via.type)} ${shortName(via)}` : e.origin,
      ...(e.columns || []).map((c) => `${c.target} ← ${c.sources.join(', ')}`)].join('\n');
    path.appendChild(s('title', null, title));
    svg.appendChild(path);
  }
  svg.prepend(s('defs', null, s('marker', { id: 'lineage-arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#aab2c0' }))));
  for (const [id, p] of pos) {
    const n = nodes.get(id);
    if (!n) continue;
    const g = s('g', {
      class: `dag-node lineage-node${id === graph.root ? ' selected' : ''}`, transform: `translate(${p.x},${p.y})`,
      'data-id': id, 'data-type': n.type, 'data-kind': 'dataset', tabindex: n.redacted ? '-1' : '0', role: 'button',
      'aria-label': `${typeLabel(n.type)} ${n.redacted ? 'hidden' : (n.name || '')}`,
    });
    g.appendChild(s('rect', { class: 'dag-box', width: String(W), height: String(H), rx: '6' }));
    const label = shortName(n);
    g.appendChild(s('text', { class: 'dag-name', x: '10', y: '19' }, label.length > 22 ? `${label.slice(0, 21)}…` : label));
    g.appendChild(s('text', { class: 'dag-type', x: '10', y: '36' }, typeLabel(n.type)));
    g.appendChild(s('title', null, n.redacted ? 'You cannot see this node' : `${typeLabel(n.type)}: ${n.name}`));
    if (!n.redacted && onSelect) {
      g.addEventListener('click', () => onSelect(n));
      g.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onSelect(n); } });
    }
    svg.appendChild(g);
  }
  return svg;
}
