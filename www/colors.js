// Colour scales that colour-blind readers can tell apart, and their legends.
// - viridis (sequential) for weights and probabilities in [0, 1];
// - a blue–white–orange diverging scale (ColorBrewer PuOr family) for signed vector values.

const VIRIDIS = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];
const DIVERGING = [
  [33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247],
  [254, 224, 182], [241, 163, 64], [179, 88, 6],
];

function interpolate(stops, x) {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));
  const pos = clamped * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  const f = pos - i;
  const [a, b] = [stops[i], stops[i + 1]];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f));
}

const css = ([r, g, b]) => `rgb(${r} ${g} ${b})`;

/**
 * A scale sampled at LEVELS evenly spaced points, as packed RGBA pixels (opaque; the byte order
 * of the platform's ImageData, so a Uint32Array over an ImageData's buffer takes them as they
 * are). Pictures with thousands of cells look their colours up here instead of interpolating
 * each one.
 */
export const LEVELS = 256;
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** An opaque [r, g, b] colour as one such pixel. */
export function rgbPixel([r, g, b]) {
  return littleEndian ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}
function pixels(stops) {
  return Uint32Array.from({ length: LEVELS }, (_, k) => rgbPixel(interpolate(stops, k / (LEVELS - 1))));
}
/** viridis(x) as a pixel: VIRIDIS_PIXELS[level(x)]. */
export const VIRIDIS_PIXELS = pixels(VIRIDIS);
/** The diverging scale as pixels: DIVERGING_PIXELS[level(0.5 + x / (2 · limit))]. */
export const DIVERGING_PIXELS = pixels(DIVERGING);
/** The table index of x in [0, 1] (clamped; not a number reads as 0, as `interpolate` does). */
export function level(x) {
  return x > 0 ? (x < 1 ? Math.round(x * (LEVELS - 1)) : LEVELS - 1) : 0;
}

/** Sequential colour for x in [0, 1], as [r, g, b] (0–255). */
export function viridisRgb(x) {
  return interpolate(VIRIDIS, x);
}

/** Sequential colour for x in [0, 1]. */
export function viridis(x) {
  return css(viridisRgb(x));
}

/** Diverging colour for x in [-limit, limit] (0 is white). */
export function diverging(x, limit) {
  return css(interpolate(DIVERGING, limit > 0 ? 0.5 + x / (2 * limit) : 0.5));
}

/** Text colour readable on top of viridis(x). */
export function viridisInk(x) {
  return x > 0.6 ? '#111' : '#fff';
}

/** Largest |value|, for a symmetric diverging scale. */
export function absMax(values) {
  let m = 0;
  for (const v of values) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}

/** A gradient bar with end labels: `kind` is 'viridis' or 'diverging'. */
export function legend(kind, label, low, high) {
  const box = document.createElement('div');
  box.className = 'legend';
  const stops = (kind === 'viridis' ? VIRIDIS : DIVERGING).map(css).join(', ');
  const caption = document.createElement('span');
  caption.textContent = label;
  const lo = document.createElement('span');
  lo.textContent = low;
  const bar = document.createElement('span');
  bar.className = 'legend-bar';
  bar.style.background = `linear-gradient(to right, ${stops})`;
  const hi = document.createElement('span');
  hi.textContent = high;
  box.append(caption, lo, bar, hi);
  return box;
}

/** Categorical colours for token chips (Okabe–Ito, colour-blind safe), pale for legibility. */
const CHIPS = ['#e69f00', '#56b4e9', '#009e73', '#f0e442', '#0072b2', '#d55e00', '#cc79a7', '#999999'];
export function chipColour(i) {
  return CHIPS[i % CHIPS.length];
}
