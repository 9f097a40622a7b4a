// (3) Q/K/V step-through for one (layer, head, focus token): the engine's recorded numbers for
// that head, revealed one operation at a time. Every number shown comes from the trace; the
// written-out sums only quote those numbers.

import { t } from '../i18n.js';
import { absMax, viridis, viridisInk, legend } from '../colors.js';
import { changeTracker, el, fmt, keepChildren, proseLabel, setAttributes, tokenLabel, touchScreen, update } from './dom.js';
import { createStrip } from './strip.js';

/** q; q·k; scale; mask; softmax; weighted sum of v. */
export const STEP_COUNT = 6;
const TERMS_SHOWN = 4;
/** The softmax's denominator is written out term by term up to this many tokens. */
const SOFTMAX_TERMS_SHOWN = 8;
/** The step (0-based) whose mask hides keys: rows it will hide are greyed from step 1 on. */
const MASK_STEP = 3;

/** Scroll a wide table's box so its current column is in view, and say when it scrolls. */
function keepColumnInView(scroller, hint) {
  const now = scroller.querySelector('thead th.now');
  const wider = scroller.scrollWidth > scroller.clientWidth + 1;
  hint.hidden = !wider;
  if (!now || !wider) return;
  const box = scroller.getBoundingClientRect();
  const cell = now.getBoundingClientRect();
  const right = cell.right - box.left + scroller.scrollLeft;
  if (right > scroller.clientWidth) scroller.scrollLeft = right - scroller.clientWidth + 8;
}

/** A select's options 0 … count − 1, updated in place (only those whose label changed). */
function fillSelect(select, count, label, value) {
  while (select.options.length > count) select.lastChild.remove();
  Array.from(select.options).forEach((o, i) => update(o, { textContent: label(i) }));
  for (let i = select.options.length; i < count; i++) select.append(el('option', { value: String(i), textContent: label(i) }));
  update(select, { value: String(value) });
}

/** A vector: its name, its strip and its numbers, updated in place. */
function vectorRow(className) {
  const name = el('span', { className: 'vector-label' });
  const strip = createStrip();
  const numbers = el('span', { className: 'numbers' });
  return {
    node: el('div', { className: `vector ${className}` }, name, strip.node, numbers),
    show(values, limit, label) {
      update(name, { textContent: label });
      strip.show(values, limit, label);
      update(numbers, { textContent: Array.from(values, (v) => fmt(v, 2)).join('  ') });
    },
  };
}

/** The columns of the key table and the step (0-based) each appears at. */
const COLUMNS = [
  ['steps.col.key', 0], ['steps.col.k', 1], ['steps.col.score', 1], ['steps.col.scaled', 2],
  ['steps.col.masked', 3], ['steps.col.weight', 4], ['steps.col.v', 5],
];

