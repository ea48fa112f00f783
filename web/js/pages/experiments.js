// /ui/experiments            → experiments list
// /ui/experiments/<id>       → one experiment (runs, logged models, traces)

export async function render(root, params) {
  if (params.parts.length === 0) {
    const { renderList } = await import('./experiments/list.js');
    return renderList(root, params);
  }
  const { renderExperiment } = await import('./experiments/detail.js');
  return renderExperiment(root, params);
}
