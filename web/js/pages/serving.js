// Serving — placeholder until the module's console ships.

import { renderPlaceholder } from '../lib/placeholder.js';

export async function render(root) {
  renderPlaceholder(root, {
    name: 'Serving',
    summary: 'Model serving endpoints.',
    planned: [
      'Endpoints list with state and served versions',
      'Traffic split and scaling settings',
      'Try-it panel for invocations',
    ],
    api: '/api/2.0/serving-endpoints/* · /serving-endpoints/{name}/invocations',
  });
}
