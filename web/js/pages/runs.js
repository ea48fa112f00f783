// /ui/runs/<run_id> → run detail (see experiments/run.js).

export async function render(root, params) {
  const { renderRun } = await import('./experiments/run.js');
  return renderRun(root, params);
}
