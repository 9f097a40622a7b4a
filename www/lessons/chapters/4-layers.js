// Chapter 4: self-attention in layers. One sentence through the GPT's blocks: what the model
// would predict at the focus token after the embedding and after each block (the logit lens),
// each block's attention maps side by side with numbers that tell the heads apart, and how much
// attention and the MLP add to each token's residual stream. Everything is the engine's: the
// worker's `lessonLayers` answer (crate/src/lessons/layers.rs; the CLI's `layers` command prints
// the same numbers).

import { el, fmt, percent, tokenLabel } from '../../views/dom.js';
import { heatmap, probabilityBars, quoted, tokenPicker } from './parts.js';
import { fill } from '../strings.js';

/** Candidates listed at each stage of the lens. */
const LENS_TOP = 5;

export default {
  number: 4,
  slug: 'layers',
  css: true,
  text: {
    en: {
      title: 'Self-attention in layers',
      paragraphs: [
        'A transformer is a stack of blocks. Every token carries one vector up through them, the **residual stream**. A block never replaces that vector: it adds two things to it, what attention gathered from the other tokens and what the MLP worked out from the token itself.',
        'This GPT has 2 layers of 4 heads. Below, the same sentence goes through layer 1 and layer 2, and their attention maps sit side by side. Heads of different layers look at different places; the numbers under each map say how far back it looks on average and how much weight goes to the previous token and to the first one.',
        'What would the model say if it stopped early? Take the focus token’s vector after the embedding, after layer 1 and after layer 2, and give each to the model’s own last step (the final LayerNorm and the LM head). This is the **logit lens**. After the last layer it is exactly the model’s prediction; before that, you watch the guess take shape.',
        'With the embedding alone the lens often names the token itself: the vector still only says which token it is. The blocks turn it into a guess about what comes next. The bars at the bottom show how much each block adds to each token (the length of what it adds).',
      ],
      tries: ['Follow `喜欢` instead of the last word', 'Shakespeare: `To be or not to`', '`The king is`: a head that looks at the previous token'],
      question: {
        prompt: 'What does a block do with a token’s vector in the residual stream?',
        options: [
          { label: 'It replaces it with a new vector', correct: false, feedback: 'Then the stream after a layer would owe nothing to the one before. The block computes x + attention, then adds the MLP’s part on top.' },
          { label: 'It adds what attention and the MLP computed to it', correct: true, feedback: 'Each block writes on top of what is already there. That is why the same LM head can read the stream after any layer: the lens.' },
          { label: 'It only passes it on; just the last layer computes anything', correct: false, feedback: 'Look at the bars: every block adds to every token, and the lens after layer 1 already differs from the embedding’s.' },
        ],
      },
      view: {
        follow: 'Follow token',
        lens: 'What the model would say at {focus}, after each stage',
        embeddings: 'After the embedding',
        layer: 'After layer {layer}',
        answer: 'The model’s final answer {answer}: rank {rank}, {p}',
        summary: 'At {focus} the model finally predicts {answer}. It ranks {ranks}.',
        rankAt: '{rank} after {stage}',
        stageEmbeddings: 'the embedding',
        stageLayer: 'layer {layer}',
        maps: 'Attention in each layer (row: the token that looks; column: where it looks; grey: hidden by the mask)',
        mapsLayer: 'Layer {layer}',
        layerDistance: 'Its heads look {d} tokens away on average.',
        head: 'Head {head}',
        distance: 'looks {d} tokens away on average',
        shares: 'previous {previous} · first {first} · itself {itself}',
        pattern: { previous: 'a previous-token head', first: 'a first-token head', self: 'looks at itself', spread: 'spread out' },
        focusLooks: '{focus} looks most at {key} ({w})',
        heatmap: 'Layer {layer}, head {head}: attention weights',
        adds: 'What each block adds to each token (length of the vector added)',
        token: 'Token',
        attention: 'Layer {layer}: attention',
        mlp: 'Layer {layer}: MLP',
        part: 'part of a character',
        alone: 'Type at least two tokens to see one look at another.',
        empty: 'Type a sentence above.',
      },
    },
    zh: {
      title: '一层层的自注意力',
      paragraphs: [
        'Transformer 是由一块块“层”叠起来的。每个词元都带着一个向量一路往上走，这条路叫**残差流**。每经过一层，这个向量都不会被换掉，而是被加上两样东西：注意力从别的词元那里收集来的信息，以及 MLP 根据这个词元自己算出来的信息。',
        '这个小 GPT 有 2 层，每层 4 个头。下面把同一句话送进第 1 层和第 2 层，把两层的注意力图并排放着比一比：不同层的头，看的地方不一样。每张图下面的数字告诉你，它平均往回看多远，又有多少权重落在前一个词元和第一个词元上。',
        '如果模型提前停下来，它会说什么？把焦点词元在嵌入之后、第 1 层之后、第 2 层之后的向量，分别交给模型最后那一步（最终的 LayerNorm 和输出层）去算，这个办法叫 **logit lens**（logit 透镜）。最后一层之后得到的，正是模型真正的预测；在那之前，你能看到这个猜测是怎样一步步成形的。',
        '只有嵌入的时候，透镜往往猜的就是这个词元自己：向量里还只有“我是谁”。经过几层之后，它才变成对“下一个词是什么”的猜测。最下面的条形图表示每一层给每个词元加了多少东西（加上去的向量有多长）。',
      ],
      tries: ['不看最后一个词，改看 `喜欢`', '莎士比亚：`To be or not to`', '`The king is`：找一个盯着前一个词元的头'],
      question: {
        prompt: '每一层对残差流里词元的向量做了什么？',
        options: [
          { label: '用一个新的向量把它换掉', correct: false, feedback: '如果是这样，某一层之后的向量就和前面毫无关系了。实际上每一层算的是 x + 注意力，再加上 MLP 的那一份。' },
          { label: '把注意力和 MLP 算出来的东西加到它上面', correct: true, feedback: '每一层都是在原来的基础上往上加。正因为这样，同一个输出层可以读任何一层之后的向量，这就是 logit 透镜。' },
          { label: '只是原样传下去，只有最后一层在计算', correct: false, feedback: '看看条形图：每一层都给每个词元加了东西；第 1 层之后透镜给出的预测，也已经和只有嵌入时不一样了。' },
        ],
      },
      view: {
        follow: '跟踪的词元',
        lens: '在 {focus} 这个位置，模型每一步之后会说什么',
        embeddings: '只有嵌入',
        layer: '第 {layer} 层之后',
        answer: '模型最终的答案 {answer}：排第 {rank}，{p}',
        summary: '在 {focus} 这个位置，模型最终预测的是 {answer}。它的排名：{ranks}。',
        rankAt: '{stage}排第 {rank}',
        stageEmbeddings: '只有嵌入时',
        stageLayer: '第 {layer} 层之后',
        maps: '每一层的注意力（行：发出注意的词元；列：它看向哪里；灰色：被遮挡，看不到）',
        mapsLayer: '第 {layer} 层',
        layerDistance: '这一层的头平均往回看 {d} 个词元。',
        head: '头 {head}',
        distance: '平均往回看 {d} 个词元',
        shares: '前一个 {previous} · 第一个 {first} · 自己 {itself}',
        pattern: { previous: '盯着前一个词元的头', first: '盯着第一个词元的头', self: '主要看自己', spread: '比较分散' },
        focusLooks: '{focus} 最关注 {key}（{w}）',
        heatmap: '第 {layer} 层，头 {head}：注意力权重',
        adds: '每一层给每个词元加了多少（加上去的向量的长度）',
        token: '词元',
        attention: '第 {layer} 层：注意力',
        mlp: '第 {layer} 层：MLP',
        part: '半个字',
        alone: '至少输入两个词元，才能看到一个词元怎样关注另一个。',
        empty: '请在上面输入一句话。',
      },
    },
  },
  initial: { text: '小明 喜欢 苹果', model: 'default', focus: null },
  tries: [
    { text: '小明 喜欢 苹果', focus: '喜欢' },
    { text: 'To be or not to', focus: null },
    { text: 'The king is', focus: null },
  ],

  mount(root, ctx) {
    const v = ctx.text.view;
    const picker = tokenPicker(v.follow, (i) => ctx.setState({ focus: i }));
    const lensTitle = el('h3', { className: 'ly-title' });
    const lens = el('div', { className: 'ly-lens part-grid' });
    const summary = el('p', { className: 'ly-summary explain', ariaLive: 'polite' });
    const maps = el('div', { className: 'ly-maps' });
    const adds = el('div', { className: 'ly-adds' });
    const note = el('p', { className: 'part-note ly-note' });
    root.append(picker.node, note, lensTitle, lens, summary,
      el('h3', { className: 'ly-title', textContent: v.maps }), maps,
      el('h3', { className: 'ly-title', textContent: v.adds }), adds);

    const stageName = (stage) => (stage.layer == null ? v.embeddings : fill(v.layer, { layer: stage.layer + 1 }));

    function drawLens(layers, tokens) {
      const focus = quoted(tokens.display[layers.focus]);
      const answer = quoted(layers.answer.text);
      lensTitle.textContent = fill(v.lens, { focus });
      lens.style.setProperty('--stages', String(layers.lens.length));
      lens.replaceChildren(...layers.lens.map((stage, s) => el('section', { className: 'part-card ly-stage', dataset: { stage: String(s) } },
        el('h4', { textContent: stageName(stage) }),
        probabilityBars(stage.top, v.part),
        el('p', { className: 'part-note ly-answer', dataset: { rank: String(stage.answer_rank) },
          textContent: fill(v.answer, { answer, rank: stage.answer_rank, p: percent(stage.answer.probability) }) }))));
      const ranks = layers.lens.map((stage) => fill(v.rankAt, {
        rank: stage.answer_rank,
        stage: stage.layer == null ? v.stageEmbeddings : fill(v.stageLayer, { layer: stage.layer + 1 }),
      })).join(ctx.lang === 'zh' ? '，' : ', ');
      summary.textContent = fill(v.summary, { focus, answer, ranks });
    }

    function drawMaps(layers, tokens, weights) {
      const count = tokens.ids.length;
      const nh = layers.n_head;
      const focus = quoted(tokens.display[layers.focus]);
      maps.replaceChildren(...layers.layers.map((layer) => el('section', { className: 'ly-layer', dataset: { layer: String(layer.layer) } },
        el('h4', { textContent: fill(v.mapsLayer, { layer: layer.layer + 1 }) }),
        el('p', { className: 'part-note ly-layer-distance', dataset: { value: String(layer.mean_distance) },
          textContent: fill(v.layerDistance, { d: fmt(layer.mean_distance, 2) }) }),
        el('div', { className: 'ly-heads' }, ...layer.heads.map((h) => {
          const start = (layer.layer * nh + h.head) * count * count;
          const name = fill(v.heatmap, { layer: layer.layer + 1, head: h.head + 1 });
          const shares = fill(v.shares, {
            previous: h.previous == null ? '—' : percent(h.previous),
            first: h.first == null ? '—' : percent(h.first),
            itself: percent(h.itself),
          });
          return el('figure', { className: 'ly-head', dataset: { head: String(h.head), pattern: h.pattern } },
            heatmap(weights.subarray(start, start + count * count), tokens.allowed, tokens.display, layers.focus,
              { label: name, onPick: (i) => ctx.setState({ focus: i }) }),
            el('figcaption', {},
              el('strong', { textContent: fill(v.head, { head: h.head + 1 }) }), ' ',
              el('span', { className: `ly-pattern ${h.pattern}`, textContent: v.pattern[h.pattern] }),
              el('span', { className: 'ly-distance', dataset: { value: String(h.mean_distance) }, textContent: fill(v.distance, { d: fmt(h.mean_distance, 2) }) }),
              el('span', { className: 'ly-shares', textContent: shares }),
              el('span', { className: 'ly-looks', textContent: fill(v.focusLooks, { focus, key: quoted(tokens.display[h.focus_key]), w: fmt(h.focus_weight, 2) }) })));
        })))));
    }

    function drawAdds(layers, tokens) {
      const largest = Math.max(...layers.layers.flatMap((l) => [...l.attention, ...l.mlp]), 1e-9);
      const bar = (value, kind) => el('td', { className: `ly-add ${kind}`, dataset: { value: String(value) } },
        el('span', { className: 'ly-add-track' }, el('span', { className: 'ly-add-fill', style: { width: `${(100 * value / largest).toFixed(1)}%` } })),
        el('span', { className: 'ly-add-value', textContent: fmt(value, 2) }));
      const head = el('tr', {}, el('th', { scope: 'col', textContent: v.token }),
        ...layers.layers.flatMap((l) => [
          el('th', { scope: 'col', textContent: fill(v.attention, { layer: l.layer + 1 }) }),
          el('th', { scope: 'col', textContent: fill(v.mlp, { layer: l.layer + 1 }) })]));
      const rows = tokens.display.map((d, i) => el('tr', { className: i === layers.focus ? 'focus' : '', dataset: { token: String(i) } },
        el('th', { scope: 'row', textContent: tokenLabel(d) }),
        ...layers.layers.flatMap((l) => [bar(l.attention[i], 'attention'), bar(l.mlp[i], 'mlp')])));
      adds.replaceChildren(el('table', { className: 'ly-adds-table' }, el('thead', {}, head), el('tbody', {}, ...rows)));
    }

    const clear = (message) => {
      for (const node of [lens, maps, adds]) node.replaceChildren();
      lensTitle.textContent = '';
      summary.textContent = '';
      note.textContent = message;
    };

    return {
      async update(state) {
        const url = ctx.modelUrl(state.model === 'encoder' ? 'encoder' : 'default');
        await ctx.engine.load(url);
        if (ctx.signal.aborted) return;
        if (!state.text.trim()) { picker.show({ display: [] }, -1); clear(v.empty); return; }
        const answer = await ctx.engine.call('lessonLayers', { model: url, text: state.text, focus: state.focus, top: LENS_TOP });
        if (ctx.signal.aborted) return;
        const { tokens, weights, layers } = answer;
        if (!layers) { picker.show({ display: [] }, -1); clear(v.empty); return; }
        picker.show(tokens, layers.focus);
        note.textContent = tokens.ids.length < 2 ? v.alone : '';
        drawLens(layers, tokens);
        drawMaps(layers, tokens, weights);
        drawAdds(layers, tokens);
        root.dataset.focus = String(layers.focus);
        root.dataset.text = state.text;
      },
      destroy() {},
    };
  },
};
