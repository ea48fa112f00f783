// Admin — placeholder until the module's console ships.

import { renderPlaceholder } from '../lib/placeholder.js';

export async function render(root) {
  renderPlaceholder(root, {
    name: 'Admin',
    summary: 'Users, groups, tokens, permissions and operations.',
    planned: [
      'Users and groups (SCIM)',
      'Personal access tokens and permissions',
      'Audit log, backups and restores',
    ],
    api: '/api/2.0/preview/scim/v2/* · /api/2.0/token/* · /api/2.0/permissions/*',
  });
}
