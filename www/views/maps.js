// (4) Attention weights as pictures: the selected head's query × key heatmap (hover or arrow
// keys read an exact weight), lines from the focus token to what it attends to, and a grid of
// every layer × head thumbnail. Weights come as one (L, NH, T, T) array from the engine.

import { t } from '../i18n.js';
import { VIRIDIS_PIXELS, level, rgbPixel, viridis, legend } from '../colors.js';
import { changeTracker, el, fmt, proseLabel, setAttributes, tokenLabel, touchScreen, update } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const MASKED = '#d9d7d0';
const MASKED_PIXEL = rgbPixel([0xd9, 0xd7, 0xd0]); // MASKED, for image data
/** The heatmap canvas grows by this many CSS pixels at a time (8 tokens at the smallest cell). */
const GROW = 96;
const svg = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  setAttributes(node, attrs);
  return node;
};

/** The (T, T) weights of one head, as a view into the flat (L, NH, T, T) array. */
function headWeights(weights, model, count, layer, head) {
  const size = count * count;
  const start = (layer * model.n_head + head) * size;
  return weights.subarray(start, start + size);
}

/**
 * The pixels of the pictures, one per cell, in a square kept between draws: it grows (in steps of
 * 16 cells) and never shrinks, so typing around a length does not make a new one every time.
 */
let scratch = null;
function cellsCanvas(count) {
  if (!scratch || scratch.size < count) {
    const size = Math.ceil(count / 16) * 16;
    const canvas = new OffscreenCanvas(size, size);
    const image = new ImageData(size, size);
    scratch = { size, canvas, g: canvas.getContext('2d'), image, pixels: new Uint32Array(image.data.buffer) };
  }
  return scratch;
}

/**
 * Paint a count × count grid of square cells, in device pixels: cell (i, j) at
 * (x0 + j·cell, y0 + i·cell), in the packed colour pixel(i, j) gives (see colors.js), with `gap`
 * pixels left clear at its right and bottom. One pixel per cell, scaled up without smoothing: a
 * fillRect and a colour string per cell were most of a keystroke's main-thread time.
 */
function paintCells(g, x0, y0, cell, gap, count, pixel) {
  const cells = cellsCanvas(count);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < count; j++) cells.pixels[i * cells.size + j] = pixel(i, j);
  }
  cells.g.putImageData(cells.image, 0, 0, 0, 0, count, count);
  g.save();
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.imageSmoothingEnabled = false;
  g.drawImage(cells.canvas, 0, 0, count, count, x0, y0, cell * count, cell * count);
  if (gap > 0) {
    for (let k = 1; k <= count; k++) {
      g.clearRect(x0 + k * cell - gap, y0, gap, cell * count);
      g.clearRect(x0, y0 + k * cell - gap, cell * count, gap);
    }
  }
  g.restore();
}

