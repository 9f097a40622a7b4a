// (6) Causal vs bidirectional: the toggle, the mask matrix the engine applies, and why.

import { t } from '../i18n.js';
import { changeTracker, el, tokenLabel } from './dom.js';

const MAX_DRAWN = 16;

export function mountMask(root, actions) {
  const radios = Array.from(root.querySelectorAll('input[name="mask"]'));
  for (const radio of radios) radio.addEventListener('change', () => actions.set({ mask: radio.value }));
  const matrix = root.querySelector('#mask-matrix');
  const changed = changeTracker();
  return (state) => {
    if (!changed(state.tokens, state.mask, state.lang)) return;
    const tr = (key, params) => t(state.lang, key, params);
    for (const radio of radios) radio.checked = radio.value === state.mask;
    root.querySelector('#mask-text').textContent = tr(`mask.${state.mask}.text`);
    const tokens = state.tokens;
    if (!tokens || tokens.ids.length === 0) { matrix.replaceChildren(); return; }
    // Which key each query may see, as the engine's Mask::allows says (drawn for the first tokens).
    const count = Math.min(MAX_DRAWN, tokens.ids.length);
    const total = tokens.ids.length;
    const labels = tokens.display.slice(0, count).map((d) => tokenLabel(d));
    const allowed = Array.from({ length: count }, (_, i) => Array.from({ length: count }, (_, j) => tokens.allowed[i * total + j] === 1));
    const head = el('tr', {}, el('th'), ...labels.map((l) => el('th', { scope: 'col', textContent: l })));
    const rows = labels.map((l, i) => el('tr', {}, el('th', { scope: 'row', textContent: l }),
      ...labels.map((_, j) => el('td', {
        className: allowed[i][j] ? 'allowed' : 'blocked',
        textContent: allowed[i][j] ? '✓' : '−∞',
        title: `${l} → ${labels[j]}: ${allowed[i][j] ? tr('mask.legend.allowed') : tr('mask.legend.blocked')}`,
      }))));
    matrix.replaceChildren(
      el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)),
      el('p', { className: 'legend-inline' }, `${tr('mask.rows')} `,
        el('span', { className: 'swatch allowed', textContent: '✓' }), ` ${tr('mask.legend.allowed')}  `,
        el('span', { className: 'swatch blocked', textContent: '−∞' }), ` ${tr('mask.legend.blocked')}`));
  };
}
