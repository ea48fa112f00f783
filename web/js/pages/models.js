// /ui/models                         → registered models list
// /ui/models/<name>                  → one model (versions, aliases, tags, description, pending requests)
// /ui/models/<name>/versions/<n>     → one version (source, lineage, signature, approvals, comments)

export async function render(root, params) {
  if (params.parts.length === 0) {
    const { renderList } = await import('./models/list.js');
    return renderList(root, params);
  }
  if (params.parts.length >= 3 && params.parts[1] === 'versions') {
    const { renderVersion } = await import('./models/version.js');
    return renderVersion(root, params.parts[0], params.parts[2]);
  }
  const { renderModel } = await import('./models/model.js');
  return renderModel(root, params.parts[0]);
}
