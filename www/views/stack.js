// (5) The stack: the focus token's residual stream as it leaves each stage of the model
// (embeddings → each block's attention and MLP → final layer norm → logits), and the chain from
// one head's output to the bars of section 2, in the model's own dimensions.

import { t } from '../i18n.js';
import { absMax, diverging, legend } from '../colors.js';
import { candidateLabel, changeTracker, el, fmt, proseLabel } from './dom.js';

const STAGE_LABEL = {
  embeddings: 'stack.embeddings', attention: 'stack.attention', mlp: 'stack.mlp', final: 'stack.final',
};

/** From the heads' outputs to the bars: each link names what happens, with the sizes it has. */
const CHAIN = ['chain.heads', 'chain.residual', 'chain.blocks', 'chain.final', 'chain.logits', 'chain.softmax'];

export function mountStack(root) {
  const list = root.querySelector('#stack-list');
  const caption = root.querySelector('#stack-caption');
  const chain = root.querySelector('#chain');
  const changed = changeTracker();
  return (state) => {
    const { stack, tokens, model } = state;
    if (!changed(stack, tokens, model, state.lang)) return;
    const tr = (key, params) => t(state.lang, key, params);
    if (!stack || !tokens || !model) { list.replaceChildren(); chain.replaceChildren(); caption.textContent = ''; return; }
    const focus = proseLabel(tokens.display[stack.token]);
    caption.textContent = tr('stack.caption', { focus, c: stack.channels });
    // Layer norm rescales, so the final stage gets its own colour range.
    const limit = absMax(stack.stages.filter((s) => s.kind !== 'final').flatMap((s) => s.values));
    const items = stack.stages.map((stage) => el('li', { className: `stage stage-${stage.kind}` },
      el('span', { className: 'stage-name', textContent: tr(STAGE_LABEL[stage.kind], { layer: stage.layer + 1 }) }),
      el('span', { className: 'strip wide-strip', role: 'img', ariaLabel: tr(STAGE_LABEL[stage.kind], { layer: stage.layer + 1 }) },
        ...stage.values.map((v, i) => el('span', {
          className: 'cell',
          title: `#${i + 1}: ${fmt(v, 4)}`,
          style: { background: diverging(v, stage.kind === 'final' ? absMax(stage.values) : limit) },
        }))),
      el('span', { className: 'stage-norm', textContent: tr('stack.norm', { norm: fmt(stage.norm, 2) }) })));
    // The bars of section 2 predict after the last token; at another focus token this is what
    // the model would say if the sentence stopped there.
    // The BERT-style model's logits at a position score what belongs at that position itself.
    const last = stack.token === tokens.ids.length - 1;
    const fill = Boolean(model.mask_token);
    const top = candidateLabel(stack.top.text, stack.top.partial, tr('tokens.part'));
    const logitsKey = fill ? 'stack.logits.fill' : last ? 'stack.logits' : 'stack.logits.here';
    items.push(el('li', { className: 'stage stage-logits' },
      el('span', { className: 'stage-name', textContent: tr(logitsKey, { top, focus }) })));
    list.replaceChildren(...items, el('li', { className: 'stage-legend' }, legend('diverging', tr('legend.values'), '−', '+')));

    const sizes = {
      nh: model.n_head, hs: model.head_size, c: model.n_embd, layers: model.n_layer, vocab: model.vocab_size, top,
    };
    chain.replaceChildren(...CHAIN.map((key) => el('li', { textContent: tr(key, sizes) })),
      el('li', { className: 'chain-end', textContent: tr(fill ? 'chain.bars.fill' : last ? 'chain.bars' : 'chain.bars.here', { ...sizes, focus }) }));
  };
}
