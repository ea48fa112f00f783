// Models — placeholder until the module's console ships.

import { renderPlaceholder } from '../lib/placeholder.js';

export async function render(root) {
  renderPlaceholder(root, {
    name: 'Models',
    summary: 'Registered models, their versions and aliases.',
    planned: [
      'Registered models list with search',
      'Versions, aliases, tags and stage transitions',
      'Links to the source run and logged model',
    ],
    api: '/api/2.0/mlflow/registered-models/* · /model-versions/*',
  });
}
