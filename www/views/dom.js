// Small DOM helpers shared by the views. User text is only ever set with textContent.

/** Create an element: el('td', {className: 'x', title: '…'}, child, 'text', …). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'style') for (const [name, v] of Object.entries(value)) node.style.setProperty(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v);
    else if (key.startsWith('aria') || key === 'role') node.setAttribute(key.replace(/^aria([A-Z])/, (_, c) => `aria-${c.toLowerCase()}`), value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

/**
 * Set properties of an element in place (textContent, className, title, value, …), writing only
 * those that differ: writing an unchanged text still replaces its node, and that costs a style
 * recalculation, a layout and a paint of whatever depends on it. A changed text that is the
 * element's only child is edited, not replaced. Returns the element.
 */
export function update(node, props) {
  for (const [key, value] of Object.entries(props)) {
    if (node[key] === value) continue;
    const text = key === 'textContent' && node.firstChild;
    if (text && text === node.lastChild && text.nodeType === Node.TEXT_NODE && value !== '') text.data = value;
    else node[key] = value;
  }
  return node;
}

/** Set attributes (aria-*, SVG geometry, …) in place, writing only those that differ. Returns the element. */
export function setAttributes(node, attrs) {
  for (const [key, value] of Object.entries(attrs)) if (node.getAttribute(key) !== String(value)) node.setAttribute(key, String(value));
  return node;
}

/**
 * Make `children` (elements) the element's children, in that order, touching only what differs
 * after their common start: a text that grows at its end re-inserts nothing before the change,
 * and an element left in place keeps its focus, its scroll and its animation.
 */
export function keepChildren(node, children) {
  const now = node.children;
  let same = 0;
  while (same < children.length && same < now.length && now[same] === children[same]) same++;
  if (same === children.length && same === now.length) return;
  while (now.length > same) now[now.length - 1].remove();
  node.append(...children.slice(same));
}

/**
 * A view's guard against redrawing what did not change: the function returned is true when any
 * of its arguments differs (by identity) from the previous call's. The store replaces only what
 * changed, so unchanged data keeps its identity.
 */
export function changeTracker() {
  let last = null;
  return (...deps) => {
    const same = last !== null && deps.length === last.length && deps.every((d, i) => d === last[i]);
    last = deps;
    return !same;
  };
}

/** A number as the page prints it: fixed digits, −∞ for a masked score, a true minus sign. */
export function fmt(x, digits = 2) {
  if (x === -Infinity || x == null) return '−∞';
  if (x === Infinity) return '∞';
  if (Number.isNaN(x)) return 'NaN';
  const s = x.toFixed(digits);
  return (s.startsWith('-') ? `−${s.slice(1)}` : s).replace(/^−(0\.0+)$/, '$1');
}

/**
 * A probability as a percentage. `positive` says it is really above 0 even where it rounded to
 * 0 (a kept token at a low temperature): then it reads "< 0.01%", never "0.00%".
 */
export function percent(p, positive = p > 0) {
  if (positive && p < 0.00005) return '< 0.01%';
  if (p === 0) return '0%';
  return `${(p * 100).toFixed(p >= 0.1 ? 1 : 2)}%`;
}

/** True on touch screens (no hover): hints then say "tap", not "hover" or "use ← →". */
export function touchScreen() {
  return window.matchMedia('(hover: none)').matches;
}

/** How a token's text is shown: spaces, line breaks and invisible characters made visible. */
export function tokenLabel(text) {
  if (text == null || text === '') return '∅';
  return text.replace(/[\p{Cc}\p{Cf}\p{Z}]/gu, (c) => {
    if (c === ' ') return '␣';
    if (c === '\n') return '↵';
    if (c === '\t') return '⇥';
    const code = c.codePointAt(0);
    if (code < 0x20) return String.fromCodePoint(0x2400 + code);
    return `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
  });
}

/**
 * A predicted token, which may be only part of a character (`partial`): the tokenizer writes such
 * bytes as `<E8 B6>`; they are replaced by `part` ("part of a character"), keeping any whole
 * characters before them.
 */
export function candidateLabel(text, partial, part) {
  if (!partial) return tokenLabel(text);
  const whole = text.replace(/<[0-9A-F]{2}(?: [0-9A-F]{2})*>/g, '');
  return whole === '' ? `‹${part}›` : `${tokenLabel(whole)}‹${part}›`;
}

/** A token quoted inside a sentence: without the leading space marker, unless that is all it is. */
export function proseLabel(text) {
  const trimmed = (text ?? '').trim();
  return tokenLabel(trimmed === '' ? text : trimmed);
}