export function mountSteps(root, actions) {
  const $ = (sel) => root.querySelector(sel);
  const section = $('#steps');
  const list = $('#step-list');
  const view = $('#step-view');
  for (const [sel, field] of [['#layer', 'layer'], ['#head', 'head'], ['#focus', 'focus']]) {
    $(sel).addEventListener('change', (e) => actions.set({ [field]: Number(e.target.value), detailKey: null }));
  }
  $('#step-prev').addEventListener('click', () => actions.step(-1));
  $('#step-next').addEventListener('click', () => actions.step(1));
  section.addEventListener('keydown', (e) => {
    if (['SELECT', 'INPUT', 'TEXTAREA'].includes(e.target.tagName)) return;
    if (e.key === 'ArrowRight') { actions.step(1); e.preventDefault(); }
    if (e.key === 'ArrowLeft') { actions.step(-1); e.preventDefault(); }
  });
  // A link that also works inside a shadow root, where '#id' alone would not find its target.
  const chainLink = (text) => {
    const link = el('a', { href: '#chain-title', textContent: text });
    link.addEventListener('click', (e) => { e.preventDefault(); $('#chain-title').scrollIntoView({ behavior: 'smooth' }); });
    return link;
  };
  const stepButtons = Array.from({ length: STEP_COUNT }, (_, i) => {
    const button = el('button', { type: 'button', dataset: { step: String(i) } });
    button.addEventListener('click', () => actions.set({ step: i }));
    list.append(el('li', {}, button));
    return button;
  });

  // Everything in the view is made once (a table row when the text first has that many
  // tokens) and then updated in place: a keystroke changes the numbers, not the elements, so a
  // scrolled table stays where the learner put it and a focused key button keeps the focus.
  const query = vectorRow('focus-vector');
  const out = vectorRow('out-vector');
  const headRow = el('tr');
  const tbody = el('tbody');
  const table = el('div', { className: 'table-scroll' }, el('table', { className: 'step-table' }, el('thead', {}, headRow), tbody));
  const scrollHint = el('p', { className: 'note scroll-hint' });
  const written = el('p', { className: 'written' });
  const hint = el('p', { className: 'note' });
  const whatNext = el('p', { className: 'what-next' });
  const legends = el('div', { className: 'legends' });
  const heads = Object.fromEntries(COLUMNS.map(([key]) => [key, el('th', { scope: 'col' })]));
  const rows = [];

  /** Row j of the table, made when the text first has j + 1 tokens: a cell per column, shown as the steps reach it. */
  function tableRow(j) {
    if (rows[j]) return rows[j];
    const button = el('button', { type: 'button', className: 'key-button' });
    button.addEventListener('click', () => actions.set({ detailKey: j }));
    const k = createStrip();
    const v = createStrip();
    const weight = el('span', { className: 'weight' });
    const cells = Object.fromEntries(COLUMNS.map(([key]) => [key,
      el(key === 'steps.col.key' ? 'th' : 'td', { dataset: { col: key.split('.').pop(), key: String(j) } })]));
    cells['steps.col.k'].append(k.node);
    cells['steps.col.weight'].append(weight);
    cells['steps.col.v'].append(v.node);
    rows[j] = { tr: el('tr'), cells, button, later: el('span', { className: 'later' }), k, v, weight, shownWeight: null };
    return rows[j];
  }

  const changed = changeTracker();
  const langChanged = changeTracker();
  const stepChanged = changeTracker();
  return (state) => {
    const { steps, tokens, model } = state;
    if (!changed(steps, tokens, model, state.step, state.detailKey, state.lang, state.mask)) return null;
    const tr = (key, params) => t(state.lang, key, params);
    stepButtons.forEach((b, i) => {
      update(b, { textContent: `${i + 1}. ${tr(`step.${i}.name`)}` });
      b.classList.toggle('current', i === state.step);
      b.classList.toggle('done', i < state.step);
      setAttributes(b, { 'aria-current': i === state.step ? 'step' : 'false' });
    });
    update($('#step-of'), { textContent: tr('steps.of', { n: state.step + 1, total: STEP_COUNT }) });
    update($('#step-prev'), { disabled: state.step === 0 });
    update($('#step-next'), { disabled: state.step === STEP_COUNT - 1 });
    update($('#step-keys'), { textContent: tr(touchScreen() ? 'steps.keys.touch' : 'steps.keys') });
    if (!steps || !tokens || !model) {
      update($('#step-text'), { textContent: tr('steps.none') });
      view.replaceChildren();
      return null;
    }

    const label = (i) => tokenLabel(tokens.display[i]);
    // People count from 1: layer 1, head 1, token 1 (the engine's indices are one less).
    fillSelect($('#layer'), model.n_layer, (i) => String(i + 1), steps.layer);
    fillSelect($('#head'), model.n_head, (i) => String(i + 1), steps.head);
    fillSelect($('#focus'), tokens.ids.length, (i) => `${i + 1}: ${label(i)}`, steps.focus);

    const hs = steps.head_size;
    const focus = proseLabel(tokens.display[steps.focus]);
    const step = state.step;
    const hidden = steps.masked.filter((m) => m === -Infinity).length;
    const params = {
      focus, hs, sqrt: fmt(steps.sqrt_head_size, 3), c: model.n_embd, nh: model.n_head, n: hidden, count: tokens.ids.length,
    };
    // Steps 2 and 4 say what the mask does to this focus token: hides later tokens, or nothing.
    const maskCase = state.mask === 'bidirectional' ? 'bidirectional' : hidden > 0 ? 'causal' : 'none';
    const textKey = step === MASK_STEP && maskCase !== 'causal' ? `step.${step}.text.${maskCase}` : `step.${step}.text`;
    update($('#step-text'), { textContent: tr(textKey, { ...params, later: tr(`steps.later.${maskCase}`, params) }) });

    const qkLimit = absMax([...steps.q, ...steps.k]);
    const voLimit = absMax([...steps.v, ...steps.out]);
    const count = tokens.ids.length;
    const vector = (flat, j) => flat.slice(j * hs, (j + 1) * hs);
    const detail = state.detailKey != null && state.detailKey < count ? state.detailKey : steps.focus;

    // The query of the focus token.
    query.show(steps.q, qkLimit, tr('steps.q', { focus }));
    if (langChanged(state.lang, model)) {
      scrollHint.textContent = tr('steps.scroll');
      hint.textContent = tr('steps.pick');
      whatNext.replaceChildren(
        el('strong', { textContent: tr('steps.next.title') }), ' ',
        tr('steps.next.text', { hs, nh: model.n_head, c: model.n_embd, vocab: model.vocab_size }), ' ',
        chainLink(tr('steps.next.link')));
      legends.replaceChildren(legend('diverging', tr('legend.values'), '−', '+'), legend('viridis', tr('legend.weights'), '0', '1'));
    }
    update(legends.lastChild, { hidden: step < 4 });
    const parts = [query.node];
    if (step > 0) {
      showTable(state, { step, count, hs, qkLimit, voLimit, detail, label, vector, tr });
      parts.push(table, scrollHint, written, hint);
      update(written, { textContent: writtenSum(state, { step, count, hs, detail, hidden, tr }) });
    }
    if (step === 5) {
      out.show(steps.out, voLimit, tr('steps.out', { focus }));
      // Where this vector goes: to the chain in section 5 that ends in the bars.
      parts.push(out.node, whatNext);
    }
    parts.push(legends);
    keepChildren(view, parts);
    update(view.dataset, { step: String(step) });
    // Scrolling reads the layout: after every view has written (index.js), and only when the
    // step moved, so a table the learner scrolled stays put while they type.
    if (!stepChanged(step) || step === 0) return null;
    return () => keepColumnInView(table, scrollHint);
  };

  /** The table's columns up to this step, one row per key token, updated in place. */
  function showTable(state, { step, count, qkLimit, voLimit, detail, label, vector, tr }) {
    const { steps } = state;
    const columns = COLUMNS.filter(([, from]) => step >= from);
    keepChildren(headRow, columns.map(([key, from]) => update(heads[key], { className: from === step ? 'now' : '', textContent: tr(key, { hs: steps.head_size }) })));
    const later = tr('steps.hidden.later');
    keepChildren(tbody, Array.from({ length: count }, (_, j) => {
      const row = tableRow(j);
      const { cells } = row;
      const blocked = steps.masked[j] === -Infinity;
      // Before step 4 a row the mask will hide is greyed and says so; from step 4 it shows −∞.
      const hiddenLater = blocked && step < MASK_STEP;
      update(row.tr, { className: `${j === steps.focus ? 'is-focus' : ''}${j === detail ? ' is-detail' : ''}${blocked ? ' blocked' : ''}` });
      update(row.button, { textContent: `${j + 1}: ${label(j)}` });
      update(row.later, { textContent: later });
      keepChildren(cells['steps.col.key'], hiddenLater ? [row.button, row.later] : [row.button]);
      if (step >= 1) {
        row.k.show(vector(steps.k, j), qkLimit, `k ${label(j)}`);
        update(cells['steps.col.score'], { textContent: fmt(steps.scores[j], 3) });
      }
      if (step >= 2) update(cells['steps.col.scaled'], { textContent: fmt(steps.scaled[j], 3) });
      if (step >= 3) update(cells['steps.col.masked'], { textContent: blocked ? `−∞ (${tr('steps.blocked')})` : fmt(steps.masked[j], 3) });
      if (step >= 4) {
        const w = steps.weights[j];
        if (row.shownWeight !== w) {
          row.shownWeight = w;
          update(row.weight, { textContent: fmt(w, 3) });
          row.weight.style.background = viridis(w);
          row.weight.style.color = viridisInk(w);
        }
      }
      if (step >= 5) row.v.show(vector(steps.v, j), voLimit, `v ${label(j)}`);
      for (const [key, from] of columns) update(cells[key], { className: from === step ? 'now' : '' });
      keepChildren(row.tr, columns.map(([key]) => cells[key]));
      return row.tr;
    }));
  }

  /** The sum of the current step, written out with the trace's numbers. */
  function writtenSum(state, { step, count, hs, detail, hidden, tr }) {
    const { steps, tokens } = state;
    const key = proseLabel(tokens.display[detail]);
    if (step === 1) {
      const k = steps.k.slice(detail * hs, (detail + 1) * hs);
      const terms = Array.from({ length: Math.min(TERMS_SHOWN, hs) }, (_, i) => `(${fmt(steps.q[i])})(${fmt(k[i])})`);
      return `${tr('steps.dot', { key })} = ${terms.join(' + ')}${hs > TERMS_SHOWN ? ` + … (${hs})` : ''} = ${fmt(steps.scores[detail], 3)}`;
    }
    if (step === 2) return `${fmt(steps.scores[detail], 3)} ÷ ${fmt(steps.sqrt_head_size, 3)} = ${fmt(steps.scaled[detail], 3)}`;
    if (step === 3) return `${key}: ${fmt(steps.scaled[detail], 3)} → ${fmt(steps.masked[detail], 3)}`;
    if (step === 4) {
      // The denominator written out: one e^score per token the focus may see (masked ones add e^−∞ = 0).
      const seen = Array.from(steps.masked).filter((m) => m !== -Infinity);
      const terms = seen.slice(0, SOFTMAX_TERMS_SHOWN).map((m) => `e^${fmt(m, 3)}`);
      const more = seen.length > SOFTMAX_TERMS_SHOWN ? ` + … ${tr('steps.more', { n: seen.length - SOFTMAX_TERMS_SHOWN })}` : '';
      const zero = hidden > 0 ? ` · ${tr('steps.masked.zero', { n: hidden })}` : '';
      return `${key}: e^${fmt(steps.masked[detail], 3)} ÷ (${terms.join(' + ')}${more}) = ${fmt(steps.weights[detail], 3)}${zero} · ${tr('steps.sum', { sum: fmt(steps.weight_sum, 3) })}`;
    }
    const terms = Array.from({ length: Math.min(TERMS_SHOWN, count) }, (_, j) => `${fmt(steps.weights[j], 3)}×${fmt(steps.v[j * hs])}`);
    return `${tr('steps.wsum')}: ${terms.join(' + ')}${count > TERMS_SHOWN ? ' + …' : ''} = ${fmt(steps.out[0], 3)}`;
  }
}
