// Pipelines — placeholder until the module's console ships.

import { renderPlaceholder } from '../lib/placeholder.js';

export async function render(root) {
  renderPlaceholder(root, {
    name: 'Pipelines',
    summary: 'Declarative ETL pipelines and scheduled jobs.',
    planned: [
      'Pipeline graph with per-table status and data quality expectations',
      'Job runs, schedules, retries and logs',
      'Full and incremental refreshes',
    ],
    api: '/api/2.0/pipelines/* · /api/2.2/jobs/*',
  });
}
