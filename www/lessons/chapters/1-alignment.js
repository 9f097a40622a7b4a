// Chapter 1: attention is alignment. A `中文 | English` pair through the GPT, and one head's
// English-words × Chinese-words matrix (its weights summed over each Chinese word's tokens), as
// the worker's `alignment` computes it from the engine's trace. Which head: the best one on the
// held-out pairs (lessons/data/alignment-pairs.json: validation pairs the model never trained
// on, with gold word links from the HSK word list), scored live by the worker's
// `alignmentScores`; the learner may pick any other, and the other reading of a word's row.

import { viridis, viridisInk, legend } from '../../colors.js';
import { el, proseLabel } from '../../views/dom.js';
import { fill as say } from '../strings.js';

/** The held-out set, fetched once per page. */
let heldOut = null;
function heldOutSet() {
  heldOut ??= fetch(new URL('../data/alignment-pairs.json', import.meta.url)).then((response) => {
    if (!response.ok) throw new Error(`alignment-pairs.json: HTTP ${response.status}`);
    return response.text();
  });
  heldOut.catch(() => { heldOut = null; });
  return heldOut;
}

/** A share as the chapter prints it: 61.6%. */
const pct = (x) => `${(100 * x).toFixed(1)}%`;

export default {
  number: 1,
  slug: 'alignment',
  css: true,
  text: {
    en: {
      title: 'Attention is alignment',
      paragraphs: [
        'A translator turning `他 喜欢 户外 运动` into “He likes outdoor sports.” knows where each English word comes from: **He** from `他`, **likes** from `喜欢`. Put the English words down the side of a grid, the Chinese words across the top, and mark which goes with which: that grid is an **alignment**. The study calls the function that finds it the alignment function, and its numbers the weights α.',
        'Attention computes exactly such weights. Our tiny GPT learned from lines written `中文 | English`. When it writes the English half, every English token may look back at all the Chinese before the `|`. The grid below is one attention head’s weights, added up over each Chinese word (a word can be several tokens).',
        'Which row is which English word? A GPT predicts the next token, so the row for `likes` is read at the token just before it: the moment the model has to come up with `likes`. You can switch to reading each word at its own first token and compare.',
        'Not every head aligns, and none does it perfectly. So the chapter measures it, live, on pairs the model never saw in training, with gold word links taken from the HSK word list: the score of a head is the share of English words whose most-watched Chinese word is the right one. Compare it with two guesses that read no attention at all: a Chinese word picked at random, and the word at the same place in the sentence. Chinese and English often put their words in the same order, so the second guess is a high bar: a head that really reads the words has to do better than that.',
        'Type a pair of your own: Chinese words separated by spaces, then `|`, then the English.',
      ],
      tries: ['小明 喜欢 苹果 | Xiaoming likes apples.', 'A held-out pair: 他 手里 拿 着 一 张 地图', 'Read each word at its own token'],
      question: {
        prompt: 'Which token’s attention lines up best with the Chinese word an English word translates?',
        options: [
          { label: 'The English word’s own first token', correct: false, feedback: 'Try the third button: read at their own tokens, the words find their Chinese counterpart far less often. By then the word has already been written.' },
          { label: 'The token just before the English word, which has to predict it', correct: true, feedback: 'To write the next word the model has to know what it translates, so that is where the head looks back at the Chinese: its score on the held-out pairs says so.' },
          { label: 'The `|` between the two halves', correct: false, feedback: 'The `|` comes before every English word; it can only predict the first one (in the grid it is the row of the first word).' },
        ],
      },
      view: {
        empty: 'Type a pair above: Chinese words, then `|`, then the English.',
        needBar: 'This chapter needs a pair: Chinese words, then “|”, then the English, for example “小明 喜欢 苹果 | Xiaoming likes apples.”',
        scoring: 'Scoring every head on the held-out pairs…',
        score: 'Held-out score of the head shown (layer {layer}, head {head}): on {pairs} pairs the model never trained on, {score} of {words} English words point most at their gold Chinese word. Picking a Chinese word at random would score {chance}; guessing from word order alone (the word at the same place in the Chinese half), {position}.',
        vsPosition: 'That is {diff} points better than word order alone.',
        notVsPosition: 'That is no better than word order alone.',
        best: 'This is the best aligning head of the model.',
        notBest: 'The best aligning head is layer {layer}, head {head} ({score}).',
        heads: 'Every head’s held-out score (reading: {reading}). Pick one:',
        head: 'L{layer} H{head}',
        readingLabel: 'Read each English word at',
        predicting: 'the token before it (which predicts it)',
        own: 'its own first token',
        bestAgain: 'Back to the best head',
        corner: 'English ↓ · Chinese →',
        at: 'read at {token}',
        rest: 'elsewhere',
        restTitle: 'weight on the `|`, punctuation and English tokens',
        cell: '{en} → {zh}: {w}',
        caption: 'Each row: how the head’s attention from one English word is shared among the Chinese words (row total with “elsewhere”: 100%). The outlined cell is the row’s largest: the Chinese word this head aligns that English word with.',
        cut: 'The pair is longer than the model’s context of {context} tokens; words past it are left out.',
        oneWord: 'The Chinese half is one word here: put spaces between its words (小明 喜欢 苹果) to see where each English word looks.',
        legend: 'weight',
      },
    },
    zh: {
      title: '注意力就是对齐',
      paragraphs: [
        '翻译 `他 喜欢 户外 运动` 的人，心里清楚 “He likes outdoor sports.” 里每个英文词是从哪儿来的：**He** 来自 `他`，**likes** 来自 `喜欢`。把英文词竖着排在左边，中文词横着排在上面，哪个对哪个就在格子里做个记号，这张表就叫**对齐**。学习笔记里把找出这种对应关系的函数叫作对齐函数，表里的数就是权重 α。',
        '注意力算的正是这样的权重。我们的小 GPT 是从 `中文 | English` 这样的句子里学出来的。它写后半句英文时，每个英文词元都能回头看 `|` 前面所有的中文。下面这张表就是某一个注意力头的权重，按中文词加在一起（一个词可能由好几个词元组成）。',
        '表里的每一行对应哪个英文词呢？GPT 做的是预测下一个词元，所以 `likes` 这一行取的是它前面那个词元：也就是模型正要想出 `likes` 的那一刻。你也可以改成在英文词自己的第一个词元上读，比较一下。',
        '并不是每个头都会对齐，也没有哪个头对得完全准。所以本章当场做了测量：用模型训练时没见过的句子，正确答案取自 HSK 词表；一个头的得分，就是英文词最关注的中文词恰好是正确那个的比例。再拿两种完全不看注意力的猜法来比：随便挑一个中文词；或者按词序，挑句子里位置相同的那个中文词。中文和英文的词序常常差不多，所以第二种猜法并不好超过：一个真正“读懂”了词的头，得比它更准才算数。',
        '你也可以输入自己的句子：中文词之间用空格隔开，然后是 `|`，再写英文。',
      ],
      tries: ['小明 喜欢 苹果 | Xiaoming likes apples.', '一句没训练过的：他 手里 拿 着 一 张 地图', '改在英文词自己的词元上读'],
      question: {
        prompt: '英文词所翻译的那个中文词，由哪个词元的注意力对得最准？',
        options: [
          { label: '英文词自己的第一个词元', correct: false, feedback: '点第三个按钮试试：在词自己的词元上读，找到对应中文词的次数少得多。到那时这个词已经写出来了。' },
          { label: '英文词前面那个要预测它的词元', correct: true, feedback: '要写出下一个词，模型得先知道它翻译的是哪个中文词，所以注意力头正是在这里回头看中文的：它在没训练过的句子上的得分就是证明。' },
          { label: '两半句中间的 `|`', correct: false, feedback: '`|` 排在所有英文词前面，它只能预测第一个英文词（在表里就是第一行）。' },
        ],
      },
      view: {
        empty: '请在上面输入一对句子：中文词，然后是 `|`，再写英文。',
        needBar: '本章需要一对句子：中文词，然后是“|”，再写英文，例如“小明 喜欢 苹果 | Xiaoming likes apples.”',
        scoring: '正在用没训练过的句子给每个头打分……',
        score: '当前这个头（第 {layer} 层，第 {head} 个头）在没训练过的句子上的得分：{pairs} 句话、{words} 个英文词里，有 {score} 最关注的正是正确的中文词。随便挑一个中文词的话，得分只有 {chance}；只按词序猜（挑中文里位置相同的词），得分是 {position}。',
        vsPosition: '比只按词序猜高出 {diff} 个百分点。',
        notVsPosition: '并不比只按词序猜更准。',
        best: '这是这个模型里对齐得最好的头。',
        notBest: '对齐得最好的是第 {layer} 层第 {head} 个头（{score}）。',
        heads: '每个头在没训练过的句子上的得分（读法：{reading}）。点一个看看：',
        head: '第{layer}层 头{head}',
        readingLabel: '每个英文词在哪儿读',
        predicting: '它前面的词元（负责预测它）',
        own: '它自己的第一个词元',
        bestAgain: '回到最好的头',
        corner: '英文 ↓ · 中文 →',
        at: '在 {token} 读',
        rest: '其他',
        restTitle: '落在 `|`、标点和英文词元上的权重',
        cell: '{en} → {zh}：{w}',
        caption: '每一行：从一个英文词出发，这个头的注意力怎样分给各个中文词（连同“其他”一共 100%）。带框的格子是这一行最大的，也就是这个头认为这个英文词对应的中文词。',
        cut: '这对句子超过了模型 {context} 个词元的上下文，后面的词没有算进去。',
        oneWord: '这里的中文只算一个词：在词和词之间加上空格（小明 喜欢 苹果），才能看出每个英文词在看哪个中文词。',
        legend: '权重',
      },
    },
  },
  initial: { text: '他 喜欢 户外 运动 | He likes outdoor sports.', model: 'default', focus: null, layer: null, head: null, reading: null },
  // A shared link may carry the head and the reading (layers and heads count from 1 there).
  link: {
    layer: { name: 'layer', type: 'int', min: 1, max: 64, fromOne: true },
    head: { name: 'head', type: 'int', min: 1, max: 64, fromOne: true },
    reading: { name: 'reading', type: 'enum', values: ['predicting', 'own'] },
  },
  tries: [
    { text: '小明 喜欢 苹果 | Xiaoming likes apples.', layer: null, head: null, reading: null },
    { text: '他 手里 拿 着 一 张 地图 | He holds a map in his hand.', layer: null, head: null, reading: null },
    { reading: 'own' },
  ],

  mount(root, ctx) {
    const v = ctx.text.view;
    const summary = el('p', { className: 'align-score explain', ariaLive: 'polite', textContent: v.scoring });
    const bestNote = el('p', { className: 'align-best note' });
    const readingButtons = ['predicting', 'own'].map((name) => {
      const button = el('button', { type: 'button', className: 'align-reading', ariaPressed: 'false', dataset: { reading: name }, textContent: v[name] });
      button.addEventListener('click', () => ctx.setState({ reading: name }));
      return button;
    });
    const headsTitle = el('p', { className: 'align-heads-title' });
    const heads = el('div', { className: 'align-heads', role: 'group' });
    const bestAgain = el('button', { type: 'button', className: 'align-best-again', textContent: v.bestAgain, hidden: true });
    bestAgain.addEventListener('click', () => ctx.setState({ layer: null, head: null, reading: null }));
    const matrix = el('div', { className: 'table-scroll align-matrix-box' });
    const cutNote = el('p', { className: 'note warn', hidden: true });
    const oneWordNote = el('p', { className: 'note warn align-one-word', hidden: true, textContent: v.oneWord });
    const caption = el('p', { className: 'caption', textContent: v.caption });
    const message = el('p', { className: 'align-message note', hidden: true });
    const body = el('div', { className: 'align-body' },
      summary, bestNote,
      el('div', { className: 'align-controls' },
        el('span', { className: 'align-control-label', textContent: v.readingLabel }),
        el('div', { className: 'segmented', role: 'group', ariaLabel: v.readingLabel }, ...readingButtons)),
      headsTitle, heads, bestAgain, matrix, oneWordNote, cutNote, caption, legend('viridis', v.legend, '0%', '100%'));
    root.append(message, body);

    const show = (text) => {
      message.textContent = text;
      message.hidden = false;
      body.hidden = true;
    };

    // The head buttons are made once per model and updated in place, so a keyboard user's focus
    // stays on the button they chose.
    let headButtons = [];
    const drawHeads = (scores, model, layer, head, reading) => {
      headsTitle.textContent = say(v.heads, { reading: v[reading] });
      heads.setAttribute('aria-label', headsTitle.textContent);
      heads.style.setProperty('--heads', String(model.n_head));
      if (headButtons.length !== scores.heads.length) {
        headButtons = scores.heads.map((s) => {
          const score = el('span', { className: 'align-head-score' });
          const star = el('span', { className: 'align-star', textContent: '★', hidden: true });
          const button = el('button', { type: 'button', className: 'align-head', dataset: { layer: String(s.layer), head: String(s.head) } },
            el('span', { className: 'align-head-name', textContent: say(v.head, { layer: s.layer + 1, head: s.head + 1 }) }), score, star);
          button.addEventListener('click', () => ctx.setState({ layer: s.layer, head: s.head }));
          return { button, score, star };
        });
        heads.replaceChildren(...headButtons.map((b) => b.button));
      }
      scores.heads.forEach((s, i) => {
        const { button, score, star } = headButtons[i];
        button.setAttribute('aria-pressed', String(s.layer === layer && s.head === head));
        button.dataset.score = String(s[reading]);
        score.textContent = pct(s[reading]);
        star.hidden = !(s.layer === scores.best_layer && s.head === scores.best_head && reading === scores.best_reading);
      });
    };

    const drawMatrix = (a) => {
      const head = el('tr', {}, el('th', { scope: 'col', className: 'align-corner', textContent: v.corner }),
        ...a.chinese.map((zh, z) => el('th', { scope: 'col', className: 'align-zh', dataset: { zh: String(z) }, textContent: zh })),
        el('th', { scope: 'col', className: 'align-rest-head', title: v.restTitle, textContent: v.rest }));
      const rows = a.english.map((en, e) => el('tr', { dataset: { en: String(e) } },
        el('th', { scope: 'row', className: 'align-en' },
          el('span', { className: 'align-en-word', textContent: en }),
          el('span', { className: 'align-at', textContent: say(v.at, { token: proseLabel(a.from_labels[e]) }) })),
        ...a.weights[e].map((w, z) => el('td', {
          className: z === a.best[e] ? 'align-cell best' : 'align-cell',
          title: say(v.cell, { en, zh: a.chinese[z], w: pct(w) }),
          dataset: { en: String(e), zh: String(z) },
          style: { background: viridis(w), color: viridisInk(w) },
          textContent: pct(w),
        })),
        el('td', { className: 'align-rest', dataset: { en: String(e) }, textContent: pct(a.rest[e]) })));
      matrix.replaceChildren(el('table', { className: 'align-matrix' }, el('thead', {}, head), el('tbody', {}, ...rows)));
    };

    return {
      async update(state) {
        const url = ctx.modelUrl('default');
        const { model } = await ctx.engine.load(url);
        if (ctx.signal.aborted) return;
        const text = state.text.trim();
        if (!text) { show(v.empty.replace(/`/g, '')); return; }
        // Half-typed pairs (no `|` yet, or nothing after it) get the recipe, not an error.
        const [chinese, ...english] = text.split('|');
        const hasWord = (side) => /[\p{L}\p{N}]/u.test(side);
        if (!english.length || !hasWord(chinese) || !hasWord(english.join('|'))) { show(v.needBar); return; }
        const set = await heldOutSet();
        const scores = await ctx.engine.call('alignmentScores', { model: url, set });
        if (ctx.signal.aborted) return;
        const picked = state.layer != null && state.head != null;
        const layer = picked ? Math.min(Math.max(0, state.layer), model.n_layer - 1) : scores.best_layer;
        const head = picked ? Math.min(Math.max(0, state.head), model.n_head - 1) : scores.best_head;
        const reading = state.reading === 'own' || state.reading === 'predicting' ? state.reading : scores.best_reading;
        const a = await ctx.engine.call('alignment', { model: url, text: state.text, layer, head, reading });
        if (ctx.signal.aborted) return;
        message.hidden = true;
        body.hidden = false;
        const shown = scores.heads.find((s) => s.layer === layer && s.head === head);
        const isBest = layer === scores.best_layer && head === scores.best_head && reading === scores.best_reading;
        const diff = shown[reading] - scores.position;
        summary.textContent = `${say(v.score, {
          layer: layer + 1, head: head + 1, pairs: scores.pairs, words: scores.words, score: pct(shown[reading]), chance: pct(scores.chance), position: pct(scores.position),
        })}${ctx.lang === 'zh' ? '' : ' '}${diff > 0 ? say(v.vsPosition, { diff: (100 * diff).toFixed(1) }) : v.notVsPosition}`;
        bestNote.textContent = isBest ? v.best : say(v.notBest, { layer: scores.best_layer + 1, head: scores.best_head + 1, score: pct(scores.best_score) });
        for (const b of readingButtons) b.setAttribute('aria-pressed', String(b.dataset.reading === reading));
        drawHeads(scores, model, layer, head, reading);
        bestAgain.hidden = isBest;
        drawMatrix(a);
        cutNote.hidden = !a.truncated;
        oneWordNote.hidden = !(a.chinese.length === 1 && [...a.chinese[0]].length > 2);
        cutNote.textContent = say(v.cut, { context: model.n_positions });
        Object.assign(root.dataset, { layer: String(layer), head: String(head), reading });
      },
      destroy() {},
    };
  },
};
