// Pieces the live views of chapters 4, 5 and 6 share: a quoted token, a row of token buttons
// that picks the focus, a list of probability bars and an attention heatmap. They only draw what
// the engine answered; none computes anything of the model. Their look is parts.css (each
// chapter's stylesheet imports it).

import { viridis } from '../../colors.js';
import { candidateLabel, el, fmt, percent, proseLabel, tokenLabel } from '../../views/dom.js';

/** A token as a sentence quotes it: “喜欢”, without the leading-space mark. */
export function quoted(text) {
  return `“${proseLabel(text)}”`;
}

/**
 * One button per token; the pressed one is `focus`. `onPick(i)` gets the 0-based index. The
 * buttons are rebuilt only when the tokens change, so a focused button keeps the keyboard focus.
 */
export function tokenPicker(label, onPick) {
  const box = el('div', { className: 'part-tokens', role: 'group', ariaLabel: label });
  let shown = null;
  return {
    node: el('div', { className: 'part-picker' }, el('span', { className: 'part-label', textContent: label }), box),
    show(tokens, focus) {
      const key = tokens.display.join('\u0000');
      if (key !== shown) {
        shown = key;
        box.replaceChildren(...tokens.display.map((d, i) => {
          const button = el('button', { type: 'button', className: 'part-token', dataset: { token: String(i) }, textContent: tokenLabel(d) });
          button.addEventListener('click', () => onPick(i));
          return button;
        }));
      }
      for (const button of box.children) button.setAttribute('aria-pressed', String(Number(button.dataset.token) === focus));
    },
  };
}

/**
 * A list of candidates as bars, most probable first: `rows` = [{id, text, partial, probability}],
 * each shown as its token, a bar as long as its probability and the percentage.
 */
export function probabilityBars(rows, partLabel, { kept = () => true } = {}) {
  return el('ol', { className: 'part-bars' }, ...rows.map((row) => el('li', {
    className: kept(row) ? 'part-bar' : 'part-bar cut',
    dataset: { id: String(row.id), probability: String(row.probability) },
  },
  el('span', { className: 'part-bar-token', textContent: candidateLabel(row.text, row.partial, partLabel) }),
  el('span', { className: 'part-bar-track' }, el('span', { className: 'part-bar-fill', style: { width: `${(100 * row.probability).toFixed(2)}%` } })),
  el('span', { className: 'part-bar-value', textContent: percent(row.probability) }))));
}

/** Tokens are named beside a heatmap's rows up to this many. */
const LABELLED_ROWS = 16;

/**
 * A (T, T) attention heatmap (row = the token that looks, column = where it looks) on a canvas,
 * its rows named by `labels`: viridis for a weight, grey where the mask hides the key, the focus
 * row outlined. The focus row's exact weights are the canvas's title. A click on a row calls
 * `onPick(row)` (the token buttons do the same from the keyboard).
 */
export function heatmap(weights, allowed, labels, focus, { size = 168, label = '', onPick = null } = {}) {
  const count = labels.length;
  const cell = Math.max(2, Math.floor(size / count));
  const side = cell * count;
  const ratio = window.devicePixelRatio || 1;
  const canvas = el('canvas', { className: 'part-heatmap', width: side * ratio, height: side * ratio, role: 'img', ariaLabel: label });
  canvas.style.width = `${side}px`;
  canvas.style.height = `${side}px`;
  const g = canvas.getContext('2d');
  g.scale(ratio, ratio);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < count; j++) {
      g.fillStyle = allowed[i * count + j] ? viridis(weights[i * count + j]) : '#d9d7d0';
      g.fillRect(j * cell, i * cell, cell, cell);
    }
  }
  g.lineWidth = 2;
  g.strokeStyle = '#e4007c';
  g.strokeRect(1, focus * cell + 1, side - 2, cell - 2);
  if (onPick) {
    canvas.classList.add('pickable');
    canvas.addEventListener('click', (e) => onPick(Math.min(count - 1, Math.max(0, Math.floor(e.offsetY / cell)))));
  }
  canvas.title = Array.from({ length: count }, (_, j) => `${tokenLabel(labels[j])} ${fmt(weights[focus * count + j], 2)}`).join('  ');
  if (count > LABELLED_ROWS) return canvas;
  const rows = el('div', { className: 'part-heatmap-rows', ariaHidden: 'true' }, ...labels.map((l, i) => el('span', {
    className: i === focus ? 'focus' : '', style: { height: `${cell}px`, lineHeight: `${cell}px` }, textContent: tokenLabel(l),
  })));
  return el('div', { className: 'part-heatmap-box' }, rows, canvas);
}
