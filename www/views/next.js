// (2) Next-token probabilities as bars, what the model is (so its first guesses make sense), the
// sampling controls (temperature, top-k, top-p re-run only the softmax on cached logits) and
// generation, with each sampled token's probability. With the BERT-style encoder: each
// [MASK]'s fill-in candidates as bars instead (the encoder does not write on).

import { t } from '../i18n.js';
import { candidateLabel, changeTracker, el, fmt, keepChildren, percent, proseLabel, setAttributes, tokenLabel, update } from './dom.js';

/** The softmax table's columns and how many of the top rows it writes out. */
const SOFTMAX_COLUMNS = ['next.col.token', 'next.col.logit', 'next.col.scaled', 'next.col.exp', 'next.col.prob'];
const SOFTMAX_ROWS = 5;
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

  // The softmax written out for the first rows, in a table made once.
  const softmax = {
    table: $('#softmax-table'), headRow: el('tr'), head: SOFTMAX_COLUMNS.map(() => el('th', { scope: 'col' })),
    body: el('tbody'), rows: [], sum: el('td', { colSpan: SOFTMAX_COLUMNS.length }),
  };
  softmax.thead = el('thead', {}, softmax.headRow);
  softmax.foot = el('tfoot', {}, el('tr', {}, softmax.sum));

  const blanks = []; // per [MASK]: its list of bars
  const changed = changeTracker();
  const fillsChanged = changeTracker();
  const generatedChanged = changeTracker();
  return (state) => {
    const tr = (key, params) => t(state.lang, key, params);
    const encoder = Boolean(state.model?.mask_token);
    // Most of this is the same from one keystroke to the next: only what differs is written.
    update($('#next-title').dataset, { i18n: encoder ? 'fill.title' : 'next.title' });
    update($('#next-title'), { textContent: tr($('#next-title').dataset.i18n) });
    update(fills, { hidden: !encoder });
    for (const node of gptOnly) update(node, { hidden: encoder });
    setAttributes($('#about-model a'), { href: `models/${encoder ? 'encoder' : 'default'}/README.md` });
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
      softmax.table.replaceChildren();
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
    keepChildren(softmax.headRow, SOFTMAX_COLUMNS.map((key, i) => update(softmax.head[i], { textContent: tr(key, params) })));
    keepChildren(softmax.body, next.rows.slice(0, SOFTMAX_ROWS).map((row, r) => {
      softmax.rows[r] ??= { cells: [el('th', { scope: 'row' }), el('td'), el('td'), el('td'), el('td')] };
      const { cells } = softmax.rows[r];
      const texts = [
        candidateLabel(row.text, row.partial, part), fmt(row.logit, 3), fmt(row.scaled, 3),
        row.exp === 0 ? '≈ 0' : row.exp.toPrecision(3),
        row.kept ? `${row.exp.toPrecision(3)} ÷ Σ = ${percent(row.probability, true)}` : tr('next.cut'),
      ];
      cells.forEach((cell, i) => update(cell, { textContent: texts[i] }));
      return softmax.rows[r].tr ??= el('tr', {}, ...cells);
    }));
    if (kept) update(softmax.sum, { textContent: tr('next.softmax.sum', { sum: (kept.exp / kept.probability).toPrecision(4), max }) });
    keepChildren(softmax.table, kept ? [softmax.thead, softmax.body, softmax.foot] : [softmax.thead, softmax.body]);
  };

  /** One list of bars per [MASK], best candidate first, as the engine's `fill` gives them (made once, then updated). */
  function renderFills(state, tr) {
    const masks = state.fill?.masks;
    if (!fillsChanged(masks, state.tokens, state.lang)) return;
    if (!state.tokens || !masks) { fills.replaceChildren(); update($('#next-caption'), { textContent: '' }); return; }
    if (masks.length === 0) {
      update($('#next-caption'), { textContent: tr('fill.none') });
      fills.replaceChildren();
      return;
    }
    const n = masks[0].candidates.length;
    update($('#next-caption'), { textContent: tr('fill.caption', { vocab: state.model.vocab_size, n }) });
    const part = tr('tokens.part');
    keepChildren(fills, masks.map((blank, i) => {
      const shown = blanks[i] ??= { title: el('h3'), list: el('ol', { className: 'bars' }), bars: [] };
      shown.div ??= el('div', { className: 'fill' }, shown.title, shown.list);
      update(shown.div.dataset, { position: String(blank.position) });
      update(shown.title, { textContent: tr('fill.blank', { n: i + 1, position: blank.position + 1 }) });
      keepChildren(shown.list, blank.candidates.map((c, k) => setBar(shown.bars[k] ??= makeBar(), {
        className: 'bar', title: `id ${c.id}`, id: c.id, probability: c.probability,
        label: candidateLabel(c.text, false, part), shown: percent(c.probability, true),
      })));
      return shown.div;
    }));
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
