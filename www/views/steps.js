// (3) Q/K/V step-through for one (layer, head, focus token): the engine's recorded numbers for
// that head, revealed one operation at a time. Every number shown comes from the trace; the
// written-out sums only quote those numbers.

import { t } from '../i18n.js';
import { absMax, diverging, viridis, viridisInk, legend } from '../colors.js';
import { changeTracker, el, fmt, proseLabel, tokenLabel, touchScreen } from './dom.js';

/** q; q·k; scale; mask; softmax; weighted sum of v. */
export const STEP_COUNT = 6;
const TERMS_SHOWN = 4;
/** The softmax's denominator is written out term by term up to this many tokens. */
const SOFTMAX_TERMS_SHOWN = 8;
/** The step (0-based) whose mask hides keys: rows it will hide are greyed from step 1 on. */
const MASK_STEP = 3;

/** A vector as a row of coloured cells, each titled with its place (from 1) and exact value. */
function strip(values, limit, label) {
  return el('span', { className: 'strip', role: 'img', ariaLabel: label },
    ...Array.from(values, (v, i) => el('span', {
      className: 'cell', title: `#${i + 1}: ${fmt(v, 4)}`, style: { background: diverging(v, limit) },
    })));
}

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

/** The numbers of a vector, written out. */
function numbers(values, className = 'numbers') {
  return el('span', { className }, Array.from(values, (v) => fmt(v, 2)).join('  '));
}

