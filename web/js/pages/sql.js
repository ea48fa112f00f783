// SQL — placeholder until the module's console ships.

import { renderPlaceholder } from '../lib/placeholder.js';

export async function render(root) {
  renderPlaceholder(root, {
    name: 'SQL',
    summary: 'Run SQL against the tables in the catalog.',
    planned: [
      'Query editor with results grid and export',
      'Query history',
      'Schema browser beside the editor',
    ],
    api: '/api/2.0/sql/statements/*',
  });
}
