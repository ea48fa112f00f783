// The table page's Permissions tab: Unity Catalog grants on the table (grant / revoke with MANAGE),
// through the shared permissions editor.

import { h } from '../../lib/ui.js';
import { permissionsEditor } from '../../lib/permissions-editor.js';

export const PERMISSIONS_TAB = { id: 'permissions', label: 'Permissions' };

/** Fills the tab panel for the table `fullName` (`catalog.schema.table`). */
export function permissionsTab(panel, fullName) {
  panel.append(
    h('p', { class: 'muted' }, 'Grants on this table. Grants on its catalog and schema apply too; reading needs USE CATALOG, USE SCHEMA and SELECT.'),
    permissionsEditor({ securable: 'table', name: fullName }));
}