function fillSelect(select, count, label, value) {
  if (select.options.length !== count) {
    select.replaceChildren(...Array.from({ length: count }, (_, i) => el('option', { value: String(i), textContent: label(i) })));
  } else {
    Array.from(select.options).forEach((o, i) => { o.textContent = label(i); });
  }
  select.value = String(value);
}

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

  const changed = changeTracker();
  return (state) => {
    const { steps, tokens, model } = state;
    if (!changed(steps, tokens, model, state.step, state.detailKey, state.lang, state.mask)) return;
    const tr = (key, params) => t(state.lang, key, params);
    stepButtons.forEach((b, i) => {
      b.textContent = `${i + 1}. ${tr(`step.${i}.name`)}`;
      b.classList.toggle('current', i === state.step);
      b.classList.toggle('done', i < state.step);
      b.setAttribute('aria-current', i === state.step ? 'step' : 'false');
    });
    $('#step-of').textContent = tr('steps.of', { n: state.step + 1, total: STEP_COUNT });
    $('#step-prev').disabled = state.step === 0;
    $('#step-next').disabled = state.step === STEP_COUNT - 1;
    $('#step-keys').textContent = tr(touchScreen() ? 'steps.keys.touch' : 'steps.keys');
    if (!steps || !tokens || !model) {
      $('#step-text').textContent = tr('steps.none');
      view.replaceChildren();
      return;
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
    $('#step-text').textContent = tr(textKey, { ...params, later: tr(`steps.later.${maskCase}`, params) });

    const qkLimit = absMax([...steps.q, ...steps.k]);
    const voLimit = absMax([...steps.v, ...steps.out]);
    const count = tokens.ids.length;
    const row = (flat, j) => flat.slice(j * hs, (j + 1) * hs);
    const detail = state.detailKey != null && state.detailKey < count ? state.detailKey : steps.focus;

    // The query of the focus token.
    const query = el('div', { className: 'vector focus-vector' },
      el('span', { className: 'vector-label', textContent: tr('steps.q', { focus }) }),
      strip(steps.q, qkLimit, tr('steps.q', { focus })),
      numbers(steps.q));

    // One row per key token; columns appear as the steps advance.
    const columns = [
      ['steps.col.key', 0], ['steps.col.k', 1], ['steps.col.score', 1], ['steps.col.scaled', 2],
      ['steps.col.masked', 3], ['steps.col.weight', 4], ['steps.col.v', 5],
    ].filter(([, from]) => step >= from);
    const head = el('tr', {}, ...columns.map(([key, from]) => el('th', {
      scope: 'col', className: from === step ? 'now' : '', textContent: tr(key, { hs }),
    })));
    const body = Array.from({ length: count }, (_, j) => {
      const blocked = steps.masked[j] === -Infinity;
      // Before step 4 a row the mask will hide is greyed and says so; from step 4 it shows −∞.
      const hiddenLater = blocked && step < MASK_STEP;
      const cells = {
        'steps.col.key': () => {
          const button = el('button', { type: 'button', className: 'key-button', textContent: `${j + 1}: ${label(j)}` });
          button.addEventListener('click', () => actions.set({ detailKey: j }));
          return hiddenLater ? [button, el('span', { className: 'later', textContent: tr('steps.hidden.later') })] : button;
        },
        'steps.col.k': () => strip(row(steps.k, j), qkLimit, `k ${label(j)}`),
        'steps.col.score': () => fmt(steps.scores[j], 3),
        'steps.col.scaled': () => fmt(steps.scaled[j], 3),
        'steps.col.masked': () => (blocked ? `−∞ (${tr('steps.blocked')})` : fmt(steps.masked[j], 3)),
        'steps.col.weight': () => {
          const w = steps.weights[j];
          return el('span', { className: 'weight', style: { background: viridis(w), color: viridisInk(w) }, textContent: fmt(w, 3) });
        },
        'steps.col.v': () => strip(row(steps.v, j), voLimit, `v ${label(j)}`),
      };
      return el('tr', { className: `${j === steps.focus ? 'is-focus' : ''}${j === detail ? ' is-detail' : ''}${blocked ? ' blocked' : ''}` },
        ...columns.map(([key, from]) => {
          const content = [cells[key]()].flat();
          return el(key === 'steps.col.key' ? 'th' : 'td', { className: from === step ? 'now' : '', dataset: { col: key.split('.').pop(), key: String(j) } }, ...content);
        }));
    });
    const scrollHint = el('p', { className: 'note scroll-hint', textContent: tr('steps.scroll') });
    const table = el('div', { className: 'table-scroll' },
      el('table', { className: 'step-table' }, el('thead', {}, head), el('tbody', {}, ...body)));

    // The sum of the current step, written out with the trace's numbers.
    const written = el('p', { className: 'written' });
    const key = proseLabel(tokens.display[detail]);
    if (step === 1) {
      const k = row(steps.k, detail);
      const terms = Array.from({ length: Math.min(TERMS_SHOWN, hs) }, (_, i) => `(${fmt(steps.q[i])})(${fmt(k[i])})`);
      written.textContent = `${tr('steps.dot', { key })} = ${terms.join(' + ')}${hs > TERMS_SHOWN ? ` + … (${hs})` : ''} = ${fmt(steps.scores[detail], 3)}`;
    } else if (step === 2) {
      written.textContent = `${fmt(steps.scores[detail], 3)} ÷ ${fmt(steps.sqrt_head_size, 3)} = ${fmt(steps.scaled[detail], 3)}`;
    } else if (step === 3) {
      written.textContent = `${key}: ${fmt(steps.scaled[detail], 3)} → ${fmt(steps.masked[detail], 3)}`;
    } else if (step === 4) {
      // The denominator written out: one e^score per token the focus may see (masked ones add e^−∞ = 0).
      const seen = Array.from(steps.masked).filter((m) => m !== -Infinity);
      const terms = seen.slice(0, SOFTMAX_TERMS_SHOWN).map((m) => `e^${fmt(m, 3)}`);
      const more = seen.length > SOFTMAX_TERMS_SHOWN ? ` + … ${tr('steps.more', { n: seen.length - SOFTMAX_TERMS_SHOWN })}` : '';
      const zero = hidden > 0 ? ` · ${tr('steps.masked.zero', { n: hidden })}` : '';
      written.textContent = `${key}: e^${fmt(steps.masked[detail], 3)} ÷ (${terms.join(' + ')}${more}) = ${fmt(steps.weights[detail], 3)}${zero} · ${tr('steps.sum', { sum: fmt(steps.weight_sum, 3) })}`;
    } else if (step === 5) {
      const terms = Array.from({ length: Math.min(TERMS_SHOWN, count) }, (_, j) => `${fmt(steps.weights[j], 3)}×${fmt(steps.v[j * hs])}`);
      written.textContent = `${tr('steps.wsum')}: ${terms.join(' + ')}${count > TERMS_SHOWN ? ' + …' : ''} = ${fmt(steps.out[0], 3)}`;
    }

    const hint = el('p', { className: 'note', textContent: tr('steps.pick') });
    const parts = step === 0 ? [query] : [query, table, scrollHint, written, hint];
    if (step === 5) {
      parts.push(el('div', { className: 'vector out-vector' },
        el('span', { className: 'vector-label', textContent: tr('steps.out', { focus }) }),
        strip(steps.out, voLimit, tr('steps.out', { focus })),
        numbers(steps.out)));
      // Where this vector goes: to the chain in section 5 that ends in the bars.
      parts.push(el('p', { className: 'what-next' },
        el('strong', { textContent: tr('steps.next.title') }), ' ',
        tr('steps.next.text', { hs, nh: model.n_head, c: model.n_embd, vocab: model.vocab_size }), ' ',
        chainLink(tr('steps.next.link'))));
    }
    parts.push(el('div', { className: 'legends' },
      legend('diverging', tr('legend.values'), '−', '+'),
      step >= 4 ? legend('viridis', tr('legend.weights'), '0', '1') : null));
    view.replaceChildren(...parts);
    view.dataset.step = String(step);
    if (step > 0) keepColumnInView(table, scrollHint);
  };
}
