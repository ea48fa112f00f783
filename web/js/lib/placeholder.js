// "Not in this build yet" page shared by modules whose UI has not shipped.

import { h, s, pageHeader, setTitle } from './ui.js';

const CLOCK = ['M12 20.5a8.5 8.5 0 1 0 0-17 8.5 8.5 0 0 0 0 17z', 'M12 7.5V12l3 2'];

/**
 * @param {HTMLElement} root
 * @param {{name: string, summary: string, planned: string[], api?: string}} mod
 */
export function renderPlaceholder(root, mod) {
  setTitle(mod.name);
  const ic = s('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' });
  CLOCK.forEach((d) => ic.appendChild(s('path', { d })));
  root.append(
    pageHeader({ title: mod.name, subtitle: mod.summary }),
    h('section', { class: 'card placeholder', 'data-placeholder': 'true' },
      h('div', { class: 'card-body' },
        h('div', { class: 'ph-icon' }, ic),
        h('div', null,
          h('h2', null, 'This module is not available in this build yet'),
          h('p', { class: 'muted', style: { marginTop: '6px' } },
            `The ${mod.name} console is still being built. Nothing on this page is live data.`),
          mod.planned && mod.planned.length
            ? [h('p', { style: { marginTop: '12px', marginBottom: '0', fontWeight: '600' } }, 'Planned'),
              h('ul', null, mod.planned.map((p) => h('li', null, p)))]
            : null,
          mod.api
            ? h('p', { class: 'muted small', style: { marginTop: '14px', marginBottom: '0' } },
              'API surface: ', h('code', { class: 'inline' }, mod.api))
            : null))),
  );
}
