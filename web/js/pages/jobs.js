// /ui/jobs          → jobs list (schedule and pause state, last run)
// /ui/jobs/<id>     → one job (schedule, run now, pause/unpause, run timeline, task logs)

export async function render(root, params) {
  if (params.parts.length === 0) {
    const { renderList } = await import('./jobs/list.js');
    return renderList(root, params);
  }
  const { renderJob } = await import('./jobs/job.js');
  return renderJob(root, params, params.parts[0]);
}
