// (3) Q/K/V step-through for one (layer, head, focus token): the engine's recorded numbers for
// that head, revealed one operation at a time. Every number shown comes from the trace; the
// written-out sums only quote those numbers.

import { t } from '../i18n.js';
import { absMax, diverging, viridis, viridisInk, legend } from '../colors.js';
import { el, fmt, tokenLabel } from './dom.js';

/** q; q·k; scale; mask; softmax; weighted sum of v. */
export const STEP_COUNT = 6;
const TERMS_SHOWN = 4;

/** A vector as a row of coloured cells, each titled with its exact value. */
function strip(values, limit, label) {
  return el('span', { className: 'strip', role: 'img', ariaLabel: label },
    ...Array.from(values, (v, i) => el('span', {
      className: 'cell', title: `[${i}] ${fmt(v, 4)}`, style: { background: diverging(v, limit) },
    })));
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
  const stepButtons = Array.from({ length: STEP_COUNT }, (_, i) => {
    const button = el('button', { type: 'button', dataset: { step: String(i) } });
    button.addEventListener('click', () => actions.set({ step: i }));
    list.append(el('li', {}, button));
    return button;
  });

  return (state) => {
    const tr = (key, params) => t(state.lang, key, params);
    const { steps, tokens, model } = state;
    stepButtons.forEach((b, i) => {
      b.textContent = `${i + 1}. ${tr(`step.${i}.name`)}`;
      b.classList.toggle('current', i === state.step);
      b.classList.toggle('done', i < state.step);
      b.setAttribute('aria-current', i === state.step ? 'step' : 'false');
    });
    $('#step-of').textContent = tr('steps.of', { n: state.step + 1, total: STEP_COUNT });
    $('#step-prev').disabled = state.step === 0;
    $('#step-next').disabled = state.step === STEP_COUNT - 1;
    if (!steps || !tokens || !model) {
      $('#step-text').textContent = tr('steps.none');
      view.replaceChildren();
      return;
    }

    const label = (i) => tokenLabel(tokens.display[i]);
    fillSelect($('#layer'), model.n_layer, (i) => String(i), steps.layer);
    fillSelect($('#head'), model.n_head, (i) => String(i), steps.head);
    fillSelect($('#focus'), tokens.ids.length, (i) => `${i}: ${label(i)}`, steps.focus);

    const hs = steps.head_size;
    const focus = label(steps.focus);
    const step = state.step;
    $('#step-text').textContent = tr(`step.${step}.text`, { focus, hs, sqrt: fmt(steps.sqrt_head_size, 3) });

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
      const cells = {
        'steps.col.key': () => {
          const button = el('button', { type: 'button', className: 'key-button', textContent: `${j}: ${label(j)}` });
          button.addEventListener('click', () => actions.set({ detailKey: j }));
          return button;
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
      return el('tr', { className: `${j === steps.focus ? 'is-focus' : ''}${j === detail ? ' is-detail' : ''}${blocked && step >= 3 ? ' blocked' : ''}` },
        ...columns.map(([key, from]) => {
          const content = cells[key]();
          return el(key === 'steps.col.key' ? 'th' : 'td', { className: from === step ? 'now' : '', dataset: { col: key.split('.').pop(), key: String(j) } }, content);
        }));
    });
    const table = el('table', { className: 'step-table' }, el('thead', {}, head), el('tbody', {}, ...body));

    // The sum of the current step, written out with the trace's numbers.
    const written = el('p', { className: 'written' });
    const key = label(detail);
    if (step === 1) {
      const k = row(steps.k, detail);
      const terms = Array.from({ length: Math.min(TERMS_SHOWN, hs) }, (_, i) => `(${fmt(steps.q[i])})(${fmt(k[i])})`);
      written.textContent = `${tr('steps.dot', { key })} = ${terms.join(' + ')}${hs > TERMS_SHOWN ? ` + … (${hs})` : ''} = ${fmt(steps.scores[detail], 3)}`;
    } else if (step === 2) {
      written.textContent = `${fmt(steps.scores[detail], 3)} ÷ ${fmt(steps.sqrt_head_size, 3)} = ${fmt(steps.scaled[detail], 3)}`;
    } else if (step === 3) {
      written.textContent = `${key}: ${fmt(steps.scaled[detail], 3)} → ${fmt(steps.masked[detail], 3)}`;
    } else if (step === 4) {
      written.textContent = `${key}: e^${fmt(steps.masked[detail], 3)} ÷ Σ e^(…) = ${fmt(steps.weights[detail], 3)} · ${tr('steps.sum', { sum: fmt(steps.weight_sum, 3) })}`;
    } else if (step === 5) {
      const terms = Array.from({ length: Math.min(TERMS_SHOWN, count) }, (_, j) => `${fmt(steps.weights[j], 3)}×${fmt(steps.v[j * hs])}`);
      written.textContent = `${tr('steps.wsum')}: ${terms.join(' + ')}${count > TERMS_SHOWN ? ' + …' : ''} = ${fmt(steps.out[0], 3)}`;
    }

    const hint = el('p', { className: 'note', textContent: tr('steps.pick') });
    const parts = step === 0 ? [query] : [query, table, written, hint];
    if (step === 5) {
      parts.push(el('div', { className: 'vector out-vector' },
        el('span', { className: 'vector-label', textContent: tr('steps.out', { focus }) }),
        strip(steps.out, voLimit, tr('steps.out', { focus })),
        numbers(steps.out)));
    }
    parts.push(el('div', { className: 'legends' },
      legend('diverging', tr('legend.values'), '−', '+'),
      step >= 4 ? legend('viridis', tr('legend.weights'), '0', '1') : null));
    view.replaceChildren(...parts);
    view.dataset.step = String(step);
  };
}
