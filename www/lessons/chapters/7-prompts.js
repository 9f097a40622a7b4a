// Chapter 7: prompts and in-context learning. Two live views, both the engine's:
// 1. the learned format as an instruction — the worker's `promptFormats`: the learner's Chinese
//    sentence with ` |`, without it, and with ` =`; per prompt where the next-token probability
//    goes (English, Chinese, other), the top tokens and the greedy continuation;
// 2. copying from context — the worker's `induction`: N random tokens (seeded) and the same N
//    again; every head's induction score beside its other habits, one head's attention map with
//    the cells a copying head would light up outlined, and the right next token's probability on
//    the first pass against the second.

import { viridis, legend } from '../../colors.js';
import { el, tokenLabel } from '../../views/dom.js';
import { fill as say } from '../strings.js';

/** A share or probability as the chapter prints it: 2 significant digits, in %. */
const sig = (x) => `${Number((100 * x).toPrecision(2))}%`;
/** A share printed to one decimal: 61.6%. */
const pct = (x) => `${(100 * x).toFixed(1)}%`;
/** Candidates listed per prompt. */
const TOP_SHOWN = 5;
/** Pixels per cell of the attention map (at most; a long sequence gets smaller cells). */
const MAP_CELL = 12;
const SCRIPTS = ['english', 'chinese', 'other'];

