// (2) Next-token probabilities as bars, what the model is (so its first guesses make sense), the
// sampling controls (temperature, top-k, top-p re-run only the softmax on cached logits) and
// generation, with each sampled token's probability. With the BERT-style encoder: each
// [MASK]'s fill-in candidates as bars instead (the encoder does not write on).

import { t } from '../i18n.js';
import { candidateLabel, changeTracker, el, fmt, keepChildren, percent, proseLabel, tokenLabel, update } from './dom.js';

/** Above this temperature, generated text is likely babble: suggest going lower. */
const BABBLE_TEMPERATURE = 0.5;

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

  const fills = $('#fills');
  const gptOnly = ['#bars', '#next-shown', '.controls', '.generate', 'details.softmax'].map((sel) => $(sel));

  // One bar per rank and one for every other token, made once and then only updated, so the
  // bars glide to their new lengths instead of being rebuilt.
  const barNodes = [];
  const othersBar = makeBar();
  function makeBar() {
    const parts = { token: el('span', { className: 'bar-token' }), fill: el('span', { className: 'bar-fill' }), value: el('span', { className: 'bar-value' }) };
    return { ...parts, li: el('li', {}, parts.token, el('span', { className: 'bar-track' }, parts.fill), parts.value) };
  }
  function setBar(bar, { className, title = '', id, probability, label, shown }) {
    update(bar.li, { className, title });
    if (id == null) delete bar.li.dataset.id;
    else update(bar.li.dataset, { id: String(id) });
    update(bar.li.dataset, { probability: String(probability) });
    update(bar.token, { textContent: label });
    update(bar.fill.style, { transform: `scaleX(${probability.toFixed(4)})` });
    update(bar.value, { textContent: shown });
    return bar.li;
  }

  const changed = changeTracker();
  const generatedChanged = changeTracker();
  return (state) => {
    const tr = (key, params) => t(state.lang, key, params);
    const encoder = Boolean(state.model?.mask_token);
    // Most of this is the same from one keystroke to the next: only what differs is written.
    update($('#next-title').dataset, { i18n: encoder ? 'fill.title' : 'next.title' });
    update($('#next-title'), { textContent: tr($('#next-title').dataset.i18n) });
    update(fills, { hidden: !encoder });
    for (const node of gptOnly) update(node, { hidden: encoder });
    const card = `models/${encoder ? 'encoder' : 'default'}/README.md`;
    if ($('#about-model a').getAttribute('href') !== card) $('#about-model a').setAttribute('href', card);
    if (encoder) {
      update($('#generated'), { hidden: true });
      const m = state.model;
      update($('#about-model-text'), { textContent: tr('about.encoder.text', { layers: m.n_layer, heads: m.n_head, c: m.n_embd, vocab: m.vocab_size }) });
      renderFills(state, tr);
      return;
    }
    for (const { input, output, field, show } of sliders) {
      if (Number(input.value) !== state[field]) input.value = String(state[field]);
      update(output, { textContent: show(state[field], tr) });
    }
    if (root.activeElement !== seed) update(seed, { value: String(state.seed) });
    update($('#generate'), { hidden: state.generating });
    update($('#stop'), { hidden: !state.generating });
    const tokens = state.tokens;
    const full = tokens && state.model && (tokens.truncated || tokens.ids.length >= state.model.n_positions);
    update($('#generate'), { disabled: !state.next || full });
    if (state.model) {
      const m = state.model;
      update($('#about-model-text'), {
        textContent: tr('about.text', { layers: m.n_layer, heads: m.n_head, c: m.n_embd, vocab: m.vocab_size, context: m.n_positions }),
      });
    }
    renderGenerated(state, tr);

    const next = state.next;
    if (!changed(next, tokens, state.model, state.lang, state.topK, state.topP, state.temperature)) return;
    if (!next || !tokens || tokens.ids.length === 0) {
      bars.replaceChildren();
      $('#next-caption').textContent = '';
      $('#next-shown').textContent = '';
      $('#softmax-table').replaceChildren();
      return;
    }
    update($('#next-caption'), {
      textContent: tr('next.caption', { last: proseLabel(tokens.display[tokens.ids.length - 1]), vocab: next.vocab, n: next.rows.length }),
    });
    const part = tr('tokens.part');
    const items = next.rows.map((row, i) => setBar(barNodes[i] ??= makeBar(), {
      className: `bar${row.kept ? '' : ' cut'}${row.partial ? ' partial' : ''}`,
      title: [`id ${row.id}`, row.partial ? part : '', row.kept ? '' : tr('next.cut')].filter(Boolean).join(' · '),
      id: row.id,
      probability: row.probability,
      label: candidateLabel(row.text, row.partial, part),
      shown: percent(row.probability, row.kept),
    }));
    items.push(setBar(othersBar, {
      className: 'bar others',
      probability: next.others,
      label: tr('next.others', { n: next.vocab - next.rows.length }),
      // Without top-k/top-p every other token keeps a (maybe tiny) probability.
      shown: percent(next.others, next.others > 0 || (state.topK === 0 && state.topP >= 1)),
    }));
    keepChildren(bars, items);
    update($('#next-shown'), {
      textContent: [tr('next.shown', { sum: percent(next.shown), n: next.rows.length }), full ? tr('next.full') : ''].filter(Boolean).join(' '),
    });

    // Rows are ranked by scaled logit, so the first holds the largest, which exp subtracts; a
    // kept row's exp ÷ probability is the softmax denominator Σ over the kept tokens.
    const max = fmt(next.rows[0].scaled, 3);
    const kept = next.rows.find((row) => row.kept && row.probability > 0);
    const params = { t: state.temperature.toFixed(2), max };
    const head = el('tr', {}, ...['next.col.token', 'next.col.logit', 'next.col.scaled', 'next.col.exp', 'next.col.prob']
      .map((key) => el('th', { scope: 'col', textContent: tr(key, params) })));
    const rows = next.rows.slice(0, 5).map((row) => el('tr', {},
      el('th', { scope: 'row', textContent: candidateLabel(row.text, row.partial, part) }),
      el('td', { textContent: fmt(row.logit, 3) }),
      el('td', { textContent: fmt(row.scaled, 3) }),
      el('td', { textContent: row.exp === 0 ? '≈ 0' : row.exp.toPrecision(3) }),
      el('td', { textContent: row.kept ? `${row.exp.toPrecision(3)} ÷ Σ = ${percent(row.probability, true)}` : tr('next.cut') })));
    const foot = kept
      ? el('tfoot', {}, el('tr', {}, el('td', { colSpan: 5, textContent: tr('next.softmax.sum', { sum: (kept.exp / kept.probability).toPrecision(4), max }) })))
      : null;
    $('#softmax-table').replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows), foot);
  };

  /** One list of bars per [MASK], best candidate first, as the engine's `fill` gives them. */
  function renderFills(state, tr) {
    const masks = state.fill?.masks;
    if (!state.tokens || !masks) { fills.replaceChildren(); $('#next-caption').textContent = ''; return; }
    if (masks.length === 0) {
      $('#next-caption').textContent = tr('fill.none');
      fills.replaceChildren();
      return;
    }
    const n = masks[0].candidates.length;
    $('#next-caption').textContent = tr('fill.caption', { vocab: state.model.vocab_size, n });
    const part = tr('tokens.part');
    fills.replaceChildren(...masks.map((blank, i) => el('div', { className: 'fill', dataset: { position: String(blank.position) } },
      el('h3', { textContent: tr('fill.blank', { n: i + 1, position: blank.position + 1 }) }),
      el('ol', { className: 'bars' }, ...blank.candidates.map((c) => el('li', {
        className: 'bar',
        title: `id ${c.id}`,
        dataset: { id: String(c.id), probability: String(c.probability) },
      },
      el('span', { className: 'bar-token', textContent: candidateLabel(c.text, false, part) }),
      el('span', { className: 'bar-track' }, el('span', { className: 'bar-fill', style: { transform: `scaleX(${c.probability.toFixed(4)})` } })),
      el('span', { className: 'bar-value', textContent: percent(c.probability, true) })))))));
  }

  /** The tokens the last Generate drew, each with its probability, while the text is still theirs. */
  function renderGenerated(state, tr) {
    const box = $('#generated');
    const run = state.generated;
    update(box, { hidden: !run || run.tokens.length === 0 || run.text !== state.text });
    if (box.hidden || !generatedChanged(run, state.lang)) return;
    box.querySelector('.generated-tokens').replaceChildren(
      el('span', { className: 'generated-label', textContent: tr('next.generated') }),
      ...run.tokens.map((token) => el('span', { className: 'sampled' },
        el('span', { className: 'sampled-text', textContent: tokenLabel(token.text) }),
        el('span', { className: 'sampled-p', textContent: token.probabilities.map((p) => percent(p)).join(' × ') }))),
    );
    const hint = run.temperature > BABBLE_TEMPERATURE ? tr('next.generated.hint', { t: run.temperature.toFixed(2) }) : tr('next.generated.low');
    box.querySelector('.generated-hint').textContent = hint;
  }
}
