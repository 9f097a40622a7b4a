// Chapter 2: Q, K and V, in the study's three steps, on `小明 喜欢 苹果` with the focus on 喜欢.
// Everything shown is the engine's: the worker's `update` answer (its `steps` are one head's
// q, k, v, scores, scaled, masked, weights and weighted sum, as the trace recorded them; its
// `weights` all heads' attention) and `lessonWords` (which tokens make up each word). The head
// shown is chosen from those weights: the one in which the focus word gives the watched word
// (by default the word after it: 苹果) the most weight.

import { absMax, diverging, legend, viridis, viridisInk } from '../../colors.js';
import { el, fmt, proseLabel, tokenLabel } from '../../views/dom.js';
import { fill as say } from '../strings.js';

/** A dot product's terms are all written out up to this head size. */
const DOT_TERMS_SHOWN = 32;
/** The weighted sum's first component is written out for this many tokens. */
const SUM_TERMS_SHOWN = 8;

/** A vector as a row of coloured cells (blue −, orange +), each titled with its exact value. */
function strip(values, limit, label, className = 'strip') {
  return el('span', { className, role: 'img', ariaLabel: label },
    ...Array.from(values, (x, i) => el('span', { className: 'cell', title: `#${i + 1}: ${fmt(x, 4)}`, style: { background: diverging(x, limit) } })));
}

/** The word whose tokens include token `i`, or null (a space between words). */
function wordAt(words, i) {
  return words.find((w) => w.first <= i && i <= w.last) ?? null;
}

/**
 * The word the lesson watches: the one asked for if the sentence has it, else the word after the
 * focus word (what 喜欢 likes), else the one before it.
 */
function watchedWord(words, focusWord, asked) {
  const others = words.filter((w) => w !== focusWord);
  const named = others.find((w) => w.word === asked);
  if (named) return named;
  const at = words.indexOf(focusWord);
  return words[at + 1] ?? words[at - 1] ?? null;
}

