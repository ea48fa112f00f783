// /ui/pipelines          → pipelines list (state of the latest update, last run, duration, schedule)
// /ui/pipelines/<id>     → one pipeline (DAG, updates, event log, data quality; start / full refresh / stop)

export async function render(root, params) {
  if (params.parts.length === 0) {
    const { renderList } = await import('./pipelines/list.js');
    return renderList(root, params);
  }
  const { renderPipeline } = await import('./pipelines/pipeline.js');
  return renderPipeline(root, params, params.parts[0]);
}
