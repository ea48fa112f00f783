// /ui/serving           → serving endpoints list
// /ui/serving/<name>    → one endpoint (entities, traffic split, pending config, rollouts, live charts, try it)

export async function render(root, params) {
  if (params.parts.length === 0) {
    const { renderList } = await import('./serving/list.js');
    return renderList(root, params);
  }
  const { renderEndpoint } = await import('./serving/endpoint.js');
  return renderEndpoint(root, params, params.parts[0]);
}
