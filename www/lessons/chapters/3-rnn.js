// Chapter 3: RNN vs attention. For the learner's sentence, how much each earlier token sways the
// next-token prediction, in the GPT and in a small recurrent net (a GRU, www/models/rnn/, loaded
// only here) that read the same data with the same tokenizer. Every number is the engine's: the
// worker's `influence` answers both models (crate/src/lessons/influence.rs): each token replaced
// in turn by a space, and the total variation ½ Σ |p − p′| between the next-token distributions
// before and after; the CLI's `influence` command prints the same numbers.

import { el, percent, proseLabel, tokenLabel } from '../../views/dom.js';
import { fill as say } from '../strings.js';

/** Earlier tokens at most this far back count as "near" in the summary (the last token itself, distance 0, is left out). */
const NEAR = 2;

/** The two models, in the order their rows are drawn. */
const MODELS = ['gpt', 'rnn'];

export default {
  number: 3,
  slug: 'rnn',
  css: true,
  text: {
    en: {
      title: 'RNN vs attention',
      paragraphs: [
        'Before transformers, language models were mostly **recurrent networks** (RNNs). An RNN reads a sentence one token at a time and keeps a single list of numbers, its **hidden state**, which it updates after every token. Whatever it wants to remember about the beginning of the sentence has to survive in that one state, squeezed in with everything that came after.',
        'So a word far back reaches the prediction only through many updates in a row, and each update overwrites a little of it. Distant words tend to **fade**. Attention works differently: when the GPT predicts the next token, every earlier token is right there, one step away, and a head can give a word ten tokens back as much weight as the word just before.',
        'Below, both models read your sentence: the GPT of the playground, and a small RNN (a GRU) trained on the same data with the same tokens. We replace each token in turn by a space and see how much the prediction of the next token changes: the share of probability that moves, from 0 % (nothing changes) to 100 % (an entirely different guess). A tall bar means that token matters.',
        'The first sentence is a translation, as the models saw thousands of: after `| The` the next English word should translate the first Chinese word, nine tokens back. The GPT looks straight back at `医生` and guesses “doctor”; in the RNN, `医生` has faded behind the words that followed. Over many sentences both models care less about tokens further back, but the RNN’s bars drop sharply after the last two or three tokens, the GPT’s only gently. These are real, tiny models, so this is a tendency, not a law: try your own sentences.',
      ],
      tries: ['A long sentence: the word that matters is far back', 'A short sentence', 'A Chinese sentence'],
      question: {
        prompt: 'Why does the RNN tend to forget a word from the start of a long sentence?',
        options: [
          { label: 'It never sees the first words: it only reads the last few tokens', correct: false, feedback: 'It reads every token, from the first one on. The problem is what happens to them afterwards.' },
          { label: 'Everything it has read must fit in one hidden state, which each new token partly overwrites', correct: true, feedback: 'An early word reaches the prediction only through all the updates after it, and each one blurs it a little. Attention instead looks back at every earlier token directly.' },
          { label: 'It is smaller than the GPT, and small models cannot remember anything', correct: false, feedback: 'Size matters, but a small RNN still remembers the last few words well. The fading with distance comes from how it carries the past: one state, updated token after token.' },
        ],
      },
      view: {
        loading: 'Loading the recurrent net…',
        empty: 'Type a sentence above.',
        explain: 'Each token replaced by {neutral} in turn: how much of the next-token prediction moves (0 % = nothing, 100 % = a different guess). Distance: how many tokens back from the end.',
        token: 'Token',
        distance: 'Distance',
        gpt: 'GPT (attention)',
        rnn: 'RNN (GRU)',
        bar: '{model}, token {n} “{token}”, {distance} back: {value}',
        summary: '{model}: the {near} tokens just before the last one move the guess by {nearValue} on average, those further back by {farValue}. The strongest earlier token: “{token}”, {distance} back ({value}).',
        summaryShort: '{model}: the strongest earlier token is “{token}”, {distance} back ({value}).',
        summaryAlone: '{model}: with a single token there is nothing earlier to compare.',
        next: 'What each model expects next',
        cut: 'Only the first {count} tokens are measured (of {total}).',
      },
    },
    zh: {
      title: 'RNN 与注意力',
      paragraphs: [
        '在 Transformer 出现之前，语言模型大多是**循环神经网络**（RNN）。RNN 一次读一个词元，手里只有一串数字，叫**隐藏状态**，每读一个词元就更新一次。句子开头的信息想留到最后，就只能挤在这一个状态里，和后面读到的所有内容挤在一起。',
        '所以，离得远的词要经过一次又一次的更新才能影响预测，每更新一次就被覆盖掉一点，越远的词往往**越模糊**。注意力不一样：GPT 预测下一个词元时，前面每个词元都摆在眼前，只隔一步；一个注意力头可以把十个词元之前的词看得和紧挨着的词一样重。',
        '下面两个模型读的是你的句子：一个是演示区里的 GPT，另一个是小小的 RNN（GRU），用同样的数据、同样的词元训练出来。我们把每个词元轮流换成一个空格，看下一个词元的预测变了多少：也就是有多少概率“挪了位置”，从 0 %（完全没变）到 100 %（猜的完全是另一些词）。柱子越高，说明这个词元越要紧。',
        '第一句是翻译，两个模型在训练时见过成千上万这样的句子：`| The` 后面的英文词应该是开头那个中文词的翻译，它在 9 个词元之前。GPT 直接回头看 `医生`，猜出 “doctor”；而在 RNN 里，`医生` 已经被后面的词冲淡了。换很多句子来看，两个模型都是越远的词元越不在乎，但 RNN 的柱子过了最后两三个词元就一下子矮下去，GPT 的只是慢慢变矮。这两个模型都是真实但很小的模型，所以这只是一种趋势，不是定律：多试试你自己的句子。',
      ],
      tries: ['长句子：关键的词在很前面', '短句子', '一句中文'],
      question: {
        prompt: '为什么 RNN 读长句子时，容易忘掉开头的词？',
        options: [
          { label: '它根本看不到开头，只读最后几个词元', correct: false, feedback: '它从第一个词元开始，每个都读了。问题出在读完之后这些信息怎么保存。' },
          { label: '读过的一切都得塞进一个隐藏状态，每来一个新词元就覆盖掉一部分', correct: true, feedback: '开头的词要经过后面所有的更新才能影响预测，每一次都让它更模糊一点。注意力则直接回头看前面的每个词元。' },
          { label: '它比 GPT 小，小模型什么都记不住', correct: false, feedback: '大小有影响，但小小的 RNN 对最近几个词还是记得很清楚。随距离变弱，是因为它只靠一个状态、一个词元接一个词元地传递过去的信息。' },
        ],
      },
      view: {
        loading: '正在加载循环神经网络……',
        empty: '请在上面输入一句话。',
        explain: '把每个词元轮流换成 {neutral}：下一个词元的预测有多少概率挪了位置（0 % = 没变，100 % = 猜的完全不同）。距离：从末尾往前数第几个。',
        token: '词元',
        distance: '距离',
        gpt: 'GPT（注意力）',
        rnn: 'RNN（GRU）',
        bar: '{model}，第 {n} 个词元“{token}”，往前 {distance} 个：{value}',
        summary: '{model}：紧挨在最后一个词元前面的 {near} 个词元，平均让预测变了 {nearValue}；更远的词元平均 {farValue}。前面影响最大的是“{token}”，往前 {distance} 个（{value}）。',
        summaryShort: '{model}：前面影响最大的是“{token}”，往前 {distance} 个（{value}）。',
        summaryAlone: '{model}：只有一个词元，前面没有可比的词。',
        next: '两个模型猜的下一个词元',
        cut: '只测了前 {count} 个词元（共 {total} 个）。',
      },
    },
  },
  initial: { text: '医生 看 了 看 我 的 嘴 | The', model: 'default', focus: null },
  tries: [
    { text: '看到 这 个 他 不禁 笑 了 | Seeing' },
    { text: '小明 喜欢 苹果' },
    { text: '今天 我 和 朋友 一起 去 公园 玩 了 很 久' },
  ],

  mount(root, ctx) {
    const v = ctx.text.view;
    const status = el('p', { className: 'rnn-status note', ariaLive: 'polite' });
    const explain = el('p', { className: 'rnn-explain explain' });
    const grid = el('div', { className: 'rnn-grid', role: 'group' });
    const scroll = el('div', { className: 'rnn-scroll' }, grid);
    const summaries = el('div', { className: 'rnn-summaries' });
    const cut = el('p', { className: 'rnn-cut note', hidden: true });
    const nextTitle = el('h3', { className: 'rnn-next-title', textContent: v.next });
    const next = el('div', { className: 'rnn-next' });
    root.append(status, explain, scroll, cut, summaries, nextTitle, next);

    const modelName = (m) => (m === 'gpt' ? v.gpt : v.rnn);
    const value = (x) => percent(x);

    const clear = (message) => {
      status.textContent = message;
      status.hidden = !message;
      explain.textContent = '';
      grid.replaceChildren();
      summaries.replaceChildren();
      next.replaceChildren();
      cut.hidden = true;
      nextTitle.hidden = true;
      delete root.dataset.tokens;
    };

    const draw = (answer) => {
      const { gpt } = answer;
      const count = gpt.tokens.length;
      status.hidden = true;
      explain.textContent = say(v.explain, { neutral: `“${tokenLabel(gpt.neutral_text)}”` });
      // One scale for both rows, so bars compare across the models; a sentence where nothing
      // matters much still shows its shape.
      const top = Math.max(1e-6, ...MODELS.flatMap((m) => answer[m].tokens.map((t) => t.influence)));
      grid.style.setProperty('--columns', String(count));
      grid.setAttribute('aria-label', explain.textContent);
      const cells = [el('span', { className: 'rnn-head', textContent: v.token })];
      for (const t of gpt.tokens) cells.push(el('span', { className: 'rnn-token', textContent: tokenLabel(t.text) }));
      cells.push(el('span', { className: 'rnn-head', textContent: v.distance }));
      for (const t of gpt.tokens) cells.push(el('span', { className: 'rnn-distance', textContent: String(t.distance) }));
      for (const m of MODELS) {
        // On a phone the row keeps only the model's short name, leaving room for the bars.
        cells.push(el('span', { className: `rnn-head rnn-model-${m}`, title: modelName(m) },
          el('span', { className: 'rnn-name-long', textContent: modelName(m) }),
          el('span', { className: 'rnn-name-short', textContent: m.toUpperCase() })));
        answer[m].tokens.forEach((t, j) => {
          const label = say(v.bar, { model: modelName(m), n: j + 1, token: proseLabel(t.text), distance: t.distance, value: value(t.influence) });
          cells.push(el('span', { className: `rnn-cell rnn-model-${m}`, role: 'img', ariaLabel: label, title: label,
            dataset: { model: m, index: String(j), distance: String(t.distance), influence: String(t.influence) } },
          el('span', { className: 'rnn-bar', style: { height: `${(100 * t.influence) / top}%` } }),
          el('span', { className: 'rnn-value', textContent: value(t.influence) })));
        });
      }
      grid.replaceChildren(...cells);
      cut.hidden = gpt.total_tokens <= count;
      cut.textContent = cut.hidden ? '' : say(v.cut, { count, total: gpt.total_tokens });

      summaries.replaceChildren(...MODELS.map((m) => {
        const earlier = answer[m].tokens.filter((t) => t.distance > 0);
        const mean = (list) => list.reduce((a, t) => a + t.influence, 0) / list.length;
        const near = earlier.filter((t) => t.distance <= NEAR);
        const far = earlier.filter((t) => t.distance > NEAR);
        const strongest = earlier.reduce((a, t) => (!a || t.influence > a.influence ? t : a), null);
        const p = strongest && { model: modelName(m), near: near.length, nearValue: value(mean(near)), token: proseLabel(strongest.text), distance: strongest.distance, value: value(strongest.influence) };
        let text = say(v.summaryAlone, { model: modelName(m) });
        if (far.length) text = say(v.summary, { ...p, farValue: value(mean(far)) });
        else if (strongest) text = say(v.summaryShort, p);
        return el('p', { className: `rnn-summary rnn-model-${m}`, dataset: { model: m }, textContent: text });
      }));

      nextTitle.hidden = false;
      next.replaceChildren(...MODELS.map((m) => el('div', { className: `rnn-guesses rnn-model-${m}`, dataset: { model: m } },
        el('h4', { textContent: modelName(m) }),
        el('ol', {}, ...answer[m].top.map((c) => el('li', { dataset: { id: String(c.id), probability: String(c.probability) } },
          el('span', { className: 'rnn-guess-token', textContent: tokenLabel(c.text) }), ' ',
          el('span', { className: 'rnn-guess-p', textContent: percent(c.probability) })))))));
      root.dataset.tokens = String(count);
    };

    return {
      async update(state) {
        const gptUrl = ctx.modelUrl('default');
        const rnnUrl = ctx.modelUrl('rnn');
        await ctx.engine.load(gptUrl);
        if (ctx.signal.aborted) return;
        if (!state.text.trim()) { clear(v.empty); return; }
        if (!root.dataset.tokens) { status.hidden = false; status.textContent = v.loading; }
        let answer;
        try {
          await ctx.engine.call('loadRnn', { rnnUrl });
          answer = await ctx.engine.call('influence', { model: gptUrl, rnnUrl, text: state.text });
        } catch (problem) {
          // The shell shows the problem; the old bars (if any) stay, the "loading" line goes.
          status.hidden = true;
          throw problem;
        }
        if (ctx.signal.aborted) return;
        draw(answer);
      },
      destroy() {},
    };
  },
};
