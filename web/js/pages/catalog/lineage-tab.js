// The table page's Lineage tab: the lineage graph around the table (files, tables, pipelines,
// SQL statements, MLflow runs, model versions, serving endpoints) as an SVG you can walk — click a
// node to centre the graph on it; "Back to <table>" returns.

import { api } from '../../lib/api.js';
import { h, clear, spinner, inlineError, emptyState } from '../../lib/ui.js';
import { lineageSvg, typeLabel, shortName } from '../../lib/lineage-graph.js';
import { tableHref } from './common.js';

export const LINEAGE_TAB = { id: 'lineage', label: 'Lineage' };
const API = '/api/2.0/ingot/lineage';

/** Fills the tab panel for the table `fullName`; `stillHere()` is false once the user moved on. */
export function lineageTab(panel, fullName, stillHere = () => true) {
  const home = { type: 'table', name: fullName };
  const state = { center: home, direction: 'both', depth: '2' };
  const direction = h('select', { class: 'input', id: 'lineage-direction', 'aria-label': 'Direction' },
    ['both', 'upstream', 'downstream'].map((d) => h('option', { value: d }, d)));
  const depth = h('select', { class: 'input', id: 'lineage-depth', 'aria-label': 'Depth' },
    ['1', '2', '3', '5', '10'].map((d) => h('option', { value: d, selected: d === state.depth }, `depth ${d}`)));
  const centre = h('span', { id: 'lineage-center', class: 'meta-item' });
  const back = h('button', { class: 'btn', type: 'button', id: 'lineage-home', style: { display: 'none' } }, `Back to ${fullName.split('.').pop()}`);
  const details = h('div', { id: 'lineage-details', class: 'muted' });
  const canvas = h('div', { class: 'dag-scroll', id: 'lineage-canvas' });
  panel.append(
    h('div', { class: 'toolbar' }, centre, direction, depth, back),
    canvas, details);
  direction.addEventListener('change', () => { state.direction = direction.value; load(); });
  depth.addEventListener('change', () => { state.depth = depth.value; load(); });
  back.addEventListener('click', () => { state.center = home; load(); });

  let seq = 0;
  async function load() {
    const mine = ++seq;
    const c = state.center;
    clear(centre);
    centre.append(h('span', { class: 'meta-label' }, typeLabel(c.type)), ' ',
      c.type === 'table' && c.name.split('.').length === 3
        ? h('a', { href: tableHref(...c.name.split('.')), 'data-role': 'center-name' }, c.name)
        : h('code', { class: 'inline', 'data-role': 'center-name' }, c.name));
    back.style.display = c.type === home.type && c.name === home.name ? 'none' : '';
    canvas.replaceChildren(spinner('Loading lineage…'));
    let graph;
    try {
      graph = await api.get(API, { node_type: c.type, name: c.name, direction: state.direction, depth: state.depth });
    } catch (err) {
      if (mine !== seq || !stillHere()) return;
      canvas.replaceChildren(err.status === 404
        ? emptyState({ title: 'No lineage yet', body: 'Nothing has been recorded as reading or writing this table: pipeline runs, SQL writes, MLflow runs logging it as an input, and OpenLineage events add lineage.' })
        : inlineError(err));
      return;
    }
    if (mine !== seq || !stillHere()) return;
    canvas.dataset.root = graph.root;
    if (graph.edges.length === 0) {
      canvas.replaceChildren(emptyState({ title: 'No lineage yet', body: 'Nothing upstream or downstream of this node has been recorded.' }));
    } else {
      canvas.replaceChildren(lineageSvg(graph, {
        onSelect: (n) => { state.center = { type: n.type, name: n.name }; load(); },
      }));
    }
    describe(graph);
  }

  /** The edges into and out of the centre, with their processes and column mappings. */
  function describe(graph) {
    clear(details);
    const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
    const label = (id) => { const n = nodes.get(id); return n ? `${typeLabel(n.type)} ${shortName(n)}` : id; };
    const rows = graph.edges.filter((e) => e.source === graph.root || e.target === graph.root).map((e) => h('li', null,
      `${label(e.source)} → ${label(e.target)}`,
      e.via ? h('span', { class: 'muted' }, ` via ${label(e.via)}`) : null,
      (e.columns || []).length
        ? h('ul', { class: 'lineage-columns' }, e.columns.map((m) => h('li', null, h('code', null, `${m.target} ← ${m.sources.join(', ')}`))))
        : null));
    if (rows.length) details.append(h('ul', { class: 'lineage-edges' }, rows));
  }
  load();
}
