// A vector as a strip of coloured cells (the diverging scale: blue below 0, white at 0, orange
// above), as the step-through and the stack show q, k, v and the residual stream. One canvas
// with one pixel per value, scaled up by CSS without smoothing: a keystroke redraws hundreds of
// these cells, and as elements each one cost a style, a layout box and a paint of its own.
// Hovering a cell reads its place (from 1) and exact value, as a tooltip.

import { DIVERGING_PIXELS, level } from '../colors.js';
import { el, fmt, setAttributes } from './dom.js';

/**
 * A strip made once and redrawn in place: `strip.node` is the element to insert,
 * `strip.show(values, limit, label)` draws `values` on a scale from −limit to +limit.
 */
export function createStrip(className = '') {
  const node = el('canvas', { className: `strip ${className}`.trim(), width: 1, height: 1, role: 'img' });
  let shown = [];
  let image = null;
  node.addEventListener('mousemove', (e) => {
    const i = Math.floor((e.offsetX / node.clientWidth) * shown.length);
    node.title = i >= 0 && i < shown.length ? `#${i + 1}: ${fmt(shown[i], 4)}` : '';
  });
  return {
    node,
    show(values, limit, label) {
      shown = values;
      setAttributes(node, { 'aria-label': label });
      const n = values.length;
      if (n === 0) return;
      if (node.title) node.title = ''; // the value under the pointer is the old one
      if (node.width !== n) {
        node.width = n;
        node.style.setProperty('--cells', String(n));
      }
      if (image?.width !== n) image = new ImageData(n, 1);
      const pixels = new Uint32Array(image.data.buffer);
      for (let i = 0; i < n; i++) pixels[i] = DIVERGING_PIXELS[level(limit > 0 ? 0.5 + values[i] / (2 * limit) : 0.5)];
      node.getContext('2d').putImageData(image, 0, 0);
    },
  };
}
