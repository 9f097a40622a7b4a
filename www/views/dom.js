// Small DOM helpers shared by the views. User text is only ever set with textContent.

/** Create an element: el('td', {className: 'x', title: '…'}, child, 'text', …). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'style') Object.assign(node.style, value);
    else if (key.startsWith('aria') || key === 'role') node.setAttribute(key.replace(/^aria([A-Z])/, (_, c) => `aria-${c.toLowerCase()}`), value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

/** A number as the page prints it: fixed digits, −∞ for a masked score, a true minus sign. */
export function fmt(x, digits = 2) {
  if (x === -Infinity || x == null) return '−∞';
  if (x === Infinity) return '∞';
  if (Number.isNaN(x)) return 'NaN';
  const s = x.toFixed(digits);
  return (s.startsWith('-') ? `−${s.slice(1)}` : s).replace(/^−(0\.0+)$/, '$1');
}

export function percent(p) {
  return `${(p * 100).toFixed(p >= 0.1 ? 1 : 2)}%`;
}

/** How a token's text is shown: spaces and line breaks made visible, never empty. */
export function tokenLabel(text) {
  if (text == null || text === '') return '∅';
  return text.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}
