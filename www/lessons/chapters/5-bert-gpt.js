// Chapter 5: BERT and GPT. One sentence with a blank, given to both models side by side: each
// one's mask (which tokens each token may see, as the engine ran it), the encoder's candidates for
// the [MASK] and the GPT's next token after the word before the blank — the same blocks, another
// mask and another goal. Numbers come from the worker's `lessonBlank` (the encoder's `fill`, the
// GPT's probabilities after one position), as the CLI's `fill` and `trace` print them.

import { el, tokenLabel } from '../../views/dom.js';
import { probabilityBars, quoted } from './parts.js';
import { fill } from '../strings.js';

/** Candidates listed per model. */
const CANDIDATES = 5;
/** The mask grids show at most this many tokens. */
const GRID_TOKENS = 16;

export default {
  number: 5,
  slug: 'bert-gpt',
  css: true,
  text: {
    en: {
      title: 'BERT and GPT',
      paragraphs: [
        'BERT and GPT are built from the same blocks: attention and an MLP, stacked in layers, with the residual stream running through them. Two things differ: what each token may look at (the **mask**) and what the model was trained to do (its **goal**).',
        'A GPT (a decoder) writes from left to right. Each token sees only itself and the tokens before it, and its goal is the next token. Asked about a blank, it can only use the words on the left.',
        'BERT (an encoder) reads the whole sentence at once: every token sees every other. Its goal is to fill in a hidden word, written `[MASK]`, from both sides. That makes it good at understanding a sentence, but it does not write one word after another.',
        'Below, one sentence goes to both models. The grids are their masks: a row is the token that looks, ✓ marks what it may see. The outlined row is the one that answers: for the GPT the token just before the blank, for the encoder the blank itself.',
      ],
      tries: ['`小明 [MASK] 苹果`', 'In English: `I [MASK] apples.`', 'The blank at the end: `小明 喜欢 [MASK]`'],
      question: {
        prompt: 'In `小明 [MASK] 苹果`, which model can use `苹果` to fill the blank?',
        options: [
          { label: 'The GPT', correct: false, feedback: '`苹果` comes after the blank. Under the causal mask a GPT’s tokens never see what comes later: look at its grid.' },
          { label: 'The BERT-style encoder', correct: true, feedback: 'Its mask lets every token see every other, so the blank can look at `苹果` on its right.' },
          { label: 'Both, since they are built from the same blocks', correct: false, feedback: 'Same blocks, different masks: the mask decides what each token may look at, and the GPT’s hides everything to the right.' },
        ],
      },
      view: {
        gpt: 'GPT (decoder): looks back only',
        encoder: 'BERT-style encoder: sees both ways',
        same: 'Both: {layers} layers × {heads} heads, {channels} channels per token. Same blocks; different mask, different goal.',
        mask: 'Its mask (row: the token that looks; ✓: may see)',
        more: 'The grid shows the first {n} of {total} tokens.',
        gptAnswer: 'Next token after {token} (it cannot see the blank or anything after it):',
        gptNoLeft: 'The blank is the first token: the GPT has nothing on its left to go on.',
        gptLast: 'No [MASK] in the sentence: the GPT’s next token after the last one, {token}:',
        encoderAnswer: 'What fits the blank (token {n}), seen from both sides:',
        encoderNone: 'Type [MASK] where a word should go, and the encoder fills it in.',
        encoderMore: 'The sentence has {n} blanks; the first is shown.',
        seen: 'may see',
        hidden: 'hidden',
        part: 'part of a character',
        empty: 'Type a sentence above.',
      },
    },
    zh: {
      title: 'BERT 与 GPT',
      paragraphs: [
        'BERT 和 GPT 用的是同样的积木：注意力加 MLP，一层层叠起来，中间贯穿着残差流。不同的只有两点：每个词元能看到哪些词元（**遮挡方式**，mask），以及模型被训练去做什么（**目标**）。',
        'GPT 是解码器，从左往右写。每个词元只能看到自己和前面的词元，它的目标是预测下一个词元。所以让它猜一个空，它只能依靠空左边的词。',
        'BERT 是编码器，一次读完整句话，每个词元都能看到所有词元。它的目标是根据前后文，把挡住的词（写成 `[MASK]`）填回去。所以它擅长理解句子，却不会一个词接一个词地往下写。',
        '下面把同一句话同时交给两个模型。两张表就是两种遮挡方式：每一行是发出注意的词元，✓ 表示它能看到的词元。框出来的那一行负责回答：GPT 是空格前面的那个词元，编码器就是空格本身。',
      ],
      tries: ['`小明 [MASK] 苹果`', '换成英文：`I [MASK] apples.`', '把空放在句末：`小明 喜欢 [MASK]`'],
      question: {
        prompt: '在 `小明 [MASK] 苹果` 里，哪个模型能借助 `苹果` 来填空？',
        options: [
          { label: 'GPT', correct: false, feedback: '`苹果` 在空格后面。在因果遮挡下，GPT 的词元永远看不到后面的内容，看看它的那张表就知道了。' },
          { label: 'BERT 式编码器', correct: true, feedback: '它的遮挡方式让每个词元都能看到所有词元，所以空格可以看到右边的 `苹果`。' },
          { label: '两个都能，因为它们的积木一样', correct: false, feedback: '积木一样，遮挡方式却不同：遮挡方式决定了每个词元能看到什么，而 GPT 的遮挡把右边全挡住了。' },
        ],
      },
      view: {
        gpt: 'GPT（解码器）：只能往前看',
        encoder: 'BERT 式编码器：前后都能看',
        same: '两个模型都是 {layers} 层 × {heads} 个头，每个词元 {channels} 维。积木相同，遮挡方式不同，目标也不同。',
        mask: '它的遮挡方式（每一行是发出注意的词元；✓ 表示能看到）',
        more: '表里只画了 {total} 个词元中的前 {n} 个。',
        gptAnswer: '{token} 后面的下一个词元（它看不到空格，也看不到空格后面的词）：',
        gptNoLeft: '空格就是第一个词元：GPT 左边什么也没有，无从猜起。',
        gptLast: '句子里没有 [MASK]：这是 GPT 在最后一个词元 {token} 后面预测的下一个词元：',
        encoderAnswer: '适合填进空格（第 {n} 个词元）的词，前后文都看得到：',
        encoderNone: '在该填词的地方输入 [MASK]，编码器就会把它填上。',
        encoderMore: '句子里有 {n} 个空，这里只显示第一个。',
        seen: '能看到',
        hidden: '看不到',
        part: '半个字',
        empty: '请在上面输入一句话。',
      },
    },
  },
  initial: { text: '他 喜欢 [MASK] 运动', model: 'encoder', focus: null },
  tries: [
    { text: '小明 [MASK] 苹果' },
    { text: 'I [MASK] apples.' },
    { text: '小明 喜欢 [MASK]' },
  ],

  mount(root, ctx) {
    const v = ctx.text.view;
    const same = el('p', { className: 'bg-same explain' });
    const column = (name, title) => {
      const grid = el('div', { className: 'bg-grid' });
      const answer = el('div', { className: 'bg-answer', ariaLive: 'polite' });
      const node = el('section', { className: `part-card bg-model ${name}`, dataset: { model: name } },
        el('h4', { textContent: title }), el('p', { className: 'part-note', textContent: v.mask }), grid, answer);
      return { node, grid, answer };
    };
    const gpt = column('default', v.gpt);
    const encoder = column('encoder', v.encoder);
    root.append(same, el('div', { className: 'bg-side-by-side' }, gpt.node, encoder.node));

    /** The model's mask as it ran, for the first tokens; `answering` is the row outlined. */
    function maskGrid(box, tokens, answering) {
      const total = tokens.ids.length;
      const count = Math.min(GRID_TOKENS, total);
      const labels = tokens.display.slice(0, count).map((d) => tokenLabel(d));
      const head = el('tr', {}, el('th'), ...labels.map((l) => el('th', { scope: 'col', textContent: l })));
      const rows = labels.map((l, i) => el('tr', { className: i === answering ? 'answering' : '' },
        el('th', { scope: 'row', textContent: l }),
        ...labels.map((key, j) => {
          const seen = tokens.allowed[i * total + j] === 1;
          return el('td', { className: seen ? 'seen' : 'hidden', title: `${l} → ${key}: ${seen ? v.seen : v.hidden}`, textContent: seen ? '✓' : '' });
        })));
      box.replaceChildren(el('table', { className: 'bg-mask' }, el('thead', {}, head), el('tbody', {}, ...rows)),
        total > count ? el('p', { className: 'part-note', textContent: fill(v.more, { n: count, total }) }) : '');
    }

    const clear = () => {
      for (const c of [gpt, encoder]) { c.grid.replaceChildren(); c.answer.replaceChildren(); }
      same.textContent = v.empty;
    };

    return {
      async update(state) {
        const urls = { default: ctx.modelUrl('default'), encoder: ctx.modelUrl('encoder') };
        const [gptModel, encoderModel] = await Promise.all([ctx.engine.load(urls.default), ctx.engine.load(urls.encoder)]);
        if (ctx.signal.aborted) return;
        if (!state.text.trim()) { clear(); return; }
        // The encoder first: where the blank is (both models share one tokenizer, so one position).
        const filled = await ctx.engine.call('lessonBlank', { model: urls.encoder, text: state.text, top: CANDIDATES });
        if (ctx.signal.aborted) return;
        if (!filled.fill) { clear(); return; }
        const blank = filled.fill.masks[0]?.position ?? null;
        const before = blank == null ? null : blank - 1;
        // A blank at the very start leaves the GPT nothing to read: its mask is still shown.
        const next = await ctx.engine.call('lessonBlank', { model: urls.default, text: state.text, position: before === -1 ? null : before, top: CANDIDATES });
        if (ctx.signal.aborted) return;

        const m = encoderModel.model;
        same.textContent = fill(v.same, { layers: m.n_layer, heads: m.n_head, channels: m.n_embd });
        root.dataset.sameBlocks = String(['n_layer', 'n_head', 'n_embd'].every((k) => gptModel.model[k] === m[k]));

        maskGrid(encoder.grid, filled.tokens, blank ?? -1);
        if (blank == null) encoder.answer.replaceChildren(el('p', { className: 'part-note', textContent: v.encoderNone }));
        else {
          encoder.answer.replaceChildren(
            el('p', { textContent: fill(v.encoderAnswer, { n: blank + 1 }) }),
            probabilityBars(filled.fill.masks[0].candidates, v.part),
            filled.fill.masks.length > 1 ? el('p', { className: 'part-note', textContent: fill(v.encoderMore, { n: filled.fill.masks.length }) }) : '');
        }

        if (before === -1) {
          maskGrid(gpt.grid, next.tokens, -1);
          gpt.answer.replaceChildren(el('p', { className: 'part-note', textContent: v.gptNoLeft }));
        } else {
          const at = next.next.position;
          maskGrid(gpt.grid, next.tokens, at);
          const token = quoted(next.tokens.display[at]);
          gpt.answer.replaceChildren(
            el('p', { textContent: fill(blank == null ? v.gptLast : v.gptAnswer, { token }) }),
            probabilityBars(next.next.rows, v.part));
        }
        root.dataset.blank = String(blank);
        root.dataset.text = state.text;
      },
      destroy() {},
    };
  },
};
