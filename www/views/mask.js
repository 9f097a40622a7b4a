// (6) Causal vs bidirectional: the toggle, the mask matrix the engine applies, and why; the
// BERT-style encoder always runs bidirectionally (it was trained so), and the section says how
// the two models differ: the same blocks, another mask and another task.

import { t } from '../i18n.js';
import { changeTracker, el, keepChildren, tokenLabel, update } from './dom.js';

const MAX_DRAWN = 16;

export function mountMask(root, actions) {
  const radios = Array.from(root.querySelectorAll('input[name="mask"]'));
  for (const radio of radios) radio.addEventListener('change', () => actions.set({ mask: radio.value }));
  const matrix = root.querySelector('#mask-matrix');
  const compare = root.querySelector('#mask-compare');
  const sideBySide = root.querySelector('#mask-side-by-side');
  compare.addEventListener('change', () => actions.compare(compare.checked));
  const corner = el('th');
  const headRow = el('tr');
  const body = el('tbody');
  const table = el('table', {}, el('thead', {}, headRow), body);
  const legendLine = el('p', { className: 'legend-inline' });
  const columnHeads = [];
  const rows = [];
  const changed = changeTracker();
  const legendChanged = changeTracker();
  const sideBySideChanged = changeTracker();
  return (state) => {
    compare.checked = state.compareOn;
    if (sideBySideChanged(state.compareOn, state.steps, state.tokens, state.compare, state.lang, state.model)) renderSideBySide(state);
    if (!changed(state.tokens, state.mask, state.lang, state.model)) return;
    const tr = (key, params) => t(state.lang, key, params);
    const encoder = state.model?.attention_mask === 'bidirectional';
    const mask = encoder ? 'bidirectional' : state.mask;
    for (const radio of radios) {
      radio.checked = radio.value === mask;
      radio.disabled = encoder;
    }
    update(root.querySelector('#mask-text'), { textContent: encoder ? tr('mask.encoder.text') : tr(`mask.${mask}.text`) });
    const tokens = state.tokens;
    if (!tokens || tokens.ids.length === 0) { matrix.replaceChildren(); return; }
    // Which key each query may see, as the engine's Mask::allows says (drawn for the first
    // tokens). The cells are made once and updated: typing past the first tokens changes none.
    const count = Math.min(MAX_DRAWN, tokens.ids.length);
    const total = tokens.ids.length;
    const labels = tokens.display.slice(0, count).map((d) => tokenLabel(d));
    const allowed = tr('mask.legend.allowed');
    const blocked = tr('mask.legend.blocked');
    keepChildren(headRow, [corner, ...labels.map((l, j) => update(columnHeads[j] ??= el('th', { scope: 'col' }), { textContent: l }))]);
    keepChildren(body, labels.map((l, i) => {
      const row = rows[i] ??= { tr: el('tr'), head: el('th', { scope: 'row' }), cells: [] };
      update(row.head, { textContent: l });
      keepChildren(row.tr, [row.head, ...labels.map((_, j) => {
        const sees = tokens.allowed[i * total + j] === 1;
        return update(row.cells[j] ??= el('td'), {
          className: sees ? 'allowed' : 'blocked',
          textContent: sees ? '✓' : '−∞',
          title: `${l} → ${labels[j]}: ${sees ? allowed : blocked}`,
        });
      })]);
      return row.tr;
    }));
    if (legendChanged(state.lang)) {
      legendLine.replaceChildren(`${tr('mask.rows')} `,
        el('span', { className: 'swatch allowed', textContent: '✓' }), ` ${allowed}  `,
        el('span', { className: 'swatch blocked', textContent: '−∞' }), ` ${blocked}`);
    }
    keepChildren(matrix, [table, legendLine]);
  };

  /** The focus token's attention weights in this model and in the other, one row each. */
  function renderSideBySide(state) {
    const tr = (key, params) => t(state.lang, key, params);
    sideBySide.hidden = !state.compareOn;
    if (!state.compareOn) return;
    const { steps, tokens, compare: other } = state;
    if (!steps || !tokens || !other?.steps || other.tokens.ids.join() !== tokens.ids.join()) {
      sideBySide.replaceChildren(el('p', { className: 'note', textContent: tr('mask.compare.loading') }));
      return;
    }
    const labels = tokens.display.map((d) => tokenLabel(d));
    const here = state.model?.attention_mask === 'bidirectional' ? 'encoder' : 'default';
    const rows = [[here, steps.weights], [other.modelName, other.steps.weights]].map(([name, weights]) => el('tr', { dataset: { model: name } },
      el('th', { scope: 'row', textContent: tr(`model.${name}`) }),
      ...weights.map((w) => el('td', { textContent: (100 * w).toFixed(0), style: { background: `rgba(33, 145, 140, ${Math.min(1, w).toFixed(3)})` } }))));
    sideBySide.replaceChildren(
      el('p', { className: 'caption', textContent: tr('mask.compare.caption', { focus: labels[steps.focus]?.trim(), layer: steps.layer + 1, head: steps.head + 1 }) }),
      el('table', {}, el('thead', {}, el('tr', {}, el('th'), ...labels.map((l) => el('th', { scope: 'col', textContent: l })))), el('tbody', {}, ...rows)));
  }
}
