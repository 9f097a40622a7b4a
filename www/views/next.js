// (2) Next-token probabilities as bars, the sampling controls (temperature, top-k, top-p re-run
// only the softmax on cached logits) and generation.

import { t } from '../i18n.js';
import { el, fmt, percent, proseLabel, tokenLabel } from './dom.js';

export function mountNext(root, actions) {
  const $ = (sel) => root.querySelector(sel);
  const bars = $('#bars');
  const sliders = [
    ['#temperature', 'temperature', (v) => v.toFixed(2)],
    ['#topk', 'topK', (v, tr) => (v === 0 ? tr('next.off') : String(v))],
    ['#topp', 'topP', (v) => v.toFixed(2)],
  ].map(([sel, field, show]) => {
    const input = $(sel);
    input.addEventListener('input', () => actions.set({ [field]: Number(input.value) }));
    return { input, output: $(`${sel}-value`), field, show };
  });
  const seed = $('#seed');
  seed.addEventListener('change', () => {
    const value = Math.floor(Number(seed.value));
    if (Number.isFinite(value) && value >= 0) actions.set({ seed: value % 2 ** 32 });
  });
  $('#generate').addEventListener('click', () => actions.generate());
  $('#stop').addEventListener('click', () => actions.stop());

  return (state) => {
    const tr = (key, params) => t(state.lang, key, params);
    for (const { input, output, field, show } of sliders) {
      if (Number(input.value) !== state[field]) input.value = String(state[field]);
      output.textContent = show(state[field], tr);
    }
    if (root.activeElement !== seed) seed.value = String(state.seed);
    $('#generate').hidden = state.generating;
    $('#stop').hidden = !state.generating;
    const tokens = state.tokens;
    const full = tokens && state.model && (tokens.truncated || tokens.ids.length >= state.model.n_positions);
    $('#generate').disabled = !state.next || full;

    const next = state.next;
    if (!next || !tokens || tokens.ids.length === 0) {
      bars.replaceChildren();
      $('#next-caption').textContent = '';
      $('#next-shown').textContent = '';
      $('#softmax-table').replaceChildren();
      return;
    }
    $('#next-caption').textContent = tr('next.caption', {
      last: proseLabel(tokens.display[tokens.ids.length - 1]),
      vocab: next.vocab,
    });
    bars.replaceChildren(...next.rows.map((row) => el('li', {
      className: `bar${row.kept ? '' : ' cut'}`,
      title: row.kept ? `id ${row.id}` : `id ${row.id} · ${tr('next.cut')}`,
      dataset: { id: String(row.id), probability: String(row.probability) },
    },
    el('span', { className: 'bar-token', textContent: tokenLabel(row.text) }),
    el('span', { className: 'bar-track' }, el('span', { className: 'bar-fill', style: { width: `${(row.probability * 100).toFixed(2)}%` } })),
    el('span', { className: 'bar-value', textContent: percent(row.probability) })),
    ), el('li', { className: 'bar others', dataset: { probability: String(next.others) } },
      el('span', { className: 'bar-token', textContent: tr('next.others', { n: next.vocab - next.rows.length }) }),
      el('span', { className: 'bar-track' }, el('span', { className: 'bar-fill', style: { width: `${(next.others * 100).toFixed(2)}%` } })),
      el('span', { className: 'bar-value', textContent: percent(next.others) })));
    $('#next-shown').textContent = [tr('next.shown', { sum: percent(next.shown), n: next.rows.length }), full ? tr('next.full') : '']
      .filter(Boolean).join(' ');

    const head = el('tr', {}, ...['next.col.token', 'next.col.logit', 'next.col.scaled', 'next.col.exp', 'next.col.prob']
      .map((key) => el('th', { scope: 'col', textContent: tr(key, { t: state.temperature.toFixed(2) }) })));
    const rows = next.rows.slice(0, 5).map((row) => el('tr', {},
      el('th', { scope: 'row', textContent: tokenLabel(row.text) }),
      el('td', { textContent: fmt(row.logit, 3) }),
      el('td', { textContent: fmt(row.scaled, 3) }),
      el('td', { textContent: row.exp.toPrecision(3) }),
      el('td', { textContent: percent(row.probability) })));
    $('#softmax-table').replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
  };
}
