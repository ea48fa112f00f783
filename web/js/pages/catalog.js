// Catalog — placeholder until the module's console ships.

import { renderPlaceholder } from '../lib/placeholder.js';

export async function render(root) {
  renderPlaceholder(root, {
    name: 'Catalog',
    summary: 'Catalogs, schemas, tables, volumes and their lineage.',
    planned: [
      'Browse catalogs, schemas, tables and volumes',
      'Table schema, history and sample data',
      'Grants and lineage graph',
    ],
    api: '/api/2.1/unity-catalog/* · /iceberg/v1/*',
  });
}
