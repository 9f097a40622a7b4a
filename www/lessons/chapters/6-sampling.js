// Chapter 6: from scores to words. The GPT's logits for the next token become probabilities
// (temperature, softmax, top-k, top-p), with the arithmetic of the top few written out from the
// engine's own steps (the worker's `update` → `next`: each row's logit, logit ÷ T, e^(… − max)
// and probability, with the max and the denominator); then text is generated one token at a
// time, drawn with a seed the page shows (the worker's `sample`, as the CLI's `generate` draws).

import { el, fmt, percent, tokenLabel } from '../../views/dom.js';
import { probabilityBars, quoted } from './parts.js';
import { fill } from '../strings.js';

/** The most probable tokens listed; the arithmetic is written out for the first few. */
const ROWS = 10;
const WRITTEN = 5;
const SETTINGS = { temperature: 1, topK: 0, topP: 1, seed: 1 };

/** A number small or large, readably: 3 decimals, or powers of ten below 0.001. */
function num(x) {
  if (x !== 0 && Math.abs(x) < 0.001) return x.toExponential(2).replaceAll('-', '−');
  return fmt(x, 3);
}

export default {
  number: 6,
  slug: 'sampling',
  css: true,
  text: {
    en: {
      title: 'From scores to words',
      paragraphs: [
        'At the end of a pass the GPT gives every token of its vocabulary a score, a **logit** z, for coming next. Logits are not probabilities yet: they can be negative, and they do not add up to 1.',
        '**Softmax** makes them probabilities: divide each score by the **temperature** T, raise e to that power, and divide by the sum over all tokens. (The largest z ÷ T is subtracted first, so the powers cannot overflow; it cancels out in the division.) A low temperature sharpens the distribution towards the top token, a high one flattens it.',
        'Before drawing, the list may be cut: **top-k** keeps the k most probable tokens, **top-p** the fewest whose probabilities add up to at least p. What is left is divided by its own sum again, so it still adds up to 1.',
        'Then one token is drawn at random by its probability (the **seed** fixes the random numbers: the same seed draws the same token), appended to the text, and the model runs again. That is how a GPT writes, one token at a time. **Greedy** takes the most probable token every time instead.',
      ],
      tries: ['Cool it down: temperature 0.3', 'Heat it up: temperature 1.5', 'Only the nucleus: top-p 0.5'],
      question: {
        prompt: 'You set top-k to 1 and press “Draw the next token” several times, each time with another seed. What do you get?',
        options: [
          { label: 'The same token every time', correct: true, feedback: 'Top-k 1 leaves only the most probable token, whose probability becomes 1: the draw has no choice. That is greedy decoding.' },
          { label: 'A different token each time, because the seed changed', correct: false, feedback: 'The seed only matters when there is something to choose from. With one token left it gets probability 1.' },
          { label: 'Nothing: top-k 1 removes every token', correct: false, feedback: 'Top-k keeps the k most probable tokens; with k = 1 one token stays, and it gets all the probability.' },
        ],
      },
      view: {
        temperature: 'Temperature T',
        topK: 'top-k (0 = off)',
        topP: 'top-p (1 = off)',
        seed: 'Seed',
        bars: 'The next token after {token}: the {n} most probable of {vocab}',
        others: 'All other tokens together: {p}',
        cut: 'greyed out: removed by top-k or top-p',
        arithmetic: 'The arithmetic, for the top {n}',
        token: 'token',
        z: 'z (logit)',
        scaled: 'z ÷ T',
        exp: 'e^(z ÷ T − m)',
        p: 'p = e^(…) ÷ Σ',
        removed: 'removed',
        constants: 'T = {t}; m = the largest z ÷ T = {m}; Σ = the sum of e^(z ÷ T − m) over the {kept} tokens kept = {sum}.',
        written: 'p({token}) = e^({scaled} − {m}) ÷ {sum} = {exp} ÷ {sum} = {p}',
        generate: 'Generate, one token at a time',
        draw: 'Draw the next token (seed {seed})',
        greedy: 'Greedy: take the most probable',
        restart: 'Back to the start',
        drawn: 'p = {p}, {how}',
        bySeed: 'drawn with seed {seed}',
        byGreedy: 'greedy',
        pieces: '{n} tokens (one character)',
        full: 'The text fills the model’s context: nothing more can be added.',
        part: 'part of a character',
        empty: 'Type a sentence above.',
      },
    },
    zh: {
      title: '从分数到词语',
      paragraphs: [
        '一次前向计算结束时，GPT 会给词表里的每个词元打一个分，叫 **logit**，记作 z，表示它作为下一个词元的可能。logit 还不是概率：它可以是负数，加起来也不等于 1。',
        '**softmax** 把分数变成概率：每个分数先除以**温度** T，再算 e 的这么多次方，最后除以所有词元的总和。（计算时会先减去最大的 z ÷ T，免得次方太大而溢出；这一项在除法里会约掉。）温度低，概率更集中到最高的那个词元；温度高，分布就更平。',
        '抽取之前，还可以先把名单砍短：**top-k** 只留下概率最高的 k 个词元，**top-p** 留下概率加起来至少为 p 的最少几个词元。剩下的再除以它们自己的总和，所以加起来还是 1。',
        '接着按概率随机抽出一个词元（**种子** seed 固定了随机数：种子相同，抽到的词元也相同），接到句子后面，再让模型算一遍。GPT 就是这样一个词元一个词元地写出文字的。**贪心**（greedy）则每次都直接选概率最高的那个。',
      ],
      tries: ['降温：温度 0.3', '升温：温度 1.5', '只留“核心”：top-p 0.5'],
      question: {
        prompt: '把 top-k 设成 1，然后连按几次“抽下一个词元”，每次换一个种子。会得到什么？',
        options: [
          { label: '每次都是同一个词元', correct: true, feedback: 'top-k 为 1 时只剩下概率最高的那个词元，它的概率变成 1，抽签没有别的选择。这就是贪心解码。' },
          { label: '每次都不一样，因为种子变了', correct: false, feedback: '只有在有得选的时候，种子才起作用。只剩一个词元时，它的概率就是 1。' },
          { label: '什么也抽不到：top-k 为 1 会把词元全删掉', correct: false, feedback: 'top-k 保留概率最高的 k 个词元；k = 1 时还留着一个，所有的概率都归它。' },
        ],
      },
      view: {
        temperature: '温度 T',
        topK: 'top-k（0 = 不限）',
        topP: 'top-p（1 = 不限）',
        seed: '种子',
        bars: '{token} 后面的下一个词元：{vocab} 个词元中概率最高的 {n} 个',
        others: '其余所有词元加起来：{p}',
        cut: '灰色的：被 top-k 或 top-p 去掉了',
        arithmetic: '前 {n} 个词元的计算过程',
        token: '词元',
        z: 'z（logit）',
        scaled: 'z ÷ T',
        exp: 'e^(z ÷ T − m)',
        p: 'p = e^(…) ÷ Σ',
        removed: '已去掉',
        constants: 'T = {t}；m = 最大的 z ÷ T = {m}；Σ = 保留下来的 {kept} 个词元的 e^(z ÷ T − m) 之和 = {sum}。',
        written: 'p({token}) = e^({scaled} − {m}) ÷ {sum} = {exp} ÷ {sum} = {p}',
        generate: '一个词元一个词元地生成',
        draw: '抽下一个词元（种子 {seed}）',
        greedy: '贪心：直接选概率最高的',
        restart: '回到开头',
        drawn: 'p = {p}，{how}',
        bySeed: '用种子 {seed} 抽到',
        byGreedy: '贪心选出',
        pieces: '{n} 个词元（合成一个字）',
        full: '句子已经占满了模型的上下文，不能再往后接了。',
        part: '半个字',
        empty: '请在上面输入一句话。',
      },
    },
  },
  initial: { text: '我 喜欢 吃', model: 'default', focus: null, ...SETTINGS },
  // A shared link may carry the settings, in the controls' own ranges.
  link: {
    temperature: { name: 'temperature', type: 'number', min: 0.1, max: 2 },
    topK: { name: 'topK', type: 'int', min: 0, max: 100 },
    topP: { name: 'topP', type: 'number', min: 0.05, max: 1 },
    seed: { name: 'seed', type: 'int', min: 0, max: 4294967295 },
  },
  tries: [
    { temperature: 0.3, topK: 0, topP: 1 },
    { temperature: 1.5, topK: 0, topP: 1 },
    { temperature: 1, topK: 0, topP: 0.5 },
  ],

  mount(root, ctx) {
    const v = ctx.text.view;
    let state = { ...SETTINGS, ...ctx.state };

    /** A labelled control; `read` turns its value into the state's number. */
    const control = (key, label, attrs, read) => {
      const input = el('input', { className: `sm-${key}`, ...attrs });
      // A slider's value is written beside it; a number box shows its own.
      const shown = attrs.type === 'range' ? el('output', { className: 'sm-value' }) : null;
      input.addEventListener('input', () => {
        const value = read(input.value);
        if (Number.isFinite(value)) ctx.setState({ [key]: value });
      });
      const node = el('label', { className: 'sm-control' }, el('span', { className: 'part-label', textContent: label }), input, shown);
      return { node, input, shown };
    };
    const controls = {
      temperature: control('temperature', v.temperature, { type: 'range', min: '0.1', max: '2', step: '0.05' }, Number),
      topK: control('topK', v.topK, { type: 'number', min: '0', max: '100', step: '1', inputMode: 'numeric' }, (x) => Math.max(0, Math.round(Number(x)))),
      topP: control('topP', v.topP, { type: 'range', min: '0.05', max: '1', step: '0.05' }, Number),
      seed: control('seed', v.seed, { type: 'number', min: '0', max: '4294967295', step: '1', inputMode: 'numeric' }, (x) => Math.max(0, Math.round(Number(x))) >>> 0),
    };
    const barsTitle = el('h3', { className: 'sm-title' });
    const bars = el('div', { className: 'sm-bars' });
    const arithmeticTitle = el('h3', { className: 'sm-title' });
    const arithmetic = el('div', { className: 'sm-arithmetic' });
    const drawButton = el('button', { type: 'button', className: 'sm-draw primary' });
    const greedyButton = el('button', { type: 'button', className: 'sm-greedy', textContent: v.greedy });
    const restartButton = el('button', { type: 'button', className: 'sm-restart', textContent: v.restart, hidden: true });
    const log = el('ol', { className: 'sm-log', ariaLive: 'polite' });
    const full = el('p', { className: 'part-note sm-full', textContent: v.full, hidden: true });
    root.append(
      el('div', { className: 'sm-controls' }, ...Object.values(controls).map((c) => c.node)),
      barsTitle, bars, arithmeticTitle, arithmetic,
      el('h3', { className: 'sm-title', textContent: v.generate }),
      el('div', { className: 'sm-buttons' }, drawButton, greedyButton, restartButton), full, log);

    // What was generated since the learner last typed: the start text and each draw.
    let start = null;
    let drawn = [];
    // The text the last draw asked for (the update that brings it keeps the list of draws), and
    // the text last shown (a change of settings alone keeps the list too).
    let expected = null;
    let shownText = null;
    let busy = false;
    const url = ctx.modelUrl('default');

    async function generate(greedy) {
      if (busy || !state.text.trim()) return;
      busy = true;
      try {
        // Greedy = only the most probable token kept (top-k 1): the draw then has no choice.
        const args = greedy
          ? { temperature: 1, topK: 1, topP: 1 }
          : { temperature: state.temperature, topK: state.topK, topP: state.topP };
        const seed = state.seed >>> 0;
        const sample = await ctx.engine.call('sample', { model: url, text: state.text, mask: 'causal', seed, ...args });
        if (ctx.signal.aborted) return;
        if (start == null) start = state.text;
        drawn.push({ ...sample, greedy, seed, from: state.text });
        expected = sample.text;
        // A new seed for the next draw, so pressing again does not repeat the same random number.
        ctx.setState({ text: sample.text, ...(greedy ? {} : { seed: (seed + 1) >>> 0 }) });
      } catch (problem) {
        ctx.showError(problem);
      } finally {
        busy = false;
      }
    }
    drawButton.addEventListener('click', () => generate(false));
    greedyButton.addEventListener('click', () => generate(true));
    restartButton.addEventListener('click', () => {
      const text = start;
      start = null;
      drawn = [];
      expected = null;
      if (text != null) ctx.setState({ text });
    });

    function drawLog() {
      restartButton.hidden = drawn.length === 0;
      log.replaceChildren(...drawn.map((d) => el('li', { dataset: { ids: d.ids.join(','), seed: String(d.seed), greedy: String(d.greedy) } },
        el('code', { textContent: tokenLabel(d.text.slice(d.from.length)) }), ' ',
        fill(v.drawn, {
          p: d.probabilities.map((p) => percent(p)).join(' · '),
          how: d.greedy ? v.byGreedy : fill(v.bySeed, { seed: d.seed }),
        }),
        d.ids.length > 1 ? ` (${fill(v.pieces, { n: d.ids.length })})` : '')));
    }

    function drawNext(next, tokens) {
      const last = quoted(tokens.display[tokens.display.length - 1]);
      barsTitle.textContent = fill(v.bars, { token: last, n: next.rows.length, vocab: next.vocab });
      bars.replaceChildren(probabilityBars(next.rows, v.part, { kept: (r) => r.kept }),
        el('p', { className: 'part-note', textContent: `${fill(v.others, { p: percent(next.others) })} · ${v.cut}` }));
      const rows = next.rows.slice(0, WRITTEN);
      arithmeticTitle.textContent = fill(v.arithmetic, { n: rows.length });
      const head = el('tr', {}, ...[v.token, v.z, v.scaled, v.exp, v.p].map((h) => el('th', { scope: 'col', textContent: h })));
      const body = rows.map((r) => el('tr', { className: r.kept ? '' : 'cut', dataset: { id: String(r.id) } },
        el('th', { scope: 'row', textContent: tokenLabel(r.text) }),
        el('td', { dataset: { col: 'logit' }, textContent: num(r.logit) }),
        el('td', { dataset: { col: 'scaled' }, textContent: num(r.scaled) }),
        el('td', { dataset: { col: 'exp' }, textContent: num(r.exp) }),
        el('td', { dataset: { col: 'probability' }, textContent: r.kept ? percent(r.probability) : v.removed })));
      const top = rows[0];
      arithmetic.replaceChildren(
        el('table', { className: 'sm-table' }, el('thead', {}, head), el('tbody', {}, ...body)),
        el('p', { className: 'sm-constants', textContent: fill(v.constants, { t: fmt(state.temperature, 2), m: num(next.max_scaled), sum: num(next.exp_sum), kept: next.kept }) }),
        el('p', { className: 'part-written sm-written', textContent: fill(v.written, {
          token: quoted(top.text), scaled: num(top.scaled), m: num(next.max_scaled), sum: num(next.exp_sum), exp: num(top.exp), p: percent(top.probability),
        }) }));
    }

    function showControls() {
      for (const [key, c] of Object.entries(controls)) {
        const value = state[key];
        if (document.activeElement !== c.input || Number(c.input.value) !== value) c.input.value = String(value);
        if (c.shown) c.shown.textContent = fmt(value, 2);
      }
      drawButton.textContent = fill(v.draw, { seed: state.seed >>> 0 });
    }

    const clear = () => {
      for (const node of [bars, arithmetic]) node.replaceChildren();
      barsTitle.textContent = v.empty;
      arithmeticTitle.textContent = '';
    };

    return {
      async update(next) {
        state = { ...SETTINGS, ...next };
        // Typing (a text neither shown nor drawn) starts a new generation.
        if (state.text !== shownText && state.text !== expected) { start = null; drawn = []; }
        shownText = state.text;
        expected = null;
        showControls();
        drawLog();
        await ctx.engine.load(url);
        if (ctx.signal.aborted) return;
        if (!state.text.trim()) { clear(); return; }
        const answer = await ctx.engine.call('update', {
          model: url, text: state.text, mask: 'causal', layer: 0, head: 0, focus: null,
          temperature: state.temperature, topK: state.topK, topP: state.topP, have: {},
        });
        if (ctx.signal.aborted) return;
        const { tokens, next: probabilities } = answer;
        if (!probabilities) { clear(); return; }
        drawNext(probabilities, tokens);
        const isFull = tokens.ids.length >= tokens.context;
        full.hidden = !isFull;
        drawButton.disabled = isFull;
        greedyButton.disabled = isFull;
        root.dataset.text = state.text;
        root.dataset.settings = [state.temperature, state.topK, state.topP, state.seed].join(',');
      },
      destroy() {},
    };
  },
};