export default {
  number: 7,
  slug: 'prompts',
  css: true,
  text: {
    en: {
      title: 'Prompts and in-context learning',
      paragraphs: [
        'GPT-3 showed that a big enough model can be steered by its prompt alone, with no retraining: show it the shape of a task and it carries on in that shape. Our tiny GPT can show the idea in miniature. Nobody ever told it “translate”, but every bilingual line it learned from was written `中文 | English`.',
        'So a Chinese sentence followed by ` |` works as an instruction: the model puts nearly all its probability on English. Take the `|` away and it carries on in Chinese, or writes the `|` itself first. A separator it never saw (` =`) is no instruction at all. The first view below shows all three for your sentence.',
        'A prompt can also teach by example: big models copy patterns from earlier in the prompt. The simplest test is a sequence of random tokens, then the same tokens again. On the second pass every next token can be read off the first: find the earlier copy of the current token and take the one after it. A head that does this is called an **induction head**; in its attention map it draws a stripe.',
        'The second view runs that test on our model, measures every head and says honestly what it finds, with the probability of the right next token on the first pass and on the second.',
      ],
      tries: ['New random tokens', 'Another sentence: 今天 天气 很 好', 'The longest repeat that fits: 32 + 32 tokens'],
      question: {
        prompt: 'Nobody told the model to translate. Why does `小明 喜欢 苹果 |` make it write English?',
        options: [
          { label: 'The code treats `|` as a command to translate', correct: false, feedback: 'The engine has no such rule: `|` is a token like any other. What it means, the model learned.' },
          { label: 'In the lines it learned from, English always followed Chinese words and ` |`, so the format itself acts as the instruction', correct: true, feedback: 'The format is the prompt: the model continues the pattern it saw thousands of times. Change the format and the “instruction” is gone.' },
          { label: 'It copies English words from earlier in the prompt', correct: false, feedback: 'There is no English in the prompt to copy, and the second view shows this small model does not copy from its context anyway.' },
        ],
      },
      view: {
        empty: 'Type a Chinese sentence above, for example 小明 喜欢 苹果.',
        formatTitle: '1. The format as an instruction',
        variants: ['with ` |`: the format of the data', 'without ` |`', 'with ` =`: a separator it never saw'],
        english: 'English',
        chinese: 'Chinese',
        other: 'other (a space, `|`, punctuation…)',
        shares: 'Next token: {english} English, {chinese} Chinese, {other} other',
        top: 'Most likely next tokens',
        goesOn: 'It goes on (most likely token each time):',
        formatSummary: 'With the ` |` the model gives {with} of its probability to an English next token; without it, {without}.',
        copyTitle: '2. Copying from context: a random sequence, twice',
        sequence: '{n} random tokens (seed {seed}), then the same {n} again:',
        firstPass: 'first pass',
        secondPass: 'second pass',
        again: 'New random tokens',
        yes: 'Layer {layer}, head {head} is an induction head: on the second pass it puts {score} of its attention on the token after the earlier copy (the threshold is {threshold}; spreading evenly would give {even}).',
        no: 'No head of this model is an induction head. The best, layer {layer}, head {head}, puts only {score} of its attention on the token after the earlier copy; a head spreading its attention evenly would put {even} there, and an induction head at least {threshold}. Instead the heads spread their attention over the tokens before, with mild favourites: the strongest is layer {hlayer}, head {hhead}, with {hscore} on {habit} (an even spread gives {heven}). Copying takes two heads working together, learned from text that repeats itself; this small model, trained on short lines that rarely repeat, never learned it.',
        headsTitle: 'What each head does on this sequence (mean attention; pick a head to see its map)',
        head: 'Head',
        headName: 'L{layer} H{head}',
        induction: 'after the earlier copy',
        previous: 'previous token',
        itself: 'itself',
        first: 'first token',
        duplicate: 'the earlier copy',
        habits: { previous_token: 'the previous token', itself: 'itself', first: 'the first token' },
        even: 'even spread',
        mapTitle: 'Attention of layer {layer}, head {head}: row = the token attending, column = the token attended to. Outlined: where an induction head would look.',
        mapLabel: 'Attention map of layer {layer}, head {head} on the repeated sequence',
        legend: 'weight',
        gainTitle: 'Probability of the right next token',
        gain: 'Mean over the sequence: {first} on the first pass, {second} on the second (×{ratio}).',
        gainYes: 'The second pass is easier: the model uses what it saw.',
        gainNo: 'The second pass is no easier than the first: the model does not use the earlier copy.',
        position: 'next token',
      },
    },
    zh: {
      title: '提示与上下文学习',
      paragraphs: [
        'GPT-3 让人们看到：模型够大，不用重新训练，光靠提示就能指挥它。给它看一个任务的样子，它就照着这个样子往下写。我们的小 GPT 也能把这个道理演示一遍。从来没人叫它“翻译”，可它学过的每一行中英对照，都是 `中文 | English` 这样写的。',
        '所以在中文句子后面加上 ` |`，本身就是一条指令：模型几乎把全部概率都押在英文上。去掉 `|`，它就接着写中文，或者先自己补上一个 `|`。换成一个它从没见过的分隔符（` =`），就不算什么指令了。下面第一部分把这三种写法都拿你的句子试一遍。',
        '提示还可以“举例教学”：大模型会照抄提示里前面出现过的规律。最简单的检验是一串随机的词元，接着把同一串再重复一遍。到了第二遍，每个下一个词元都能从第一遍里查到：找到当前词元上一次出现的位置，取它后面那个。会这样做的注意力头叫作**归纳头**（induction head），它的注意力图上会出现一条斜线。',
        '第二部分就在我们的模型上做这个检验：逐个测量每个头，如实报告结果，并比较第一遍和第二遍里猜中下一个词元的概率。',
      ],
      tries: ['换一串随机词元', '换一句：今天 天气 很 好', '能放下的最长重复：32 + 32 个词元'],
      question: {
        prompt: '没人叫模型翻译。为什么 `小明 喜欢 苹果 |` 会让它写英文？',
        options: [
          { label: '程序里把 `|` 规定成了“翻译”命令', correct: false, feedback: '引擎里没有这样的规则：`|` 和别的词元一样，只是一个词元。它是什么意思，是模型自己学出来的。' },
          { label: '它学过的句子里，中文词和 ` |` 后面总是英文，所以这个格式本身就起了指令的作用', correct: true, feedback: '格式就是提示：模型接着写它见过成千上万次的规律。格式一变，这条“指令”也就没了。' },
          { label: '它照抄了提示前面出现过的英文', correct: false, feedback: '提示里根本没有英文可抄；而且第二部分也说明，这个小模型并不会从上下文里照抄。' },
        ],
      },
      view: {
        empty: '请在上面输入一句中文，例如：小明 喜欢 苹果。',
        formatTitle: '一、格式就是指令',
        variants: ['加 ` |`：训练数据的格式', '不加 ` |`', '加 ` =`：它从没见过的分隔符'],
        english: '英文',
        chinese: '中文',
        other: '其他（空格、`|`、标点……）',
        shares: '下一个词元：英文 {english}，中文 {chinese}，其他 {other}',
        top: '最可能的下一个词元',
        goesOn: '接着写下去（每次取最可能的词元）：',
        formatSummary: '加了 ` |`，模型把 {with} 的概率给了英文词元；不加，只有 {without}。',
        copyTitle: '二、从上下文里照抄：一串随机词元，重复两遍',
        sequence: '{n} 个随机词元（种子 {seed}），接着同样的 {n} 个再来一遍：',
        firstPass: '第一遍',
        secondPass: '第二遍',
        again: '换一串随机词元',
        yes: '第 {layer} 层第 {head} 个头是归纳头：第二遍时，它把 {score} 的注意力放在上一次出现之后的那个词元上（门槛是 {threshold}；平均分配的话只有 {even}）。',
        no: '这个模型没有归纳头。最接近的是第 {layer} 层第 {head} 个头，它只把 {score} 的注意力放在上一次出现之后的那个词元上；一个把注意力平均分给前面所有词元的头，也会放 {even} 在那儿，而归纳头至少要有 {threshold}。那这些头在做什么呢？它们把注意力分散在前面的词元上，只是略有偏好：最明显的是第 {hlayer} 层第 {hhead} 个头，把 {hscore} 给了{habit}（平均分配是 {heven}）。照抄需要两个头配合，还要从大量自我重复的文字里学；这个小模型学的都是很少重复的短句，没有学会。',
        headsTitle: '每个头在这串词元上做什么（平均注意力；点一个头看它的注意力图）',
        head: '头',
        headName: '第{layer}层 头{head}',
        induction: '上次出现之后的词元',
        previous: '前一个词元',
        itself: '自己',
        first: '第一个词元',
        duplicate: '上次出现的位置',
        habits: { previous_token: '前一个词元', itself: '自己', first: '第一个词元' },
        even: '平均分配',
        mapTitle: '第 {layer} 层第 {head} 个头的注意力：行是发出注意力的词元，列是被关注的词元。带框的格子是归纳头会看的地方。',
        mapLabel: '第 {layer} 层第 {head} 个头在重复序列上的注意力图',
        legend: '权重',
        gainTitle: '猜中下一个词元的概率',
        gain: '整串的平均值：第一遍 {first}，第二遍 {second}（×{ratio}）。',
        gainYes: '第二遍更容易猜：模型用上了前面见过的内容。',
        gainNo: '第二遍并不比第一遍好猜：模型没有利用前面那一遍。',
        position: '下一个词元',
      },
    },
  },
  initial: { text: '他 喜欢 户外 运动', model: 'default', focus: null, seed: 1, length: 20, layer: null, head: null },
  // A shared link may carry the random sequence (seed, length) and the head shown (from 1).
  link: {
    seed: { name: 'seed', type: 'int', min: 0, max: 4294967295 },
    length: { name: 'length', type: 'int', min: 2, max: 32 },
    layer: { name: 'layer', type: 'int', min: 1, max: 64, fromOne: true },
    head: { name: 'head', type: 'int', min: 1, max: 64, fromOne: true },
  },
  tries: [
    { seed: 2, layer: null, head: null },
    { text: '今天 天气 很 好' },
    { length: 32, seed: 3, layer: null, head: null },
  ],

  mount(root, ctx) {
    const v = ctx.text.view;
    const plain = (s) => s.replace(/`/g, '');

    const formatCards = el('div', { className: 'prompt-cards' });
    const formatSummary = el('p', { className: 'prompt-summary explain', ariaLive: 'polite' });
    const formatMessage = el('p', { className: 'note', hidden: true });
    const again = el('button', { type: 'button', className: 'induction-again', textContent: v.again });
    const sequenceTitle = el('p', { className: 'induction-sequence-title' });
    const sequence = el('div', { className: 'induction-sequence' });
    const verdict = el('p', { className: 'induction-verdict explain', ariaLive: 'polite' });
    const headsTitle = el('p', { className: 'induction-heads-title', textContent: v.headsTitle });
    const heads = el('div', { className: 'table-scroll' });
    const mapTitle = el('p', { className: 'caption induction-map-title' });
    const canvas = el('canvas', { className: 'induction-map', role: 'img' });
    // Pointing at a cell names its two tokens and the weight (the map has no room for labels).
    let pointed = null;
    canvas.addEventListener('mousemove', (event) => {
      if (!pointed) return;
      const { ind, base } = pointed;
      const t = 2 * ind.length;
      // The canvas may be drawn smaller than its size (a phone): cells by the shown size.
      const q = Math.floor((event.offsetY * t) / canvas.clientHeight);
      const k = Math.floor((event.offsetX * t) / canvas.clientWidth);
      canvas.title = q >= 0 && q < t && k >= 0 && k <= q
        ? `${q + 1} ${tokenLabel(ind.labels[q])} → ${k + 1} ${tokenLabel(ind.labels[k])}: ${sig(ind.weights[base + q * t + k])}`
        : '';
    });
    const gain = el('p', { className: 'induction-gain' });
    const gainNote = el('p', { className: 'note' });
    const gainTable = el('div', { className: 'table-scroll' });
    root.append(
      el('section', { className: 'prompt-formats' }, el('h3', { textContent: v.formatTitle }), formatMessage, formatCards, formatSummary),
      el('section', { className: 'induction' },
        el('h3', { textContent: v.copyTitle }),
        el('div', { className: 'induction-head-line' }, sequenceTitle, again), sequence, verdict,
        headsTitle, heads, mapTitle, canvas, legend('viridis', v.legend, '0', '1'),
        el('h4', { textContent: v.gainTitle }), gain, gainNote, gainTable),
    );
    let seed = 1;
    again.addEventListener('click', () => ctx.setState({ seed: seed + 1, layer: null, head: null }));

    const drawFormats = (prompts) => {
      formatCards.replaceChildren(...prompts.map((p, i) => el('article', { className: 'prompt-card', dataset: { prompt: String(i) } },
        el('h4', { textContent: plain(v.variants[i]) }),
        el('p', { className: 'prompt-text' }, el('code', { textContent: p.prompt })),
        el('div', { className: 'prompt-shares', role: 'img', ariaLabel: say(v.shares, { english: sig(p.english), chinese: sig(p.chinese), other: sig(p.other) }) },
          ...SCRIPTS.map((s) => el('span', { className: `share ${s}`, style: { width: `${100 * p[s]}%` }, title: `${v[s]}: ${sig(p[s])}` }))),
        el('ul', { className: 'prompt-share-list' }, ...SCRIPTS.map((s) => el('li', { className: s, dataset: { script: s, value: String(p[s]) } },
          el('span', { className: `swatch ${s}` }), `${plain(v[s])} `, el('strong', { textContent: sig(p[s]) })))),
        el('p', { className: 'prompt-top-title', textContent: v.top }),
        el('ol', { className: 'prompt-top' }, ...p.top.slice(0, TOP_SHOWN).map((t) => el('li', { className: t.script, dataset: { id: String(t.id) } },
          el('span', { className: 'prompt-token', textContent: tokenLabel(t.text) }), ' ', el('span', { className: 'prompt-p', textContent: sig(t.probability) })))),
        el('p', { className: 'prompt-goes-on-title', textContent: v.goesOn }),
        el('p', { className: 'prompt-goes-on' }, el('span', { className: 'prompt-given', textContent: p.prompt }), el('mark', { textContent: p.continuation })))));
      formatSummary.textContent = plain(say(v.formatSummary, { with: pct(prompts[0].english), without: pct(prompts[1].english) }));
    };

    const drawMap = (ind, layer, head) => {
      const t = 2 * ind.length;
      const n = ind.length;
      const cell = Math.max(4, Math.min(MAP_CELL, Math.floor(560 / t)));
      const size = cell * t;
      const dpr = window.devicePixelRatio || 1;
      canvas.width = size * dpr;
      canvas.height = size * dpr;
      canvas.style.width = `${size}px`;
      canvas.style.height = `${size}px`;
      canvas.setAttribute('aria-label', say(v.mapLabel, { layer: layer + 1, head: head + 1 }));
      const g = canvas.getContext('2d');
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      const nHead = ind.heads.length / (ind.heads.at(-1).layer + 1);
      const base = (layer * nHead + head) * t * t;
      const style = getComputedStyle(root);
      g.fillStyle = style.getPropertyValue('--card').trim() || '#fff';
      g.fillRect(0, 0, size, size);
      for (let q = 0; q < t; q++) {
        for (let k = 0; k <= q; k++) {
          g.fillStyle = viridis(ind.weights[base + q * t + k]);
          g.fillRect(k * cell, q * cell, cell, cell);
        }
      }
      // Where an induction head would look: from second-pass token i to i − N + 1.
      g.strokeStyle = style.getPropertyValue('--focus').trim() || '#e4007c';
      g.lineWidth = 1.5;
      for (let q = n; q < t; q++) g.strokeRect((q - n + 1) * cell + 0.75, q * cell + 0.75, cell - 1.5, cell - 1.5);
      // The start of the second pass.
      g.strokeStyle = style.getPropertyValue('--muted').trim() || '#666';
      g.beginPath();
      g.moveTo(0, n * cell);
      g.lineTo(size, n * cell);
      g.stroke();
      mapTitle.textContent = say(v.mapTitle, { layer: layer + 1, head: head + 1 });
      pointed = { ind, base };
    };

    /** Everything of one random sequence except which head is shown; returns its head rows. */
    const drawInduction = (ind) => {
      const n = ind.length;
      sequenceTitle.textContent = say(v.sequence, { n, seed: ind.seed });
      sequence.replaceChildren(...[0, 1].map((pass) => el('div', { className: `induction-pass pass-${pass}` },
        el('span', { className: 'induction-pass-name', textContent: pass ? v.secondPass : v.firstPass }),
        ...ind.labels.slice(pass * n, (pass + 1) * n).map((label, i) => el('span', { className: 'chip-sample', title: `${pass * n + i + 1}`, textContent: tokenLabel(label) })))));
      const params = { layer: ind.best_layer + 1, head: ind.best_head + 1, score: sig(ind.best_score), even: sig(ind.even_induction), threshold: sig(ind.threshold) };
      // The heads' strongest habit other than copying: the largest mean weight on the previous
      // token, the token itself or the first token (all measured over the same queries).
      let strongest = null;
      for (const hp of ind.heads) {
        for (const habit of Object.keys(v.habits)) {
          if (!strongest || hp[habit] > strongest.score) strongest = { hp, habit, score: hp[habit] };
        }
      }
      Object.assign(params, {
        hlayer: strongest.hp.layer + 1, hhead: strongest.hp.head + 1, hscore: sig(strongest.score), habit: v.habits[strongest.habit], heven: sig(ind.even_other),
      });
      verdict.textContent = say(ind.has_induction_head ? v.yes : v.no, params);
      verdict.dataset.induction = String(ind.has_induction_head);
      const columns = ['induction', 'previous_token', 'itself', 'first', 'duplicate'];
      const names = { induction: v.induction, previous_token: v.previous, itself: v.itself, first: v.first, duplicate: v.duplicate };
      const evenOf = { induction: ind.even_induction, previous_token: ind.even_other, itself: ind.even_other, first: ind.even_other, duplicate: ind.even_induction };
      const rows = ind.heads.map((hp) => {
        const button = el('button', { type: 'button', className: 'induction-pick', textContent: say(v.headName, { layer: hp.layer + 1, head: hp.head + 1 }) });
        button.addEventListener('click', () => ctx.setState({ layer: hp.layer, head: hp.head }));
        const row = el('tr', { dataset: { layer: String(hp.layer), head: String(hp.head) } },
          el('th', { scope: 'row' }, button),
          ...columns.map((c) => el('td', { dataset: { col: c }, textContent: sig(hp[c]) })));
        return { hp, row, button };
      });
      heads.replaceChildren(el('table', { className: 'step-table induction-heads' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', textContent: v.head }), ...columns.map((c) => el('th', { scope: 'col', textContent: names[c] })))),
        el('tbody', {}, ...rows.map((r) => r.row), el('tr', { className: 'even' }, el('th', { scope: 'row', textContent: v.even }),
          ...columns.map((c) => el('td', { dataset: { col: c }, textContent: sig(evenOf[c]) }))))));
      const ratio = ind.mean_first > 0 ? (ind.mean_second / ind.mean_first).toPrecision(2) : '–';
      gain.textContent = say(v.gain, { first: sig(ind.mean_first), second: sig(ind.mean_second), ratio });
      gain.dataset.first = String(ind.mean_first);
      gain.dataset.second = String(ind.mean_second);
      gainNote.textContent = ind.mean_second > 2 * ind.mean_first ? v.gainYes : v.gainNo;
      gainTable.replaceChildren(el('table', { className: 'step-table induction-passes' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', textContent: v.position }),
          ...ind.labels.slice(1, n).map((label) => el('th', { scope: 'col', textContent: tokenLabel(label) })))),
        el('tbody', {},
          ...[[v.firstPass, ind.first_pass], [v.secondPass, ind.second_pass]].map(([name, values], pass) => el('tr', { dataset: { pass: String(pass) } },
            el('th', { scope: 'row', textContent: name }),
            ...values.map((p) => el('td', { textContent: sig(p) })))))));
      return rows;
    };

    /** The head shown: its row marked (in place, so keyboard focus stays) and its map drawn. */
    const drawHead = (ind, rows, layer, head) => {
      for (const { hp, row, button } of rows) {
        const now = hp.layer === layer && hp.head === head;
        row.classList.toggle('now', now);
        button.setAttribute('aria-pressed', String(now));
      }
      drawMap(ind, layer, head);
    };

    let prompts = null;
    let promptsFor = null;
    let induction = null;
    let inductionFor = null;
    let headRows = [];
    return {
      async update(state) {
        const url = ctx.modelUrl('default');
        await ctx.engine.load(url);
        if (ctx.signal.aborted) return;
        seed = Number.isInteger(state.seed) && state.seed >= 0 ? state.seed : 1;
        const length = Number.isInteger(state.length) ? state.length : 20;
        const sentence = state.text.split('|')[0].trim();
        if (!sentence) {
          formatMessage.textContent = v.empty;
          formatMessage.hidden = false;
          formatCards.replaceChildren();
          formatSummary.textContent = '';
          prompts = null;
          promptsFor = null;
        } else if (promptsFor !== sentence) {
          prompts = await ctx.engine.call('promptFormats', { model: url, text: sentence });
          if (ctx.signal.aborted) return;
          promptsFor = sentence;
          formatMessage.hidden = true;
          drawFormats(prompts);
        }
        const key = `${seed},${length}`;
        if (inductionFor !== key) {
          induction = await ctx.engine.call('induction', { model: url, seed, length });
          if (ctx.signal.aborted) return;
          inductionFor = key;
          headRows = drawInduction(induction);
        }
        const picked = state.layer != null && state.head != null && induction.heads.some((h) => h.layer === state.layer && h.head === state.head);
        const layer = picked ? state.layer : induction.best_layer;
        const head = picked ? state.head : induction.best_head;
        drawHead(induction, headRows, layer, head);
        Object.assign(root.dataset, { seed: String(seed), length: String(induction.length), layer: String(layer), head: String(head) });
      },
      destroy() {},
    };
  },
};