export default {
  number: 2,
  slug: 'qkv',
  css: true,
  text: {
    en: {
      title: 'Q, K and V',
      paragraphs: [
        'Attention makes three lists of numbers from every token, each with a matrix the model learned. The **query q** says what a word is looking for. The **key k** is the label each word wears, so that others can find it. The **value v** is its content card: what it hands over when it is chosen.',
        'Take `小明 喜欢 苹果` (“Xiaoming likes apples”) and look at `喜欢`, “likes”: likes what? Its query is compared with every word’s key, in three steps: (1) a dot product q·k for each word, a score for how well they match; (2) the scores are divided by √(head size), and softmax turns them into weights that add up to 1; (3) the output is the sum of all the value cards, each multiplied by its weight.',
        'This is the BERT-style encoder: it reads the whole sentence at once, so `喜欢` may look ahead to `苹果`. Each layer has 4 heads, each with its own q, k and v. The view picks the head in which `喜欢` gives `苹果` the most weight and tells you which one it is; you can switch to the others.',
        'A GPT writes from left to right and may only look back. Switch to it: `苹果` comes after `喜欢`, so its score is replaced by −∞ and its weight is exactly 0. In every head, the GPT’s `喜欢` never sees the apples.',
      ],
      tries: ['Put the focus on 苹果', 'Switch to the GPT', 'Another sentence: I like green apples'],
      question: {
        prompt: 'In step (3), what is added up, each multiplied by its attention weight?',
        options: [
          { label: 'The keys k of all the words', correct: false, feedback: 'The keys only take part in step (1): matched against the query, they decide the weights. What gets passed on is something else.' },
          { label: 'The values v of all the words', correct: true, feedback: 'The weights say how much of each word’s content card goes into the output; a word with weight 0 contributes nothing.' },
          { label: 'The query q of the focus word, once per word', correct: false, feedback: 'There is only one query, the focus word’s. It asks the question; it is not what comes back.' },
        ],
      },
      view: {
        model: 'Model',
        encoder: 'BERT-style encoder (sees both ways)',
        gpt: 'GPT (looks back only)',
        layer: 'Layer',
        focus: 'Focus (the word that asks)',
        watch: 'Watch (the word we follow)',
        heads: 'Heads of layer {layer}, and how much weight {focus} gives {watch} in each',
        head: 'Head {n}',
        headWeight: '{watch}: {w}',
        best: 'most weight on {watch}',
        bestAgain: 'Show the best head again',
        chosen: 'Shown: layer {layer}, head {head}. Of the {count} heads of this layer, it is the one in which {focus} gives {watch} the most weight: {w}.',
        chosenHidden: 'Shown: layer {layer}, head {head}. No head can look at {watch} here, so this is the head in which {focus} looks most at another word ({other}, {w}).',
        picked: 'Shown: layer {layer}, head {head}, as you chose. In it {focus} gives {watch} a weight of {w}; head {best} gives the most ({bw}).',
        hidden: 'On the GPT, {watch} comes after {focus}: its score is replaced by −∞ and its weight is 0, in every head.',
        pieces: 'The model reads {watch} as {n} tokens ({pieces}); the word’s weight is theirs added up.',
        alone: 'The sentence has one word; type a few more to see one word look at another.',
        empty: 'Type a sentence above.',
        step0: 'The three vectors',
        step0Text: 'q: what {focus} is looking for. k: the label of each token. v: each token’s content card. In this head each has {hs} numbers (blue below 0, orange above; point at a cell for its value).',
        q: 'q of {focus}',
        token: 'Token',
        k: 'k (label)',
        v: 'v (content card)',
        step1: 'Step 1: dot products q·k',
        step1Text: 'Multiply q and k number by number and add up: a large score means the label matches what {focus} is looking for.',
        score: 'q·k',
        dot: 'q·k for {token}',
        rounded: 'The factors are rounded to 2 decimals; the total is the engine’s exact sum.',
        step2: 'Step 2: scale, then softmax',
        step2Text: 'Each score is divided by √{hs} = {sqrt}, so the scores do not grow with the head size. Softmax then raises e to each and divides by their sum: the weights are positive and add up to {sum}.',
        scaled: '÷ √{hs}',
        masked: 'after the mask',
        weight: 'weight',
        later: '−∞ (comes later)',
        softmax: 'weight of {token}',
        step3: 'Step 3: the weighted sum of v',
        step3Text: 'Each content card v is multiplied by its weight and the cards are added up. The word whose cards weigh most in the output for {focus} is {top} (weight {w} in all).',
        weighted: 'weight × v',
        out: 'output of this head for {focus}',
        sum: 'first number of the output',
        formula: 'output',
        legendValues: 'values',
        legendWeights: 'weights',
      },
    },
    zh: {
      title: 'Q、K 和 V',
      paragraphs: [
        '注意力会从每个词元（token）算出三组数字，各用一个模型学到的矩阵。**查询 q** 表示这个词想找什么；**键 k** 是每个词身上的“标签”，好让别人找到它；**值 v** 是它的“信息名片”，被选中时交出去的内容。',
        '以 `小明 喜欢 苹果` 为例，看 `喜欢` 这个词：喜欢什么呢？它拿自己的 q 去和每个词的 k 比，分三步：① 对每个词做点积 q·k，分数越高说明越对得上；② 分数先除以 √(头的维度)，再用 softmax 变成加起来等于 1 的权重；③ 把每个词的 v 乘上自己的权重，全部加起来，就是输出。',
        '这里用的是 BERT 式的编码器，它一次读完整句话，所以 `喜欢` 可以往后看到 `苹果`。每一层有 4 个注意力头，各有各的 q、k、v。下面会自动挑出 `喜欢` 给 `苹果` 权重最大的那个头，并告诉你是第几个；其他头也可以点开看。',
        'GPT 是从左往右写的，只能往前看。换成 GPT 试试：`苹果` 排在 `喜欢` 后面，它的分数被换成 −∞，权重正好是 0。不管哪个头，GPT 里的 `喜欢` 都看不到苹果。',
      ],
      tries: ['把焦点放到“苹果”上', '换成 GPT', '换一句：I like green apples'],
      question: {
        prompt: '第 ③ 步里，按注意力权重加起来的是什么？',
        options: [
          { label: '所有词的键 k', correct: false, feedback: '键只在第 ① 步出场：和查询比一比，决定权重的大小。真正被传过去的是另一样东西。' },
          { label: '所有词的值 v', correct: true, feedback: '权重决定每个词的“信息名片”有多少进入输出；权重为 0 的词，一点也不贡献。' },
          { label: '焦点词的查询 q，每个词乘一次', correct: false, feedback: '查询只有一个，就是焦点词自己的。它负责提问，并不是被取回来的内容。' },
        ],
      },
      view: {
        model: '模型',
        encoder: 'BERT 式编码器（前后都能看）',
        gpt: 'GPT（只能往前看）',
        layer: '层',
        focus: '焦点（提问的词）',
        watch: '观察（我们盯着的词）',
        heads: '第 {layer} 层的各个头：{focus}在每个头里给{watch}多少权重',
        head: '头 {n}',
        headWeight: '{watch}：{w}',
        best: '给{watch}的权重最大',
        bestAgain: '回到最合适的头',
        chosen: '现在显示：第 {layer} 层，第 {head} 个头。这一层的 {count} 个头里，{focus}在这个头里给{watch}的权重最大：{w}。',
        chosenHidden: '现在显示：第 {layer} 层，第 {head} 个头。这里没有哪个头能看到{watch}，所以显示的是{focus}最关注另一个词的头（{other}，{w}）。',
        picked: '现在显示：第 {layer} 层，第 {head} 个头（你选的）。在这个头里{focus}给{watch}的权重是 {w}；给得最多的是第 {best} 个头（{bw}）。',
        hidden: '在 GPT 里，{watch}排在{focus}后面：它的分数被换成 −∞，权重是 0，每个头都一样。',
        pieces: '模型把{watch}切成了 {n} 个词元（{pieces}），这个词的权重是它们的权重之和。',
        alone: '这句话只有一个词；多输入几个词，才能看到一个词怎样关注另一个词。',
        empty: '请在上面输入一句话。',
        step0: '三组向量',
        step0Text: 'q：{focus}想找什么。k：每个词元的标签。v：每个词元的信息名片。在这个头里它们各有 {hs} 个数（蓝色小于 0，橙色大于 0；把鼠标移到格子上可以看到具体数值）。',
        q: '{focus}的 q',
        token: '词元',
        k: 'k（标签）',
        v: 'v（信息名片）',
        step1: '第 ① 步：点积 q·k',
        step1Text: '把 q 和 k 对应位置的数相乘再加起来：分数大，说明这个标签正好对上{focus}要找的东西。',
        score: 'q·k',
        dot: '{token}的 q·k',
        rounded: '每个因数都四舍五入到两位小数；总和是引擎算出的精确结果。',
        step2: '第 ② 步：缩放，再做 softmax',
        step2Text: '每个分数先除以 √{hs} = {sqrt}，免得分数随头的维度一起变大。softmax 再对每个分数取 e 的次方、除以它们的总和：得到的权重都是正数，加起来等于 {sum}。',
        scaled: '÷ √{hs}',
        masked: '遮挡之后',
        weight: '权重',
        later: '−∞（在后面）',
        softmax: '{token}的权重',
        step3: '第 ③ 步：按权重把 v 加起来',
        step3Text: '每张信息名片 v 乘上自己的权重，再全部加起来。在{focus}的输出里，分量最重的是{top}的名片（权重合计 {w}）。',
        weighted: '权重 × v',
        out: '这个头给{focus}的输出',
        sum: '输出的第一个数',
        formula: '输出',
        legendValues: '数值',
        legendWeights: '权重',
      },
    },
  },
  initial: { text: '小明 喜欢 苹果', model: 'encoder', focus: '喜欢', layer: 0, head: null, watch: null },
  // A shared link may carry the layer, the head and the watched word (counting from 1, as the page does).
  link: {
    layer: { name: 'layer', type: 'int', min: 1, max: 64, fromOne: true },
    head: { name: 'head', type: 'int', min: 1, max: 64, fromOne: true },
    watch: { name: 'watch', type: 'text', max: 40 },
  },
  tries: [
    { focus: '苹果', watch: null, head: null },
    { model: 'default', head: null },
    { text: 'I like green apples', focus: 'like', watch: 'apples', model: 'encoder', head: null },
  ],

  mount(root, ctx) {
    const v = ctx.text.view;
    const quote = (word) => `“${word}”`;

    const modelButtons = [['encoder', v.encoder], ['default', v.gpt]].map(([name, label]) => {
      const button = el('button', { type: 'button', className: 'qkv-model', ariaPressed: 'false', dataset: { model: name }, textContent: label });
      button.addEventListener('click', () => ctx.setState({ model: name, head: null }));
      return button;
    });
    const layerSelect = el('select', { className: 'qkv-layer' });
    layerSelect.addEventListener('change', () => ctx.setState({ layer: Number(layerSelect.value), head: null }));
    const focusWords = el('div', { className: 'qkv-words', role: 'group', ariaLabel: v.focus });
    const watchWords = el('div', { className: 'qkv-words', role: 'group', ariaLabel: v.watch });
    const headsTitle = el('p', { className: 'qkv-heads-title' });
    const heads = el('div', { className: 'qkv-heads', role: 'group' });
    const bestAgain = el('button', { type: 'button', className: 'qkv-best-again', textContent: v.bestAgain, hidden: true });
    bestAgain.addEventListener('click', () => ctx.setState({ head: null }));
    const chosen = el('p', { className: 'qkv-chosen explain', ariaLive: 'polite' });
    const hiddenNote = el('p', { className: 'qkv-hidden note warn', hidden: true });
    const steps = el('div', { className: 'qkv-steps' });
    root.append(
      el('div', { className: 'qkv-controls' },
        el('div', { className: 'qkv-control' }, el('span', { className: 'qkv-control-label', textContent: v.model }),
          el('div', { className: 'segmented', role: 'group', ariaLabel: v.model }, ...modelButtons)),
        el('label', { className: 'qkv-control' }, el('span', { className: 'qkv-control-label', textContent: v.layer }), layerSelect),
        el('div', { className: 'qkv-control' }, el('span', { className: 'qkv-control-label', textContent: v.focus }), focusWords),
        el('div', { className: 'qkv-control' }, el('span', { className: 'qkv-control-label', textContent: v.watch }), watchWords)),
      headsTitle, heads, bestAgain, chosen, hiddenNote, steps,
    );

    /** Replace a box's buttons; a keyboard user's focus stays on the button at the same place. */
    const replaceButtons = (box, buttons) => {
      const active = root.getRootNode().activeElement;
      const at = active && active.parentElement === box ? Array.prototype.indexOf.call(box.children, active) : -1;
      box.replaceChildren(...buttons);
      if (at >= 0) box.children[Math.min(at, box.children.length - 1)]?.focus();
    };
    /** Word buttons; the pressed one is `current`. */
    const wordButtons = (box, words, current, onPick) => {
      replaceButtons(box, words.map((w) => {
        const button = el('button', { type: 'button', className: 'qkv-word', ariaPressed: String(w === current), textContent: w.word });
        button.addEventListener('click', () => onPick(w));
        return button;
      }));
    };

    const draw = ({ state, model, words, tokens, weights, steps: s, layer, head, best, scores, focusWord, watch, hiddenWatch, other }) => {
      const count = tokens.ids.length;
      const nh = model.n_head;
      const hs = s.head_size;
      const label = (j) => tokenLabel(tokens.display[j]);
      // A token named in a sentence: without its leading space marker.
      const named = (j) => proseLabel(tokens.display[j]);
      // A factor written after ×: negative ones in brackets.
      const factor = (x) => (x < 0 ? `(${fmt(x)})` : fmt(x));
      const focus = quote(focusWord.word);
      const watchName = watch ? quote(watch.word) : '';
      const p = { focus, watch: watchName, layer: layer + 1, head: head + 1, hs, sqrt: fmt(s.sqrt_head_size, 3), count: nh };

      for (const b of modelButtons) b.setAttribute('aria-pressed', String(b.dataset.model === (state.model === 'default' ? 'default' : 'encoder')));
      if (layerSelect.options.length !== model.n_layer) {
        layerSelect.replaceChildren(...Array.from({ length: model.n_layer }, (_, i) => el('option', { value: String(i), textContent: String(i + 1) })));
      }
      layerSelect.value = String(layer);
      wordButtons(focusWords, words, focusWord, (w) => ctx.setState({ focus: w.word, head: null, watch: watch && watch !== w ? watch.word : null }));
      wordButtons(watchWords, words.filter((w) => w !== focusWord), watch, (w) => ctx.setState({ watch: w.word, head: null }));

      headsTitle.textContent = watch ? say(v.heads, p) : '';
      heads.setAttribute('aria-label', headsTitle.textContent);
      replaceButtons(heads, (watch ? Array.from({ length: nh }, (_, h) => {
        const button = el('button', { type: 'button', className: 'qkv-head', ariaPressed: String(h === head), dataset: { head: String(h) } },
          el('span', { className: 'qkv-head-name', textContent: say(v.head, { n: h + 1 }) }),
          el('span', { className: 'qkv-head-weight', textContent: say(v.headWeight, { watch: watchName, w: fmt(scores[h], 2) }) }),
          h === best && !hiddenWatch ? el('span', { className: 'qkv-best', title: say(v.best, p), textContent: '★' }) : null);
        button.addEventListener('click', () => ctx.setState({ head: h }));
        return button;
      }) : []));
      bestAgain.hidden = state.head == null;

      if (!watch) chosen.textContent = v.alone;
      else if (state.head != null) chosen.textContent = say(v.picked, { ...p, w: fmt(scores[head], 3), best: best + 1, bw: fmt(scores[best], 3) });
      else if (hiddenWatch) chosen.textContent = say(v.chosenHidden, { ...p, other: other ? quote(other.word) : '', w: fmt(other?.weight ?? 0, 3) });
      else chosen.textContent = say(v.chosen, { ...p, w: fmt(scores[head], 3) });
      if (watch && watch.last > watch.first) {
        const pieces = Array.from({ length: watch.last - watch.first + 1 }, (_, i) => quote(proseLabel(tokens.display[watch.first + i])));
        chosen.textContent += `${ctx.lang === 'zh' ? '' : ' '}${say(v.pieces, { watch: watchName, n: pieces.length, pieces: pieces.join(ctx.lang === 'zh' ? '、' : ', ') })}`;
      }
      hiddenNote.hidden = !hiddenWatch;
      hiddenNote.textContent = hiddenWatch ? say(v.hidden, p) : '';

      const f = s.focus;
      const row = (flat, j) => flat.slice(j * hs, (j + 1) * hs);
      const qkLimit = absMax([...s.q, ...s.k]);
      const voLimit = absMax(s.v);
      const weighted = Array.from({ length: count }, (_, j) => row(s.v, j).map((x) => x * s.weights[j]));
      // The weighted cards share one scale, so a card with a small weight shows faint.
      const weightedLimit = absMax(weighted.flat());
      const inWatch = (j) => watch && watch.first <= j && j <= watch.last;
      const rowClass = (j) => [j === f ? 'is-focus' : '', inWatch(j) ? 'is-watch' : '', s.masked[j] === -Infinity ? 'blocked' : ''].join(' ').trim();
      const tokenCell = (j) => el('th', { scope: 'row', dataset: { col: 'token', key: String(j) } }, `${j + 1}: ${label(j)}`);
      const table = (headings, cells) => el('div', { className: 'table-scroll' }, el('table', { className: 'step-table qkv-table' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', textContent: v.token }), ...headings.map((h) => el('th', { scope: 'col', textContent: h })))),
        el('tbody', {}, ...Array.from({ length: count }, (_, j) => el('tr', { className: rowClass(j) }, tokenCell(j), ...cells(j))))));
      const td = (col, j, ...content) => el('td', { dataset: { col, key: String(j) } }, ...content);
      // The token of the watched word whose numbers are written out: its highest-scoring one.
      const spotlight = watch
        ? Array.from({ length: watch.last - watch.first + 1 }, (_, i) => watch.first + i).reduce((a, b) => (s.scores[b] > s.scores[a] ? b : a))
        : f;
      const token = quote(named(spotlight));

      const k = row(s.k, spotlight);
      const dotTerms = Array.from({ length: Math.min(hs, DOT_TERMS_SHOWN) }, (_, i) => `(${fmt(s.q[i])})×(${fmt(k[i])})`);
      const dot = `${say(v.dot, { token })} = ${dotTerms.join(' + ')}${hs > DOT_TERMS_SHOWN ? ' + …' : ''} = ${fmt(s.scores[spotlight], 3)}`;
      const seen = Array.from(s.masked).filter((m) => m !== -Infinity);
      const softmax = s.masked[spotlight] === -Infinity
        ? `${say(v.softmax, { token })} = e^(−∞) ÷ (…) = 0`
        : `${say(v.softmax, { token })} = e^${fmt(s.masked[spotlight], 3)} ÷ (${seen.map((m) => `e^${fmt(m, 3)}`).join(' + ')}) = ${fmt(s.weights[spotlight], 3)}`;
      const sumTerms = Array.from({ length: Math.min(count, SUM_TERMS_SHOWN) }, (_, j) => `${fmt(s.weights[j], 3)}×${factor(s.v[j * hs])}`);
      const sum = `${v.sum} = ${sumTerms.join(' + ')}${count > SUM_TERMS_SHOWN ? ' + …' : ''} = ${fmt(s.out[0], 3)}`;
      // The study's formula, with this head's weights: output = w(小明) × v(小明) + …
      const formulaTerms = Array.from({ length: Math.min(count, SUM_TERMS_SHOWN) }, (_, j) => `${fmt(s.weights[j], 3)} × v(${named(j)})`);
      const formula = `${v.formula} = ${formulaTerms.join(' + ')}${count > SUM_TERMS_SHOWN ? ' + …' : ''}`;
      // The word whose cards weigh most in the output, its tokens' weights summed.
      const wordWeight = (w) => s.weights.slice(w.first, w.last + 1).reduce((a, b) => a + b, 0);
      const top = words.reduce((a, w) => (!a || wordWeight(w) > wordWeight(a) ? w : a), null);

      const weightCell = (j) => el('span', { className: 'weight', style: { background: viridis(s.weights[j]), color: viridisInk(s.weights[j]) }, textContent: fmt(s.weights[j], 3) });
      steps.replaceChildren(
        el('section', { className: 'qkv-step', dataset: { step: '0' } },
          el('h3', { textContent: v.step0 }), el('p', { textContent: say(v.step0Text, p) }),
          el('div', { className: 'vector focus-vector' }, el('span', { className: 'vector-label', textContent: say(v.q, p) }), strip(s.q, qkLimit, say(v.q, p), 'strip wide')),
          table([v.k, v.v], (j) => [td('k', j, strip(row(s.k, j), qkLimit, `k ${label(j)}`)), td('v', j, strip(row(s.v, j), voLimit, `v ${label(j)}`))])),
        el('section', { className: 'qkv-step', dataset: { step: '1' } },
          el('h3', { textContent: v.step1 }), el('p', { textContent: say(v.step1Text, p) }),
          table([v.score], (j) => [td('score', j, fmt(s.scores[j], 3))]),
          el('p', { className: 'written qkv-dot', textContent: dot }), el('p', { className: 'note', textContent: v.rounded })),
        el('section', { className: 'qkv-step', dataset: { step: '2' } },
          el('h3', { textContent: v.step2 }), el('p', { textContent: say(v.step2Text, { ...p, sum: fmt(s.weight_sum, 3) }) }),
          table([v.score, say(v.scaled, p), v.masked, v.weight], (j) => [
            td('score', j, fmt(s.scores[j], 3)), td('scaled', j, fmt(s.scaled[j], 3)),
            td('masked', j, s.masked[j] === -Infinity ? v.later : fmt(s.masked[j], 3)), td('weight', j, weightCell(j))]),
          el('p', { className: 'written qkv-softmax', textContent: softmax })),
        el('section', { className: 'qkv-step', dataset: { step: '3' } },
          el('h3', { textContent: v.step3 }), el('p', { textContent: say(v.step3Text, { ...p, top: top ? quote(top.word) : '', w: top ? fmt(wordWeight(top), 3) : '' }) }),
          table([v.weight, v.v, v.weighted], (j) => [td('weight', j, weightCell(j)), td('v', j, strip(row(s.v, j), voLimit, `v ${label(j)}`)),
            td('weighted', j, strip(weighted[j], weightedLimit, `${v.weighted} ${label(j)}`))]),
          el('div', { className: 'vector out-vector' }, el('span', { className: 'vector-label', textContent: say(v.out, p) }), strip(s.out, absMax(s.out), say(v.out, p), 'strip wide')),
          el('p', { className: 'written qkv-formula', textContent: formula }),
          el('p', { className: 'written qkv-sum', textContent: sum }),
          el('div', { className: 'legends' }, legend('diverging', v.legendValues, '−', '+'), legend('viridis', v.legendWeights, '0', '1'))),
      );
      root.dataset.layer = String(layer);
      root.dataset.head = String(head);
      root.dataset.model = state.model;
      root.dataset.weights = String(weights.length);
    };

    const clear = (message) => {
      headsTitle.textContent = '';
      heads.replaceChildren();
      focusWords.replaceChildren();
      watchWords.replaceChildren();
      hiddenNote.hidden = true;
      chosen.textContent = message;
      steps.replaceChildren();
    };

    return {
      async update(state) {
        const url = ctx.modelUrl(state.model === 'default' ? 'default' : 'encoder');
        const { model } = await ctx.engine.load(url);
        if (ctx.signal.aborted) return;
        if (!state.text.trim()) { clear(v.empty); return; }
        const layer = Math.min(Math.max(0, state.layer ?? 0), model.n_layer - 1);
        // The GPT runs causal, as it was trained; the encoder always sees both ways (worker.js).
        const ask = { model: url, text: state.text, mask: 'causal', layer, focus: state.focus, temperature: 1, topK: 0, topP: 1 };
        const first = await ctx.engine.call('update', { ...ask, head: 0, have: {} });
        const words = await ctx.engine.call('lessonWords', { model: url, text: state.text });
        if (ctx.signal.aborted) return;
        const { tokens, weights } = first;
        const count = tokens.ids.length;
        const f = first.steps.focus;
        const focusWord = wordAt(words, f) ?? { word: tokenLabel(tokens.display[f]).trim(), first: f, last: f };
        const watch = watchedWord(words, focusWord, state.watch);
        // Weight the focus token gives a word (its tokens summed) in head h of the layer shown.
        const weightOn = (h, w) => {
          let sum = 0;
          for (let j = w.first; j <= w.last; j++) sum += weights[((layer * model.n_head + h) * count + f) * count + j];
          return sum;
        };
        const heads = Array.from({ length: model.n_head }, (_, h) => h);
        const scores = heads.map((h) => (watch ? weightOn(h, watch) : 0));
        const best = heads.reduce((a, h) => (scores[h] > scores[a] ? h : a), 0);
        // A watched word the mask hides has weight 0 everywhere: then the head that looks most
        // at any other word is shown instead.
        const hiddenWatch = watch != null && scores.every((x) => x === 0) && first.tokens.allowed[f * count + watch.first] === 0;
        let other = null;
        let head = best;
        if (hiddenWatch) {
          for (const h of heads) {
            for (const w of words) {
              if (w === focusWord) continue;
              const weight = weightOn(h, w);
              if (!other || weight > other.weight) { other = { word: w.word, weight }; head = h; }
            }
          }
        }
        if (state.head != null) head = Math.min(Math.max(0, state.head), model.n_head - 1);
        let steps = first.steps;
        if (head !== 0) {
          const again = await ctx.engine.call('update', { ...ask, head, have: first.keys });
          if (ctx.signal.aborted) return;
          steps = again.steps ?? steps;
        }
        draw({ state, model, words, tokens, weights, steps, layer, head, best, scores, focusWord, watch, hiddenWatch, other });
      },
      destroy() {},
    };
  },
};
