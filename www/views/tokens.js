// (1) The model switch (GPT ⇄ BERT-style encoder), the text box (with a button that puts a
// [MASK] at the cursor, for the encoder) and its tokens as coloured chips with their ids. A chip
// that stays the same between updates is kept, so only new tokens animate in (e.g. while generating).

import { t } from '../i18n.js';
import { chipColour } from '../colors.js';
import { changeTracker, el, keepChildren, setAttributes, tokenLabel, update } from './dom.js';

// The brief's sentence, a translation in progress (the default model was trained on
// `Chinese | English` pairs: watch the English attend back to the Chinese), and plain English.
const EXAMPLES = ['小明 喜欢 苹果', '他 喜欢 户外 运动 | He likes', 'I want to'];
/** Four Chinese characters in a row: longer than most words, so probably typed without spaces. */
const UNSPACED_CHINESE = /\p{Script=Han}{4}/u;

export function mountTokens(root, actions) {
  const input = root.querySelector('#text-input');
  const list = root.querySelector('#tokens');
  const note = root.querySelector('#tokens-note');
  const examples = root.querySelector('.examples');
  input.addEventListener('input', () => actions.set({ text: input.value }));
  const models = Array.from(root.querySelectorAll('input[name="model-name"]'));
  for (const radio of models) radio.addEventListener('change', () => actions.setModelName(radio.value));
  const insertMask = root.querySelector('.insert-mask');
  let maskToken = null; // the encoder's, as the engine names it
  insertMask?.querySelector('button').addEventListener('click', () => {
    if (!maskToken) return;
    // At the cursor (or over the selection), as its own word: spaces around it unless there already.
    const { selectionStart: start, selectionEnd: end, value } = input;
    const before = value.slice(0, start);
    const after = value.slice(end);
    const blank = `${before && !/\s$/.test(before) ? ' ' : ''}${maskToken}${after && !/^\s/.test(after) ? ' ' : ''}`;
    input.value = before + blank + after;
    const cursor = before.length + blank.length;
    input.focus();
    input.setSelectionRange(cursor, cursor);
    actions.set({ text: input.value });
  });
  for (const example of EXAMPLES) {
    const button = el('button', { type: 'button', className: 'example', textContent: example });
    button.addEventListener('click', () => { input.value = example; actions.set({ text: example }); });
    examples.append(' ', button);
  }

  // The reading guide says what the chosen model answers: the next token, or each blank.
  const guideItems = Array.from(root.querySelectorAll('.guide li[data-guide]'));

  let chips = [];
  const changed = changeTracker();
  return (state) => {
    const tr = (key, params) => t(state.lang, key, params);
    if (input.value !== state.text) input.value = state.text;
    update(input, { disabled: state.generating });
    for (const radio of models) radio.checked = radio.value === state.modelName;
    maskToken = state.model?.mask_token ?? null;
    if (insertMask) update(insertMask, { hidden: !maskToken });
    for (const item of guideItems) {
      const key = `guide.${maskToken ? 'encoder.' : ''}${item.dataset.guide}`;
      update(item.dataset, { i18n: key });
      update(item, { textContent: tr(key) });
    }

    const tokens = state.tokens;
    if (!changed(tokens, state.steps?.focus, state.text, state.lang)) return;
    if (!tokens || tokens.ids.length === 0) {
      chips = [];
      list.replaceChildren();
      update(note, { textContent: state.text.trim() === '' || tokens ? tr('input.empty') : '' });
      return;
    }

    const next = tokens.ids.map((id, i) => {
      // The title is in the reader's language: a language switch makes new chips.
      const key = `${id}|${tokens.display[i]}|${tokens.partial[i]}|${state.lang}`;
      const old = chips[i];
      if (old && old.key === key) return old;
      const label = tokenLabel(tokens.display[i]);
      const title = [tr('tokens.title', { n: i + 1, id }), tr('tokens.pick')];
      if (tokens.partial[i]) title.push(tr('tokens.part'));
      if (tokens.display[i].startsWith(' ')) title.push(tr('tokens.space'));
      const node = el('button', {
        type: 'button',
        className: `chip${tokens.partial[i] ? ' partial' : ''}${old ? '' : ' fresh'}`,
        title: title.join(' · '),
        style: { '--chip': chipColour(i) },
        dataset: { index: String(i), id: String(id) },
      }, el('span', { className: 'chip-text', textContent: label }), el('span', { className: 'chip-id', textContent: String(id) }));
      node.addEventListener('click', () => actions.set({ focus: i, detailKey: null }));
      node.addEventListener('animationend', () => node.classList.remove('fresh'), { once: true });
      return { key, node };
    });
    const nodes = next.map((c) => c.node);
    if (tokens.dropped) nodes.push(el('span', { className: 'dropped', textContent: tokens.dropped }));
    keepChildren(list, nodes);
    chips = next;
    const focus = state.steps ? state.steps.focus : -1;
    next.forEach((c, i) => {
      c.node.classList.toggle('focused', i === focus);
      setAttributes(c.node, { 'aria-pressed': i === focus });
    });

    const parts = [tr('tokens.count', { n: tokens.ids.length })];
    // Name the characters spelled in bytes; a long run of Chinese without spaces is the usual
    // cause, as the model's data separates words with spaces.
    const cut = [...new Set(tokens.display.filter((_, i) => tokens.partial[i]).map((d) => d.replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹]+$/u, '')))];
    if (cut.length) parts.push(tr('tokens.partial.note', { chars: cut.join(' ') }));
    if (UNSPACED_CHINESE.test(state.text)) parts.push(tr('tokens.spaces.note'));
    if (tokens.truncated) parts.push(tr('tokens.truncated', { max: tokens.context, dropped: tokens.total - tokens.ids.length }));
    update(note, { textContent: parts.join(' · ') });
    note.classList.toggle('warn', tokens.truncated);
  };
}
