// /ui/compare?runs=<id1>,<id2>,... → metrics overlaid and params side by side.

export async function render(root, params) {
  const { renderCompare } = await import('./experiments/compare.js');
  return renderCompare(root, params);
}
