// /ui/catalog                              → catalogs
// /ui/catalog/<catalog>                    → its schemas
// /ui/catalog/<catalog>/<schema>           → its tables
// /ui/catalog/<catalog>/<schema>/<table>   → one table (columns, sample data, history, details)
// /ui/catalog/<catalog>/<schema>/<volume>?volume=1[&path=dir] → a volume's files

export async function render(root, params) {
  const [catalog, schema, table] = params.parts;
  if (table !== undefined && params.query.get('volume')) {
    const { renderVolume } = await import('./catalog/volume.js');
    return renderVolume(root, params, catalog, schema, table);
  }
  if (table !== undefined) {
    const { renderTable } = await import('./catalog/table.js');
    return renderTable(root, params, catalog, schema, table);
  }
  const browse = await import('./catalog/browse.js');
  if (schema !== undefined) return browse.renderSchema(root, params, catalog, schema);
  if (catalog !== undefined) return browse.renderCatalog(root, params, catalog);
  return browse.renderCatalogs(root, params);
}