function shorten(text, max = 8) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function mountMaps(root, actions) {
  const $ = (sel) => root.querySelector(sel);
  const canvas = $('#heatmap');
  const frame = $('.heatmap-frame');
  const readout = $('#heatmap-readout');
  const heatmapLegend = $('#heatmap-legend');
  const lines = $('#lines');
  const grid = $('#grid');
  let geometry = null; // what the heatmap last drew, for hit-testing
  let cursor = null; // [query, key] under the mouse or keyboard cursor

  function read(state) {
    if (!geometry || !cursor) { update(readout, { textContent: t(state.lang, touchScreen() ? 'maps.hover.touch' : 'maps.hover') }); return; }
    const [i, j] = cursor;
    const hidden = !state.tokens.allowed[i * geometry.count + j];
    update(readout, {
      textContent: t(state.lang, 'maps.readout', {
        query: geometry.labels[i], key: geometry.labels[j],
        weight: hidden ? `${fmt(0, 4)} (${t(state.lang, 'mask.legend.blocked')})` : fmt(geometry.values[i * geometry.count + j], 4),
      }),
    });
  }
  let lastState = null;
  canvas.addEventListener('mousemove', (e) => {
    if (!geometry) return;
    const r = canvas.getBoundingClientRect();
    const j = Math.floor((e.clientX - r.left - geometry.left) / geometry.cell);
    const i = Math.floor((e.clientY - r.top - geometry.top) / geometry.cell);
    cursor = i >= 0 && j >= 0 && i < geometry.count && j < geometry.count ? [i, j] : null;
    canvas.title = cursor ? fmt(geometry.values[i * geometry.count + j], 4) : '';
    read(lastState);
  });
  canvas.addEventListener('click', () => { if (cursor) actions.set({ focus: cursor[0] }); });
  canvas.addEventListener('keydown', (e) => {
    if (!geometry) return;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key === 'Enter' && cursor) { actions.set({ focus: cursor[0] }); return; }
    if (!moves[e.key]) return;
    e.preventDefault();
    e.stopPropagation();
    const [i, j] = cursor || [geometry.count - 1, 0];
    const clamp = (x) => Math.min(geometry.count - 1, Math.max(0, x));
    cursor = [clamp(i + moves[e.key][0]), clamp(j + moves[e.key][1])];
    layoutHeatmap(lastState)();
  });

  // The labels' colour is the page's ink (an element's host may theme it): read once, not on
  // every draw, since reading a computed style in the middle of a frame's writes recalculates
  // the page's styles there and then.
  let ink = null;
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => { ink = null; });

  /**
   * Size the heatmap and say what it shows (the DOM writes); returns the function that paints
   * it. A canvas's font depends on the page's styles, so painting text recalculates them: the
   * views paint after every view has written (index.js), so that happens once a frame.
   */
  function layoutHeatmap(state) {
    const { weights, tokens, model, steps } = state;
    const count = tokens.ids.length;
    const values = headWeights(weights, model, count, steps.layer, steps.head);
    const labels = tokens.display.map((d) => shorten(tokenLabel(d)));
    const cell = Math.max(12, Math.min(40, Math.floor(360 / count)));
    const left = 84;
    const top = 84;
    const width = left + cell * count + 4;
    const height = top + cell * count + 4;
    const ratio = window.devicePixelRatio || 1;
    // The canvas grows in steps of GROW pixels and never shrinks, since a new size reallocates
    // it: typing at the end of a long text would do so on every keystroke. Its frame shows the
    // part drawn.
    const grown = (needed, now) => (needed * ratio <= now ? now : Math.ceil(needed / GROW) * GROW * ratio);
    if (canvas.width < width * ratio || canvas.height < height * ratio) {
      canvas.width = grown(width, canvas.width);
      canvas.height = grown(height, canvas.height);
      canvas.style.width = `${canvas.width / ratio}px`;
      canvas.style.height = `${canvas.height / ratio}px`;
    }
    update(frame.style, { width: `${width}px`, height: `${height}px` });
    if (cursor && !(cursor[0] < count && cursor[1] < count)) cursor = null;
    geometry = { values, labels, count, cell, left, top };
    setAttributes(canvas, { 'aria-label': t(state.lang, 'maps.heatmap', { layer: steps.layer + 1, head: steps.head + 1 }) });
    read(state);
    return () => paintHeatmap(state, geometry, ratio);
  }

  function paintHeatmap({ tokens, steps }, { values, labels, count, cell, left, top }, ratio) {
    ink ??= getComputedStyle(canvas).color;
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, canvas.width / ratio, canvas.height / ratio);
    g.fillStyle = ink;
    g.textBaseline = 'middle';
    for (let i = 0; i < count; i++) {
      g.textAlign = 'right';
      g.font = i === steps.focus ? 'bold 12px system-ui, sans-serif' : '12px system-ui, sans-serif';
      g.fillText(labels[i], left - 6, top + (i + 0.5) * cell);
      g.save();
      g.translate(left + (i + 0.5) * cell, top - 6);
      g.rotate(-Math.PI / 3);
      g.textAlign = 'left';
      g.fillText(labels[i], 0, 0);
      g.restore();
    }
    // Cells the mask hides are grey, not "weight 0": the query was never allowed to look there.
    paintCells(g, left * ratio, top * ratio, cell * ratio, ratio, count,
      (i, j) => (tokens.allowed[i * count + j] ? VIRIDIS_PIXELS[level(values[i * count + j])] : MASKED_PIXEL));
    g.lineWidth = 2;
    g.strokeStyle = '#e4007c';
    g.strokeRect(left - 1, top + steps.focus * cell - 1, cell * count + 1, cell + 1);
    if (cursor) {
      g.strokeStyle = '#fff';
      g.strokeRect(left + cursor[1] * cell + 1, top + cursor[0] * cell + 1, cell - 3, cell - 3);
    }
  }

  // One line and two labels per token, made as the text grows and then only updated; a line
  // too faint to see (weight ≤ 0.005) is hidden rather than removed.
  const lineGroup = svg('g');
  const labelGroup = svg('g');
  lines.append(lineGroup, labelGroup);
  const lineRows = []; // per token: { line, title, query, key }
  function drawLines(state) {
    const { weights, tokens, model, steps } = state;
    const count = tokens.ids.length;
    const values = headWeights(weights, model, count, steps.layer, steps.head);
    const row = 26;
    const width = 320;
    setAttributes(lines, { viewBox: `0 0 ${width} ${row * count + 10}`, width, height: row * count + 10 });
    while (lineRows.length < count) {
      const r = { line: svg('line', { x1: 110, x2: 210, 'stroke-linecap': 'round' }), title: svg('title'), query: svg('text', { x: 104, 'text-anchor': 'end' }), key: svg('text', { x: 216, 'text-anchor': 'start' }) };
      r.line.append(r.title);
      lineRows.push(r);
    }
    for (const [j, r] of lineRows.entries()) {
      if (j >= count) {
        if (r.line.isConnected) { r.line.remove(); r.query.remove(); r.key.remove(); }
        continue;
      }
      if (!r.line.isConnected) { lineGroup.append(r.line); labelGroup.append(r.query, r.key); }
      const w = values[steps.focus * count + j];
      const y = row * j + row / 2;
      if (w > 0.005) {
        setAttributes(r.line, {
          visibility: 'visible', y1: row * steps.focus + row / 2 + 5, y2: y + 5,
          stroke: viridis(0.25 + 0.75 * w), 'stroke-width': 1 + 9 * w, 'stroke-opacity': 0.25 + 0.75 * w,
        });
        update(r.title, { textContent: fmt(w, 4) });
      } else setAttributes(r.line, { visibility: 'hidden' });
      const label = shorten(tokenLabel(tokens.display[j]), 10);
      setAttributes(r.query, { y: y + 9, class: j === steps.focus ? 'focus' : 'dim' });
      update(r.query, { textContent: label });
      setAttributes(r.key, { y: y + 9 });
      update(r.key, { textContent: `${label}  ${fmt(values[steps.focus * count + j], 2)}` });
    }
    setAttributes(lines, { 'aria-label': t(state.lang, 'maps.lines', { focus: proseLabel(tokens.display[steps.focus]) }) });
  }

  // The grid's buttons are made once per model shape and language, and then only updated: a
  // thumbnail redraws when the weights change, the selection moves without rebuilding anything,
  // so a focused thumbnail keeps the keyboard focus.
  const THUMB = 64;
  let thumbs = null; // { key, canvases: [l][h], buttons: [l][h] }
  function buildGrid(state) {
    const { model } = state;
    const canvases = [];
    const buttons = [];
    const rows = [el('div', { className: 'grid-row grid-head' }, el('span'),
      ...Array.from({ length: model.n_head }, (_, h) => el('span', { textContent: t(state.lang, 'maps.grid.head', { head: h + 1 }) })))];
    for (let l = 0; l < model.n_layer; l++) {
      canvases.push([]);
      buttons.push([]);
      for (let h = 0; h < model.n_head; h++) {
        const c = el('canvas', { width: THUMB, height: THUMB });
        const name = t(state.lang, 'maps.thumb', { layer: l + 1, head: h + 1 });
        const button = el('button', { type: 'button', className: 'thumb', ariaLabel: name, title: name }, c);
        button.addEventListener('click', () => actions.set({ layer: l, head: h }));
        canvases[l].push(c);
        buttons[l].push(button);
      }
      rows.push(el('div', { className: 'grid-row' }, el('span', { textContent: t(state.lang, 'maps.grid.layer', { layer: l + 1 }) }), ...buttons[l]));
    }
    grid.style.setProperty('--heads', String(model.n_head));
    grid.replaceChildren(...rows, legend('viridis', t(state.lang, 'legend.weights'), '0', '1'));
    return { canvases, buttons };
  }

  function drawThumbs(state) {
    const { weights, tokens, model } = state;
    const count = tokens.ids.length;
    const cell = THUMB / count;
    thumbs.canvases.forEach((row, l) => row.forEach((c, h) => {
      const values = headWeights(weights, model, count, l, h);
      const g = c.getContext('2d');
      g.clearRect(0, 0, THUMB, THUMB);
      paintCells(g, 0, 0, cell, 0, count, (i, j) => VIRIDIS_PIXELS[level(values[i * count + j])]);
    }));
  }

  function selectThumb(state) {
    thumbs.buttons.forEach((row, l) => row.forEach((button, h) => {
      const selected = l === state.steps.layer && h === state.steps.head;
      button.classList.toggle('selected', selected);
      setAttributes(button, { 'aria-pressed': selected });
    }));
  }

  const gridChanged = changeTracker();
  const thumbsChanged = changeTracker();
  const picturesChanged = changeTracker();
  const legendChanged = changeTracker();
  return (state) => {
    lastState = state;
    const ready = state.weights && state.tokens && state.steps && state.model;
    $('#maps').classList.toggle('empty', !ready);
    if (!ready) {
      geometry = null;
      thumbs = null;
      gridChanged(null);
      grid.replaceChildren();
      for (const r of lineRows) { r.line.remove(); r.query.remove(); r.key.remove(); }
      canvas.width = 0;
      return;
    }
    // Each picture redraws only when what it shows changed; the worker sends the same weights
    // object again when only a temperature or top-k moved.
    if (legendChanged(state.lang)) {
      heatmapLegend.replaceChildren(
        legend('viridis', t(state.lang, 'legend.weights'), '0', '1'),
        el('span', { className: 'legend' }, el('span', { className: 'swatch', style: { background: MASKED }, textContent: '−∞' }), t(state.lang, 'mask.legend.blocked')),
      );
    }
    const rebuilt = gridChanged(state.model, state.lang);
    if (rebuilt) thumbs = buildGrid(state);
    if (thumbsChanged(state.weights, thumbs)) drawThumbs(state);
    if (!picturesChanged(state.weights, state.steps, state.lang) && !rebuilt) return;
    selectThumb(state);
    update($('#heatmap-caption'), { textContent: t(state.lang, 'maps.heatmap', { layer: state.steps.layer + 1, head: state.steps.head + 1 }) });
    update($('#lines-caption'), { textContent: t(state.lang, 'maps.lines', { focus: proseLabel(state.tokens.display[state.steps.focus]) }) });
    const paint = layoutHeatmap(state);
    drawLines(state);
    return paint;
  };
}
